// `ptilab trace` through the real binary, without BPF: what fails before
// anything is loaded (bad arguments, a missing BTF file, no cost source).
#include <gtest/gtest.h>

#include "test_util.h"

namespace ptilab {
namespace {

using testing::run_ptilab;
using testing::TempDir;

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(TraceCli, BadArgumentsExit2WithUsage) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"trace", "-p", "abc"}, {"trace", "-i", "0"}, {"trace", "--bogus"}, {"trace", "extra"},
           {"trace", "--cost-from", "x.csv"}, {"trace", "-d"}, {"trace", "--map", "x.csv"},
           {"trace", "--estimate", "--map", "x.csv", "--cost-from", "y.csv"},
           {"trace", "--estimate", "--map", "x.csv", "--ws", "12X"}, {"trace", "--estimate", "--ws", "4M"},
           {"trace", "--estimate", "--map", "x.csv", "--thp"}}) {
    const auto o = run_ptilab(args);
    EXPECT_EQ(o.status, 2) << args[1];
    EXPECT_NE(o.err.find("usage:"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("ptilab trace [-p PID]"), std::string::npos);
    EXPECT_TRUE(o.out.empty());
  }
}

TEST(TraceCli, MissingBtfIsOneClearLine) {
  TempDir dir;
  const std::string btf = (dir / "no-such-vmlinux").string();
  for (const auto& args : {std::vector<std::string>{"trace", "-d", "1", "--btf", btf}}) {
    const auto o = run_ptilab(args);
    EXPECT_EQ(o.status, 1);
    EXPECT_EQ(lines(o.err), 1u) << o.err;
    EXPECT_NE(o.err.find("no kernel BTF at " + btf), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("CONFIG_DEBUG_INFO_BTF"), std::string::npos) << o.err;
  }
  // The same through the environment.
  ::setenv("PTILAB_BTF", btf.c_str(), 1);
  const auto o = run_ptilab({"trace", "-d", "1"});
  ::unsetenv("PTILAB_BTF");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find("no kernel BTF at " + btf), std::string::npos) << o.err;
}

// A file that is not BTF: libbpf's own error in words, never "Unknown
// error 4001".
TEST(TraceCli, NotBtfIsSaidInWords) {
  TempDir dir;
  const auto btf = dir / "vmlinux.txt";
  testing::write_file(btf, "this is not BTF\n");
  const auto o = run_ptilab({"trace", "-d", "1", "--btf", btf.string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("cannot read BTF from " + btf.string()), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("Unknown error"), std::string::npos) << o.err;
}

TEST(TraceCli, EstimateWithoutACostSourceSaysWhatIsMissing) {
  TempDir dir;  // an empty directory: no module
  const auto o = run_ptilab({"trace", "-d", "1", "--estimate", "--debugfs", dir.path().string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("load ptilab.ko"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("--cost-from"), std::string::npos) << o.err;
}

TEST(TraceCli, CostFromAFileWithoutAPairSaysWhatIsMissing) {
  TempDir dir;
  const auto csv = dir / "r.csv";
  testing::write_file(csv, "run_id,timestamp,host,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,"
                           "unit,repetitions,stddev\n"
                           "r,t,h,x86_64,k,c,tcg,on,off,n/a,n/a,BM_Syscall_Null,ns_per_op,500,ns,3,1\n");
  const auto o = run_ptilab({"trace", "-d", "1", "--estimate", "--cost-from", csv.string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("none off"), std::string::npos) << o.err;
}

TEST(TraceCli, MapFromAFileWithoutAMapSaysWhatIsMissing) {
  TempDir dir;
  const auto csv = dir / "r.csv";
  testing::write_file(csv, "run_id,timestamp,host,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,"
                           "unit,repetitions,stddev\n"
                           "r,t,h,x86_64,k,c,tcg,on,off,n/a,n/a,BM_Syscall_Null,ns_per_op,500,ns,3,1\n");
  const auto o = run_ptilab({"trace", "-d", "1", "--estimate", "--map", csv.string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("has no overhead map for"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("ptilab bench --map"), std::string::npos) << o.err;
}

TEST(TraceCli, NoSuchProcess) {
  // pid_max is at most 2^22: this pid cannot exist.
  const auto o = run_ptilab({"trace", "-d", "1", "-p", "999999999"});
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find("no process 999999999"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace ptilab
