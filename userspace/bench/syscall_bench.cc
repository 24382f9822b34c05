// System call microbenchmarks: every kernel entry and exit pays for PTI
// (two CR3 writes) and nothing else here switches context or mm, so these
// are where the cost of isolation shows most directly. Like every
// single-process benchmark they run pinned to one CPU (PinToBenchCpu).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bench_util.h"

namespace {

using ptilab::bench::Context;

// One kernel entry per iteration. getppid has no vDSO shortcut and glibc
// does not cache it.
void BM_Syscall_Null(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    benchmark::DoNotOptimize(syscall(SYS_getppid));
  }
  counters.stop();
  state.counters["syscalls"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

// UnixBench's "syscall" loop: close(dup(fd)), getpid, getuid, umask.
void BM_Syscall_Mix(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  // "/" exists in every guest, even one without /dev; dup/close do not
  // depend on what the descriptor refers to.
  const int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    state.SkipWithError(("open(\"/\"): " + std::string(std::strerror(errno))).c_str());
    return;
  }
  // The loop sets umask 022; the process's own umask comes back afterwards.
  const mode_t saved_umask = umask(022);
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    const int copy = dup(fd);
    if (copy < 0) {
      state.SkipWithError(("dup: " + std::string(std::strerror(errno))).c_str());
      break;
    }
    close(copy);
    // syscall(): glibc may cache getpid() and then no kernel entry happens.
    benchmark::DoNotOptimize(syscall(SYS_getpid));
    benchmark::DoNotOptimize(getuid());
    benchmark::DoNotOptimize(umask(022));
  }
  counters.stop();
  umask(saved_umask);
  close(fd);
  state.counters["syscalls"] = benchmark::Counter(5, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

namespace ptilab::bench {

void register_syscall_benchmarks(const Context& context) {
  add_benchmark("BM_Syscall_Null", BM_Syscall_Null, context)->UseRealTime();
  add_benchmark("BM_Syscall_Mix", BM_Syscall_Mix, context)->UseRealTime();
}

}  // namespace ptilab::bench
