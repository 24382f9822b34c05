#include "kernel/pinning.h"

#include <sched.h>

namespace ptilab {

namespace {
std::optional<int> g_bench_cpu;
}  // namespace

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

std::optional<int> default_bench_cpu(const std::vector<int>& allowed) {
  if (allowed.empty()) return std::nullopt;
  return allowed.back();
}

void set_bench_cpu(std::optional<int> cpu) { g_bench_cpu = cpu; }

std::optional<int> bench_cpu() { return g_bench_cpu; }

}  // namespace ptilab
