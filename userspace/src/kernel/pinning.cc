#include "kernel/pinning.h"

namespace ptilab {

std::optional<int> default_bench_cpu(const std::vector<int>& allowed) {
  if (allowed.empty()) return std::nullopt;
  return allowed.back();
}

}  // namespace ptilab
