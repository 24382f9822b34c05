#include "bench_reporter.h"

#include "bench_skip.h"

#include <algorithm>
#include <cmath>

namespace ptilab {

namespace {

struct Summary {
  double mean = 0, median = 0, stddev = 0;
};

// Same statistics as Google Benchmark's (sample stddev). v not empty.
Summary summarize(std::vector<double> v) {
  Summary s;
  const double n = static_cast<double>(v.size());
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / n;
  double sq = 0;
  for (double x : v) sq += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(sq / (n - 1)) : 0;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  s.median = v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return s;
}

}  // namespace

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
      const std::string note = name + ": " + std::string(msg.substr(kSkipPrefix.size()));
      if (std::find(skipped_.begin(), skipped_.end(), note) == skipped_.end()) skipped_.push_back(note);
    } else {
      errors_.push_back(name + ": " + run.error_message);
    }
    return;
  }
  Entry& e = entry(name);
  // The perf counters in this run (Google Benchmark has already divided
  // them by the iterations; its aggregates carry their mean and stddev).
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
      r.median_ns = s.median;
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
      out.push_back(std::move(c));
    }
  }
  return out;
}

void RecordingReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) collector_.add(run);
}

}  // namespace ptilab
