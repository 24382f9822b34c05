// Perf counters: list parsing, libpfm4 resolution, the counting itself
// (software events, which every Linux has), their collection and CSV rows,
// and `ptilab bench --counters` / `ptilab counters` end to end.
#include "kernel/perf_counters.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "bench/reporter.h"
#include "results/results.h"
#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::run_ptilab;
using testing::TempDir;

TEST(PerfCounters, ListSplitsOnCommas) {
  EXPECT_EQ(parse_counter_list("cycles"), std::vector<std::string>{"cycles"});
  EXPECT_EQ(parse_counter_list("cycles,dTLB-load-misses,cycles:u"),
            (std::vector<std::string>{"cycles", "dTLB-load-misses", "cycles:u"}));
}

TEST(PerfCounters, ListRejectsEmptyItemsAndDuplicates) {
  for (const std::string bad : {"", ",", "cycles,", ",cycles", "cycles,,instructions", "cs,page-faults,cs"})
    EXPECT_THROW(parse_counter_list(bad), UsageError) << "'" << bad << "'";
}

TEST(PerfCounters, UnknownNameIsUsageErrorNamingIt) {
  try {
    PerfCounterSet set({"page-faults", "no-such-event"});
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'no-such-event'"), std::string::npos) << what;
    EXPECT_NE(what.find("page-faults"), std::string::npos) << what;  // an example of a valid name
  }
  EXPECT_FALSE(check_counter("no-such-event").known);
}

TEST(PerfCounters, BenchmarkCounterNamesAreRefused) {
  // "faults" is libpfm4's alias of page-faults, and BM_PageFault_Touch's own counter.
  EXPECT_TRUE(check_counter("faults").known);
  EXPECT_THROW(PerfCounterSet({"faults"}), UsageError);
}

TEST(PerfCounters, PerfToolSpellingsResolveToThePerfPmu) {
  for (const std::string name : {"dTLB-load-misses", "iTLB-load-misses", "LLC-load-misses", "cache-misses",
                                 "branch-misses", "cycles", "context-switches", "cs", "cpu-migrations"}) {
    const CounterCheck c = check_counter(name);
    EXPECT_TRUE(c.known) << name << ": " << c.event.reason;
    EXPECT_TRUE(c.event.resolved.starts_with("perf::")) << name << " -> " << c.event.resolved;
  }
  // libpfm4 lacks these perf software events; ptilab's table has them.
  EXPECT_TRUE(check_counter("alignment-faults").known);
  // Explicit modifiers are libpfm4's: cycles:u counts user mode only.
  EXPECT_NE(check_counter("cycles:u").event.resolved.find(":k=0"), std::string::npos);
  EXPECT_NE(check_counter("cycles").event.resolved.find(":k=1"), std::string::npos);
}

TEST(PerfCounters, UnsupportedEventsSayWhy) {
  // Hardware events exist on some machines and not on others; either way
  // the answer is definite.
  for (const std::string name : {"cycles", "instructions", "dTLB-load-misses"}) {
    const CounterCheck c = check_counter(name);
    ASSERT_TRUE(c.known) << name;
    if (!c.event.supported) {
      EXPECT_TRUE(c.event.reason.starts_with("not supported")) << c.event.reason;
    }
  }
}

std::optional<double> delta_of(const PerfCounterSet& set, const CounterReading& a, const CounterReading& b,
                               const std::string& name) {
  for (const auto& [n, v] : set.deltas(a, b))
    if (n == name) return v;
  return std::nullopt;
}

void touch_pages(std::size_t pages) {
  const long page = sysconf(_SC_PAGESIZE);
  void* mem = mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  for (std::size_t i = 0; i < pages; ++i) static_cast<volatile char*>(mem)[i * page] = 1;
  munmap(mem, pages * page);
}

TEST(PerfCounters, CountsPageFaultsOfThisProcessAndOfALiveChild) {
  PerfCounterSet set({"page-faults"});
  ASSERT_TRUE(set.any_supported()) << set.events()[0].reason;
  CounterReading a, b, c, d;
  ASSERT_EQ(set.read(a), "");
  touch_pages(100);
  ASSERT_EQ(set.read(b), "");
  EXPECT_GE(*delta_of(set, a, b, "page-faults"), 100);

  // A child's faults count while it still runs (the kernel sums the
  // inherited counters on read), not only once it has exited.
  int to_child[2], from_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(from_child), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    char byte = 0;
    const long page = sysconf(_SC_PAGESIZE);
    void* mem = mmap(nullptr, 300 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) _exit(1);
    for (int i = 0; i < 300; ++i) static_cast<volatile char*>(mem)[i * page] = 1;
    if (write(from_child[1], &byte, 1) != 1 || read(to_child[0], &byte, 1) < 0) _exit(1);
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(from_child[0], &byte, 1), 1);
  ASSERT_EQ(set.read(c), "");
  EXPECT_GE(*delta_of(set, b, c, "page-faults"), 300);
  ASSERT_EQ(write(to_child[1], &byte, 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(set.read(d), "");
  EXPECT_GE(*delta_of(set, b, d, "page-faults"), 300);  // still there after the exit
  for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
}

TEST(PerfCounters, DeltasScaleMultiplexedCountsAndDropThoseThatNeverRan) {
  PerfCounterSet set({"page-faults", "context-switches"});
  ASSERT_EQ(set.events().size(), 2u);
  CounterReading from, to;
  from.values = {{100, 1000, 500}, {7, 1000, 1000}};
  to.values = {{200, 2000, 1000}, {7, 3000, 1000}};
  const auto d = set.deltas(from, to);
  ASSERT_EQ(d.size(), 1u);  // context-switches: no running time, no number (not 0)
  EXPECT_EQ(d[0].first, "page-faults");
  EXPECT_DOUBLE_EQ(d[0].second, 200);  // 100 counted in half the time
}

// A Google Benchmark run with user counters.
BenchmarkRun counter_run(const std::string& name, const std::string& aggregate,
                         const std::map<std::string, double>& counters) {
  BenchmarkRun r;
  r.run_name.function_name = name;
  r.iterations = 1000;
  r.real_accumulated_time = 1e-3;
  r.time_unit = benchmark::kNanosecond;
  r.repetitions = 3;
  if (!aggregate.empty()) {
    r.run_type = BenchmarkRun::RT_Aggregate;
    r.aggregate_name = aggregate;
    r.aggregate_unit = benchmark::kTime;
  }
  for (const auto& [k, v] : counters) r.counters[k] = benchmark::Counter(v);
  return r;
}

TEST(PerfCounters, CollectorTakesMeanAndStddevOfTheConfiguredCountersOnly) {
  ResultCollector c({"page-faults", "cycles"});
  for (double v : {15.0, 16.0, 17.0}) c.add(counter_run("BM_A", "", {{"page-faults", v}, {"syscalls", 1e6}}));
  c.add(counter_run("BM_A", "mean", {{"page-faults", 16}, {"syscalls", 1e6}}));
  c.add(counter_run("BM_A", "median", {{"page-faults", 16.5}}));
  c.add(counter_run("BM_A", "stddev", {{"page-faults", 1}, {"syscalls", 0}}));
  const auto r = c.counter_results();
  ASSERT_EQ(r.size(), 1u);  // no syscalls (not a perf counter), no cycles (no run had it)
  EXPECT_EQ(r[0].benchmark, "BM_A");
  EXPECT_EQ(r[0].event, "page-faults");
  EXPECT_DOUBLE_EQ(r[0].mean, 16);
  EXPECT_DOUBLE_EQ(r[0].stddev.value_or(-1), 1);
  EXPECT_EQ(r[0].repetitions, 3);
  EXPECT_EQ(r[0].unit, "per_op");
}

TEST(PerfCounters, CollectorWithoutAggregatesUsesTheIterationRuns) {
  ResultCollector c({"context-switches"});
  c.add(counter_run("BM_B", "", {{"context-switches", 2}}));
  const auto r = c.counter_results();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_DOUBLE_EQ(r[0].mean, 2);
  EXPECT_DOUBLE_EQ(r[0].stddev.value_or(-1), 0);
  EXPECT_EQ(r[0].repetitions, 1);
  EXPECT_TRUE(ResultCollector().counter_results().empty());
}

RunInfo some_run() {
  RunInfo run;
  run.run_id = "r1";
  run.arch = "x86_64";
  run.kernel = "6.1.0";
  run.pti = "on";
  run.pcid = "on";
  run.e0pd = run.kpti = "n/a";
  return run;
}

// The size of the process that forks (bench_properties.h): collected
// without being asked for, in its own unit, with no stddev.
TEST(PerfCounters, CollectorTakesPropertyCountersInTheirUnitsWithoutStddev) {
  ResultCollector c({"page-faults"});
  for (double v : {550.0, 552.0})
    c.add(counter_run("BM_A", "", {{"page-faults", 2}, {"fork_maps", 43}, {"fork_rss_pages", v}}));
  const auto r = c.counter_results();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].event, "page-faults");
  EXPECT_EQ(r[1].event, "fork_maps");
  EXPECT_DOUBLE_EQ(r[1].mean, 43);
  EXPECT_EQ(r[1].unit, "count");
  EXPECT_FALSE(r[1].stddev);
  EXPECT_EQ(r[1].repetitions, 2);
  EXPECT_EQ(r[2].event, "fork_rss_pages");
  EXPECT_DOUBLE_EQ(r[2].mean, 551);
  EXPECT_EQ(r[2].unit, "pages");
  EXPECT_FALSE(r[2].stddev);

  const auto rows = make_counter_rows(some_run(), r);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].metric, "fork_maps");
  EXPECT_EQ(rows[1].value, "43");
  EXPECT_EQ(rows[1].unit, "count");
  EXPECT_EQ(rows[1].stddev, "");
  EXPECT_EQ(rows[1].repetitions, "2");
  EXPECT_EQ(rows[2].unit, "pages");
  for (const auto& row : rows)
    EXPECT_NE(std::find(kUnits.begin(), kUnits.end(), row.unit), kUnits.end()) << row.unit;
}

TEST(PerfCounters, CsvRowsRoundTripIncludingTheEmptyNotSupportedValue) {
  const RunInfo run = some_run();
  auto rows = make_unsupported_counter_rows(run, {"cycles"});
  const auto counted = make_counter_rows(run, {{"BM_A", "page-faults", 16.25, 0.5, 3}});
  rows.insert(rows.end(), counted.begin(), counted.end());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].benchmark, "*");
  EXPECT_EQ(rows[0].metric, "cycles");
  EXPECT_EQ(rows[0].value, "");
  EXPECT_EQ(rows[0].unit, "not_supported");
  EXPECT_EQ(rows[1].metric, "page-faults");
  EXPECT_EQ(rows[1].value, "16.25");
  EXPECT_EQ(rows[1].unit, "per_op");
  EXPECT_EQ(rows[1].stddev, "0.5");
  EXPECT_EQ(rows[1].repetitions, "3");

  auto back = parse_results(format_results(rows), "mem");
  for (auto& r : back) r.origin.clear();
  EXPECT_EQ(back, rows);
}

TEST(PerfCounters, TableAndMergeTakeCounterRows) {
  const RunInfo run = some_run();
  auto rows = make_unsupported_counter_rows(run, {"cycles"});
  for (const auto& more : {make_result_rows(run, {{"BM_A", 100, 100, 1, 3}}),
                           make_counter_rows(run, {{"BM_A", "page-faults", 16, 0, 3}})})
    rows.insert(rows.end(), more.begin(), more.end());
  TempDir dir;
  write_results(dir / "in.csv", rows);
  const auto t = run_ptilab({"table", (dir / "in.csv").string()});
  EXPECT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("BM_A"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("page-faults"), std::string::npos) << t.out;  // ns/op only
  const auto m = run_ptilab({"merge", "-o", (dir / "out.csv").string(), (dir / "in.csv").string()});
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_EQ(testing::slurp(dir / "out.csv"), testing::slurp(dir / "in.csv"));
}

TEST(PerfCountersCli, BadCounterListsAreUsageErrorsAndWriteNothing) {
  TempDir dir;
  const std::string out = (dir / "out").string();
  for (const std::string list : {"no-such-event", "page-faults,,cycles", "cs,cs", "", "faults"}) {
    const auto o = run_ptilab({"bench", "--counters", list, "--out", out});
    EXPECT_EQ(o.status, 2) << list << ": " << o.err;
    EXPECT_NE(o.err.find("usage:"), std::string::npos) << o.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << list;
  }
  const auto o = run_ptilab({"bench", "--counters=no-such-event", "--out", out});
  EXPECT_EQ(o.status, 2);
  EXPECT_TRUE(o.err.starts_with("ptilab: unknown perf event 'no-such-event'")) << o.err;
}

const ResultRow* find_row(const std::vector<ResultRow>& rows, const std::string& benchmark,
                          const std::string& metric) {
  const auto it = std::find_if(rows.begin(), rows.end(),
                               [&](const ResultRow& r) { return r.benchmark == benchmark && r.metric == metric; });
  return it == rows.end() ? nullptr : &*it;
}

TEST(PerfCountersCli, PageFaultsPerTouchedPageAndCyclesCountedOrNotSupported) {
  TempDir dir;
  const auto o = run_ptilab({"bench", "--filter", "^BM_PageFault_Touch/pages:16/", "--counters",
                             "page-faults,context-switches,cycles", "--repetitions", "2", "--min-time", "0.01",
                             "--out", (dir / "out").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto rows = read_results(dir / "out" / "results.csv");
  const std::string bm = "BM_PageFault_Touch/pages:16";

  // One fault per page touched (the mapping is fresh every iteration, no
  // huge page under 2 MiB), plus a constant per run spread over the
  // iterations.
  const ResultRow* faults = find_row(rows, bm, "page-faults");
  ASSERT_NE(faults, nullptr);
  EXPECT_EQ(faults->unit, "per_op");
  EXPECT_EQ(faults->repetitions, "2");
  const double per_op = parse_number(faults->value).value_or(-1);
  EXPECT_GE(per_op, 16) << faults->value;
  EXPECT_LT(per_op, 17) << faults->value;
  EXPECT_FALSE(faults->stddev.empty());

  const ResultRow* cs = find_row(rows, bm, "context-switches");
  ASSERT_NE(cs, nullptr);
  EXPECT_EQ(cs->unit, "per_op");

  // cycles: counted (a PMU) or one not_supported row, with the reason on
  // stderr; never a 0.
  const ResultRow* counted = find_row(rows, bm, "cycles");
  const ResultRow* unsupported = find_row(rows, "*", "cycles");
  EXPECT_NE(counted == nullptr, unsupported == nullptr) << "exactly one kind of cycles row";
  if (counted) {
    EXPECT_EQ(counted->unit, "per_op");
    EXPECT_GT(parse_number(counted->value).value_or(0), 0) << counted->value;
  }
  if (unsupported) {
    EXPECT_EQ(unsupported->unit, "not_supported");
    EXPECT_EQ(unsupported->value, "");
    EXPECT_NE(o.err.find("ptilab: counter cycles: not supported"), std::string::npos) << o.err;
  }
  // Only the counters asked for: the benchmark's own "faults" stays out.
  for (const auto& r : rows)
    EXPECT_TRUE(r.metric == "ns_per_op" || r.metric == "ns_per_op_median" || r.metric == "ns_per_op_cv" ||
                r.metric == "page-faults" ||
                r.metric == "context-switches" || r.metric == "cycles")
        << r.metric;
}

// Both sides of a round trip on one CPU switch out once each: the partner
// (a child process, or a thread) counts too.
TEST(PerfCountersCli, PingPongContextSwitchesIncludeThePartner) {
  TempDir dir;
  // One repetition: the values come from the iteration run, not aggregates.
  const auto o = run_ptilab({"bench", "--filter", "^BM_(Pipe|Futex)_PingPong/cpus:1/", "--counters",
                             "context-switches", "--repetitions", "1", "--min-time", "0.01", "--out",
                             (dir / "out").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto rows = read_results(dir / "out" / "results.csv");
  for (const std::string bm : {"BM_Pipe_PingPong/cpus:1", "BM_Futex_PingPong/cpus:1"}) {
    const ResultRow* cs = find_row(rows, bm, "context-switches");
    ASSERT_NE(cs, nullptr) << bm;
    EXPECT_EQ(cs->repetitions, "1");
    EXPECT_GE(parse_number(cs->value).value_or(0), 1.9) << bm << ": " << cs->value;
  }
}

TEST(PerfCountersCli, CountersCommandListsSupportAndFlagsUnknownNames) {
  const auto all = run_ptilab({"counters"});
  EXPECT_EQ(all.status, 0) << all.err;
  for (const auto name : kDefaultCounterNames)
    EXPECT_NE(all.out.find(std::string(name) + " "), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("page-faults       supported"), std::string::npos) << all.out;

  const auto some = run_ptilab({"counters", "cs", "no-such-event"});
  EXPECT_EQ(some.status, 1);
  EXPECT_NE(some.out.find("cs             supported"), std::string::npos) << some.out;
  EXPECT_NE(some.out.find("no-such-event  unknown"), std::string::npos) << some.out;
  EXPECT_EQ(run_ptilab({"counters", "--all"}).status, 2);
}

}  // namespace
}  // namespace ptilab
