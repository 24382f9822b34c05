// `ptilab trace`: count kernel entries, context switches that change mm and
// TLB flushes on the live system with eBPF (bpf/trace.bpf.c), per interval,
// per CPU and per process; derive CR3 writes; estimate isolation's cost.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kernel/debugfs.h"

namespace ptilab {

inline constexpr double kDefaultTraceInterval = 1.0;
inline constexpr int kDefaultTraceTop = 5;

struct TraceOptions {
  std::optional<std::uint32_t> pid;  // -p: only this process (tgid)
  double interval = kDefaultTraceInterval;  // -i seconds
  std::optional<double> duration;           // -d seconds; default until Ctrl-C (or -p's exit)
  std::optional<std::filesystem::path> csv;
  // Rewrite this file (Prometheus text format, atomically) at every
  // interval: the state, the counts and the estimate (cmd/export.h).
  std::optional<std::filesystem::path> prometheus;
  int top = kDefaultTraceTop;  // processes per interval and in the totals; 0: none
  bool per_cpu = false;
  bool quiet = false;  // no interval rows, totals only
  bool estimate = false;
  std::optional<std::filesystem::path> cost_from;  // results CSV with a pti on/off pair
  std::optional<std::filesystem::path> map;        // results CSV with an overhead map (bench --map)
  std::optional<double> ws;                        // --ws: the working set in bytes, instead of measuring it
  bool thp = false;                                // --thp: with --ws, in transparent huge pages
  std::optional<std::filesystem::path> btf;        // default $PTILAB_BTF or /sys/kernel/btf/vmlinux
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
  std::optional<std::string> run_id, host, accel;
  std::optional<std::filesystem::path> state_file;
  bool verbose = false;
};

// Runs until -d, Ctrl-C (SIGINT/SIGTERM) or the -p process's exit, then
// prints the totals (and the estimate), and writes --csv. Throws Error.
int run_trace(const TraceOptions& options);

}  // namespace ptilab
