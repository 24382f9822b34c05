// Collecting benchmark results in process, from the reporter interface,
// rather than by parsing Google Benchmark's JSON back.
#pragma once

#include <benchmark/benchmark.h>

#include <optional>
#include <string>
#include <vector>

#include "results.h"

namespace ptilab {

using BenchmarkRun = benchmark::BenchmarkReporter::Run;

// The CSV name of a run: its full name without the aggregate suffix and
// without "/real_time" (every benchmark here uses real time, and the name
// must not change with that).
std::string csv_benchmark_name(const BenchmarkRun& run);

// A run's real time per iteration, in ns whatever its time unit.
double real_time_ns(const BenchmarkRun& run);

// Turns the runs Google Benchmark reports into one BenchResult per
// benchmark: from the mean/median/stddev aggregates when there are any,
// else (a single repetition gets no aggregates) from the iteration runs.
class ResultCollector {
 public:
  void add(const BenchmarkRun& run);
  // In the order the benchmarks were first reported.
  std::vector<BenchResult> results() const;
  // "BM_X: message" for every run that failed (SkipWithError).
  const std::vector<std::string>& errors() const { return errors_; }
  // "name: why" of the benchmarks that could not run here (kSkipPrefix).
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  struct Entry {
    std::string name;
    std::optional<double> mean, median, stddev;
    std::int64_t repetitions = 0;
    std::vector<double> iteration_ns;
  };
  Entry& entry(const std::string& name);

  std::vector<Entry> entries_;
  std::vector<std::string> errors_;
  std::vector<std::string> skipped_;
};

// The display reporter: the normal console table, plus collection.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  explicit RecordingReporter(OutputOptions options) : ConsoleReporter(options) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  const ResultCollector& collector() const { return collector_; }

 private:
  ResultCollector collector_;
};

}  // namespace ptilab
