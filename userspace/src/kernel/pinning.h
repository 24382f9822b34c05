// Where `ptilab bench` runs its single-process benchmarks. They pin
// themselves, one benchmark at a time (bench_util.h's PinToBenchCpu),
// rather than the whole process being pinned: the multi-CPU benchmarks
// (ping-pong on two CPUs, the parallel macro workloads) must still see
// every allowed CPU.
#pragma once

#include <optional>
#include <vector>

namespace ptilab {

// The CPUs this process may run on, lowest first (empty if unknown).
std::vector<int> allowed_cpus();

// The default CPU for single-process benchmarks: the last allowed one,
// away from CPU 0, which usually takes most device interrupts and
// housekeeping. nullopt if allowed is empty.
std::optional<int> default_bench_cpu(const std::vector<int>& allowed);

// The CPU the single-process benchmarks pin themselves to; nullopt (the
// default, and with --no-pin): they run wherever the scheduler puts them.
void set_bench_cpu(std::optional<int> cpu);
std::optional<int> bench_cpu();

}  // namespace ptilab
