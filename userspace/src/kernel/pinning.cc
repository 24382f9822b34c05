#include "kernel/pinning.h"

#include <algorithm>

namespace ptilab {

std::optional<int> default_bench_cpu(const std::vector<int>& allowed) {
  if (allowed.empty()) return std::nullopt;
  return allowed.back();
}

std::vector<std::pair<int, int>> node_bench_cpus(const std::optional<std::vector<NumaNode>>& nodes,
                                                 const std::vector<int>& allowed) {
  std::vector<std::pair<int, int>> out;
  if (!nodes) {
    if (const auto cpu = default_bench_cpu(allowed)) out.emplace_back(0, *cpu);
    return out;
  }
  std::vector<NumaNode> sorted = *nodes;
  std::sort(sorted.begin(), sorted.end(), [](const NumaNode& a, const NumaNode& b) { return a.id < b.id; });
  for (const NumaNode& n : sorted) {
    std::vector<int> mine;
    for (const int c : n.cpus)
      if (std::find(allowed.begin(), allowed.end(), c) != allowed.end()) mine.push_back(c);
    std::sort(mine.begin(), mine.end());
    if (const auto cpu = default_bench_cpu(mine)) out.emplace_back(n.id, *cpu);
  }
  return out;
}

}  // namespace ptilab
