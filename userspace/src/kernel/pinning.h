// Where `ptilab bench` runs its single-process benchmarks. They pin
// themselves, one benchmark at a time (bench_util.h's PinToBenchCpu, to
// the CPU in the benchmarks' bench::Context), rather than the whole
// process being pinned: the multi-CPU benchmarks (ping-pong on two CPUs,
// the parallel macro workloads) must still see every allowed CPU.
#pragma once

#include <optional>
#include <vector>

#include "util/process.h"  // allowed_cpus()

namespace ptilab {

// The default CPU for single-process benchmarks: the last allowed one
// (allowed_cpus()), away from CPU 0, which usually takes most device
// interrupts and housekeeping. nullopt if allowed is empty.
std::optional<int> default_bench_cpu(const std::vector<int>& allowed);

}  // namespace ptilab
