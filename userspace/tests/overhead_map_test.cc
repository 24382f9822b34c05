#include "model/overhead_map.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "cli/binding.h"
#include "kernel/workload.h"
#include "render/overhead_map.h"
#include "render/table.h"
#include "results/csv.h"
#include "util/error.h"

namespace ptilab {
namespace {

ResultRow map_row(const MapDials& d, const std::string& pti, const std::string& boot, const std::string& metric,
                  double value, const std::string& stddev, const std::string& unit) {
  ResultRow r;
  r.run_id = "run";
  r.timestamp = "2026-12-04T15:00:00Z";
  r.boot = boot;
  r.host = "h";
  r.arch = "x86_64";
  r.kernel = "6.1.0-57-amd64";
  r.cmdline = "console=ttyS0 pti=" + pti;
  r.accel = "tcg";
  r.pti = pti;
  r.pcid = "off";
  r.e0pd = "n/a";
  r.kpti = "n/a";
  r.benchmark = map_benchmark_name(d);
  r.metric = metric;
  r.value = format_number(value);
  r.unit = unit;
  r.repetitions = "3";
  r.stddev = stddev;
  return r;
}

// A map whose loss is known: off, every cell 10 ns per read; on, a loss
// that doubles with each decade of rate (1%, 2%, 4% at 1k, 10k, 100k/s)
// on the 4 KiB line, twice that on the 4 MiB line. With isolation on the
// cells run 10% fewer system calls per second. Two boots a side, 1%
// apart.
std::vector<ResultRow> map_rows() {
  std::vector<ResultRow> rows;
  for (const long ws : {4096L, 4194304L})
    for (const auto& [rate, loss] : {std::pair{1000L, 1.0}, std::pair{10000L, 2.0}, std::pair{100000L, 4.0}}) {
      const MapDials d{rate, ws, false};
      const double l = loss * (ws == 4096 ? 1 : 2);
      for (const auto& [pti, factor] : {std::pair{std::string("off"), 1.0}, std::pair{std::string("on"), 1 + l / 100}})
        for (const auto& [boot, f] : {std::pair{"1", 0.995}, std::pair{"2", 1.005}}) {
          const std::string b = pti + boot;
          rows.push_back(map_row(d, pti, b, "ns_per_read", 10 * factor * f, "0.01", "ns"));
          rows.push_back(
              map_row(d, pti, b, "syscalls_per_s", static_cast<double>(rate) * (pti == "on" ? 0.9 : 1.0), "1", "per_s"));
          rows.push_back(map_row(d, pti, b, "reads_per_op", 1e8 / static_cast<double>(rate), "", "count"));
          rows.push_back(map_row(d, pti, b, "thp_pct", 0, "", "%"));
          rows.push_back(map_row(d, pti, b, "ns_per_op", 1e9 / static_cast<double>(rate), "10", "ns"));
        }
    }
  ResultRow skip = map_row(MapDials{1000, 4096, true}, "on", "on1", "skipped=transparent huge pages are off", 1, "",
                           "info");
  rows.push_back(skip);
  return rows;
}

TEST(OverheadMap, BenchmarkNamesRoundTrip) {
  const MapDials d{30000, 67108864, true};
  EXPECT_EQ(map_benchmark_name(d), "BM_Map/rate:30000/ws:67108864/thp:1");
  EXPECT_EQ(parse_map_benchmark("BM_Map/rate:30000/ws:67108864/thp:1"), d);
  for (const char* bad : {"BM_Map", "BM_Map/rate:0/ws:4096/thp:0", "BM_Map/rate:1x/ws:4096/thp:0",
                          "BM_Map/rate:1000/ws:4096", "BM_Map/rate:1000/ws:4096/thp:2", "BM_Map/ws:4096/rate:1000/thp:0",
                          "BM_Mapx/rate:1000/ws:4096/thp:0", "BM_Map/rate:1000/ws:4096/thp:0/x"})
    EXPECT_FALSE(parse_map_benchmark(bad)) << bad;
  EXPECT_TRUE(is_map_benchmark("BM_Map/rate:1/ws:1/thp:0"));
  EXPECT_FALSE(is_map_benchmark("BM_MapX"));
  EXPECT_EQ(format_bytes(4096), "4 KiB");
  EXPECT_EQ(format_bytes(64 << 20), "64 MiB");
  EXPECT_EQ(format_bytes(1.5 * (1 << 20)), "1.5 MiB");
  EXPECT_EQ(format_bytes(4.02 * (1 << 20)), "4.02 MiB");
  EXPECT_EQ(format_bytes(1000 * 1024), "1000 KiB");
}

TEST(OverheadMap, PairsOffAgainstOnPerCell) {
  const auto pairs = overhead_map(map_rows(), 0.95);
  ASSERT_EQ(pairs.size(), 1u);
  const MapPair& p = pairs[0];
  EXPECT_EQ(p.off_label, "pti=off");
  EXPECT_EQ(p.on_label, "pti=on");
  EXPECT_EQ(p.boots_off, 2);
  EXPECT_EQ(p.boots_on, 2);
  ASSERT_EQ(p.cells.size(), 6u);
  // Working set, then rate.
  EXPECT_EQ(p.cells[0].dials, (MapDials{1000, 4096, false}));
  EXPECT_EQ(p.cells[5].dials, (MapDials{100000, 4194304, false}));
  EXPECT_NEAR(*p.cells[0].loss_pct(), 1, 1e-9);
  EXPECT_NEAR(*p.cells[5].loss_pct(), 8, 1e-9);
  EXPECT_TRUE(p.cells[5].contrast.across_boots);
  ASSERT_TRUE(p.cells[5].loss_ci_pct());
  EXPECT_LT(p.cells[5].loss_ci_pct()->low, 8);
  EXPECT_GT(p.cells[5].loss_ci_pct()->high, 8);
  EXPECT_NEAR(p.cells[1].rate_off, 10000, 1e-6);
  EXPECT_NEAR(p.cells[1].rate_on, 9000, 1e-6);
  EXPECT_NEAR(*p.cells[1].reads_on, 1e4, 1e-6);
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].benchmark, "BM_Map/rate:1000/ws:4096/thp:1");
  EXPECT_EQ(p.skipped[0].side, "on");
  EXPECT_EQ(p.skipped[0].why, "transparent huge pages are off");
}

// spins_per_read (the host's speed divided out) is the loss's metric where
// both sides of a cell have it; a cell where one side lacks it keeps
// ns_per_read, and the table says which.
TEST(OverheadMap, SpinsPerReadWhereBothSidesHaveIt) {
  auto rows = map_rows();
  const std::string cell = "BM_Map/rate:1000/ws:4096/thp:0", other = "BM_Map/rate:10000/ws:4096/thp:0";
  for (const auto& [pti, v] : {std::pair{std::string("off"), 1.5}, std::pair{std::string("on"), 1.8}})
    for (const char* boot : {"1", "2"}) {
      rows.push_back(map_row(MapDials{1000, 4096, false}, pti, pti + boot, "spins_per_read", v, "0.01", "ratio"));
      if (pti == "on") rows.push_back(map_row(MapDials{10000, 4096, false}, pti, pti + boot, "spins_per_read", 9, "0.01", "ratio"));
    }
  const auto pairs = overhead_map(rows, 0.95);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].cells[0].metric, "spins_per_read");
  EXPECT_NEAR(*pairs[0].cells[0].loss_pct(), 20, 1e-9);
  EXPECT_EQ(pairs[0].cells[1].metric, "ns_per_read");
  EXPECT_NEAR(*pairs[0].cells[1].loss_pct(), 2, 1e-9);
  const std::string out = render_overhead_map(pairs, nullptr);
  EXPECT_NE(out.find("spins_per_read where both sides have it, else ns_per_read"), std::string::npos) << out;
}

TEST(OverheadMap, NoPairWithoutBothSides) {
  auto rows = map_rows();
  std::erase_if(rows, [](const ResultRow& r) { return r.pti == "off"; });
  EXPECT_TRUE(overhead_map(rows, 0.95).empty());
}

TEST(OverheadMap, PredictionAtACellIsThatCell) {
  const auto pairs = overhead_map(map_rows(), 0.95);
  MapQuery q;
  q.rate = 9000;  // the 10k cell's rate with isolation on
  q.ws = 4096;
  const auto out = predict(pairs[0], q);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].loss_pct, 2, 1e-9);
  ASSERT_EQ(out[0].cells.size(), 1u);
  EXPECT_EQ(out[0].cells[0].first, "BM_Map/rate:10000/ws:4096/thp:0");
  EXPECT_TRUE(out[0].notes.empty());
  ASSERT_TRUE(out[0].ci_pct);
  EXPECT_NEAR(out[0].ci_pct->low, pairs[0].cells[1].loss_ci_pct()->low, 1e-9);
}

// loss / (1 + loss), the share of isolation-on time a cost per call takes.
double share(double loss_pct) { return loss_pct / (100 + loss_pct); }

TEST(OverheadMap, PredictionInterpolatesLinearInRateAndLogWorkingSet) {
  const auto pairs = overhead_map(map_rows(), 0.95);
  MapQuery q;
  // Halfway between 9k and 90k (isolation on's rates), and halfway
  // between 4 KiB and 4 MiB on the log scale: with isolation on, the share
  // of the time halfway between the four cells' shares.
  q.rate = (9000.0 + 90000.0) / 2;
  q.ws = 131072;  // 2^17: halfway between 2^12 and 2^22
  const auto out = predict(pairs[0], q);
  ASSERT_EQ(out.size(), 1u);
  const double f = (share(2) + share(4) + share(4) + share(8)) / 4;
  EXPECT_NEAR(out[0].loss_pct, 100 * f / (1 - f), 1e-9);
  EXPECT_EQ(out[0].cells.size(), 4u);
  // With isolation off the off rates place it (10k..100k), and the loss
  // itself is linear: (2+4)/2 = 3 on the 4 KiB line, 6 on the 4 MiB line,
  // 4.5 between.
  q.isolation_on = false;
  q.rate = (10000.0 + 100000.0) / 2;
  EXPECT_NEAR(predict(pairs[0], q)[0].loss_pct, 4.5, 1e-9);
}

TEST(OverheadMap, PredictionBelowTheSlowestCellScalesTowardNoLoss) {
  const auto pairs = overhead_map(map_rows(), 0.95);
  MapQuery q;
  q.rate = 450;  // half the 1k cell's rate with isolation on
  q.ws = 4096;
  const auto out = predict(pairs[0], q);
  ASSERT_EQ(out.size(), 1u);
  const double f = share(1) / 2;
  EXPECT_NEAR(out[0].loss_pct, 100 * f / (1 - f), 1e-9);
  EXPECT_TRUE(out[0].notes.empty());
  ASSERT_EQ(out[0].cells.size(), 1u);
  EXPECT_NEAR(out[0].cells[0].second, 0.5, 1e-9);
  ASSERT_TRUE(out[0].ci_pct);
  EXPECT_LT(out[0].ci_pct->low, out[0].loss_pct);
  EXPECT_GT(out[0].ci_pct->high, out[0].loss_pct);
  q.rate = 0;
  EXPECT_NEAR(predict(pairs[0], q)[0].loss_pct, 0, 1e-12);
}

// A line made by a fixed cost per system call, as a cell is: C seconds
// added to 1/R of user work and entry. With isolation on the rates crowd
// together below 1/C (here 6.7k/s), where reading the loss linearly
// against log rate put a workload 5% above one cell a third of the way to
// the next (the CI failure of 2026-12-05). In the map's terms the
// prediction for any rate between cells is the exact one.
TEST(OverheadMap, PredictionIsExactForAFixedCostPerCall) {
  constexpr double kCost = 150e-6;
  std::vector<ResultRow> rows;
  for (const long rate : {1000L, 10000L, 60000L}) {
    const MapDials d{rate, 4194304, false};
    const double loss = kCost * static_cast<double>(rate);
    for (const std::string pti : {"off", "on"})
      for (const auto& [boot, f] : {std::pair{"1", 0.999}, std::pair{"2", 1.001}}) {
        const bool on = pti == "on";
        const double r = on ? 1 / (1.0 / static_cast<double>(rate) + kCost) : static_cast<double>(rate);
        rows.push_back(map_row(d, pti, pti + boot, "ns_per_read", 10 * f * (on ? 1 + loss : 1), "0.01", "ns"));
        rows.push_back(map_row(d, pti, pti + boot, "syscalls_per_s", r, "1", "per_s"));
      }
  }
  const auto pairs = overhead_map(rows, 0.95);
  ASSERT_EQ(pairs.size(), 1u);
  for (const double rate : {3000.0, 10500.0, 40000.0}) {
    MapQuery q;
    q.ws = 4194304;
    q.rate = 1 / (1 / rate + kCost);  // traced with isolation on
    EXPECT_NEAR(predict(pairs[0], q)[0].loss_pct, 100 * kCost * rate, 1e-6) << rate;
    q.isolation_on = false;
    q.rate = rate;
    EXPECT_NEAR(predict(pairs[0], q)[0].loss_pct, 100 * kCost * rate, 1e-6) << rate;
  }
}

TEST(OverheadMap, PredictionOutsideTheMapTakesTheNearestCellAndSaysSo) {
  const auto pairs = overhead_map(map_rows(), 0.95);
  MapQuery q;
  q.rate = 5e6;
  q.ws = 1e9;
  const auto out = predict(pairs[0], q);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].loss_pct, 8, 1e-9);
  ASSERT_EQ(out[0].notes.size(), 2u);
  EXPECT_NE(out[0].notes[0].find("outside the map's (4 KiB to 4 MiB)"), std::string::npos) << out[0].notes[0];
  EXPECT_NE(out[0].notes[1].find("above the 4 MiB line's rates"), std::string::npos) << out[0].notes[1];
}

TEST(OverheadMap, WithoutAWorkingSetOnePredictionPerLine) {
  const auto pairs = overhead_map(map_rows(), 0.95);
  MapQuery q;
  q.rate = 900;
  q.huge = true;  // the map has no huge-page cells: said, and the 4 KiB ones used
  const auto out = predict(pairs[0], q);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].ws, 4096);
  EXPECT_NEAR(out[0].loss_pct, 1, 1e-9);
  EXPECT_NEAR(out[1].loss_pct, 2, 1e-9);
  EXPECT_NE(out[0].notes[0].find("no huge-page cells"), std::string::npos);
  const std::string text = format_prediction(pairs[0], q, out, "the rate's basis", "not measured");
  EXPECT_NE(text.find("predicted loss at 4 KiB: +1.0% ["), std::string::npos) << text;
  EXPECT_NE(text.find("predicted loss at 4 MiB: +2.0% ["), std::string::npos) << text;
  EXPECT_NE(text.find("from 1.00 x BM_Map/rate:1000/ws:4096/thp:0"), std::string::npos) << text;
  EXPECT_NE(text.find("TCG"), std::string::npos) << text;
}

// A benchmark with ns_per_op on both sides and a traced pass with
// isolation on: NAME's rows, its loss LOSS %, per iteration CALLS system
// calls, SWITCHES context switches (MM of them changing mm) and BUSY_NS of
// busy CPU time; PAGES referenced pages, or none.
void add_traced(std::vector<ResultRow>& rows, const std::string& name, double loss, double calls, double switches,
                double mm, double busy_ns, std::optional<double> pages) {
  for (const std::string pti : {"off", "on"})
    for (const auto& [boot, f] : {std::pair{"1", 0.995}, std::pair{"2", 1.005}}) {
      ResultRow r = map_row(MapDials{1, 1, false}, pti, pti + boot, "ns_per_op",
                            1000 * f * (pti == "on" ? 1 + loss / 100 : 1), "1", "ns");
      r.benchmark = name;
      rows.push_back(r);
    }
  const auto traced = [&](const std::string& metric, double v, const std::string& unit) {
    ResultRow r = map_row(MapDials{1, 1, false}, "on", "on1", metric, v, "", unit);
    r.benchmark = name;
    rows.push_back(r);
  };
  traced("trace:syscalls_per_op", calls, "per_op");
  traced("trace:context_switches_per_op", switches, "per_op");
  traced("trace:mm_switches_per_op", mm, "per_op");
  traced("trace:busy_cpu_ns_per_op", busy_ns, "per_op");
  if (pages) traced("trace:referenced_pages", *pages, "pages");
}

TEST(OverheadMap, ChecksPlaceTracedBenchmarksAndSayWhereTheModelFails) {
  auto rows = map_rows();
  // 9 calls and 0 switches per 1 ms of busy CPU: the 10k cell's 9000/s
  // with isolation on, on the 4 KiB line.
  add_traced(rows, "BM_Own", 3, 9, 0, 0, 1e6, 1);
  // Half its events change mm; its work in other processes.
  add_traced(rows, "BM_Forks", 50, 4.5, 4.5, 4.5, 1e6, std::nullopt);
  // What ptilab table gives the model: the rows it uses.
  std::erase_if(rows, [](const ResultRow& r) { return !map_uses(r); });
  const auto pairs = overhead_map(rows, 0.95);
  ASSERT_EQ(pairs.size(), 1u);
  const auto& checks = pairs[0].checks;
  ASSERT_EQ(checks.size(), 2u);
  const PredictedLoss& own = checks[0];
  EXPECT_EQ(own.benchmark, "BM_Own");
  EXPECT_NEAR(own.rate, 9000, 1e-6);
  ASSERT_TRUE(own.ws);
  EXPECT_NEAR(*own.ws, 4096, 1e-9);
  EXPECT_NEAR(own.predicted.loss_pct, 2, 1e-9);
  EXPECT_NEAR(*own.measured.comparison.delta_pct, 3, 1e-9);
  EXPECT_NEAR(*own.error_pts(), -1, 1e-9);
  EXPECT_TRUE(own.predicted.notes.empty());
  const PredictedLoss& forks = checks[1];
  EXPECT_FALSE(forks.ws);
  EXPECT_NEAR(forks.rate, 9000, 1e-6);
  ASSERT_EQ(forks.predicted.notes.size(), 2u);
  EXPECT_NE(forks.predicted.notes[0].find("1 mm switches per system call"), std::string::npos)
      << forks.predicted.notes[0];
  EXPECT_NE(forks.predicted.notes[1].find("working set not traced"), std::string::npos) << forks.predicted.notes[1];
  // The map's own cells are not checked against themselves.
  for (const auto& c : checks) EXPECT_FALSE(is_map_benchmark(c.benchmark));
}

TEST(OverheadMap, ChoosesTheHostsKernelThenTlbThenAccel) {
  auto rows = map_rows();
  auto other = map_rows();
  for (auto& r : other) r.kernel = "6.12.57+deb13-amd64";
  rows.insert(rows.end(), other.begin(), other.end());
  const auto pairs = overhead_map(rows, 0.95);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(choose_pair(pairs, "x86_64", "6.12.57+deb13-amd64", "off", "none")->kernel, "6.12.57+deb13-amd64");
  EXPECT_EQ(choose_pair(pairs, "x86_64", "6.1.0-57-amd64", "on", "tcg")->kernel, "6.1.0-57-amd64");
  EXPECT_NE(choose_pair(pairs, "x86_64", "6.18", "off", "none"), nullptr);
  EXPECT_EQ(choose_pair(pairs, "aarch64", "6.1.0-57-arm64", "off", "tcg"), nullptr);
}

TEST(OverheadMap, TableShowsTheGridApartFromTheMicrobenchmarks) {
  std::vector<std::string> notes;
  const std::string out = render_table(map_rows(), &notes);
  const std::size_t map = out.find("overhead map: arch=x86_64 kernel=6.1.0-57-amd64 accel=tcg, pti=off (2 boots) | "
                                   "pti=on (2 boots), 4 KiB pages\n");
  ASSERT_NE(map, std::string::npos) << out;
  // The cells are not rows of a microbenchmark table.
  EXPECT_EQ(out.substr(0, map).find("BM_Map/"), std::string::npos) << out;
  EXPECT_NE(out.find("rate:1.0k"), std::string::npos) << out;
  EXPECT_NE(out.find("+8.0 ["), std::string::npos) << out;
  EXPECT_NE(out.find("10.0k | 9.0k"), std::string::npos) << out;
  EXPECT_NE(out.find("skipped BM_Map/rate:1000/ws:4096/thp:1 (pti=on): transparent huge pages are off"),
            std::string::npos)
      << out;
}

TEST(OverheadMap, CsvHasARecordPerCellAndSkip) {
  const auto records = csv_parse(format_map_csv(overhead_map(map_rows(), 0.95)), "map.csv");
  ASSERT_EQ(records.size(), 1u + 6 + 1);
  EXPECT_EQ(records[0].fields.size(), 23u);
  EXPECT_EQ(records[0].fields[15], "loss_pct");
  EXPECT_EQ(records[1].fields[5], "BM_Map/rate:1000/ws:4096/thp:0");
  EXPECT_EQ(parse_number(records[1].fields[15]).value_or(-1), 1);
  EXPECT_EQ(records[1].fields[18], "boots");
  EXPECT_EQ(records[0].fields[21], "metric");
  EXPECT_EQ(records[1].fields[21], "ns_per_read");
  EXPECT_EQ(records[7].fields.size(), 23u);
  EXPECT_EQ(records[7].fields[22], "skipped (pti=on): transparent huge pages are off");
}

TEST(Workload, PidStatTicksCountFromTheLastParen) {
  // comm "a) (b" has a blank and parentheses; utime 7, stime 5.
  EXPECT_EQ(parse_pid_stat_ticks("42 (a) (b) R 1 42 42 0 -1 4194304 100 0 0 0 7 5 0 0 20 0 1 0 1234 0 0\n"), 12u);
  EXPECT_FALSE(parse_pid_stat_ticks("42 (x) R 1 2"));
  EXPECT_FALSE(parse_pid_stat_ticks("no paren"));
}

TEST(Workload, SmapsRollupSizes) {
  const auto m = parse_smaps_rollup(
      "55d0-7ffd ---p 00000000 00:00 0   [rollup]\nRss:   5000 kB\nReferenced:   4100 kB\nAnonymous:   4096 kB\n"
      "AnonHugePages:   2048 kB\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->referenced, 4100 * 1024.0);
  EXPECT_EQ(m->anonymous, 4096 * 1024.0);
  EXPECT_EQ(m->anon_huge, 2048 * 1024.0);
  EXPECT_FALSE(parse_smaps_rollup("Rss: 1 kB\n"));
}

TEST(Workload, OwnBusyTimeAndWorkingSet) {
  // This process: its own stat and rollup are readable.
  const double before = busy_cpu_seconds(::getpid());
  volatile double x = 0;
  for (int i = 0; i < 50000000; ++i) x = x + 1;
  EXPECT_GT(busy_cpu_seconds(::getpid()), before);
  EXPECT_GT(busy_cpu_seconds(std::nullopt), 0);
  EXPECT_GT(read_memory_rollup(::getpid()).anonymous, 0);
}

TEST(Binding, SizesAreBytesWithBinaryUnits) {
  EXPECT_EQ(cli::parse_size("4096"), 4096);
  EXPECT_EQ(cli::parse_size("64K"), 65536);
  EXPECT_EQ(cli::parse_size("64MiB"), 64.0 * 1024 * 1024);
  EXPECT_EQ(cli::parse_size("1G"), 1024.0 * 1024 * 1024);
  for (const char* bad : {"", "0", "K", "1.5M", "64m", "64 M", "-1", "64MB", "1e3"}) EXPECT_FALSE(cli::parse_size(bad)) << bad;
}

}  // namespace
}  // namespace ptilab
