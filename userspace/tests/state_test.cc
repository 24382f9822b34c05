#include "kernel/state.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::TempDir;
using testing::write_file;

const char* const kModuleState =
    "arch=x86_64\n"
    "kernel=6.1.0-56-amd64\n"
    "pti=on\n"
    "pcid=off\n"
    "invpcid=off\n"
    "cr4_pcide=off\n"
    "meltdown_bug=off\n";

std::string parse_error(const std::string& text) {
  try {
    ModuleState::parse(text, "state.txt");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ModuleState, ParsesValidFile) {
  const auto s = ModuleState::parse(kModuleState, "state.txt");
  ASSERT_EQ(s.entries().size(), 7u);
  EXPECT_EQ(s.get("pti"), "on");
  EXPECT_EQ(s.get("pcid"), "off");
  EXPECT_EQ(s.get("kernel"), "6.1.0-56-amd64");
  EXPECT_EQ(s.find("meltdown_bug")->line, 7u);
  EXPECT_FALSE(s.get("kpti"));
}

TEST(ModuleState, KeepsUnknownKeysAndValuesWithEquals) {
  const auto s = ModuleState::parse("future_key=42\npti=on\npti_reason=cmdline:pti=on\n", "state.txt");
  ASSERT_EQ(s.entries().size(), 3u);
  EXPECT_EQ(s.entries()[0].key, "future_key");
  EXPECT_EQ(s.get("future_key"), "42");
  EXPECT_EQ(s.get("pti_reason"), "cmdline:pti=on");
}

TEST(ModuleState, BlankLinesAreFineAndCountForLineNumbers) {
  const auto s = ModuleState::parse("\npti=on\n   \n\npcid=on", "state.txt");
  EXPECT_EQ(s.entries().size(), 2u);
  EXPECT_EQ(s.find("pcid")->line, 5u);
  EXPECT_EQ(s.get("pcid"), "on");
  EXPECT_TRUE(ModuleState::parse("", "state.txt").entries().empty());
}

TEST(ModuleState, EmptyValueIsAllowed) { EXPECT_EQ(ModuleState::parse("x=\n", "s").get("x"), ""); }

TEST(ModuleState, MalformedLinesReportLineNumber) {
  EXPECT_EQ(parse_error("pti=on\n\nnonsense\n"), "state.txt:3: expected key=value, got 'nonsense'");
  EXPECT_EQ(parse_error("pti=on\n=off\n"), "state.txt:2: empty key");
  EXPECT_EQ(parse_error("pti on=x\n"), "state.txt:1: blank in key 'pti on'");
  EXPECT_EQ(parse_error("pti=on\npcid=on\npti=off\n"), "state.txt:3: duplicate key 'pti' (first on line 1)");
}

TEST(Isolation, FromModuleOnX86) {
  const auto s = ModuleState::parse(kModuleState, "state.txt");
  const auto iso = isolation_from_module(s, "x86_64", "6.1.0-56-amd64");
  EXPECT_EQ(iso.pti, "on");
  EXPECT_EQ(iso.pcid, "off");
  EXPECT_EQ(iso.e0pd, "n/a");
  EXPECT_EQ(iso.kpti, "n/a");
  EXPECT_TRUE(iso.warnings.empty());
}

TEST(Isolation, FromModuleMissingKeysAreUnknown) {
  const auto iso = isolation_from_module(ModuleState::parse("pti=off\n", "s"), "x86_64", "k");
  EXPECT_EQ(iso.pti, "off");
  EXPECT_EQ(iso.pcid, "unknown");
}

TEST(Isolation, FromModuleOnArm64UsesKptiAndE0pd) {
  const auto iso = isolation_from_module(ModuleState::parse("arch=aarch64\nkpti=off\ne0pd=on\n", "s"), "aarch64", "k");
  EXPECT_EQ(iso.kpti, "off");
  EXPECT_EQ(iso.e0pd, "on");
  EXPECT_EQ(iso.pti, "n/a");
  EXPECT_EQ(iso.pcid, "n/a");
}

TEST(Isolation, FromModuleRejectsBadSwitchValueWithLine) {
  try {
    isolation_from_module(ModuleState::parse("arch=x86_64\npti=yes\n", "state.txt"), "x86_64", "k");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "state.txt:2: pti must be on, off or unknown, got 'yes'");
  }
}

TEST(Isolation, FromModuleWarnsAboutAnotherKernel) {
  const auto iso = isolation_from_module(ModuleState::parse(kModuleState, "state.txt"), "x86_64", "6.12.0-1-amd64");
  ASSERT_EQ(iso.warnings.size(), 1u);
  EXPECT_NE(iso.warnings[0].find("6.1.0-56-amd64"), std::string::npos);
}

TEST(Fallback, MeltdownSysfsStrings) {
  EXPECT_EQ(pti_from_meltdown("Mitigation: PTI\n"), "on");
  EXPECT_EQ(pti_from_meltdown("Not affected\n"), "off");
  EXPECT_EQ(pti_from_meltdown("Vulnerable\n"), "off");
  EXPECT_EQ(pti_from_meltdown(""), "unknown");
  EXPECT_EQ(pti_from_meltdown("Unknown: something new\n"), "unknown");
}

const char* const kCpuinfo =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "flags\t\t: fpu vme de pse tsc msr pae pcid sse2 pti ssbd\n"
    "bugs\t\t: cpu_meltdown spectre_v1\n"
    "\n"
    "processor\t: 1\n"
    "flags\t\t: fpu\n";

TEST(Fallback, CpuinfoFlagsOfFirstCpu) {
  const auto flags = cpuinfo_flags(kCpuinfo);
  ASSERT_TRUE(flags);
  EXPECT_TRUE(flags->contains("pti"));
  EXPECT_TRUE(flags->contains("pcid"));
  EXPECT_TRUE(flags->contains("fpu"));
  EXPECT_FALSE(flags->contains("cpu_meltdown"));  // that is the bugs line
  EXPECT_FALSE(flags->contains("invpcid"));
  EXPECT_FALSE(cpuinfo_flags("processor\t: 0\nFeatures\t: fp asimd\n"));
}

TEST(Fallback, KernelViewOnX86) {
  // Flags decide when present: pti forced on where Meltdown does not apply.
  auto iso = isolation_from_kernel("Not affected\n", kCpuinfo, "x86_64");
  EXPECT_EQ(iso.pti, "on");
  EXPECT_EQ(iso.pcid, "on");
  EXPECT_EQ(iso.kpti, "n/a");
  EXPECT_EQ(iso.e0pd, "n/a");

  iso = isolation_from_kernel("Not affected\n", "flags\t: fpu sse2\n", "x86_64");
  EXPECT_EQ(iso.pti, "off");
  EXPECT_EQ(iso.pcid, "off");

  iso = isolation_from_kernel("Mitigation: PTI\n", std::nullopt, "x86_64");
  EXPECT_EQ(iso.pti, "on");
  EXPECT_EQ(iso.pcid, "unknown");

  iso = isolation_from_kernel(std::nullopt, "flags\t: fpu pcid\n", "x86_64");
  EXPECT_EQ(iso.pti, "unknown");
  EXPECT_EQ(iso.pcid, "on");
}

TEST(Fallback, KernelViewOnArm64) {
  const auto iso = isolation_from_kernel("Mitigation: PTI\n", std::nullopt, "aarch64");
  EXPECT_EQ(iso.kpti, "on");
  EXPECT_EQ(iso.e0pd, "unknown");
  EXPECT_EQ(iso.pti, "n/a");
}

TEST(Detect, ExplicitStateFileWins) {
  TempDir dir;
  write_file(dir / "state.txt", kModuleState);
  write_file(dir / "module_state", "pti=off\npcid=on\n");
  StateSources src;
  src.state_file = dir / "state.txt";
  src.module_state = dir / "module_state";
  src.meltdown = dir / "none";
  src.cpuinfo = dir / "none";
  const auto iso = detect_isolation(src, "x86_64", "6.1.0-56-amd64");
  EXPECT_EQ(iso.pti, "on");
  EXPECT_EQ(iso.pcid, "off");
  EXPECT_NE(iso.source.find("state.txt"), std::string::npos);
}

TEST(Detect, ModuleFileWhenReadableElseKernelFiles) {
  TempDir dir;
  StateSources src;
  src.module_state = dir / "module_state";
  src.meltdown = dir / "meltdown";
  src.cpuinfo = dir / "cpuinfo";
  write_file(dir / "meltdown", "Mitigation: PTI\n");
  write_file(dir / "cpuinfo", "flags\t: fpu\n");
  auto iso = detect_isolation(src, "x86_64", "k");
  EXPECT_EQ(iso.pti, "on");
  EXPECT_EQ(iso.pcid, "off");
  EXPECT_NE(iso.source.find("kernel"), std::string::npos);

  write_file(dir / "module_state", "pti=off\npcid=on\n");
  iso = detect_isolation(src, "x86_64", "k");
  EXPECT_EQ(iso.pti, "off");
  EXPECT_EQ(iso.pcid, "on");
}

TEST(Detect, NothingReadableMeansUnknown) {
  TempDir dir;
  StateSources src;
  src.module_state = dir / "a";
  src.meltdown = dir / "b";
  src.cpuinfo = dir / "c";
  const auto iso = detect_isolation(src, "x86_64", "k");
  EXPECT_EQ(iso.pti, "unknown");
  EXPECT_EQ(iso.pcid, "unknown");
}

TEST(Detect, UnreadableExplicitStateFileIsAnError) {
  TempDir dir;
  StateSources src;
  src.state_file = dir / "missing";
  EXPECT_THROW(detect_isolation(src, "x86_64", "k"), Error);
}

TEST(Detect, MalformedStateFileReportsFileAndLine) {
  TempDir dir;
  write_file(dir / "state.txt", "pti=on\ngarbage\n");
  StateSources src;
  src.state_file = dir / "state.txt";
  try {
    detect_isolation(src, "x86_64", "k");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "state.txt").string() + ":2: expected key=value, got 'garbage'");
  }
}

}  // namespace
}  // namespace ptilab
