#include "bench/reporter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "util/error.h"

namespace ptilab {
namespace {

// A run as Google Benchmark reports it: accumulated seconds over
// `iterations`, shown in `unit`.
BenchmarkRun run(const std::string& name, double seconds_per_iteration, benchmark::TimeUnit unit,
                 const std::string& aggregate = "") {
  BenchmarkRun r;
  r.run_name.function_name = name;
  r.run_name.time_type = "real_time";
  r.iterations = 1000;
  r.real_accumulated_time = seconds_per_iteration * 1000;
  r.time_unit = unit;
  r.repetitions = 5;
  if (!aggregate.empty()) {
    r.run_type = BenchmarkRun::RT_Aggregate;
    r.aggregate_name = aggregate;
    r.aggregate_unit = benchmark::kTime;
  }
  return r;
}

TEST(BenchReporter, NameDropsRealTimeButKeepsArguments) {
  auto r = run("BM_Syscall_Null", 1e-7, benchmark::kNanosecond, "mean");
  EXPECT_EQ(r.benchmark_name(), "BM_Syscall_Null/real_time_mean");
  EXPECT_EQ(csv_benchmark_name(r), "BM_Syscall_Null");
  r.run_name.args = "64";
  EXPECT_EQ(csv_benchmark_name(r), "BM_Syscall_Null/64");
}

TEST(BenchReporter, RealTimeIsConvertedToNanoseconds) {
  for (const auto unit : {benchmark::kNanosecond, benchmark::kMicrosecond, benchmark::kMillisecond, benchmark::kSecond})
    EXPECT_NEAR(real_time_ns(run("BM", 1.5e-6, unit)), 1500, 1e-6) << unit;
}

TEST(BenchReporter, AggregatesBecomeOneResult) {
  ResultCollector c;
  c.add(run("BM_A", 100e-9, benchmark::kNanosecond, "mean"));
  c.add(run("BM_A", 90e-9, benchmark::kNanosecond, "median"));
  c.add(run("BM_A", 5e-9, benchmark::kNanosecond, "stddev"));
  auto cv = run("BM_A", 0.05, benchmark::kNanosecond, "cv");
  cv.aggregate_unit = benchmark::kPercentage;
  c.add(cv);
  c.add(run("BM_B", 2e-6, benchmark::kMicrosecond, "mean"));
  const auto results = c.results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].name, "BM_A");
  EXPECT_NEAR(results[0].mean_ns, 100, 1e-9);
  EXPECT_NEAR(results[0].median_ns, 90, 1e-9);
  EXPECT_NEAR(results[0].stddev_ns, 5, 1e-9);
  EXPECT_EQ(results[0].repetitions, 5);
  EXPECT_EQ(results[1].name, "BM_B");
  EXPECT_NEAR(results[1].mean_ns, 2000, 1e-6);
  EXPECT_TRUE(c.errors().empty());
}

TEST(BenchReporter, IterationRunsAloneAreSummarised) {
  // One repetition: Google Benchmark reports no aggregates.
  ResultCollector c;
  c.add(run("BM_A", 100e-9, benchmark::kNanosecond));
  auto results = c.results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NEAR(results[0].mean_ns, 100, 1e-9);
  EXPECT_NEAR(results[0].median_ns, 100, 1e-9);
  EXPECT_EQ(results[0].stddev_ns, 0);
  EXPECT_EQ(results[0].repetitions, 1);

  c.add(run("BM_A", 110e-9, benchmark::kNanosecond));
  c.add(run("BM_A", 120e-9, benchmark::kNanosecond));
  results = c.results();
  EXPECT_NEAR(results[0].mean_ns, 110, 1e-9);
  EXPECT_NEAR(results[0].median_ns, 110, 1e-9);
  EXPECT_NEAR(results[0].stddev_ns, 10, 1e-9);
  EXPECT_EQ(results[0].repetitions, 3);
}

TEST(BenchReporter, AggregatesWinOverIterationRuns) {
  ResultCollector c;
  c.add(run("BM_A", 1e-9, benchmark::kNanosecond));
  c.add(run("BM_A", 100e-9, benchmark::kNanosecond, "mean"));
  ASSERT_EQ(c.results().size(), 1u);
  EXPECT_NEAR(c.results()[0].mean_ns, 100, 1e-9);
}

TEST(BenchReporter, ErrorsAreCollected) {
  ResultCollector c;
  auto r = run("BM_Syscall_Mix", 0, benchmark::kNanosecond);
  r.error_occurred = true;
  r.error_message = "dup: Too many open files";
  c.add(r);
  ASSERT_EQ(c.errors().size(), 1u);
  EXPECT_EQ(c.errors()[0], "BM_Syscall_Mix: dup: Too many open files");
  EXPECT_TRUE(c.results().empty());
}

TEST(BenchReporter, SkipsAreNotErrorsAndCountedOnce) {
  ResultCollector c;
  auto r = run("BM_Pipe_PingPong/cpus:2", 0, benchmark::kNanosecond);
  r.error_occurred = true;
  r.error_message = "skipped: needs 2 CPUs, only 1 allowed";
  c.add(r);
  c.add(r);  // a second repetition says the same
  EXPECT_TRUE(c.errors().empty());
  ASSERT_EQ(c.skipped().size(), 1u);
  EXPECT_EQ(c.skipped()[0].benchmark, "BM_Pipe_PingPong/cpus:2");
  EXPECT_EQ(c.skipped()[0].why, "needs 2 CPUs, only 1 allowed");
  EXPECT_TRUE(c.results().empty());
}

// The macro workloads' counters are collected without being asked for,
// each in its own unit and with its stddev (a measurement, not a size).
TEST(BenchReporter, WorkloadCountersHaveTheirUnits) {
  ResultCollector c;
  for (const auto& [agg, user, tps] : {std::tuple{"mean", 3e9, 150.0}, {"stddev", 1e8, 5.0}}) {
    auto r = run("BM_Macro_PgbenchSelect/clients:1/tcp:0", 2.0, benchmark::kMillisecond, agg);
    r.counters["user_ns_per_op"] = benchmark::Counter(user);
    r.counters["ops_per_s"] = benchmark::Counter(tps);
    r.counters["not_collected"] = benchmark::Counter(1);
    c.add(r);
  }
  const auto counters = c.counter_results();
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters[0].event, "user_ns_per_op");
  EXPECT_EQ(counters[0].unit, "ns");
  EXPECT_NEAR(counters[0].mean, 3e9, 1);
  ASSERT_TRUE(counters[0].stddev);
  EXPECT_NEAR(*counters[0].stddev, 1e8, 1);
  EXPECT_EQ(counters[1].event, "ops_per_s");
  EXPECT_EQ(counters[1].unit, "per_s");
}

// A recording's runs, rebuilt from Google Benchmark's JSON, give what the
// live run gave: names without /real_time, times in ns whatever the unit,
// user counters; its bare NaN and Infinity count as absent.
TEST(BenchReporter, RunsFromJsonAsTheReporterSawThem) {
  const std::string json = R"({"context": {}, "benchmarks": [
    {"name": "BM_X/pages:16/real_time", "run_name": "BM_X/pages:16/real_time", "run_type": "iteration",
     "repetitions": 2, "repetition_index": 0, "threads": 1, "iterations": 10, "real_time": 2.0,
     "cpu_time": 2.0, "time_unit": "us", "faults": 16, "page-faults": NaN},
    {"name": "BM_X/pages:16/real_time", "run_name": "BM_X/pages:16/real_time", "run_type": "iteration",
     "repetitions": 2, "repetition_index": 1, "threads": 1, "iterations": 10, "real_time": 4.0,
     "cpu_time": 4.0, "time_unit": "us", "faults": 16, "page-faults": -Infinity},
    {"name": "BM_X/pages:16/real_time_cv", "run_name": "BM_X/pages:16/real_time", "run_type": "aggregate",
     "repetitions": 2, "threads": 1, "aggregate_name": "cv", "aggregate_unit": "percentage",
     "iterations": 2, "real_time": 0.47, "cpu_time": 0.47, "time_unit": "us", "faults": nan}
  ]})";
  const auto runs = runs_from_json(json, "b.json");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(csv_benchmark_name(runs[0]), "BM_X/pages:16");
  EXPECT_DOUBLE_EQ(real_time_ns(runs[0]), 2000);
  EXPECT_EQ(runs[0].counters.count("faults"), 1u);
  EXPECT_EQ(runs[0].counters.count("page-faults"), 0u);
  ResultCollector c({"faults", "page-faults"});
  for (const auto& r : runs) c.add(r);
  ASSERT_EQ(c.results().size(), 1u);
  EXPECT_DOUBLE_EQ(c.results()[0].mean_ns, 3000);
  EXPECT_EQ(c.results()[0].repetitions, 2);
  const auto counters = c.counter_results();
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].event, "faults");
  EXPECT_THROW(runs_from_json("{\"benchmarks\": 3}", "b.json"), Error);
  EXPECT_THROW(runs_from_json("not json", "b.json"), Error);
}

}  // namespace
}  // namespace ptilab
