// The pure parts of `ptilab trace`: deltas, derived numbers, the estimate,
// CSV rows, argument parsing. No BPF needed.
#include "model/trace.h"

#include "bench/trace.h"

#include <gtest/gtest.h>

#include "cli/cli.h"  // parse_trace: trace's options through the command table
#include "cmd/trace.h"
#include "render/trace.h"
#include "util/error.h"

namespace ptilab {
namespace {

CounterArray counters(std::initializer_list<std::pair<int, std::uint64_t>> values) {
  CounterArray c{};
  for (const auto& [i, v] : values) c[i] = v;
  return c;
}

ResultRow bench_row(std::string benchmark, std::string pti, double ns) {
  ResultRow r;
  r.arch = "x86_64";
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
  EXPECT_NE(cr3_formula(true, x86_profile()).find("2 x kernel entries"), std::string::npos);
  EXPECT_NE(cr3_formula(true, arm64_profile()).find("TTBR"), std::string::npos);
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
    EXPECT_NE(std::string(e.what()).find("none off"), std::string::npos) << e.what();
  }
}

TEST(TraceModel, EstimateIsRatesTimesCosts) {
  IsolationCost cost = cost_from_probe(x86_profile(), "cr3_noflush", 50);  // 100 ns per entry
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
  avail[PTL_SYSCALLS] = avail[PTL_MM_SWITCHES] = avail[PTL_PF_USER] = avail[PTL_INTR_IN_TASK] = true;
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
  // Not counted: a row that says so, never a 0.
  for (const char* m : {"tlb_flushes", "tlb_flushes_per_s", "timer_irqs"}) {
    ASSERT_TRUE(find("trace", m)) << m;
    EXPECT_EQ(find("trace", m)->value, "") << m;
    EXPECT_EQ(find("trace", m)->unit, "not_supported") << m;
  }
  ASSERT_TRUE(find("trace:app:42", "mm_switches"));
  EXPECT_EQ(find("trace:app:42", "syscalls")->value, "5");
  ASSERT_TRUE(find("trace:app:42", "tlb_flushes"));
  EXPECT_EQ(find("trace:app:42", "tlb_flushes")->unit, "not_supported");
  EXPECT_EQ(find("trace:app:42", "tlb_flushes")->value, "");
  for (const auto& r : rows) EXPECT_EQ(r.run_id, "r");
}

TEST(TraceModel, TableRowsAreRates) {
  const auto c = counters({{PTL_SYSCALLS, 500}, {PTL_MM_SWITCHES, 10}});
  CounterSet avail{};
  avail[PTL_SYSCALLS] = avail[PTL_MM_SWITCHES] = avail[PTL_PF_USER] = avail[PTL_INTR_IN_TASK] = true;
  const std::string header = table_header(avail);
  EXPECT_NE(header.find("syscall"), std::string::npos);
  EXPECT_EQ(header.find("tlb_sw"), std::string::npos);
  const std::string row = table_row(2.5, "all", c, 0.5, avail, true);
  // 1000 syscalls/s, 20 mm switches/s, 1000 entries/s, 2020 CR3 writes/s
  EXPECT_NE(row.find(" 1000 "), std::string::npos) << row;
  EXPECT_NE(row.find(" 20 "), std::string::npos) << row;
  EXPECT_NE(row.find(" 2020\n"), std::string::npos) << row;
}

// A kernel where a term of the derived numbers was not counted (arm64
// without its page-fault events, say): the derived rows are not_supported,
// not a sum that leaves the term out, and every output says so.
TEST(TraceModel, MissingTermsAreNotDerived) {
  CounterSet avail = all_counters();
  avail[PTL_PF_USER] = false;
  avail[PTL_TLB_FLUSHES] = avail[PTL_TLB_REASON0] = false;
  CounterReasons why;
  why[PTL_PF_USER] = "perf_event_open page-faults:u on CPU 0: Permission denied";
  why[PTL_TLB_FLUSHES] = why[PTL_TLB_REASON0] = "nothing counts it on this architecture";
  const auto c = counters({{PTL_SYSCALLS, 100}, {PTL_PF_USER, 7}, {PTL_INTR_IN_TASK, 3}, {PTL_MM_SWITCHES, 10}});

  const Derived on = derive(c, true, avail);
  EXPECT_FALSE(on.entries_counted);
  EXPECT_FALSE(on.cr3_counted);
  EXPECT_DOUBLE_EQ(on.kernel_entries, 0) << "no partial sum";
  const Derived off = derive(c, false, avail);
  EXPECT_FALSE(off.entries_counted);
  EXPECT_TRUE(off.cr3_counted) << "isolation off: CR3 writes are the mm switches alone";
  EXPECT_DOUBLE_EQ(off.cr3_writes, 10);
  EXPECT_EQ(missing_terms(entry_terms(), avail), std::vector<int>{PTL_PF_USER});
  EXPECT_TRUE(missing_terms(cr3_terms(false), avail).empty());

  RunInfo run;
  TraceInterval iv;
  iv.seconds = 1;
  iv.total = c;
  const auto rows = trace_rows(run, {iv}, avail, true, {{42, "app", {5, 1, 7, 0, 1, 1}}}, 1);
  auto find = [&](std::string_view bench, std::string_view metric) -> const ResultRow* {
    for (const auto& r : rows)
      if (r.benchmark == bench && r.metric == metric) return &r;
    return nullptr;
  };
  for (const char* m : {"page_faults_user", "page_faults_user_per_s", "kernel_entries_derived",
                        "kernel_entries_per_s_derived", "cr3_writes_derived", "cr3_writes_per_s_derived"}) {
    ASSERT_TRUE(find("trace", m)) << m;
    EXPECT_EQ(find("trace", m)->unit, "not_supported") << m;
    EXPECT_EQ(find("trace", m)->value, "") << m;
  }
  EXPECT_EQ(find("trace", "syscalls")->value, "100");
  EXPECT_EQ(find("trace:app:42", "page_faults_user")->unit, "not_supported");
  EXPECT_EQ(find("trace:app:42", "syscalls")->value, "5");
  // Isolation off: the CR3 writes are still derived.
  const auto off_rows = trace_rows(run, {iv}, avail, false, {}, 1);
  bool cr3 = false;
  for (const auto& r : off_rows)
    if (r.metric == "cr3_writes_derived") cr3 = r.value == "10" && r.unit == "count";
  EXPECT_TRUE(cr3);

  const std::string totals =
      format_totals(c, 1, avail, why, true, false, arm64_profile(), {{42, "app", {5, 1, 7, 0, 1, 1}}}, "all processes");
  EXPECT_NE(totals.find("page faults from user mode"), std::string::npos) << totals;
  EXPECT_NE(totals.find("not countable on this kernel: perf_event_open page-faults:u"), std::string::npos) << totals;
  EXPECT_NE(totals.find("not derived: page_faults_user not countable"), std::string::npos) << totals;
  EXPECT_EQ(totals.find(" 103 "), std::string::npos) << "no partial sum of entries\n" << totals;

  const auto notes = coverage_notes(avail, why, true, [](std::string_view s) { return "trace:" + std::string(s); });
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_EQ(notes[0], "not countable on this kernel: trace:page_faults_user (" + why[PTL_PF_USER] + ")");
  EXPECT_EQ(notes[1], "not countable on this kernel: trace:tlb_flushes, trace:tlb_flush_task_switch (" +
                          why[PTL_TLB_FLUSHES] + ")");
  EXPECT_EQ(notes[2], "trace:kernel_entries_derived not derived: its term page_faults_user was not counted");
  EXPECT_EQ(notes[3], "trace:cr3_writes_derived not derived: its term page_faults_user was not counted");
  EXPECT_TRUE(coverage_notes(all_counters(), {}, true, [](std::string_view s) { return std::string(s); }).empty());

  const std::string row = table_row(1, "all", c, 1, avail, true);
  EXPECT_NE(row.find("n/a"), std::string::npos) << row;
  const std::string legend = table_legend(arm64_profile(), avail);
  EXPECT_NE(legend.find("left out: pf_user tlb_sw"), std::string::npos) << legend;
  EXPECT_NE(legend.find("entries* (and cr3* with isolation on) n/a: page_faults_user"), std::string::npos) << legend;
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
  // ... and named for a not_supported row instead.
  EXPECT_EQ(trace_unsupported(available, true), std::vector<std::string>{"trace:tlb_flushes_per_op"});
  EXPECT_TRUE(trace_unsupported(all_counters(), true).empty());
}

// A term of the derived numbers not counted: they are not reported (the
// caller's not_supported rows), never a sum without the term.
TEST(BenchTrace, MissingTermsLeaveTheDerivedCountsOut) {
  CounterArray from{}, to{};
  to[PTL_SYSCALLS] = 400;
  to[PTL_MM_SWITCHES] = 200;
  CounterSet available = all_counters();
  available[PTL_PF_USER] = false;
  const auto names = [](const std::vector<std::pair<std::string, double>>& d) {
    std::vector<std::string> n;
    for (const auto& [name, _] : d) n.push_back(name);
    return n;
  };
  const auto on = names(trace_deltas(from, to, available, true));
  EXPECT_EQ(std::count(on.begin(), on.end(), "trace:kernel_entries_derived_per_op"), 0);
  EXPECT_EQ(std::count(on.begin(), on.end(), "trace:cr3_writes_derived_per_op"), 0);
  EXPECT_EQ(std::count(on.begin(), on.end(), "trace:page_faults_user_per_op"), 0);
  EXPECT_EQ(trace_unsupported(available, true),
            (std::vector<std::string>{"trace:page_faults_user_per_op", "trace:kernel_entries_derived_per_op",
                                      "trace:cr3_writes_derived_per_op"}));
  // Isolation off: the CR3 writes are the mm switches, still derived.
  const auto off = trace_deltas(from, to, available, false);
  EXPECT_EQ(off.back().first, "trace:cr3_writes_derived_per_op");
  EXPECT_EQ(off.back().second, 200);
  EXPECT_EQ(trace_unsupported(available, false),
            (std::vector<std::string>{"trace:page_faults_user_per_op", "trace:kernel_entries_derived_per_op"}));
}

}  // namespace
}  // namespace ptilab
