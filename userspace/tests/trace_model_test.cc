// The pure parts of `ptilab trace`: deltas, derived numbers, the estimate,
// CSV rows, argument parsing. No BPF needed.
#include "trace_model.h"

#include "bench_trace.h"

#include <gtest/gtest.h>

#include "error.h"
#include "trace_cmd.h"

namespace ptilab {
namespace {

CounterArray counters(std::initializer_list<std::pair<int, std::uint64_t>> values) {
  CounterArray c{};
  for (const auto& [i, v] : values) c[i] = v;
  return c;
}

ResultRow bench_row(std::string benchmark, std::string pti, double ns) {
  ResultRow r;
  r.benchmark = std::move(benchmark);
  r.pti = std::move(pti);
  r.metric = std::string(kMetricMean);
  r.value = format_number(ns);
  return r;
}

TEST(TraceModel, IntervalIsTheDeltaPerCpuAndPerProcess) {
  TraceSnapshot a, b;
  a.seconds = 1;
  b.seconds = 3;
  a.cpus = {counters({{PTL_SYSCALLS, 10}}), counters({{PTL_SYSCALLS, 5}, {PTL_MM_SWITCHES, 1}})};
  b.cpus = {counters({{PTL_SYSCALLS, 110}}), counters({{PTL_SYSCALLS, 25}, {PTL_MM_SWITCHES, 4}})};
  a.pids[7] = PidCounts{7, "old", {3, 0, 0, 0, 0, 0}};
  b.pids[7] = PidCounts{7, "old", {5, 0, 0, 0, 0, 0}};
  b.pids[8] = PidCounts{8, "new", {0, 0, 0, 0, 2, 1}};
  a.pids[9] = PidCounts{9, "idle", {4, 0, 0, 0, 0, 0}};
  b.pids[9] = a.pids[9];
  const TraceInterval iv = interval_between(a, b);
  EXPECT_DOUBLE_EQ(iv.seconds, 2);
  EXPECT_DOUBLE_EQ(iv.end, 3);
  EXPECT_EQ(iv.cpus[0][PTL_SYSCALLS], 100u);
  EXPECT_EQ(iv.cpus[1][PTL_SYSCALLS], 20u);
  EXPECT_EQ(iv.total[PTL_SYSCALLS], 120u);
  EXPECT_EQ(iv.total[PTL_MM_SWITCHES], 3u);
  ASSERT_EQ(iv.pids.size(), 2u);  // pid 9 did nothing
  EXPECT_EQ(iv.pids[0].pid, 7u);
  EXPECT_EQ(iv.pids[0].c[PTL_PID_SYSCALLS], 2u);
  EXPECT_EQ(iv.pids[1].pid, 8u);
  EXPECT_EQ(iv.pids[1].c[PTL_PID_CTX_SWITCHES], 2u);
}

TEST(TraceModel, TopProcessesByKernelEntries) {
  std::vector<PidCounts> p = {{1, "a", {10, 0, 0, 0, 0, 0}}, {2, "b", {5, 3, 4, 0, 0, 0}}, {3, "c", {1, 0, 0, 0, 9, 0}}};
  const auto top = top_pids(p, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].pid, 2u);  // 12 entries
  EXPECT_EQ(top[1].pid, 1u);
  std::map<std::uint32_t, PidCounts> totals;
  accumulate_pids(totals, p);
  accumulate_pids(totals, {{1, "a2", {1, 1, 1, 1, 1, 1}}});
  EXPECT_EQ(totals[1].c[PTL_PID_SYSCALLS], 11u);
  EXPECT_EQ(totals[1].comm, "a2");
}

TEST(TraceModel, DerivedEntriesAndCr3Writes) {
  const auto c = counters({{PTL_SYSCALLS, 1000}, {PTL_PF_USER, 50}, {PTL_INTR_IN_TASK, 7}, {PTL_PF_KERNEL, 99},
                           {PTL_IRQS, 500}, {PTL_MM_SWITCHES, 20}});
  const Derived on = derive(c, true);
  EXPECT_DOUBLE_EQ(on.kernel_entries, 1057);
  EXPECT_DOUBLE_EQ(on.cr3_writes, 2 * 1057 + 20);
  const Derived off = derive(c, false);
  EXPECT_DOUBLE_EQ(off.cr3_writes, 20);
  EXPECT_TRUE(isolation_assumed_on("on", "n/a"));
  EXPECT_FALSE(isolation_assumed_on("off", "n/a"));
  EXPECT_FALSE(isolation_assumed_on("n/a", "off"));
  EXPECT_TRUE(isolation_assumed_on("unknown", "unknown"));
  EXPECT_NE(cr3_formula(true, false).find("2 x kernel entries"), std::string::npos);
  EXPECT_NE(cr3_formula(true, true).find("TTBR"), std::string::npos);
}

TEST(TraceModel, CostFromAPtiPair) {
  const std::vector<ResultRow> rows = {
      bench_row("BM_Syscall_Null", "on", 300), bench_row("BM_Syscall_Null", "off", 100),
      bench_row("BM_Syscall_Null", "on", 500),  // a second run: averaged to 400
      bench_row("BM_Pipe_PingPong/cpus:1", "on", 5000), bench_row("BM_Pipe_PingPong/cpus:1", "off", 2000),
      bench_row("BM_Syscall_Mix", "on", 1e6)};
  const IsolationCost c = cost_from_results(rows, "r.csv");
  EXPECT_DOUBLE_EQ(c.ns_per_entry, 300);
  EXPECT_DOUBLE_EQ(c.ns_per_mm_switch, (3000 - 4 * 300) / 2.0);
  EXPECT_FALSE(c.inputs.empty());
  bool tcg = false;
  for (const auto& a : c.assumptions) tcg |= a.find("TCG") != std::string::npos;
  EXPECT_FALSE(tcg);
  std::vector<ResultRow> emulated = rows;
  for (auto& r : emulated) r.accel = "tcg";
  for (const auto& a : cost_from_results(emulated, "r.csv").assumptions) tcg |= a.find("TCG") != std::string::npos;
  EXPECT_TRUE(tcg) << "an estimate from emulated costs says so";

  // No ping-pong pair: mm switches cost 0 and an assumption says so.
  const IsolationCost d = cost_from_results({rows[0], rows[1]}, "r.csv");
  EXPECT_DOUBLE_EQ(d.ns_per_mm_switch, 0);
  bool said = false;
  for (const auto& a : d.assumptions) said |= a.find("BM_Pipe_PingPong") != std::string::npos;
  EXPECT_TRUE(said);

  try {
    cost_from_results({rows[0]}, "r.csv");
    FAIL() << "no pti=off row";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no pti=off"), std::string::npos) << e.what();
  }
}

TEST(TraceModel, EstimateIsRatesTimesCosts) {
  IsolationCost cost = cost_from_probe("cr3_noflush", 50);  // 100 ns per entry
  EXPECT_DOUBLE_EQ(cost.ns_per_entry, 100);
  cost.ns_per_mm_switch = 1000;
  const auto c = counters({{PTL_SYSCALLS, 2'000'000}, {PTL_MM_SWITCHES, 20'000}});
  // 2 s: 1e6 entries/s x 100 ns + 1e4 mm switches/s x 1000 ns = 0.11 s/s
  const Estimate e = estimate(derive(c, true), c, 2, 4, cost);
  EXPECT_DOUBLE_EQ(e.entries_per_s, 1e6);
  EXPECT_DOUBLE_EQ(e.ns_per_s, 1.1e8);
  EXPECT_DOUBLE_EQ(e.percent_of_one_cpu, 11);
  EXPECT_DOUBLE_EQ(e.percent_of_cpus, 2.75);
  const std::string text = format_estimate(e, cost, "this workload");
  EXPECT_NE(text.find("about 2.75% of CPU"), std::string::npos) << text;
  EXPECT_NE(text.find("assumptions"), std::string::npos);
}

TEST(TraceModel, CsvRowsHaveCountsAndRates) {
  RunInfo run;
  run.run_id = "r";
  run.pti = "on";
  TraceInterval a, b;
  a.seconds = b.seconds = 1;
  a.total = counters({{PTL_SYSCALLS, 100}, {PTL_MM_SWITCHES, 2}});
  b.total = counters({{PTL_SYSCALLS, 300}, {PTL_MM_SWITCHES, 2}});
  CounterSet avail{};
  avail[PTL_SYSCALLS] = avail[PTL_MM_SWITCHES] = true;
  const auto rows = trace_rows(run, {a, b}, avail, true, {{42, "app", {5, 0, 0, 0, 1, 1}}}, 2);
  auto find = [&](std::string_view bench, std::string_view metric) -> const ResultRow* {
    for (const auto& r : rows)
      if (r.benchmark == bench && r.metric == metric) return &r;
    return nullptr;
  };
  ASSERT_TRUE(find("trace", "syscalls"));
  EXPECT_EQ(find("trace", "syscalls")->value, "400");
  EXPECT_EQ(find("trace", "syscalls")->unit, "count");
  const ResultRow* rate = find("trace", "syscalls_per_s");
  ASSERT_TRUE(rate);
  EXPECT_EQ(rate->value, "200");
  EXPECT_EQ(rate->unit, "per_s");
  EXPECT_EQ(rate->repetitions, "2");
  EXPECT_NEAR(*parse_number(rate->stddev), 141.421356, 1e-3);
  EXPECT_EQ(find("trace", "cr3_writes_per_s_derived")->value, format_number((2 * 400 + 4) / 2.0));
  EXPECT_FALSE(find("trace", "tlb_flushes_per_s"));  // not available: no row
  ASSERT_TRUE(find("trace:app:42", "mm_switches"));
  EXPECT_EQ(find("trace:app:42", "syscalls")->value, "5");
  for (const auto& r : rows) EXPECT_EQ(r.run_id, "r");
}

TEST(TraceModel, TableRowsAreRates) {
  const auto c = counters({{PTL_SYSCALLS, 500}, {PTL_MM_SWITCHES, 10}});
  CounterSet avail{};
  avail[PTL_SYSCALLS] = avail[PTL_MM_SWITCHES] = true;
  const std::string header = table_header(avail);
  EXPECT_NE(header.find("syscall"), std::string::npos);
  EXPECT_EQ(header.find("tlb_sw"), std::string::npos);
  const std::string row = table_row(2.5, "all", c, 0.5, avail, true);
  // 1000 syscalls/s, 20 mm switches/s, 1000 entries/s, 2020 CR3 writes/s
  EXPECT_NE(row.find(" 1000 "), std::string::npos) << row;
  EXPECT_NE(row.find(" 20 "), std::string::npos) << row;
  EXPECT_NE(row.find(" 2020\n"), std::string::npos) << row;
}

TEST(TraceArgs, Parses) {
  const TraceOptions o = parse_trace({"-p", "42", "-i", "0.5", "-d", "3", "--top", "7", "--per-cpu", "-v"});
  EXPECT_EQ(o.pid, 42u);
  EXPECT_DOUBLE_EQ(o.interval, 0.5);
  EXPECT_EQ(o.duration, 3.0);
  EXPECT_EQ(o.top, 7);
  EXPECT_TRUE(o.per_cpu);
  EXPECT_TRUE(o.verbose);
  EXPECT_FALSE(o.estimate);
  const TraceOptions d = parse_trace({});
  EXPECT_FALSE(d.pid);
  EXPECT_DOUBLE_EQ(d.interval, kDefaultTraceInterval);
  EXPECT_FALSE(d.duration);
}

TEST(TraceArgs, ParsesLongForms) {
  const TraceOptions o = parse_trace({"--pid=42", "--interval=0.5", "--duration", "3", "--csv=x.csv", "--top=0",
                                      "--estimate", "--cost-from", "r.csv", "-q"});
  EXPECT_EQ(o.pid, 42u);
  EXPECT_DOUBLE_EQ(o.interval, 0.5);
  EXPECT_EQ(o.duration, 3.0);
  EXPECT_EQ(o.csv, std::filesystem::path("x.csv"));
  EXPECT_EQ(o.top, 0);
  EXPECT_TRUE(o.estimate);
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.cost_from, std::filesystem::path("r.csv"));
}

TEST(TraceArgs, BadArgumentsAreUsageErrors) {
  const std::vector<std::vector<std::string>> cases = {
      {"-p"},          {"-p", "0"},        {"-p", "x"},       {"-p", "-5"},       {"-i", "0"},
      {"-i", "fast"},  {"-i", "0.001"},    {"-d", "-1"},      {"--csv"},          {"--csv="},
      {"--top", "-1"}, {"--per-cpu=yes"},  {"stray"},         {"--bogus"},        {"--cost-from", "r.csv"},
      {"-d"},          {"--estimate=1"},   {"--top", "1e3"},  {"-d=3"},
  };
  for (const auto& args : cases) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_THROW(parse_trace(args), UsageError) << joined;
  }
}

}  // namespace
}  // namespace ptilab

namespace ptilab {
namespace {

// ptilab bench --trace: per-loop deltas of every traceable counter, then
// the derived entries and CR3 writes, which depend on isolation.
TEST(BenchTrace, DeltasAndDerivedCountsPerLoop) {
  CounterArray from{}, to{};
  from[PTL_SYSCALLS] = 100;
  to[PTL_SYSCALLS] = 500;
  to[PTL_PF_USER] = 20;
  to[PTL_INTR_IN_TASK] = 5;
  to[PTL_MM_SWITCHES] = 200;
  CounterSet available = all_counters();
  available[PTL_TLB_FLUSHES] = false;  // e.g. a kernel without tlb:tlb_flush
  const auto value = [](const std::vector<std::pair<std::string, double>>& d, const std::string& name) {
    for (const auto& [n, v] : d)
      if (n == name) return v;
    return -1.0;
  };
  const auto on = trace_deltas(from, to, available, true);
  EXPECT_EQ(value(on, "trace:syscalls_per_op"), 400);
  EXPECT_EQ(value(on, "trace:mm_switches_per_op"), 200);
  EXPECT_EQ(value(on, "trace:tlb_flushes_per_op"), -1) << "an untraceable counter is left out, not zero";
  EXPECT_EQ(value(on, "trace:kernel_entries_derived_per_op"), 425);
  EXPECT_EQ(value(on, "trace:cr3_writes_derived_per_op"), 2 * 425 + 200);
  const auto off = trace_deltas(from, to, available, false);
  EXPECT_EQ(value(off, "trace:cr3_writes_derived_per_op"), 200);
  EXPECT_EQ(off.back().first, "trace:cr3_writes_derived_per_op");
}

}  // namespace
}  // namespace ptilab
