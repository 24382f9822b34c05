// scripts/bench (make bench) end to end on this machine, briefly: one
// benchmark, --quick, into a temporary results directory. --no-module: a
// unit test never builds or loads a kernel module; the state then comes
// from sysfs, and the pti column must say what the kernel says.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "results/results.h"
#include "test_util.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr
};

// scripts/bench with this build's ptilab, stdout and stderr in one log.
Run run_script(const std::vector<std::string>& args) {
  const auto o = testing::run_program(PTILAB_SCRIPTS_DIR "/bench", args, {"PTILAB=" PTILAB_BINARY}, true);
  return Run{o.status, o.out};
}

// What the kernel's meltdown file says about isolation, mapped here
// independently of ptilab's own parser.
std::string isolation_from_sysfs() {
  std::ifstream f("/sys/devices/system/cpu/vulnerabilities/meltdown");
  std::string line;
  if (!std::getline(f, line)) return "unknown";
  if (line.starts_with("Mitigation: PTI")) return "on";
  if (line.starts_with("Not affected") || line.starts_with("Vulnerable")) return "off";
  return "unknown";
}

TEST(HostBench, QuickRunWritesARunDirectoryWhoseIsolationMatchesSysfs) {
  TempDir results;
  const auto r = run_script({"--quick", "--filter", "^BM_Syscall_Null$", "--results", results.path().string(),
                             "--no-module"});
  ASSERT_EQ(r.status, 0) << r.output;

  // One run directory (no .incomplete-* left over) and latest pointing at it.
  const auto entries = results.entries();
  ASSERT_EQ(entries.size(), 2u) << r.output;
  ASSERT_TRUE(entries.count("latest"));
  const std::string run_id = *entries.begin() == "latest" ? *entries.rbegin() : *entries.begin();
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_TRUE(std::regex_match(run_id, std::regex("[0-9]{8}T[0-9]{6}Z-" + std::string(host)))) << run_id;
  EXPECT_EQ(std::filesystem::read_symlink(results / "latest"), run_id);

  const auto dir = results / run_id;
  EXPECT_TRUE(slurp(dir / "module.txt").starts_with("module: not loaded: --no-module given")) << slurp(dir / "module.txt");
  EXPECT_TRUE(std::filesystem::exists(dir / "bench" / "warnings.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "table.txt"));
  // The dashboard comes with every run (scripts/report).
  EXPECT_GT(slurp(dir / "report" / "index.html").size(), 1000u) << r.output;

  utsname u;
  ASSERT_EQ(uname(&u), 0);
  const bool x86 = std::string_view(u.machine) == "x86_64";
  const std::string expected = isolation_from_sysfs();
  std::set<std::string> metrics, state, cpu;
  const auto rows = read_results(dir / "results.csv");
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    // The default counters: a number per iteration, or (benchmark "*") not
    // supported on this machine; the snapshot: state and CPU.
    if (row.benchmark == "*") {
      EXPECT_EQ(row.unit, "not_supported") << row.metric;
    } else if (row.benchmark == "state") {
      state.insert(row.metric);
    } else if (row.benchmark == "cpu") {
      cpu.insert(row.metric);
    } else {
      EXPECT_EQ(row.benchmark, "BM_Syscall_Null");
      metrics.insert(row.metric);
    }
    EXPECT_EQ(row.run_id, run_id);
    EXPECT_EQ(row.accel, "none");
    EXPECT_EQ(x86 ? row.pti : row.kpti, expected) << "meltdown sysfs file vs results.csv";
  }
  // Software events count everywhere.
  for (const char* m : {"ns_per_op", "ns_per_op_median", "ns_per_op_cv", "page-faults", "context-switches"})
    EXPECT_TRUE(metrics.count(m)) << m;
  // Without the module the state is the kernel's view, with its reason,
  // and the CPU is what /proc/cpuinfo says.
  EXPECT_TRUE(state.count("source=kernel"));
  if (expected != "unknown") {
    EXPECT_TRUE(std::any_of(state.begin(), state.end(), [](const std::string& m) {
      return m.starts_with("pti_reason=") || m.starts_with("kpti_reason=");
    })) << "no reason row";
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model;
  while (x86 && std::getline(cpuinfo, line)) {
    if (line.starts_with("model name")) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  if (!model.empty()) {
    EXPECT_TRUE(cpu.count("model=" + model)) << model;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "snapshot" / "run.txt"));
}

TEST(HostBench, BadOptionsAreUsageErrorsAndWriteNothing) {
  TempDir results;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bogus", "--results", results.path().string()},
        {"--results", results.path().string(), "--filter"}}) {
    const auto r = run_script(args);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("USAGE: scripts/bench"), std::string::npos) << r.output;
  }
  EXPECT_TRUE(results.entries().empty());
}

TEST(HostBench, FailedRunLeavesNoRunDirectory) {
  TempDir results;
  const auto r = run_script({"--quick", "--filter", "^BM_No_Such$", "--results", results.path().string(), "--no-module"});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("bench: ptilab bench failed (no results were written)"), std::string::npos) << r.output;
  EXPECT_TRUE(results.entries().empty()) << r.output;
}

}  // namespace
}  // namespace ptilab
