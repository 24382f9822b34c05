#include "cmd/status.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace ptilab {
namespace {

using testing::TempDir;
using testing::contains;
using testing::write_file;

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

const ArchProfile& x86 = x86_profile();
const ArchProfile& arm64 = arm64_profile();

TEST(Status, ReasonSentences) {
  EXPECT_EQ(reason_sentence(x86, "cmdline:pti=on", "on"), "forced on by pti=on on the kernel command line");
  EXPECT_EQ(reason_sentence(x86, "cmdline:pti=off", "off"), "forced off by pti=off on the kernel command line");
  EXPECT_EQ(reason_sentence(x86, "cmdline:nopti", "off"), "forced off by nopti on the kernel command line");
  EXPECT_EQ(reason_sentence(x86, "cmdline:mitigations=off", "off"),
            "forced off by mitigations=off on the kernel command line");
  EXPECT_EQ(reason_sentence(x86, "cmdline:pti=on", "unknown"), "set by pti=on on the kernel command line");
  EXPECT_EQ(reason_sentence(x86, "meltdown_bug", "on"), "on: the CPU has the Meltdown bug");
  EXPECT_EQ(reason_sentence(x86, "not_affected", "off"), "off: the CPU is not affected by Meltdown");
  EXPECT_TRUE(reason_sentence(x86, "xen_pv", "off").starts_with("off: this is a Xen PV guest"));
  EXPECT_TRUE(reason_sentence(x86, "unknown", "on").starts_with("unknown:"));
  EXPECT_EQ(reason_sentence(x86, "", "on"), reason_sentence(x86, "unknown", "on"));
  EXPECT_EQ(reason_sentence(x86, "martian", "on"), "unrecognised reason 'martian'");
  // Each architecture's own tokens.
  EXPECT_EQ(reason_sentence(x86, "kaslr", "on"), "unrecognised reason 'kaslr'");
  EXPECT_TRUE(reason_sentence(arm64, "kaslr", "on").starts_with("forced on by KASLR")) << reason_sentence(arm64, "kaslr", "on");
  EXPECT_EQ(reason_sentence(arm64, "cmdline:kpti=1", "on"), "forced on by kpti=1 on the kernel command line");
  for (const char* t : {"kaslr", "e0pd", "meltdown_bug", "not_affected", "cavium_27456", "config"})
    EXPECT_FALSE(reason_sentence(arm64, t, "on").starts_with("unrecognised")) << t;
}

// Every pti x meltdown_bug x reason combination, from the module and
// inferred: the safety verdict depends on pti and the bug only (and Xen).
TEST(Status, EveryCombination) {
  const std::vector<std::string> reasons = {"cmdline:pti=on", "cmdline:pti=off", "cmdline:nopti",
                                            "cmdline:mitigations=off", "meltdown_bug", "not_affected",
                                            "xen_pv", "unknown", ""};
  for (const auto origin : {StateOrigin::kModule, StateOrigin::kKernel}) {
    for (const std::string pti : {"on", "off", ""}) {
      for (const std::string bug : {"on", "off", ""}) {
        for (const auto& reason : reasons) {
          KeyValues kv;
          if (!pti.empty()) kv["pti"] = pti;
          if (!bug.empty()) kv["meltdown_bug"] = bug;
          if (!reason.empty()) kv["pti_reason"] = reason;
          const auto v = decide_status(x86, kv, origin);
          const std::string what = "pti=" + pti + " bug=" + bug + " reason=" + reason;
          EXPECT_EQ(v.pti, pti.empty() ? "unknown" : pti) << what;
          EXPECT_EQ(v.meltdown_bug, bug.empty() ? "unknown" : bug) << what;
          EXPECT_EQ(v.reason, reason_sentence(x86, reason.empty() ? "unknown" : reason, pti.empty() ? "unknown" : pti))
              << what;
          EXPECT_EQ(v.reason_inferred, origin == StateOrigin::kKernel) << what;
          EXPECT_FALSE(v.advice.empty()) << what;
          ASSERT_EQ(v.pcid.size(), 3u) << what;

          if (reason == "xen_pv") {
            EXPECT_FALSE(v.safe_to_disable) << what;
            EXPECT_TRUE(contains(v.advice, "xpti")) << what << ": " << v.advice;
          } else if (pti.empty()) {
            EXPECT_FALSE(v.safe_to_disable) << what;
            EXPECT_TRUE(v.advice.starts_with("cannot tell whether isolation is on")) << what;
          } else if (bug.empty()) {
            EXPECT_FALSE(v.safe_to_disable) << what;
            EXPECT_TRUE(contains(v.advice, "cannot tell whether this CPU has the Meltdown bug")) << what;
          } else if (pti == "on" && bug == "on") {
            EXPECT_EQ(v.safe_to_disable, false) << what;
            EXPECT_TRUE(contains(v.advice, "NOT safe")) << what;
            EXPECT_TRUE(contains(v.advice, "pti=off, nopti or mitigations=off")) << what;
          } else if (pti == "on" && bug == "off") {
            EXPECT_EQ(v.safe_to_disable, true) << what;
            EXPECT_TRUE(contains(v.advice, "safe")) << what;
            EXPECT_FALSE(contains(v.advice, "NOT safe")) << what;
            EXPECT_EQ(v.advice.starts_with("removing pti=on"), reason == "cmdline:pti=on") << what;
          } else if (pti == "off" && bug == "on") {
            EXPECT_EQ(v.safe_to_disable, false) << what;
            EXPECT_TRUE(v.advice.starts_with("WARNING")) << what;
            EXPECT_TRUE(contains(v.advice, "read kernel memory")) << what;
            if (reason.starts_with("cmdline:"))
              EXPECT_TRUE(contains(v.advice, "Remove " + reason.substr(8) + " from")) << what << ": " << v.advice;
            else
              EXPECT_TRUE(contains(v.advice, "Remove pti=off, nopti and mitigations=off")) << what;
          } else {
            EXPECT_EQ(v.safe_to_disable, true) << what;
            EXPECT_TRUE(v.advice.starts_with("nothing needed")) << what;
          }

          if (origin == StateOrigin::kKernel)
            EXPECT_TRUE(has(v.unknown, "exact pti_reason (inferred without the module)")) << what;
          else
            EXPECT_EQ(has(v.unknown, "pti_reason (the module's model disagrees with the kernel)"),
                      reason == "unknown" || reason.empty())
                << what;
          EXPECT_EQ(has(v.unknown, "pti"), pti.empty()) << what;
          EXPECT_EQ(has(v.unknown, "meltdown_bug"), bug.empty()) << what;
        }
      }
    }
  }
}

TEST(Status, PcidMeaning) {
  KeyValues kv = {{"pti", "on"}, {"pcid", "on"}, {"cr4_pcide", "on"}, {"invpcid", "off"}};
  auto v = decide_status(x86, kv, StateOrigin::kModule);
  EXPECT_EQ(v.pcid[0], "PCID: available yes, enabled (CR4.PCIDE) yes, INVPCID no");
  EXPECT_TRUE(v.pcid[1].starts_with("with PCID the two CR3 writes")) << v.pcid[1];
  EXPECT_TRUE(contains(v.pcid[2], "-45.7%") && contains(v.pcid[2], "-68%") && contains(v.pcid[2], "-47.8%"));

  kv["cr4_pcide"] = "off";
  v = decide_status(x86, kv, StateOrigin::kModule);
  EXPECT_TRUE(v.pcid[1].starts_with("without PCID every kernel entry and exit flushes")) << v.pcid[1];

  // Without the module CR4.PCIDE is not visible.
  v = decide_status(x86, {{"pti", "on"}, {"pcid", "on"}}, StateOrigin::kKernel);
  EXPECT_EQ(v.pcid[0], "PCID: available yes, enabled (CR4.PCIDE) unknown, INVPCID unknown");
  EXPECT_TRUE(v.pcid[1].starts_with("PCID is probably enabled")) << v.pcid[1];

  v = decide_status(x86, {{"pti", "off"}, {"pcid", "off"}}, StateOrigin::kKernel);
  EXPECT_TRUE(v.pcid[1].starts_with("isolation is off, so none of this is paid now")) << v.pcid[1];
}

TEST(Status, UnknownListsMissingModuleKeys) {
  KeyValues full;
  for (const auto key : x86.state_keys) full[std::string(key)] = "on";
  full["pti_reason"] = "meltdown_bug";
  EXPECT_TRUE(decide_status(x86, full, StateOrigin::kModule).unknown.empty());

  full.erase("cr4_pcide");
  full["kaslr"] = "unknown";
  EXPECT_EQ(decide_status(x86, full, StateOrigin::kModule).unknown, (std::vector<std::string>{"kaslr", "cr4_pcide"}));
}

// The reason kernel_state() infers without the module, from what a kernel
// shows: the cpuinfo pti flag, the meltdown sysfs file, the command line.
std::string inferred(const std::string& pti, const std::string& bug, const std::string& cmdline,
                     const std::string& release) {
  const std::string flags = std::string("processor : 0\nflags : fpu") + (pti == "on" ? " pti" : "") + "\n";
  std::optional<std::string> meltdown;
  if (bug == "on") meltdown = pti == "on" ? "Mitigation: PTI\n" : "Vulnerable\n";
  if (bug == "off") meltdown = "Not affected\n";
  if (pti == "unknown") meltdown.reset();
  const auto kv = kernel_state(meltdown, pti == "unknown" ? std::nullopt : std::optional<std::string>(flags),
                               cmdline, "x86_64", release);
  const auto it = kv.find("pti_reason");
  return it == kv.end() ? "(none)" : it->second;
}

// pti_check_boottime_disable() (arch/x86/mm/pti.c): 6.1 reads the last
// pti= itself, pti=auto skips nopti and mitigations=off; from 6.8 pti= and
// nopti are early_params (the last valid one wins, up to "--") and
// mitigations=off overrides them all.
TEST(Status, InferReasonFromCmdline) {
  for (const char* k : {"6.1.0-57-amd64", "6.12.117+deb12-amd64"}) {
    const std::string release = k;
    SCOPED_TRACE(release);
    EXPECT_EQ(inferred("on", "off", "root=/dev/sda pti=on", release), "cmdline:pti=on");
    EXPECT_EQ(inferred("on", "on", "root=/dev/sda", release), "meltdown_bug");
    EXPECT_EQ(inferred("on", "off", "root=/dev/sda", release), "unknown");
    EXPECT_EQ(inferred("off", "on", "quiet pti=off", release), "cmdline:pti=off");
    EXPECT_EQ(inferred("off", "on", "quiet nopti", release), "cmdline:nopti");
    EXPECT_EQ(inferred("off", "on", "mitigations=off", release), "cmdline:mitigations=off");
    EXPECT_EQ(inferred("off", "off", "mitigations=auto,nosmt", release), "not_affected");
    EXPECT_EQ(inferred("off", "on", "mitigations=off mitigations=auto", release), "unknown");
    EXPECT_EQ(inferred("off", "on", "mitigations=off mitigations=bogus", release), "cmdline:mitigations=off");
    EXPECT_EQ(inferred("on", "on", "nopti pti=auto", release), "meltdown_bug");
    EXPECT_EQ(inferred("off", "on", "pti=bogus nopti", release), "cmdline:nopti");
    EXPECT_EQ(inferred("unknown", "on", "pti=on", release), "(none)");
  }
  // Where the two kernels differ.
  EXPECT_EQ(inferred("on", "on", "pti=on nopti", "6.1.0-57-amd64"), "cmdline:pti=on");
  EXPECT_EQ(inferred("off", "on", "pti=on nopti", "6.1.0-57-amd64"), "unknown");
  EXPECT_EQ(inferred("off", "on", "pti=on nopti", "6.12.117+deb12-amd64"), "cmdline:nopti");
  EXPECT_EQ(inferred("on", "on", "pti=auto mitigations=off", "6.1.0-57-amd64"), "meltdown_bug");
  EXPECT_EQ(inferred("off", "on", "pti=auto mitigations=off", "6.12.117+deb12-amd64"), "cmdline:mitigations=off");
  EXPECT_EQ(inferred("on", "off", "pti=on mitigations=off", "6.1.0-57-amd64"), "cmdline:pti=on");
  EXPECT_EQ(inferred("off", "off", "pti=on mitigations=off", "6.12.117+deb12-amd64"), "cmdline:mitigations=off");
  // A bad last pti= counts as none on 6.1, is refused (the earlier one stands) on 6.12.
  EXPECT_EQ(inferred("on", "on", "pti=off pti=bogus", "6.1.0-57-amd64"), "meltdown_bug");
  EXPECT_EQ(inferred("off", "on", "pti=off pti=bogus", "6.12.117+deb12-amd64"), "cmdline:pti=off");
  // After "--" the arguments are init's, but 6.1's own scan reads them too.
  EXPECT_EQ(inferred("off", "off", "quiet -- pti=off", "6.12.117+deb12-amd64"), "not_affected");
  EXPECT_EQ(inferred("off", "off", "quiet -- pti=off", "6.1.0-57-amd64"), "cmdline:pti=off");
  // An unparsable release: the newer kernels' rules.
  EXPECT_EQ(inferred("off", "on", "pti=on nopti", "k"), "cmdline:nopti");
}

const char* const kCpuinfo =
    "processor\t: 0\nflags\t\t: fpu pae pcid invpcid\nbugs\t\t: cpu_meltdown spectre_v1\n\n"
    "processor\t: 1\nflags\t\t: fpu pae pcid invpcid\nbugs\t\t: cpu_meltdown spectre_v1\n";

TEST(Status, KernelState) {
  auto kv = kernel_state("Mitigation: PTI\n", kCpuinfo, "BOOT_IMAGE=/vmlinuz nokaslr\n", "x86_64", "6.1.0");
  EXPECT_EQ(kv, (KeyValues{{"arch", "x86_64"},
                           {"kernel", "6.1.0"},
                           {"nr_cpus", "2"},
                           {"pti", "on"},
                           {"pti_reason", "meltdown_bug"},
                           {"meltdown_bug", "on"},
                           {"pcid", "on"},
                           {"invpcid", "on"},
                           {"invpcid_single", "off"},
                           {"kaslr", "off"}}));

  kv = kernel_state("Not affected\n", "processor : 0\nflags : fpu\n", "quiet\n", "x86_64", "k");
  EXPECT_EQ(kv.at("pti"), "off");
  EXPECT_EQ(kv.at("meltdown_bug"), "off");
  EXPECT_EQ(kv.at("pti_reason"), "not_affected");
  EXPECT_EQ(kv.at("pcid"), "off");
  EXPECT_FALSE(kv.contains("kaslr"));

  // No meltdown file: cpuinfo's bugs line tells the bug, but not pti.
  kv = kernel_state(std::nullopt, kCpuinfo, std::nullopt, "x86_64", "k");
  EXPECT_EQ(kv.at("meltdown_bug"), "on");
  EXPECT_FALSE(kv.contains("pti"));
  EXPECT_FALSE(kv.contains("pti_reason"));

  kv = kernel_state(std::nullopt, std::nullopt, std::nullopt, "x86_64", "k");
  EXPECT_EQ(kv, (KeyValues{{"arch", "x86_64"}, {"kernel", "k"}}));
}

TEST(Status, GatherPrefersTheModule) {
  TempDir dir;
  std::filesystem::create_directory(dir / "ptilab");
  write_file(dir / "ptilab" / "state", "arch=x86_64\npti=on\npti_reason=cmdline:pti=on\nmeltdown_bug=off\n");
  write_file(dir / "meltdown", "Not affected\n");
  StatusOptions o;
  o.debugfs = dir / "ptilab";
  o.meltdown = dir / "meltdown";
  o.cpuinfo = dir / "cpuinfo";
  o.cmdline = dir / "cmdline";
  auto g = gather_state(o, "x86_64", "k");
  EXPECT_EQ(g.origin, StateOrigin::kModule);
  EXPECT_EQ(g.state.at("pti_reason"), "cmdline:pti=on");
  EXPECT_FALSE(g.state.contains("kernel"));  // the module's keys only

  o.debugfs = dir / "absent";
  g = gather_state(o, "x86_64", "k");
  EXPECT_EQ(g.origin, StateOrigin::kKernel);
  EXPECT_TRUE(g.source.starts_with("ptilab.ko is not loaded (no " + (dir / "absent").string() + ")")) << g.source;
  EXPECT_EQ(g.state.at("pti"), "off");
  EXPECT_EQ(g.state.at("meltdown_bug"), "off");
  EXPECT_FALSE(g.state.contains("pti_reason"));  // no cmdline to infer from
}

}  // namespace
}  // namespace ptilab

namespace ptilab {
namespace {

// arm64: the four QEMU configurations of vm-bench and a vulnerable CPU,
// as the module reports them.
KeyValues arm64_state(const std::string& kpti, const std::string& reason, const std::string& e0pd,
                      const std::string& bug) {
  return {{"arch", "aarch64"},  {"kpti", kpti},       {"kpti_reason", reason}, {"meltdown_bug", bug},
          {"e0pd_hw", e0pd},    {"e0pd_enabled", e0pd}, {"kaslr", "on"},         {"asid_bits", "16"},
          {"kernel_asid", "72"}, {"user_asid", "73"},  {"nr_cpus", "2"},        {"kernel", "6.1.0-56-arm64"},
          {"ng_mappings", "on"}, {"midr", "0x410fd083"}};
}

TEST(StatusArm64, KptiAndE0pdVerdicts) {
  // kpti-kaslr: safe from Meltdown, but KASLR is what pays.
  auto v = decide_status(arm64, arm64_state("on", "kaslr", "off", "off"), StateOrigin::kModule);
  EXPECT_EQ(v.isolation, "KPTI");
  EXPECT_EQ(v.pti, "on");
  EXPECT_TRUE(v.reason.starts_with("forced on by KASLR")) << v.reason;
  EXPECT_EQ(v.safe_to_disable, std::optional<bool>(true));
  EXPECT_TRUE(contains(v.advice, "kpti=0") && contains(v.advice, "weakens KASLR")) << v.advice;
  EXPECT_EQ(v.tlb_heading, "E0PD and ASIDs");
  EXPECT_TRUE(contains(v.pcid.front(), "ASIDs: 16 bits, kernel 72, user 73")) << v.pcid.front();
  EXPECT_TRUE(v.unknown.empty()) << v.unknown.front();

  // e0pd: nothing to do.
  v = decide_status(arm64, arm64_state("off", "e0pd", "on", "off"), StateOrigin::kModule);
  EXPECT_TRUE(v.reason.starts_with("off: KASLR would force it, but E0PD")) << v.reason;
  EXPECT_TRUE(v.advice.starts_with("nothing needed: E0PD")) << v.advice;

  // e0pd-kpti: the command line forces what E0PD makes unnecessary.
  v = decide_status(arm64, arm64_state("on", "cmdline:kpti=1", "on", "off"), StateOrigin::kModule);
  EXPECT_EQ(v.reason, "forced on by kpti=1 on the kernel command line");
  EXPECT_TRUE(contains(v.advice, "removing kpti=1") && contains(v.advice, "safe")) << v.advice;

  // nokpti (nokaslr on a CPU without E0PD).
  v = decide_status(arm64, arm64_state("off", "not_affected", "off", "off"), StateOrigin::kModule);
  EXPECT_TRUE(contains(v.advice, "would force KPTI on")) << v.advice;
  EXPECT_EQ(v.safe_to_disable, std::optional<bool>(true));

  // A vulnerable CPU: never safe to turn off; a warning when off.
  v = decide_status(arm64, arm64_state("on", "meltdown_bug", "off", "on"), StateOrigin::kModule);
  EXPECT_EQ(v.safe_to_disable, std::optional<bool>(false));
  EXPECT_TRUE(contains(v.advice, "NOT safe")) << v.advice;
  v = decide_status(arm64, arm64_state("off", "cmdline:kpti=0", "off", "on"), StateOrigin::kModule);
  EXPECT_TRUE(v.advice.starts_with("WARNING")) << v.advice;
}

// Without the module an arm64 kernel's "Not affected" does not say whether
// KASLR forced KPTI on: unknown, never "off".
TEST(StatusArm64, KernelOnlyCannotTellKaslrKpti) {
  const auto kv = kernel_state(std::string("Not affected\n"), std::nullopt, std::string("console=ttyAMA0\n"),
                               "aarch64", "6.1.0-56-arm64");
  EXPECT_FALSE(kv.contains("kpti"));
  const auto v = decide_status(arm64, kv, StateOrigin::kKernel);
  EXPECT_EQ(v.pti, "unknown");
  EXPECT_TRUE(contains(v.advice, "load ptilab.ko")) << v.advice;
  const auto forced = kernel_state(std::string("Mitigation: PTI\n"), std::nullopt,
                                   std::string("console=ttyAMA0 kpti=1\n"), "aarch64", "6.1.0-56-arm64");
  EXPECT_EQ(forced.at("kpti"), "on");
  EXPECT_EQ(forced.at("kpti_reason"), "cmdline:kpti=1");
  // parse_kpti() is an early_param: a value kstrtobool() refuses changes
  // nothing, the last valid one wins; none after "--" counts.
  const auto reason = [](const std::string& sysfs, const std::string& cmdline) {
    const auto kv = kernel_state(sysfs, std::nullopt, cmdline, "aarch64", "6.12.117+deb12-arm64");
    return kv.contains("kpti_reason") ? kv.at("kpti_reason") : "(none)";
  };
  EXPECT_EQ(reason("Mitigation: PTI\n", "kpti=0 kpti=1"), "cmdline:kpti=1");
  EXPECT_EQ(reason("Mitigation: PTI\n", "kpti=1 kpti=bogus"), "cmdline:kpti=1");
  EXPECT_EQ(reason("Mitigation: PTI\n", "kpti=on"), "cmdline:kpti=on");
  EXPECT_EQ(reason("Mitigation: PTI\n", "kpti=0"), "(none)");  // KPTI on: not what kpti=0 does
  EXPECT_EQ(reason("Mitigation: PTI\n", "kpti=1 -- kpti=0"), "cmdline:kpti=1");
  EXPECT_EQ(reason("Vulnerable\n", "kpti=n"), "cmdline:kpti=n");
}

// A Meltdown-safe CPU's "Not affected" with a valid kpti=: the command line
// decides before KASLR and the safe list (unmap_kernel_at_el0()), so the
// state is known; with none, or a malformed one, it stays unknown; Cavium's
// erratum 27456 overrides kpti=, so a ThunderX gets no inference.
TEST(StatusArm64, KernelOnlyNotAffectedWithKptiIsKnown) {
  const auto state = [](const std::string& cmdline, const std::optional<std::string>& cpuinfo = std::nullopt) {
    const auto kv = kernel_state(std::string("Not affected\n"), cpuinfo, cmdline, "aarch64", "6.1.0-57-arm64");
    return (kv.contains("kpti") ? kv.at("kpti") : "(unknown)") + " " +
           (kv.contains("kpti_reason") ? kv.at("kpti_reason") : "(none)");
  };
  EXPECT_EQ(state("kpti=0 kpti=1"), "on cmdline:kpti=1");
  EXPECT_EQ(state("kpti=1 kpti=bogus"), "on cmdline:kpti=1");
  EXPECT_EQ(state("kpti=1 -- kpti=0"), "on cmdline:kpti=1");
  EXPECT_EQ(state("kpti=off"), "off cmdline:kpti=off");
  EXPECT_EQ(state("kpti=bogus"), "(unknown) (none)");
  EXPECT_EQ(state("-- kpti=1"), "(unknown) (none)");
  EXPECT_EQ(state("mitigations=off"), "(unknown) (none)");
  EXPECT_EQ(state("kpti=1", std::string("processor\t: 0\nCPU implementer\t: 0x43\nCPU part\t: 0x0a1\n")),
            "(unknown) (none)");
  EXPECT_EQ(state("kpti=1", std::string("processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n")),
            "on cmdline:kpti=1");
  const auto v = decide_status(arm64,
                               kernel_state(std::string("Not affected\n"), std::nullopt, std::string("kpti=1"),
                                            "aarch64", "6.1.0-57-arm64"),
                               StateOrigin::kKernel);
  EXPECT_EQ(v.pti, "on");
  EXPECT_EQ(v.reason, "forced on by kpti=1 on the kernel command line");
}

}  // namespace
}  // namespace ptilab
