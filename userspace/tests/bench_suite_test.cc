// Runs every benchmark of bench/ (but the system call ones, which
// cli_test covers) once, briefly, through the real ptilab binary: each
// must set up, run and clean up without an error.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "results.h"
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
      "BM_Process_ForkExitWait",    "BM_PageFault_Touch/pages:1", "BM_PageFault_Touch/pages:16",
      "BM_PageFault_Touch/pages:256",
  };
  for (int w = 1; w <= 8192; w *= 2) expected.insert("BM_TLB_Sweep/pages:" + std::to_string(w));
  // The exec helpers and a second CPU are not everywhere.
  const bool helper = access("/bin/true", X_OK) == 0 || access("/usr/bin/true", X_OK) == 0;
  if (helper) expected.insert({"BM_Process_ForkExec", "BM_Process_PosixSpawn"});
  const bool two_cpus = allowed_cpu_count() >= 2;
  if (two_cpus) expected.insert({"BM_Pipe_PingPong/cpus:2", "BM_Futex_PingPong/cpus:2"});
  std::string filter = "BM_(Pipe|Futex|Process|PageFault|TLB)_";
  if (!two_cpus || !helper) {
    // Google Benchmark's negative filter: everything but what cannot run.
    std::string skip;
    if (!two_cpus) skip += "cpus:2";
    if (!helper) skip += std::string(skip.empty() ? "" : "|") + "Process_(ForkExec|PosixSpawn)";
    filter = "-(BM_Syscall_|" + skip + ")";
  }

  TempDir dir;
  const auto o = run_ptilab(
      {"bench", "--filter", filter, "--repetitions", "1", "--min-time", "0.01", "--out", (dir / "out").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  std::set<std::string> names;
  for (const auto& r : read_results(dir / "out" / "results.csv")) names.insert(r.benchmark);
  EXPECT_EQ(names, expected);
}

}  // namespace
}  // namespace ptilab
