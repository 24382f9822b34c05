#include "kernel/sysinfo.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace ptilab {
namespace {

using testing::TempDir;
using testing::write_file;

std::chrono::system_clock::time_point at(std::time_t t) { return std::chrono::system_clock::from_time_t(t); }

TEST(SysInfo, Iso8601Utc) {
  EXPECT_EQ(iso8601_utc(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(at(1795199400)), "2026-11-20T18:30:00Z");
}

TEST(SysInfo, DefaultRunId) { EXPECT_EQ(default_run_id(at(1795199400), "builder"), "20261120T183000Z-builder"); }

TEST(SysInfo, ReadsUnameAndTrimsCmdline) {
  TempDir dir;
  write_file(dir / "cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda pti=on \n");
  const auto info = read_system_info(dir / "cmdline");
  EXPECT_EQ(info.cmdline, "BOOT_IMAGE=/vmlinuz root=/dev/vda pti=on");
  EXPECT_FALSE(info.kernel.empty());
  EXPECT_FALSE(info.arch.empty());
  EXPECT_FALSE(info.hostname.empty());
  EXPECT_EQ(read_system_info(dir / "missing").cmdline, "unknown");
}

// The boot id is the kernel's: the same as /proc says, the same on a
// second read (one boot), and empty (not an error) where it cannot be read.
TEST(SysInfo, BootIdIsTheKernels) {
  const auto proc = testing::slurp("/proc/sys/kernel/random/boot_id");
  ASSERT_EQ(proc.size(), 37u) << proc;  // a UUID and its newline
  const auto info = read_system_info();
  EXPECT_EQ(info.boot_id + "\n", proc);
  EXPECT_EQ(read_system_info().boot_id, info.boot_id);
  TempDir dir;
  EXPECT_EQ(read_system_info(dir / "cmdline", dir / "missing").boot_id, "");
}

}  // namespace
}  // namespace ptilab
