// Process creation microbenchmarks: kernel entries, context switches and mm
// switches together, as a shell or a build pays them. One iteration of each:
//
// BM_Process_ForkExitWait: fork(); the child _exit(0)s; the parent waits
//   for it. 4 syscalls (glibc 2.36): clone and wait4 in the parent,
//   set_robust_list and exit_group in the child; plus copy-on-write page
//   faults in both for the pages each writes after fork. One mm created (a
//   copy of ptilab's) and torn down. Context switches: parent -> child ->
//   parent, each an mm switch: `ptilab bench` pins these benchmarks to one
//   CPU and the child inherits the pin (with --no-pin the child may run on
//   another CPU while the parent's idles in wait4: no mm switch then).
// BM_Process_ForkExec: the same, but the child execve()s /bin/true (else
//   /usr/bin/true; the label says which) instead of exiting: 5 syscalls of
//   ours (clone, wait4, set_robust_list, execve, exit_group), a second mm
//   for the helper, and the helper's own start-up syscalls and page faults:
//   a handful for a static busybox, 28 (besides execve and exit_group) for
//   Debian 12's dynamically linked coreutils true.
// BM_Process_PosixSpawn: posix_spawn() of the same helper, then wait4.
//   glibc 2.36 spawns with clone3(CLONE_VM | CLONE_VFORK): no copy of
//   ptilab's mm and no copy-on-write faults; the parent sleeps until the
//   execve. Syscalls of ours: 4 in the parent (2 rt_sigprocmask, clone3,
//   wait4) and 125 in the child before the helper's (122 rt_sigaction
//   resetting signal dispositions, 2 rt_sigprocmask, execve); then the
//   helper as above.
//
// Perf counters (--counters, bench_util.h's CounterScope) include every
// child whole, from fork to exit, helper included: each is reaped inside
// its iteration.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bench_util.h"

namespace {

using ptilab::bench::errno_message;
using ptilab::bench::reap;

// The helper the exec benchmarks run: the first of these that exists.
const char* find_helper() {
  for (const char* path : {"/bin/true", "/usr/bin/true"})
    if (access(path, X_OK) == 0) return path;
  return nullptr;
}

void BM_Process_ForkExitWait(benchmark::State& state) {
  ptilab::bench::PinToBenchCpu pin(state);
  if (!pin.ok()) return;
  ptilab::bench::CounterScope counters(state);
  for (auto _ : state) {
    const pid_t pid = fork();
    if (pid < 0) {
      state.SkipWithError(errno_message("fork").c_str());
      break;
    }
    if (pid == 0) _exit(0);
    if (const std::string err = reap(pid, "child"); !err.empty()) {
      state.SkipWithError(err.c_str());
      break;
    }
  }
  counters.stop();
}
BENCHMARK(BM_Process_ForkExitWait)->UseRealTime();

// The helper to exec, named in the label; skips the benchmark if none.
const char* helper_or_skip(benchmark::State& state) {
  const char* const helper = find_helper();
  if (!helper) {
    ptilab::bench::skip(state, "neither /bin/true nor /usr/bin/true exists");
    return nullptr;
  }
  state.SetLabel(helper);
  return helper;
}

void BM_Process_ForkExec(benchmark::State& state) {
  ptilab::bench::PinToBenchCpu pin(state);
  if (!pin.ok()) return;
  const char* const helper = helper_or_skip(state);
  if (!helper) return;
  // argv[0] is the path: busybox picks its applet from the base name.
  char* const argv[] = {const_cast<char*>(helper), nullptr};
  char* const envp[] = {nullptr};
  ptilab::bench::CounterScope counters(state);
  for (auto _ : state) {
    const pid_t pid = fork();
    if (pid < 0) {
      state.SkipWithError(errno_message("fork").c_str());
      break;
    }
    if (pid == 0) {
      execve(helper, argv, envp);
      _exit(127);
    }
    if (const std::string err = reap(pid, "child"); !err.empty()) {
      state.SkipWithError((std::string(helper) + ": " + err).c_str());
      break;
    }
  }
  counters.stop();
}
BENCHMARK(BM_Process_ForkExec)->UseRealTime();

void BM_Process_PosixSpawn(benchmark::State& state) {
  ptilab::bench::PinToBenchCpu pin(state);
  if (!pin.ok()) return;
  const char* const helper = helper_or_skip(state);
  if (!helper) return;
  char* const argv[] = {const_cast<char*>(helper), nullptr};
  char* const envp[] = {nullptr};
  ptilab::bench::CounterScope counters(state);
  for (auto _ : state) {
    pid_t pid = -1;
    // glibc reports a failed execve here, and reaps the child itself then.
    if (const int rc = posix_spawn(&pid, helper, nullptr, nullptr, argv, envp); rc != 0) {
      state.SkipWithError((std::string("posix_spawn ") + helper + ": " + std::strerror(rc)).c_str());
      break;
    }
    if (const std::string err = reap(pid, "child"); !err.empty()) {
      state.SkipWithError((std::string(helper) + ": " + err).c_str());
      break;
    }
  }
  counters.stop();
}
BENCHMARK(BM_Process_PosixSpawn)->UseRealTime();

}  // namespace
