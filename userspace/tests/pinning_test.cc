#include "kernel/pinning.h"

#include <gtest/gtest.h>
#include <sched.h>

namespace ptilab {
namespace {

TEST(Pinning, DefaultIsTheLastAllowedCpu) {
  EXPECT_EQ(default_bench_cpu({0, 1, 3}), 3);
  EXPECT_EQ(default_bench_cpu({0}), 0);
  EXPECT_FALSE(default_bench_cpu({}));
}

TEST(Pinning, AllowedCpusAreThisProcessMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  const auto cpus = allowed_cpus();
  ASSERT_EQ(static_cast<int>(cpus.size()), CPU_COUNT(&set));
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    EXPECT_TRUE(CPU_ISSET(cpus[i], &set)) << cpus[i];
    if (i) {
      EXPECT_LT(cpus[i - 1], cpus[i]);
    }
  }
}

TEST(Pinning, BenchCpuIsUnsetUntilChosen) {
  EXPECT_FALSE(bench_cpu());
  set_bench_cpu(1);
  EXPECT_EQ(bench_cpu(), 1);
  set_bench_cpu(std::nullopt);
  EXPECT_FALSE(bench_cpu());
}

}  // namespace
}  // namespace ptilab
