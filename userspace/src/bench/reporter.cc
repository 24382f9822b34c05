#include "bench/reporter.h"

#include "bench/skip.h"
#include "results/bench_properties.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <span>

#include "results/stats.h"
#include "util/error.h"

namespace ptilab {

namespace {

// The property counter reported under the user counter name; nullptr
// for any other counter.
const PropertyCounter* property_counter(std::string_view name) {
  for (const auto& p : kPropertyCounters)
    if (p.source() == name) return &p;
  return nullptr;
}

// Likewise for a workload counter.
const PropertyCounter* workload_counter(std::string_view name) {
  for (const auto& p : kWorkloadCounters)
    if (p.source() == name) return &p;
  return nullptr;
}

}  // namespace

ResultCollector::ResultCollector(std::vector<std::string> counter_names) : counter_names_(std::move(counter_names)) {
  for (const auto& list : {std::span<const PropertyCounter>(kPropertyCounters), std::span<const PropertyCounter>(kWorkloadCounters)})
    for (const auto& p : list)
      if (std::find(counter_names_.begin(), counter_names_.end(), p.source()) == counter_names_.end())
        counter_names_.emplace_back(p.source());
}

std::string csv_benchmark_name(const BenchmarkRun& run) {
  benchmark::BenchmarkName name = run.run_name;
  name.time_type.clear();
  return name.str();
}

double real_time_ns(const BenchmarkRun& run) {
  return run.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
}

ResultCollector::Entry& ResultCollector::entry(const std::string& name) {
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
  if (it != entries_.end()) return *it;
  Entry e;
  e.name = name;
  entries_.push_back(std::move(e));
  return entries_.back();
}

void ResultCollector::add(const BenchmarkRun& run) {
  const std::string name = csv_benchmark_name(run);
  if (run.error_occurred) {
    const std::string_view msg = run.error_message;
    if (msg.starts_with(kSkipPrefix)) {
      // Once per benchmark, however many repetitions reported it.
      Skip skip{name, std::string(msg.substr(kSkipPrefix.size()))};
      if (std::find(skipped_.begin(), skipped_.end(), skip) == skipped_.end()) skipped_.push_back(std::move(skip));
    } else {
      errors_.push_back(name + ": " + run.error_message);
    }
    return;
  }
  Entry& e = entry(name);
  // The perf counters in this run (Google Benchmark has already divided
  // them by the iterations; its aggregates carry their mean and stddev),
  // and its property counters (never divided).
  const auto counter = [&](const std::string& c) -> std::optional<double> {
    const auto it = run.counters.find(c);
    if (it == run.counters.end()) return std::nullopt;
    return it->second.value;
  };
  if (run.run_type == BenchmarkRun::RT_Iteration) {
    e.iteration_ns.push_back(real_time_ns(run));
    for (const auto& c : counter_names_)
      if (const auto v = counter(c)) e.counters[c].per_iteration.push_back(*v);
    return;
  }
  // Aggregates: "cv" (a percentage) and complexity fits are not wanted.
  if (run.aggregate_unit != benchmark::kTime) return;
  if (run.aggregate_name == "mean") {
    e.mean = real_time_ns(run);
    e.repetitions = run.repetitions;
    for (const auto& c : counter_names_)
      if (const auto v = counter(c)) e.counters[c].mean = *v;
  } else if (run.aggregate_name == "median") {
    e.median = real_time_ns(run);
  } else if (run.aggregate_name == "stddev") {
    e.stddev = real_time_ns(run);
    for (const auto& c : counter_names_)
      if (const auto v = counter(c)) e.counters[c].stddev = *v;
  }
}

std::vector<BenchResult> ResultCollector::results() const {
  std::vector<BenchResult> out;
  for (const Entry& e : entries_) {
    BenchResult r;
    r.name = e.name;
    if (e.mean) {
      r.mean_ns = *e.mean;
      r.median_ns = e.median.value_or(*e.mean);
      r.stddev_ns = e.stddev.value_or(0);
      r.repetitions = e.repetitions;
    } else if (!e.iteration_ns.empty()) {
      const Summary s = summarize(e.iteration_ns);
      r.mean_ns = s.mean;
      r.median_ns = median_of(e.iteration_ns);
      r.stddev_ns = s.stddev;
      r.repetitions = static_cast<std::int64_t>(e.iteration_ns.size());
    } else {
      continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<CounterResult> ResultCollector::counter_results() const {
  std::vector<CounterResult> out;
  for (const Entry& e : entries_) {
    for (const auto& name : counter_names_) {
      const auto it = e.counters.find(name);
      if (it == e.counters.end()) continue;
      const CounterValues& v = it->second;
      CounterResult c;
      c.benchmark = e.name;
      c.event = name;
      const PropertyCounter* const property = property_counter(name);
      const PropertyCounter* const measured = workload_counter(name);
      if (const PropertyCounter* known = property ? property : measured) {
        c.event = known->name;
        c.unit = known->unit;
      }
      if (e.mean) {  // aggregates exist: use them, as results() does
        if (!v.mean) continue;
        c.mean = *v.mean;
        c.stddev = v.stddev.value_or(0);
        c.repetitions = e.repetitions;
      } else if (!v.per_iteration.empty()) {
        const Summary s = summarize(v.per_iteration);
        c.mean = s.mean;
        c.stddev = s.stddev;
        c.repetitions = static_cast<std::int64_t>(v.per_iteration.size());
      } else {
        continue;
      }
      if (measured && measured->scale != 1) {
        c.mean *= measured->scale;
        if (c.stddev) *c.stddev *= measured->scale;
      }
      // A size, not a measurement: no stddev (compare leaves it out).
      if (property) c.stddev.reset();
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<BenchmarkRun> runs_from_json(std::string_view json, std::string_view source) {
  // Bare NaN/Infinity (as Google Benchmark writes a cv of 0/0) are not
  // JSON; only values can be them, after a ':'.
  static const std::regex bare(R"(:\s*-?(nan|inf|infinity)\b)", std::regex::icase);
  const std::string text = std::regex_replace(std::string(json), bare, ": null");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string(source) + ": not Google Benchmark's JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("benchmarks") || !doc["benchmarks"].is_array())
    throw Error(std::string(source) + ": no \"benchmarks\" array (not Google Benchmark's JSON)");
  // Everything Google Benchmark itself writes per run; the other numbers
  // are user counters.
  static const std::set<std::string> own = {
      "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
      "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit", "aggregate_name",
      "aggregate_unit", "error_occurred", "error_message", "skipped", "skip_message", "big_o", "rms",
      "complexity_n", "label"};
  std::vector<BenchmarkRun> runs;
  std::size_t index = 0;
  for (const auto& j : doc["benchmarks"]) {
    const std::string where = std::string(source) + ": benchmarks[" + std::to_string(index++) + "]";
    try {
      BenchmarkRun r;
      // run_name as BenchmarkName::str() made it; the time type is the
      // component csv_benchmark_name() drops, so leave it out here.
      std::string name, part;
      const std::string full = j.at("run_name").get<std::string>();
      for (std::size_t at = 0; at <= full.size();) {
        const std::size_t slash = std::min(full.find('/', at), full.size());
        part = full.substr(at, slash - at);
        if (part != "real_time" && part != "manual_time") name += (name.empty() ? "" : "/") + part;
        at = slash + 1;
      }
      r.run_name.function_name = name;
      r.run_type = j.at("run_type").get<std::string>() == "aggregate" ? BenchmarkRun::RT_Aggregate
                                                                       : BenchmarkRun::RT_Iteration;
      r.aggregate_name = j.value("aggregate_name", "");
      r.aggregate_unit = j.value("aggregate_unit", "time") == "time" ? benchmark::kTime : benchmark::kPercentage;
      r.repetitions = j.value("repetitions", 1);
      r.iterations = j.at("iterations").get<benchmark::IterationCount>();
      const std::string unit = j.value("time_unit", "ns");
      r.time_unit = unit == "us"   ? benchmark::kMicrosecond
                    : unit == "ms" ? benchmark::kMillisecond
                    : unit == "s"  ? benchmark::kSecond
                                   : benchmark::kNanosecond;
      // GetAdjustedRealTime() = accumulated x multiplier / iterations.
      const double real = j.at("real_time").is_number() ? j.at("real_time").get<double>() : NAN;
      r.real_accumulated_time = real / benchmark::GetTimeUnitMultiplier(r.time_unit) *
                                (r.iterations ? static_cast<double>(r.iterations) : 1.0);
      // Google Benchmark 1.7 says error_occurred, 1.8 skipped.
      r.error_occurred = j.value("error_occurred", false) || j.value("skipped", std::string()) == "error";
      r.error_message = j.value("error_message", j.value("skip_message", std::string()));
      for (const auto& [key, value] : j.items())
        if (!own.contains(key) && value.is_number()) r.counters[key] = benchmark::Counter(value.get<double>());
      runs.push_back(std::move(r));
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ": " + e.what());
    }
  }
  return runs;
}

void RecordingReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) collector_.add(run);
}

}  // namespace ptilab
