// The macro tier: the workloads people run (workload_bench.cc: the build,
// pgbench, redis-benchmark; kWorkloadBenchmarks). Per (arch, kernel, accel) and pair of an
// isolation-off and an isolation-on configuration with the same TLB setting
// (PCID, E0PD): for each workload its real, user and sys time off and on,
// the on/off change with its interval (replicates.h: across boots where
// both sides have two or more), kernel entries per second from the traced
// pass, and over all workloads the geometric mean of the real-time ratios
// with its interval: the seed-003 table (Xen XPTI: make -j4 real/user/sys,
// off | on (+x%)) and unixbench's index.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "results/replicates.h"
#include "results/results.h"
#include "results/stats.h"

namespace ptilab {

// One quantity of one workload, off against on.
struct MacroCell {
  std::string metric;  // ns_per_op (real), user_ns_per_op, sys_ns_per_op
  Pooled off, on;
  Contrast contrast;  // on against off
};

struct MacroLine {
  std::string benchmark;
  std::vector<MacroCell> cells;  // real, then user and sys where both sides have them
  // Kernel entries per second of real time (the tracer's count per
  // iteration over the mean time), where the traced pass ran.
  std::optional<double> entries_per_s_off, entries_per_s_on;
  // Why a side has no time: its "skipped=<why>" rows, "off: why" /
  // "on: why" (none for a side that has a time).
  std::vector<std::string> skipped;
};

struct MacroPair {
  std::string arch, kernel, accel;
  std::string off_label, on_label;  // "pti=off", "kpti=on,e0pd=off"
  std::vector<MacroLine> lines;     // in first-seen order
  // Over the lines with a real time on both sides.
  std::optional<GeometricMean> score;
  int boots_off = 0, boots_on = 0;  // the most any of its cells has
};

// Whether the row is one the macro tier reads (its times and CPU times, the
// traced pass's entries, skip rows, state and cpu rows are not needed).
bool macro_tier_uses(const ResultRow& row);

// Whether a benchmark ("BM_Macro_RedisGet/pipeline:16") is a workload of
// the macro tier.
bool is_macro_benchmark(std::string_view benchmark);

// The macro-tier benchmarks of the rows, in first-seen order.
std::vector<std::string> macro_benchmarks(const std::vector<ResultRow>& rows);

// Every pair with a workload measured on both sides, or on one with the
// other's skips; empty if none. Throws Error as pool_rows() does.
std::vector<MacroPair> macro_tier(const std::vector<ResultRow>& rows, double confidence);

}  // namespace ptilab
