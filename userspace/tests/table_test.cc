#include "table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <tuple>

#include "error.h"
#include "stats.h"

namespace ptilab {
namespace {

ResultRow row(const std::string& bench, const std::string& pti, const std::string& value, const std::string& stddev,
              const std::string& pcid = "off", const std::string& kernel = "6.1.0-56-amd64",
              const std::string& timestamp = "2026-11-21T18:30:00Z", const std::string& boot = "") {
  ResultRow r;
  r.run_id = "run";
  r.timestamp = timestamp;
  r.boot = boot.empty() ? "boot-" + pti : boot;
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

TEST(TableCell, MeanAndRelativeStddev) {
  EXPECT_EQ(format_measurement({123.4, 2.5914}), "123.4 ns ±2.1%");
  EXPECT_EQ(format_measurement({1234.56, 0}), "1234.6 ns ±0.0%");
  EXPECT_EQ(format_measurement({50, std::nullopt}), "50.0 ns");
}

const char* const kWhyNone = "why: not recorded (no state rows: ptilab snapshot); CPU: not recorded";

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
  // One boot a side: the interval is the repetitions' (Fieller, Welch's t
  // with 5 repetitions a side), and says so.
  EXPECT_EQ(render_table(rows, &notes),
            std::string("arch=x86_64 kernel=6.1.0-56-amd64 accel=tcg\n") + "  pti=on   " + kWhyNone + "; 1 boot\n" +
                "  pti=off  " + kWhyNone + "; 1 boot\n" +
                "benchmark                pti=on          pti=off  on/off\n"
                "BM_Syscall_Null  187.0 ns ±1.1%   100.0 ns ±1.0%  1.87x [1.84, 1.90] (one boot)\n"
                "BM_Syscall_Mix   520.0 ns ±1.9%  500.0 ns ±10.0%  1.04x [0.93, 1.18] within noise (one boot)\n"
                "cells: mean ns per op ±stddev as % of it; on/off: ratio of means, [95% interval] (Fieller)\n");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("cover only the repetitions inside one boot"), std::string::npos) << notes[0];
}

TEST(TableRender, BootsAreTheReplicates) {
  // Three boots a side; each boot's repetitions agree to 1%, the boots
  // differ by 10%: the cells show both spreads, the ratio's interval is the
  // boots' (the same as compare_log_ratio on the boot means) and is not
  // marked "(one boot)".
  std::vector<ResultRow> rows;
  for (const auto& [boot, v] : {std::pair{"a1", "90"}, {"a2", "100"}, {"a3", "110"}})
    rows.push_back(row("BM", "off", v, "1", "off", "6.1.0-56-amd64", "2026-11-21T18:30:00Z", boot));
  for (const auto& [boot, v] : {std::pair{"b1", "180"}, {"b2", "200"}, {"b3", "220"}})
    rows.push_back(row("BM", "on", v, "2", "off", "6.1.0-56-amd64", "2026-11-21T18:30:00Z", boot));
  std::vector<std::string> notes;
  const std::string out = render_table(rows, &notes);
  const Comparison c = compare_log_ratio({100, 10, 3}, {200, 20, 3}, 0.95);
  char ratio[64];
  std::snprintf(ratio, sizeof ratio, "2.00x [%.2f, %.2f]\n", 1 + c.delta_ci_pct->low / 100,
                1 + c.delta_ci_pct->high / 100);
  EXPECT_NE(out.find(std::string("BM         200.0 ns ±10.0% (w ±1.0%)  100.0 ns ±10.0% (w ±1.0%)  ") + ratio),
            std::string::npos)
      << out << ratio;
  EXPECT_NE(out.find("  pti=on   " + std::string(kWhyNone) + "; 3 boots\n"), std::string::npos) << out;
  EXPECT_NE(out.find("cells over boots: mean ns per op ±stddev as % of it between boots (w: within one boot); on/off: "
                     "ratio of means, [95% interval] (across boots: log scale, Welch; one boot: Fieller)\n"),
            std::string::npos)
      << out;
  EXPECT_TRUE(notes.empty());
}

TEST(TableRender, Arm64HasARatioPerE0pdValue) {
  // The four arm64 configurations: kpti on/off with E0PD, and without.
  std::vector<ResultRow> rows;
  for (const auto& [kpti, e0pd, v] : {std::tuple{"on", "on", "300"}, {"off", "on", "100"}, {"on", "off", "400"},
                                      {"off", "off", "100"}}) {
    auto r = row("BM", "n/a", v, "1");
    r.arch = "aarch64";
    r.kpti = kpti;
    r.e0pd = e0pd;
    r.pcid = "n/a";
    r.boot = std::string(kpti) + e0pd;
    rows.push_back(r);
  }
  const std::string out = render_table(rows, nullptr);
  EXPECT_NE(out.find("on/off e0pd=on                 on/off e0pd=off\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  3.00x [2.97, 3.03] (one boot)  4.00x [3.96, 4.04] (one boot)\n"), std::string::npos) << out;
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
  // pcid=on has one configuration each way: its ratio; pcid=off has no
  // pti=off, so no ratio to give.
  EXPECT_NE(out.find("  on/off pcid=on\n"), std::string::npos) << out;
  EXPECT_NE(out.find("100.0 ns ±1.0%  2.00x [1.98, 2.02] (one boot)\n"), std::string::npos) << out;
}

TEST(TableRender, GroupsByKernelAndMarksMissingCells) {
  const std::vector<ResultRow> rows = {
      row("BM", "on", "200", "1"),
      row("BM", "off", "100", "1"),
      row("BM", "on", "220", "1", "off", "6.12.0-1-amd64"),
  };
  const std::string out = render_table(rows, nullptr);
  EXPECT_EQ(out, std::string("arch=x86_64 kernel=6.1.0-56-amd64 accel=tcg\n") + "  pti=on   " + kWhyNone +
                     "; 1 boot\n" + "  pti=off  " + kWhyNone + "; 1 boot\n" +
                     "benchmark          pti=on         pti=off  on/off\n"
                     "BM         200.0 ns ±0.5%  100.0 ns ±1.0%  2.00x [1.98, 2.02] (one boot)\n"
                     "cells: mean ns per op ±stddev as % of it; on/off: ratio of means, [95% interval] (Fieller)\n"
                     "\n"
                     "arch=x86_64 kernel=6.12.0-1-amd64 accel=tcg\n" +
                     "  pti=on  " + kWhyNone + "; 1 boot\n" +
                     "benchmark          pti=on\n"
                     "BM         220.0 ns ±0.5%\n"
                     "cells: mean ns per op ±stddev as % of it; on/off: ratio of means, [95% interval] (Fieller)\n");
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
                     "CPU version 2.5+ (QEMU -cpu max); 1 boot\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  pti=off  why: off: the CPU is not affected by Meltdown (not_affected); CPU: not recorded; 1 "
                     "boot\n"),
            std::string::npos)
      << out;
}

TEST(TableRender, TwoRunsInOneBootAreOneBoot) {
  // Two runs of pti=on in the same boot: pooled as one boot (their
  // repetitions together), not two replicates.
  const std::vector<ResultRow> rows = {
      row("BM", "on", "300", "1", "off", "k", "2026-11-21T18:40:00Z", "same"),
      row("BM", "on", "200", "1", "off", "k", "2026-11-21T18:30:00Z", "same"),
      row("BM", "off", "100", "1", "off", "k"),
  };
  const std::string out = render_table(rows, nullptr);
  EXPECT_NE(out.find("250.0 ns ±21.1%"), std::string::npos) << out;  // sqrt((8 + 5*2500*2) / 9) of 250
  EXPECT_NE(out.find("; 1 boot\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("boots"), std::string::npos) << out;
  EXPECT_NE(out.find("2.50x ["), std::string::npos) << out;
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
