// What ptilab trace's loader (trace_bpf.h) reads from the BPF maps: the
// counters of bpf/trace.h as arrays, per CPU and per process. Data only;
// what they mean and how they are shown is model/trace.h.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "trace.h"  // bpf/trace.h: the counters shared with the BPF program

namespace ptilab {

using CounterArray = std::array<std::uint64_t, PTL_NR_COUNTERS>;
using PidCounterArray = std::array<std::uint64_t, PTL_PID_NR_COUNTERS>;

// Which counters the running kernel could count (the loader disables a
// program whose tracepoint is missing or whose perf event it cannot open;
// arm64 has no source for TLB flushes), and for the others why not. A
// counter that was not counted is never shown as 0: the live table leaves
// its column out, the totals and the CSV rows say "not countable"
// (results unit not_supported, empty value).
using CounterSet = std::array<bool, PTL_NR_COUNTERS>;
using CounterReasons = std::array<std::string, PTL_NR_COUNTERS>;

struct PidCounts {
  std::uint32_t pid = 0;
  std::string comm;
  PidCounterArray c{};
};

// Monotonic counters as read from the maps.
struct TraceSnapshot {
  double seconds = 0;  // since the trace started
  std::vector<CounterArray> cpus;
  std::map<std::uint32_t, PidCounts> pids;
};

}  // namespace ptilab
