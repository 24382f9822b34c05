// Runs every benchmark of bench/ (but the system call ones, which
// cli_test covers) once, briefly, through the real ptilab binary: each
// must set up, run and clean up without an error.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "results.h"
#include "test_util.h"

extern char** environ;

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;

// ptilab's exit status (-1 if it was killed), its stderr in *err.
int run_ptilab(const std::vector<std::string>& args, std::string* err) {
  TempDir io;
  const auto err_path = io / "stderr";
  std::vector<std::string> storage = {PTILAB_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, PTILAB_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << PTILAB_BINARY;
    return -1;
  }
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  *err = slurp(err_path);
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

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
  std::string err;
  const int status = run_ptilab(
      {"bench", "--filter", filter, "--repetitions", "1", "--min-time", "0.01", "--out", (dir / "out").string()}, &err);
  ASSERT_EQ(status, 0) << err;
  std::set<std::string> names;
  for (const auto& r : read_results(dir / "out" / "results.csv")) names.insert(r.benchmark);
  EXPECT_EQ(names, expected);
}

}  // namespace
}  // namespace ptilab
