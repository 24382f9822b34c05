#include "render/table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <tuple>

#include "model/macro_tier.h"
#include "results/csv.h"
#include "results/stats.h"
#include "util/error.h"

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

// The macro tier: three boots a side of a build (real, user, sys) and a
// Redis run, a traced count, and a pgbench that was skipped with pti=on.
std::vector<ResultRow> macro_rows() {
  std::vector<ResultRow> rows = {row("BM_Syscall_Null", "off", "100", "1"), row("BM_Syscall_Null", "on", "187", "2")};
  const auto add = [&](const std::string& bench, const std::string& pti, const std::string& metric,
                       const std::string& boot, const std::string& value, const std::string& stddev) {
    auto r = row(bench, pti, value, stddev, "off", "6.1.0-56-amd64", "2026-11-21T18:30:00Z", boot);
    r.metric = metric;
    rows.push_back(r);
  };
  for (const auto& [pti, scale] : {std::pair{std::string("off"), 1.0}, std::pair{std::string("on"), 1.1}})
    for (const auto& [boot, f] : {std::pair{"1", 0.99}, std::pair{"2", 1.0}, std::pair{"3", 1.01}}) {
      const std::string b = pti + boot;
      const auto v = [&](double x) { return format_number(x * f * scale); };
      add("BM_Macro_BuildLua", pti, "ns_per_op", b, v(40e9), "1e8");
      // sys grows twice as much as real: x1.2 over off.
      add("BM_Macro_BuildLua", pti, "user_ns_per_op", b, format_number(60e9 * f), "1e8");
      add("BM_Macro_BuildLua", pti, "sys_ns_per_op", b, format_number(10e9 * f * (pti == "on" ? 1.2 : 1.0)), "1e7");
      add("BM_Macro_RedisGet/pipeline:1", pti, "ns_per_op", b, v(2e9), "1e7");
      add("BM_Macro_RedisGet/pipeline:1", pti, "trace:kernel_entries_derived_per_op", b, "4000000", "10");
    }
  auto skipped = row("BM_Macro_PgbenchSelect/clients:1/tcp:0", "on", "1", "");
  skipped.metric = "skipped=PostgreSQL did not start in configuration pti=on: FATAL: no space";
  skipped.unit = "info";
  rows.push_back(skipped);
  return rows;
}

TEST(MacroTier, OffAgainstOnForRealUserSys) {
  const auto pairs = macro_tier(macro_rows(), 0.95);
  ASSERT_EQ(pairs.size(), 1u);
  const MacroPair& p = pairs[0];
  EXPECT_EQ(p.off_label, "pti=off");
  EXPECT_EQ(p.on_label, "pti=on");
  EXPECT_EQ(p.boots_off, 3);
  EXPECT_EQ(p.boots_on, 3);
  ASSERT_EQ(p.lines.size(), 3u);
  const MacroLine& build = p.lines[0];
  EXPECT_EQ(build.benchmark, "BM_Macro_BuildLua");
  ASSERT_EQ(build.cells.size(), 3u);
  EXPECT_EQ(build.cells[0].metric, "ns_per_op");
  EXPECT_NEAR(*build.cells[0].contrast.comparison.delta_pct, 10, 1e-9);
  EXPECT_TRUE(build.cells[0].contrast.across_boots);
  EXPECT_NEAR(*build.cells[1].contrast.comparison.delta_pct, 0, 1e-9);
  EXPECT_NEAR(*build.cells[2].contrast.comparison.delta_pct, 20, 1e-9);
  // Redis: 4M entries per iteration over 2 s (off) and 2.2 s (on).
  const MacroLine& redis = p.lines[1];
  ASSERT_TRUE(redis.entries_per_s_off && redis.entries_per_s_on);
  EXPECT_NEAR(*redis.entries_per_s_off, 2e6, 1);
  EXPECT_NEAR(*redis.entries_per_s_on, 4e6 / 2.2, 1);
  // pgbench: only its skip, with the side and the reason.
  const MacroLine& pg = p.lines[2];
  EXPECT_TRUE(pg.cells.empty());
  ASSERT_EQ(pg.skipped.size(), 1u);
  EXPECT_EQ(pg.skipped[0], "on: PostgreSQL did not start in configuration pti=on: FATAL: no space");
  // The score: both real-time ratios are 1.1.
  ASSERT_TRUE(p.score && p.score->ratio_ci);
  EXPECT_EQ(p.score->pairs, 2);
  EXPECT_NEAR(p.score->ratio, 1.1, 1e-9);
  EXPECT_LT(p.score->ratio_ci->low, 1.1);
  EXPECT_GT(p.score->ratio_ci->high, 1.1);
}

TEST(MacroTier, TableShowsItApartFromTheMicrobenchmarks) {
  std::vector<std::string> notes;
  const std::string out = render_table(macro_rows(), &notes);
  const std::size_t macro = out.find("macro tier: arch=x86_64 kernel=6.1.0-56-amd64 accel=tcg, pti=off (3 boots) | "
                                     "pti=on (3 boots)\n");
  ASSERT_NE(macro, std::string::npos) << out;
  // The workloads are not rows of the microbenchmark table above it.
  EXPECT_EQ(out.substr(0, macro).find("BM_Macro_"), std::string::npos) << out;
  EXPECT_NE(out.find("BM_Syscall_Null"), std::string::npos);
  EXPECT_NE(out.find("40.00 s"), std::string::npos) << out;
  EXPECT_NE(out.find("44.00 s (+10.0% ["), std::string::npos) << out;
  EXPECT_NE(out.find("12.00 s (+20.0%)"), std::string::npos) << out;
  EXPECT_NE(out.find("2.00M | 1.82M"), std::string::npos) << out;
  EXPECT_NE(out.find("  BM_Macro_PgbenchSelect/clients:1/tcp:0 skipped (on: PostgreSQL did not start"), std::string::npos)
      << out;
  EXPECT_NE(out.find("score: geometric mean of the on/off real-time ratios over 2 workloads: 1.100x ["),
            std::string::npos)
      << out;
}

TEST(MacroTier, CsvHasARecordPerMetricSkipAndScore) {
  const std::string csv = format_macro_csv(macro_tier(macro_rows(), 0.95));
  const auto records = csv_parse(csv, "macro.csv");
  ASSERT_EQ(records.size(), 1u + 3 + 1 + 1 + 1);  // header, build x3, redis, skip, score
  EXPECT_EQ(records[0].fields[5], "benchmark");
  EXPECT_EQ(records[0].fields.size(), 18u);
  EXPECT_EQ(records[1].fields[5], "BM_Macro_BuildLua");
  EXPECT_EQ(records[1].fields[6], "ns_per_op");
  EXPECT_EQ(records[1].fields[12], "boots");
  EXPECT_EQ(records[5].fields[6], "skipped");
  EXPECT_EQ(records[6].fields[5], "score");
  EXPECT_NEAR(std::stod(records[6].fields[9]), 10, 1e-6);
  for (const auto& r : records) EXPECT_EQ(r.fields.size(), 18u);
}

// A side that has a time was skipped only elsewhere (vm-bench's initramfs
// guest has no make): no skip note there; a pair with nothing but skips
// (an architecture without the Debian guest) is no macro tier.
TEST(MacroTier, SkipsElsewhereAreNotReasons) {
  auto rows = macro_rows();
  for (const std::string pti : {"off", "on"}) {
    auto skip = row("BM_Macro_BuildLua", pti, "1", "", "off", "6.1.0-56-amd64", "2026-11-21T18:30:00Z", "initramfs");
    skip.metric = "skipped=no 'make' in PATH (apt-get install make)";
    rows.push_back(skip);
  }
  const auto pairs = macro_tier(rows, 0.95);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_TRUE(pairs[0].lines[0].skipped.empty());
  std::vector<ResultRow> only_skips;
  for (const auto& r : rows)
    if (r.metric.starts_with("skipped=")) only_skips.push_back(r);
  EXPECT_TRUE(macro_tier(only_skips, 0.95).empty());
}

TEST(MacroTier, NoPairNoTier) {
  // Only one side: nothing to compare.
  auto rows = macro_rows();
  std::erase_if(rows, [](const ResultRow& r) { return r.pti == "on"; });
  EXPECT_TRUE(macro_tier(rows, 0.95).empty());
  EXPECT_EQ(render_table(rows, nullptr).find("macro tier"), std::string::npos);
}

}  // namespace
}  // namespace ptilab
