#include "table.h"

#include <gtest/gtest.h>

#include "error.h"

namespace ptilab {
namespace {

ResultRow row(const std::string& bench, const std::string& pti, const std::string& value, const std::string& stddev,
              const std::string& pcid = "off", const std::string& kernel = "6.1.0-56-amd64",
              const std::string& timestamp = "2026-11-21T18:30:00Z") {
  ResultRow r;
  r.run_id = "run";
  r.timestamp = timestamp;
  r.host = "h";
  r.arch = "x86_64";
  r.kernel = kernel;
  r.cmdline = "console=ttyS0";
  r.accel = "tcg";
  r.pti = pti;
  r.pcid = pcid;
  r.e0pd = "n/a";
  r.kpti = "n/a";
  r.benchmark = bench;
  r.metric = "ns_per_op";
  r.value = value;
  r.unit = "ns";
  r.repetitions = "5";
  r.stddev = stddev;
  r.origin = "in.csv:2";
  return r;
}

TEST(TableLabel, X86UsesPtiAndPcidOnlyWhenAsked) {
  const auto r = row("BM", "on", "1", "0", "off");
  EXPECT_EQ(config_label(r, false), "pti=on");
  EXPECT_EQ(config_label(r, true), "pti=on,pcid=off");
}

TEST(TableLabel, Arm64UsesKptiAndE0pd) {
  auto r = row("BM", "n/a", "1", "0");
  r.arch = "aarch64";
  r.kpti = "on";
  r.e0pd = "off";
  EXPECT_EQ(config_label(r, false), "kpti=on");
  EXPECT_EQ(config_label(r, true), "kpti=on,e0pd=off");
  r.arch = "riscv64";
  EXPECT_THROW(config_label(r, true), Error);
}

TEST(TableRatio, RatioOfMeans) {
  const auto r = isolation_ratio({187, 2}, {100, 1});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->value, 1.87);
  EXPECT_FALSE(r->within_noise);
  EXPECT_EQ(format_ratio(*r), "1.87x");
}

TEST(TableRatio, OverlappingIntervalsAreWithinNoise) {
  // 105±3 reaches down to 102, 100±2 up to 102: touching counts as overlap.
  auto r = isolation_ratio({105, 3}, {100, 2});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->within_noise);
  EXPECT_EQ(format_ratio(*r), "1.05x (within noise)");
  // 105±2.9 and 100±2 leave a gap.
  r = isolation_ratio({105, 2.9}, {100, 2});
  EXPECT_FALSE(r->within_noise);
  // The order does not matter: on faster than off, overlapping.
  r = isolation_ratio({98, 1}, {100, 1.5});
  EXPECT_TRUE(r->within_noise);
  EXPECT_EQ(format_ratio(*r), "0.98x (within noise)");
}

TEST(TableRatio, MissingStddevCountsAsZeroAndZeroMeanHasNoRatio) {
  EXPECT_FALSE(intervals_overlap({101, std::nullopt}, {100, std::nullopt}));
  EXPECT_TRUE(intervals_overlap({101, std::nullopt}, {100, 1}));
  EXPECT_FALSE(isolation_ratio({1, 0}, {0, 0}));
}

TEST(TableCell, MeanAndRelativeStddev) {
  EXPECT_EQ(format_measurement({123.4, 2.5914}), "123.4 ns ±2.1%");
  EXPECT_EQ(format_measurement({1234.56, 0}), "1234.6 ns ±0.0%");
  EXPECT_EQ(format_measurement({50, std::nullopt}), "50.0 ns");
}

TEST(TableRender, OneGroupWithRatioAndNoise) {
  std::vector<ResultRow> rows = {
      row("BM_Syscall_Null", "off", "100", "1"),
      row("BM_Syscall_Mix", "off", "500", "50"),
      row("BM_Syscall_Null", "on", "187", "2"),
      row("BM_Syscall_Mix", "on", "520", "10"),
  };
  auto median = row("BM_Syscall_Null", "on", "9999", "");
  median.metric = "ns_per_op_median";
  rows.push_back(median);
  std::vector<std::string> notes;
  // Columns: names left-aligned, cells right-aligned ("±" is one column).
  EXPECT_EQ(render_table(rows, &notes),
            "arch=x86_64 kernel=6.1.0-56-amd64 accel=tcg\n"
            "  pti=on   why: not recorded (no state rows: ptilab snapshot); CPU: not recorded\n"
            "  pti=off  why: not recorded (no state rows: ptilab snapshot); CPU: not recorded\n"
            "benchmark                pti=on          pti=off  on/off\n"
            "BM_Syscall_Null  187.0 ns ±1.1%   100.0 ns ±1.0%  1.87x\n"
            "BM_Syscall_Mix   520.0 ns ±1.9%  500.0 ns ±10.0%  1.04x (within noise)\n");
  EXPECT_TRUE(notes.empty());
}

TEST(TableRender, PcidJoinsTheLabelWhenItDiffers) {
  const std::vector<ResultRow> rows = {
      row("BM", "on", "200", "1", "on"),
      row("BM", "on", "300", "1", "off"),
      row("BM", "off", "100", "1", "on"),
  };
  const std::string out = render_table(rows, nullptr);
  EXPECT_NE(out.find("pti=on,pcid=on"), std::string::npos) << out;
  EXPECT_NE(out.find("pti=on,pcid=off"), std::string::npos) << out;
  EXPECT_NE(out.find("pti=off,pcid=on"), std::string::npos) << out;
  // Two pti=on columns: no single ratio to give.
  EXPECT_NE(out.find("100.0 ns ±1.0%  -\n"), std::string::npos) << out;
}

TEST(TableRender, GroupsByKernelAndMarksMissingCells) {
  const std::vector<ResultRow> rows = {
      row("BM", "on", "200", "1"),
      row("BM", "off", "100", "1"),
      row("BM", "on", "220", "1", "off", "6.12.0-1-amd64"),
  };
  const std::string out = render_table(rows, nullptr);
  EXPECT_EQ(out,
            "arch=x86_64 kernel=6.1.0-56-amd64 accel=tcg\n"
            "  pti=on   why: not recorded (no state rows: ptilab snapshot); CPU: not recorded\n"
            "  pti=off  why: not recorded (no state rows: ptilab snapshot); CPU: not recorded\n"
            "benchmark          pti=on         pti=off  on/off\n"
            "BM         200.0 ns ±0.5%  100.0 ns ±1.0%  2.00x\n"
            "\n"
            "arch=x86_64 kernel=6.12.0-1-amd64 accel=tcg\n"
            "  pti=on  why: not recorded (no state rows: ptilab snapshot); CPU: not recorded\n"
            "benchmark          pti=on\n"
            "BM         220.0 ns ±0.5%\n");
}

// The state and cpu rows (ptilab snapshot) say why and on what.
TEST(TableRender, ReasonAndCpuPerConfiguration) {
  std::vector<ResultRow> rows = {row("BM", "on", "200", "1"), row("BM", "off", "100", "1")};
  auto fact = [](const std::string& benchmark, const std::string& metric, const std::string& pti) {
    auto r = row("BM", pti, "1", "");
    r.benchmark = benchmark;
    r.metric = metric;
    r.unit = "info";
    return r;
  };
  rows.push_back(fact("state", "pti_reason=cmdline:pti=on", "on"));
  rows.push_back(fact("state", "pti_reason=not_affected", "off"));
  rows.push_back(fact("cpu", "model=QEMU TCG CPU version 2.5+", "on"));
  rows.push_back(fact("cpu", "qemu_cpu=max", "on"));
  const std::string out = render_table(rows, nullptr);
  EXPECT_NE(out.find("  pti=on   why: forced on by pti=on on the kernel command line (cmdline:pti=on); CPU: QEMU TCG "
                     "CPU version 2.5+ (QEMU -cpu max)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  pti=off  why: off: the CPU is not affected by Meltdown (not_affected); CPU: not recorded\n"),
            std::string::npos)
      << out;
}

TEST(TableRender, LatestRepeatWinsWithANote) {
  const std::vector<ResultRow> rows = {
      row("BM", "on", "300", "1", "off", "k", "2026-11-21T18:40:00Z"),
      row("BM", "on", "200", "1", "off", "k", "2026-11-21T18:30:00Z"),
      row("BM", "off", "100", "1", "off", "k"),
  };
  std::vector<std::string> notes;
  const std::string out = render_table(rows, &notes);
  EXPECT_NE(out.find("300.0 ns"), std::string::npos) << out;
  EXPECT_EQ(out.find("200.0 ns"), std::string::npos) << out;
  EXPECT_NE(out.find("3.00x"), std::string::npos) << out;
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("latest"), std::string::npos);
}

TEST(TableRender, BadNumbersNameTheRow) {
  try {
    render_table({row("BM", "on", "fast", "1")}, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "in.csv:2: value is not a number: 'fast'");
  }
}

TEST(TableRender, NothingToTabulateIsAnError) {
  auto median = row("BM", "on", "1", "");
  median.metric = "ns_per_op_median";
  EXPECT_THROW(render_table({median}, nullptr), Error);
  EXPECT_THROW(render_table({}, nullptr), Error);
}

}  // namespace
}  // namespace ptilab
