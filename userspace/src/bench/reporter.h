// Collecting benchmark results in process, from the reporter interface,
// rather than by parsing Google Benchmark's JSON back.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "results/results.h"

namespace ptilab {

using BenchmarkRun = benchmark::BenchmarkReporter::Run;

// The CSV name of a run: its full name without the aggregate suffix and
// without "/real_time" or "/manual_time" (every benchmark here uses real
// time or manual time, and the name must not change with that).
std::string csv_benchmark_name(const BenchmarkRun& run);

// A run's real time per iteration, in ns whatever its time unit.
double real_time_ns(const BenchmarkRun& run);

// Turns the runs Google Benchmark reports into one BenchResult per
// benchmark: from the mean/median/stddev aggregates when there are any,
// else (a single repetition gets no aggregates) from the iteration runs.
// The user counters named in counter_names (the perf counters) become
// CounterResults the same way, and so do the property counters
// (bench_properties.h: the size of the process that forks) and the
// workload counters (the macro workloads' CPU times and rates) whenever a
// run has them; the benchmarks' other counters are not collected.
class ResultCollector {
 public:
  explicit ResultCollector(std::vector<std::string> counter_names = {});
  void add(const BenchmarkRun& run);
  // In the order the benchmarks were first reported.
  std::vector<BenchResult> results() const;
  // The same order, and per benchmark the order of counter_names, then the
  // property and workload counters. A counter no run carried (a multiplexed one that
  // never got the PMU) has no result rather than a zero.
  std::vector<CounterResult> counter_results() const;
  // "BM_X: message" for every run that failed (SkipWithError).
  const std::vector<std::string>& errors() const { return errors_; }
  // The benchmarks that could not run here (kSkipPrefix), once each.
  const std::vector<Skip>& skipped() const { return skipped_; }

 private:
  struct CounterValues {
    std::optional<double> mean, stddev;
    std::vector<double> per_iteration;  // one per iteration run
  };
  struct Entry {
    std::string name;
    std::optional<double> mean, median, stddev;
    std::int64_t repetitions = 0;
    std::vector<double> iteration_ns;
    std::map<std::string, CounterValues> counters;
  };
  Entry& entry(const std::string& name);

  std::vector<std::string> counter_names_;  // then the property and workload counters
  std::vector<Entry> entries_;
  std::vector<std::string> errors_;
  std::vector<Skip> skipped_;
};

// The runs of a Google Benchmark JSON document (benchmarks.json, as
// `ptilab bench` wrote it), rebuilt as the reporter saw them, so that a
// ResultCollector gives the same results from a recording as it did live.
// Its "nan" and "inf" (Google Benchmark writes them bare) count as absent.
// Throws Error naming source and what is wrong.
std::vector<BenchmarkRun> runs_from_json(std::string_view json, std::string_view source);

// The display reporter: the normal console table, plus collection.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  explicit RecordingReporter(OutputOptions options, std::vector<std::string> counter_names = {})
      : ConsoleReporter(options), collector_(std::move(counter_names)) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  const ResultCollector& collector() const { return collector_; }

 private:
  ResultCollector collector_;
};

}  // namespace ptilab
