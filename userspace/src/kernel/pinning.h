// Where `ptilab bench` runs its single-process benchmarks. They pin
// themselves, one benchmark at a time (bench_util.h's PinToBenchCpu, to
// the CPU in the benchmarks' bench::Context), rather than the whole
// process being pinned: the multi-CPU benchmarks (ping-pong on two CPUs,
// the parallel macro workloads) must still see every allowed CPU.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "kernel/numa.h"
#include "util/process.h"  // allowed_cpus()

namespace ptilab {

// The default CPU for single-process benchmarks: the last allowed one
// (allowed_cpus()), away from CPU 0, which usually takes most device
// interrupts and housekeeping. nullopt if allowed is empty.
std::optional<int> default_bench_cpu(const std::vector<int>& allowed);

// The per-node benchmarks' CPUs, as (node, cpu): for each node, ascending,
// the last of its CPUs this process may use (default_bench_cpu() within
// the node); a node with none is left out. Without NUMA in sysfs
// (nullopt), one node, 0, of every allowed CPU.
std::vector<std::pair<int, int>> node_bench_cpus(const std::optional<std::vector<NumaNode>>& nodes,
                                                 const std::vector<int>& allowed);

}  // namespace ptilab
