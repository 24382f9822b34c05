#include "kernel/noise.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace ptilab {
namespace {

using testing::TempDir;
using testing::write_file;

// A fake /sys/devices/system/cpu with the given governors (empty: that CPU
// has no cpufreq directory).
void fake_governors(const TempDir& root, const std::vector<std::string>& governors) {
  for (std::size_t cpu = 0; cpu < governors.size(); ++cpu) {
    const auto dir = root / ("cpu" + std::to_string(cpu));
    std::filesystem::create_directories(dir);
    if (governors[cpu].empty()) continue;
    std::filesystem::create_directories(dir / "cpufreq");
    write_file(dir / "cpufreq" / "scaling_governor", governors[cpu] + "\n");
  }
}

TEST(Noise, CpuList) {
  EXPECT_EQ(cpu_list({}), "");
  EXPECT_EQ(cpu_list({3}), "3");
  EXPECT_EQ(cpu_list({0, 1, 2, 3}), "0-3");
  EXPECT_EQ(cpu_list({0, 1, 3, 5, 6, 7}), "0-1,3,5-7");
}

TEST(Noise, PerformanceGovernorEverywhereIsQuiet) {
  TempDir root;
  fake_governors(root, {"performance", "performance"});
  NoiseReport r;
  check_governors(root.path(), {0, 1}, r);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(r.notes.empty());
}

TEST(Noise, OtherGovernorsWarnOncePerGovernorNamingTheCpus) {
  TempDir root;
  fake_governors(root, {"performance", "powersave", "powersave", "schedutil", "powersave"});
  NoiseReport r;
  check_governors(root.path(), {0, 1, 2, 3, 4}, r);
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_TRUE(r.warnings[0].starts_with("CPU frequency governor is 'powersave' on CPU 1-2,4, not 'performance'"))
      << r.warnings[0];
  EXPECT_TRUE(r.warnings[1].starts_with("CPU frequency governor is 'schedutil' on CPU 3,")) << r.warnings[1];
  EXPECT_TRUE(r.notes.empty());
}

TEST(Noise, OnlyTheCpusUsedAreChecked) {
  TempDir root;
  fake_governors(root, {"powersave", "performance"});
  NoiseReport r;
  check_governors(root.path(), {1}, r);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Noise, NoCpufreqIsANoteNotAWarning) {
  TempDir root;
  fake_governors(root, {"", ""});
  NoiseReport r;
  check_governors(root.path(), {0, 1}, r);
  EXPECT_TRUE(r.warnings.empty());
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_TRUE(r.notes[0].starts_with("no cpufreq: governor unknown")) << r.notes[0];
}

constexpr const char* kStatHeader = "cpu  ";

TEST(Noise, ParseProcStat) {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const auto t = parse_proc_stat(std::string(kStatHeader) +
                                 "100 5 50 1000 20 3 2 10 7 0\ncpu0 50 2 25 500 10 1 1 5 3 0\nintr 1 2 3\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->total, 100u + 5 + 50 + 1000 + 20 + 3 + 2 + 10);  // guest is inside user already
  EXPECT_EQ(t->idle, 1020u);
  // Kernels before 2.6 had only four fields.
  const auto old = parse_proc_stat("cpu 1 2 3 4\n");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->total, 10u);
  EXPECT_EQ(old->idle, 4u);
  EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4\n"));  // per-CPU lines only
  EXPECT_FALSE(parse_proc_stat("cpu 1 2\n"));
  EXPECT_FALSE(parse_proc_stat(""));
}

TEST(Noise, ParseLoadavg) {
  EXPECT_EQ(parse_loadavg("0.16 0.65 0.90 1/86 1741\n"), 0.16);
  EXPECT_EQ(parse_loadavg("12.50 1 1 1/1 1"), 12.5);
  EXPECT_FALSE(parse_loadavg("busy 1 1"));
  EXPECT_FALSE(parse_loadavg(""));
}

CpuTimes times(std::uint64_t total, std::uint64_t idle) { return CpuTimes{total, idle}; }

TEST(Noise, IdleMachineIsQuiet) {
  NoiseReport r;
  // 200 ticks passed, 195 idle: 2.5% busy; load 0.3 on 2 CPUs.
  check_busy(times(1000, 800), times(1200, 995), 0.3, 2, r);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(r.notes.empty());
}

TEST(Noise, BusyCpuTimeWarns) {
  NoiseReport r;
  // 200 ticks, 150 idle: 25% of the machine was doing something else.
  check_busy(times(1000, 800), times(1200, 950), 0.0, 2, r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(r.warnings[0].starts_with("machine busy: 25.0% of all CPUs' time was not idle")) << r.warnings[0];
}

TEST(Noise, BusyThresholdIsTenPercent) {
  NoiseReport at, over;
  check_busy(times(0, 0), times(1000, 900), 0, 2, at);  // exactly 10%
  check_busy(times(0, 0), times(1000, 899), 0, 2, over);
  EXPECT_TRUE(at.warnings.empty());
  EXPECT_EQ(over.warnings.size(), 1u);
}

TEST(Noise, HighLoadAverageWarnsPerCpu) {
  NoiseReport two, eight;
  check_busy(times(0, 0), times(100, 100), 1.5, 2, two);
  check_busy(times(0, 0), times(100, 100), 1.5, 8, eight);  // 1.5 is little for 8 CPUs
  ASSERT_EQ(two.warnings.size(), 1u);
  EXPECT_EQ(two.warnings[0].rfind("machine busy: 1-minute load average 1.50 on 2 CPUs (over 1.00", 0), 0u)
      << two.warnings[0];
  EXPECT_TRUE(eight.warnings.empty());
}

TEST(Noise, MissingSamplesAreNotes) {
  NoiseReport r;
  check_busy(std::nullopt, times(100, 100), std::nullopt, 2, r);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.notes.size(), 2u);
  // A counter that went backwards is no sample either.
  NoiseReport back;
  check_busy(times(100, 50), times(90, 40), 0.0, 2, back);
  EXPECT_TRUE(back.warnings.empty());
  EXPECT_EQ(back.notes.size(), 1u);
}

TEST(Noise, SampleBusyReadsProcFiles) {
  TempDir proc;
  // Both samples read the same file: no time passed, so no verdict on
  // CPU time; the load average still counts.
  write_file(proc / "stat", "cpu  10 0 10 100 0 0 0 0 0 0\n");
  write_file(proc / "loadavg", "3.00 2.00 1.00 3/100 42\n");
  NoiseReport r;
  sample_busy(proc.path(), 0.001, 2, r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("load average 3.00"), std::string::npos) << r.warnings[0];
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("/proc/stat"), std::string::npos) << r.notes[0];
}

TEST(Noise, CvPercent) {
  EXPECT_DOUBLE_EQ(*cv_percent({"BM_A", 200, 190, 10, 5}), 5.0);
  EXPECT_FALSE(cv_percent({"BM_A", 200, 190, 10, 1}));  // one repetition: no spread
  EXPECT_FALSE(cv_percent({"BM_A", 0, 0, 0, 5}));
}

TEST(Noise, CvOverFivePercentWarnsNamingTheBenchmark) {
  NoiseReport r;
  check_cv({{"BM_Steady", 100, 100, 5, 5}, {"BM_Noisy", 100, 90, 12.34, 5}, {"BM_Once", 100, 100, 50, 1}}, r);
  ASSERT_EQ(r.warnings.size(), 1u);  // 5% exactly is fine; one repetition has no CV
  EXPECT_EQ(r.warnings[0], "BM_Noisy: CV 12.3% over 5 repetitions (over 5.0%): its mean is not reliable");
}

TEST(Noise, CvRow) {
  RunInfo run;
  run.run_id = "r1";
  run.pti = "on";
  const auto row = make_cv_row(run, {"BM_A", 400, 390, 10, 5});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->run_id, "r1");
  EXPECT_EQ(row->pti, "on");
  EXPECT_EQ(row->benchmark, "BM_A");
  EXPECT_EQ(row->metric, "ns_per_op_cv");
  EXPECT_EQ(row->value, "2.5");
  EXPECT_EQ(row->unit, "%");
  EXPECT_EQ(row->repetitions, "5");
  EXPECT_EQ(row->stddev, "");
  EXPECT_FALSE(make_cv_row(run, {"BM_A", 400, 390, 0, 1}));
}

TEST(Noise, FormatWarnings) {
  EXPECT_EQ(format_warnings({}), "");
  EXPECT_EQ(format_warnings({"a", "b c"}), "a\nb c\n");
}

}  // namespace
}  // namespace ptilab
