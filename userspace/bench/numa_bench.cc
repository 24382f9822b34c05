// Kernel text locality (model/locality.h): the same kernel entries from
// one CPU of each NUMA node. Where the kernel's text lies on one node,
// every entry from a CPU of another node fetches its instructions across
// the interconnect (and, with isolation on, the entry trampoline and the
// page-table switch too); the ratio of a remote node's time over the text
// node's is what kernel text replication (seed 002) would win back. One
// instance per node, "<name>/node:N", pinned to the node's CPU in the
// context (the last one this process may use on it); with one node, one
// instance, node 0. Each records two property counters: numa_cpu, the CPU
// it ran on, and kernel_text_node, where the module says the text is
// (absent without the module). One iteration of each:
//
// BM_Numa_SyscallNull/node:N: getppid, as BM_Syscall_Null: one kernel
//   entry, the shortest path through the entry code; no data touched but
//   the task's.
// BM_Numa_SocketClose/node:N: socket(AF_UNIX, SOCK_DGRAM) then close: two
//   kernel entries and a long path of kernel text (the socket layer, the
//   VFS's pseudo-file and inode allocation, LSM hooks, fd table, and their
//   teardown through __fput and RCU callbacks) with little data: the
//   objects come from the calling CPU's slab caches, on its own node, so
//   what differs between nodes is mostly where the text and rodata are.
//   Many kernel text pages per iteration where the null call has a few.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "bench_util.h"

namespace {

using ptilab::bench::Context;

// The CPU of node state.range(0), pinned; the property counters. Declare
// first in the benchmark function, then: if (!pin.ok()) return;
class NodePin {
 public:
  NodePin(benchmark::State& state, const Context& context) : pin_(state, cpu_of(state, context)) {
    if (!cpu_) {
      state.SkipWithError(("no CPU of node " + std::to_string(state.range(0)) + " in the context").c_str());
      return;
    }
    state.counters[std::string(ptilab::kNumaCpu)] = benchmark::Counter(*cpu_, benchmark::Counter::kDefaults);
    if (context.kernel_text_node)
      state.counters[std::string(ptilab::kKernelTextNode)] =
          benchmark::Counter(*context.kernel_text_node, benchmark::Counter::kDefaults);
  }
  bool ok() const { return cpu_ && pin_.ok(); }

 private:
  std::optional<int> cpu_of(benchmark::State& state, const Context& context) {
    const auto it = std::find_if(context.numa_cpus.begin(), context.numa_cpus.end(),
                                 [&](const ptilab::bench::NodeCpu& n) { return n.node == state.range(0); });
    if (it != context.numa_cpus.end()) cpu_ = it->cpu;
    return cpu_;
  }
  std::optional<int> cpu_;
  ptilab::bench::PinToBenchCpu pin_;
};

void BM_Numa_SyscallNull(benchmark::State& state, const Context& context) {
  NodePin pin(state, context);
  if (!pin.ok()) return;
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    benchmark::DoNotOptimize(syscall(SYS_getppid));
  }
  counters.stop();
  state.counters["syscalls"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Numa_SocketClose(benchmark::State& state, const Context& context) {
  NodePin pin(state, context);
  if (!pin.ok()) return;
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      state.SkipWithError(ptilab::bench::errno_message("socket(AF_UNIX, SOCK_DGRAM)").c_str());
      break;
    }
    close(fd);
  }
  counters.stop();
  state.counters["syscalls"] = benchmark::Counter(2, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

namespace ptilab::bench {

void register_numa_benchmarks(const Context& context) {
  using Fn = void (*)(benchmark::State&, const Context&);
  const std::pair<const char*, Fn> benchmarks[] = {{"BM_Numa_SyscallNull", BM_Numa_SyscallNull},
                                                   {"BM_Numa_SocketClose", BM_Numa_SocketClose}};
  for (const auto& [name, fn] : benchmarks)
    for (const NodeCpu& n : context.numa_cpus)
      add_benchmark(name, fn, context)->Arg(n.node)->ArgName("node")->UseRealTime();
}

}  // namespace ptilab::bench
