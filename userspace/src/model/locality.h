// Kernel text locality: on a machine with several NUMA nodes, every
// kernel entry from a CPU of a node that does not hold the kernel's text
// fetches that text (and rodata, and with isolation on the entry
// trampoline) across the interconnect; seed 002's kernel text replication
// would give every node a copy. Two models, pure:
//   - what `ptilab status` says: each range's node ("text: node 0
//     (100%)") and what that means for this machine's CPUs ("CPUs 2-3
//     enter a kernel whose text is on node 0"), from the module's numa
//     file (kernel/numa.h) or, without it, the nodes alone;
//   - what `ptilab table` and the report show: the per-node benchmarks
//     (BM_Numa_*/node:N, numa_bench.cc) of each configuration, a node
//     without the kernel's text against the node with it, with the
//     interval across boots where there are two or more (replicates.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/numa.h"
#include "results/replicates.h"
#include "results/results.h"
#include "results/stats.h"

namespace ptilab {

// ---- status --------------------------------------------------------------

struct LocalityStatus {
  bool from_module = false;
  std::vector<NumaNode> nodes;      // the module's, else sysfs's; empty: unknown
  std::vector<PlacedRange> ranges;  // the module's; empty without it
  std::vector<std::string> lines;   // one per range: "text: node 0 (100%), 3586 pages, kernel table"
  std::vector<std::string> meaning; // what it means for this machine's CPUs
  std::string unknown;              // why the ranges are unknown; empty when known
};

// placement: the module's file, if it could be read; nodes: sysfs's (nullopt:
// no NUMA in this kernel, one node); why: why there is no placement.
LocalityStatus locality_status(const std::optional<NumaPlacement>& placement,
                               const std::optional<std::vector<NumaNode>>& sysfs_nodes, const std::string& why);

// "CPU 1", "CPUs 0-3,8", "no CPU".
std::string cpus_text(const std::vector<int>& cpus);

// "text: node 0 (100%)", "kpti_trampoline: cannot tell (not in use: ...)"
std::string placement_line(const PlacedRange& r);

// ---- the per-node benchmarks ---------------------------------------------

// "BM_Numa_SyscallNull/node:1" -> 1; nullopt for another benchmark.
std::optional<int> locality_node(std::string_view benchmark);
bool is_locality_benchmark(std::string_view benchmark);
// Whether the locality model reads the row (its times, its CPU and the
// kernel text's node as the benchmark recorded them).
bool locality_uses(const ResultRow& row);

struct LocalityCell {
  int node = 0;
  std::optional<int> cpu;  // the CPU it ran on (numa_cpu)
  Pooled pooled;           // ns_per_op
  // Against the reference node (the kernel text's, else the lowest):
  // this node's time over the reference's; none for the reference itself.
  std::optional<Contrast> vs_reference;
};

struct LocalityLine {
  std::string family;  // "BM_Numa_SyscallNull"
  std::vector<LocalityCell> cells;  // by node, ascending
};

struct LocalityGroup {
  std::string arch, kernel, accel;
  std::string config;  // "pti=on", "kpti=on,e0pd=off"
  // The node that holds the kernel's text, as the benchmarks recorded it
  // (kernel_text_node); nullopt when no run knew it.
  std::optional<int> text_node;
  int reference = 0;   // text_node, else the lowest node
  int boots = 0;       // the most any cell has
  std::vector<LocalityLine> lines;
  bool single_node() const;
};

// Every configuration with per-node benchmarks, in first-seen order.
// Throws Error as pool_rows() does.
std::vector<LocalityGroup> kernel_text_locality(const std::vector<ResultRow>& rows, double confidence);

}  // namespace ptilab
