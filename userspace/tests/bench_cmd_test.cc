#include "cmd/bench.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace ptilab {
namespace {

using Flags = std::vector<std::string>;

TEST(BenchFlags, Defaults) {
  EXPECT_EQ(benchmark_flags(BenchOptions{}, "out/.b.json.tmp-1"),
            (Flags{"--benchmark_repetitions=5", "--benchmark_min_time=0.15", "--benchmark_min_warmup_time=0.1",
                   "--benchmark_display_aggregates_only=true", "--benchmark_out=out/.b.json.tmp-1",
                   "--benchmark_out_format=json"}));
}

TEST(BenchFlags, QuickAndExplicitOverrides) {
  BenchOptions o;
  o.quick = true;
  auto flags = benchmark_flags(o, "j");
  EXPECT_EQ(flags[0], "--benchmark_repetitions=3");
  EXPECT_EQ(flags[1], "--benchmark_min_time=0.1");
  EXPECT_EQ(flags[2], "--benchmark_min_warmup_time=0.02");

  o.repetitions = 7;
  o.min_time = 0.25;
  o.filter = "BM_Syscall_.*";
  flags = benchmark_flags(o, "j");
  EXPECT_EQ(flags[0], "--benchmark_repetitions=7");
  EXPECT_EQ(flags[1], "--benchmark_min_time=0.25");
  EXPECT_EQ(flags[4], "--benchmark_filter=BM_Syscall_.*");
}

// Google Benchmark matches "BM_X/real_time" (or "BM_X/manual_time"); the
// user means "BM_X".
TEST(BenchFlags, EndAnchorsAlsoAcceptTheTimeSuffix) {
  EXPECT_EQ(filter_regex("^BM_Syscall_Null$"), "^BM_Syscall_Null(/real_time|/manual_time)?$");
  EXPECT_EQ(filter_regex("^BM_A$|^BM_B/cpus:1$"),
            "^BM_A(/real_time|/manual_time)?$|^BM_B/cpus:1(/real_time|/manual_time)?$");
  EXPECT_EQ(filter_regex("BM_Syscall_"), "BM_Syscall_");
  EXPECT_EQ(filter_regex("cost\\$"), "cost\\$");  // an escaped dollar is a dollar
  EXPECT_EQ(filter_regex("-Macro"), "-Macro");
  BenchOptions o;
  o.filter = "^BM_Syscall_Null$";
  EXPECT_EQ(benchmark_flags(o, "j")[4], "--benchmark_filter=^BM_Syscall_Null(/real_time|/manual_time)?$");
}

TEST(BenchFlags, PassThroughComesAfterOursButBeforeTheOutputFile) {
  BenchOptions o;
  o.passthrough = {"--benchmark_repetitions=1", "--v=2"};
  const auto flags = benchmark_flags(o, "j");
  ASSERT_EQ(flags.size(), 8u);
  EXPECT_EQ(flags[4], "--benchmark_repetitions=1");
  EXPECT_EQ(flags[5], "--v=2");
  EXPECT_EQ(flags[6], "--benchmark_out=j");
  EXPECT_EQ(flags[7], "--benchmark_out_format=json");
}

TEST(BenchFlags, PassThroughMayNotRedirectTheOutput) {
  for (const char* bad : {"--benchmark_out=x.json", "--benchmark_out_format=csv", "--benchmark_out"}) {
    BenchOptions o;
    o.passthrough = {bad};
    EXPECT_THROW(benchmark_flags(o, "j"), UsageError) << bad;
  }
}

}  // namespace
}  // namespace ptilab
