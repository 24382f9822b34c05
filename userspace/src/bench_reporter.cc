#include "bench_reporter.h"

#include "bench_skip.h"

#include <algorithm>
#include <cmath>

namespace ptilab {

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
  if (run.run_type == BenchmarkRun::RT_Iteration) {
    e.iteration_ns.push_back(real_time_ns(run));
    return;
  }
  // Aggregates: "cv" (a percentage) and complexity fits are not wanted.
  if (run.aggregate_unit != benchmark::kTime) return;
  if (run.aggregate_name == "mean") {
    e.mean = real_time_ns(run);
    e.repetitions = run.repetitions;
  } else if (run.aggregate_name == "median") {
    e.median = real_time_ns(run);
  } else if (run.aggregate_name == "stddev") {
    e.stddev = real_time_ns(run);
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
      // Same statistics as Google Benchmark's (sample stddev).
      std::vector<double> v = e.iteration_ns;
      const double n = static_cast<double>(v.size());
      double sum = 0;
      for (double x : v) sum += x;
      r.mean_ns = sum / n;
      double sq = 0;
      for (double x : v) sq += (x - r.mean_ns) * (x - r.mean_ns);
      r.stddev_ns = v.size() > 1 ? std::sqrt(sq / (n - 1)) : 0;
      std::sort(v.begin(), v.end());
      const std::size_t mid = v.size() / 2;
      r.median_ns = v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
      r.repetitions = static_cast<std::int64_t>(v.size());
    } else {
      continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

void RecordingReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) collector_.add(run);
}

}  // namespace ptilab
