// Runs every benchmark of bench/ (but the system call ones, which
// cli_test covers, and the slow macro workloads, run one by one below)
// once, briefly, through the real ptilab binary: each must set up, run and
// clean up without an error.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "results/results.h"
#include "test_util.h"

namespace ptilab {
namespace {

using testing::TempDir;

using testing::run_ptilab;

int allowed_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

TEST(BenchSuite, EveryBenchmarkRunsCleanly) {
  std::set<std::string> expected = {
      "BM_Pipe_ByteRoundTrip",      "BM_Pipe_PingPong/cpus:1",    "BM_Futex_PingPong/cpus:1",
      "BM_Process_ForkExitWait",    "BM_Process_ForkExitWait_SmallParent",
      "BM_PageFault_Touch/pages:1", "BM_PageFault_Touch/pages:16", "BM_PageFault_Touch/pages:256",
  };
  for (int w = 1; w <= 8192; w *= 2) expected.insert("BM_TLB_Sweep/pages:" + std::to_string(w));
  // The exec helpers and a second CPU are not everywhere.
  const bool helper = access("/bin/true", X_OK) == 0 || access("/usr/bin/true", X_OK) == 0;
  if (helper) expected.insert({"BM_Process_ForkExec", "BM_Process_PosixSpawn", "BM_Process_ForkExec_SmallParent"});
  const bool two_cpus = allowed_cpu_count() >= 2;
  if (two_cpus) expected.insert({"BM_Pipe_PingPong/cpus:2", "BM_Futex_PingPong/cpus:2"});
  std::string filter = "BM_(Pipe|Futex|Process|PageFault|TLB)_";
  if (!two_cpus || !helper) {
    // Google Benchmark's negative filter: everything but what cannot run.
    std::string skip;
    if (!two_cpus) skip += "cpus:2";
    if (!helper) skip += std::string(skip.empty() ? "" : "|") + "Process_(ForkExec|PosixSpawn)";
    filter = "-(BM_Syscall_|BM_Macro_|" + skip + ")";
  }

  TempDir dir;
  const auto o = run_ptilab(
      {"bench", "--filter", filter, "--repetitions", "1", "--min-time", "0.01", "--out", (dir / "out").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  std::set<std::string> names;
  // Every process benchmark's forking process: its mappings and resident
  // pages, one value each (no stddev).
  std::map<std::string, std::map<std::string, ResultRow>> sizes;
  for (const auto& r : read_results(dir / "out" / "results.csv")) {
    names.insert(r.benchmark);
    if (r.metric.starts_with("fork_")) sizes[r.benchmark][r.metric] = r;
  }
  EXPECT_EQ(names, expected);
  for (const auto& name : expected) {
    if (!name.starts_with("BM_Process_")) continue;
    SCOPED_TRACE(name);
    ASSERT_EQ(sizes[name].size(), 2u);
    const ResultRow& maps = sizes[name]["fork_maps"];
    const ResultRow& rss = sizes[name]["fork_rss_pages"];
    EXPECT_EQ(maps.unit, "count");
    EXPECT_EQ(rss.unit, "pages");
    EXPECT_EQ(maps.stddev, "");
    EXPECT_EQ(maps.repetitions, "1");
    EXPECT_GT(parse_number(maps.value).value_or(0), 5);
    EXPECT_GT(parse_number(rss.value).value_or(0), 10);
  }
  // The small parent is smaller than ptilab, in mappings and in pages.
  for (const char* metric : {"fork_maps", "fork_rss_pages"}) {
    const auto ptilab = parse_number(sizes["BM_Process_ForkExitWait"][metric].value);
    const auto small = parse_number(sizes["BM_Process_ForkExitWait_SmallParent"][metric].value);
    ASSERT_TRUE(ptilab && small) << metric;
    EXPECT_LT(*small, *ptilab) << metric;
  }
}

// Without the fork helper beside the binary (a ptilab copied elsewhere on
// its own), the small-parent benchmarks skip and say where they looked.
TEST(BenchSuite, SmallParentBenchmarksSkipWithoutTheForkHelper) {
  TempDir dir;
  const auto alone = dir / "ptilab";
  std::filesystem::copy_file(PTILAB_BINARY, alone);
  const auto o = testing::run_program(alone.string(), {"bench", "--filter", "^BM_Process_ForkExitWait_SmallParent$",
                                                       "--repetitions", "1", "--min-time", "0.01", "--out",
                                                       (dir / "out").string()});
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_NE(o.err.find("ptilab: skipped BM_Process_ForkExitWait_SmallParent: no fork helper " +
                       (dir / "ptilab-fork-helper").string()),
            std::string::npos)
      << o.err;
}

bool in_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0;;) {
    const auto end = dirs.find(':', start);
    const std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
    if (end == std::string::npos) return false;
    start = end + 1;
  }
}

// The quick map grid's cells run here (4 KiB pages), each with its
// calibrated reads per call, and --map-reads gives a second run the first
// one's reads instead of calibrating.
TEST(BenchSuite, MapCellsRunAndTakeAnEarlierRunsReads) {
  TempDir dir;
  const std::string cell = "BM_Map/rate:100000/ws:4096/thp:0";
  const auto reads_of = [&](const std::filesystem::path& csv) -> std::map<std::string, std::string> {
    std::map<std::string, std::string> out;
    for (const auto& r : read_results(csv))
      if (r.metric == "reads_per_op") out[r.benchmark] = r.value;
    return out;
  };
  const auto first = run_ptilab({"bench", "--map", "quick", "--filter", "^BM_Map/", "--repetitions", "1",
                                 "--min-time", "0.01", "--out", (dir / "a").string()});
  ASSERT_EQ(first.status, 0) << first.err;
  const auto a = reads_of(dir / "a" / "results.csv");
  EXPECT_EQ(a.size(), 6u);
  ASSERT_TRUE(a.contains(cell));
  const auto second = run_ptilab({"bench", "--map", "quick", "--map-reads", (dir / "a" / "results.csv").string(),
                                  "--filter", "^" + cell + "$", "--repetitions", "1", "--min-time", "0.01", "--out",
                                  (dir / "b").string()});
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.err.find("reads per call of 6 cells from"), std::string::npos) << second.err;
  EXPECT_EQ(reads_of(dir / "b" / "results.csv").at(cell), a.at(cell));
  // A file without map rows is a data error, before anything runs.
  const auto none = run_ptilab({"bench", "--map", "quick", "--map-reads", (dir / "b" / "benchmarks.json").string(),
                                "--filter", "^" + cell + "$", "--out", (dir / "c").string()});
  EXPECT_EQ(none.status, 1) << none.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "c"));
}

// One macro benchmark, one repetition: its row when it can run here, else
// a skip that names what is missing (and no row).
void expect_macro_row(const std::string& name, const std::vector<std::string>& tools) {
  bool can_run = true;
  for (const auto& t : tools) can_run = can_run && in_path(t);
  TempDir dir;
  const auto o = run_ptilab({"bench", "--filter", "^" + name + "$", "--repetitions", "1", "--min-time", "0.01", "--out",
                             dir.path().string(), "--", "--benchmark_min_warmup_time=0"});
  if (!can_run) {
    // Nothing measured: no results, and the skip says why.
    EXPECT_EQ(o.status, 1) << o.err;
    EXPECT_NE(o.err.find("ptilab: skipped " + name + ": no '"), std::string::npos) << o.err;
    return;
  }
  ASSERT_EQ(o.status, 0) << o.err;
  const auto rows = read_results(dir / "results.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].benchmark, name);
  EXPECT_EQ(rows[0].metric, "ns_per_op");
  const auto v = parse_number(rows[0].value);
  ASSERT_TRUE(v) << rows[0].value;
  EXPECT_GT(*v, 0);
}

TEST(BenchSuite, MacroShellScriptRuns) {
  expect_macro_row("BM_Macro_ShellScript/concurrency:1", {"sh", "sort", "od", "grep", "tee", "wc", "rm"});
}

TEST(BenchSuite, MacroShellScriptEightCopiesRun) {
  expect_macro_row("BM_Macro_ShellScript/concurrency:8", {"sh", "sort", "od", "grep", "tee", "wc", "rm"});
}

TEST(BenchSuite, MacroMakeJ4RunsOrSkips) { expect_macro_row("BM_Macro_MakeJ4", {"make", "cc"}); }

// PATH set for the children this test starts, restored afterwards.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& value) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    setenv("PATH", value.c_str(), 1);
  }
  ~ScopedPath() {
    if (old_)
      setenv("PATH", old_->c_str(), 1);
    else
      unsetenv("PATH");
  }

 private:
  std::optional<std::string> old_;
};

// Where the tools are missing (the VM has no compiler), the macro
// benchmarks skip and say what is missing; the run fails only because
// nothing at all was measured.
TEST(BenchSuite, MacroBenchmarksSkipWithoutTheirTools) {
  TempDir empty;
  ScopedPath path(empty.path().string());
  for (const auto& [name, missing] : {std::pair<std::string, std::string>{"BM_Macro_MakeJ4", "make"},
                                      {"BM_Macro_ShellScript/concurrency:1", "sort"}}) {
    TempDir dir;
    const auto o = run_ptilab({"bench", "--filter", "^" + name + "$", "--repetitions", "1", "--min-time", "0.01",
                               "--out", dir.path().string()});
    EXPECT_EQ(o.status, 1) << o.err;
    EXPECT_NE(o.err.find("ptilab: skipped " + name + ": no '" + missing + "' in PATH"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("ptilab: the benchmarks produced no results"), std::string::npos) << o.err;
  }
}

}  // namespace
}  // namespace ptilab
