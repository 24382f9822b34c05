#include "kernel/pinning.h"

#include <gtest/gtest.h>

namespace ptilab {
namespace {

TEST(Pinning, DefaultIsTheLastAllowedCpu) {
  EXPECT_EQ(default_bench_cpu({0, 1, 3}), 3);
  EXPECT_EQ(default_bench_cpu({0}), 0);
  EXPECT_FALSE(default_bench_cpu({}));
}

}  // namespace
}  // namespace ptilab
