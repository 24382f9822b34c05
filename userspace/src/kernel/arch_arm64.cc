// The arm64 profile: KPTI, which ARMv8.5 E0PD makes unnecessary. The
// module's side of it is module/state_arm64.c.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "kernel/arch_profile.h"
#include "kernel/cmdline.h"
#include "kernel/cpuinfo.h"

namespace ptilab {

namespace {

// The last kpti= that kstrtobool() accepts: parse_kpti() is an
// early_param() (applied in order up to "--", a malformed value changes
// nothing). unmap_kernel_at_el0() obeys it before KASLR, mitigations=off
// and the Meltdown-safe list; only Cavium's erratum 27456 (ThunderX,
// implementer 0x43) overrides it, so none is inferred there.
struct KptiForced {
  std::string word;  // "kpti=1"
  bool on;
};

std::optional<KptiForced> kpti_forced(const KernelFiles& k) {
  if (!k.cmdline) return std::nullopt;
  if (k.cpuinfo && cpuinfo_value(*k.cpuinfo, "CPU implementer") == "0x43") return std::nullopt;
  std::optional<KptiForced> forced;
  for (const auto& p : early_params(*k.cmdline)) {
    if (p.name != "kpti" || !p.value) continue;
    if (const auto b = kernel_strtobool(*p.value)) forced = KptiForced{p.name + "=" + *p.value, *b};
  }
  return forced;
}

// arm64 reports KPTI as "Mitigation: PTI" too; but it says "Not affected"
// for a CPU that is safe from Meltdown even when KASLR or kpti=1 forces
// KPTI on (cpu_show_meltdown() looks at __meltdown_safe first), and E0PD
// is not visible there. A kpti= on the command line settles it.
Isolation isolation_with(const KernelFiles& k, const std::optional<KptiForced>& forced) {
  Isolation iso;
  iso.source = "kernel (no module state): meltdown sysfs file";
  iso.pti = iso.pcid = kNotApplicable;
  iso.kpti = k.meltdown ? pti_from_meltdown(*k.meltdown) : kUnknown;
  if (iso.kpti == kOff && k.meltdown && !k.meltdown->starts_with("Vulnerable")) {
    if (forced) {
      iso.kpti = forced->on ? kOn : kOff;
      iso.source += " and " + forced->word + " on the command line";
    } else {
      iso.kpti = kUnknown;
      iso.warnings.push_back(
          "arm64: the meltdown sysfs file says \"Not affected\" whether or not KASLR forces KPTI on; load "
          "ptilab.ko for the real state (kpti recorded as unknown)");
    }
  }
  return iso;
}

Isolation kernel_isolation(const KernelFiles& k) { return isolation_with(k, kpti_forced(k)); }

// Without the module only kpti= explains KPTI.
KeyValues kernel_state(const KernelFiles& k) {
  KeyValues kv;
  kv["arch"] = k.arch;
  kv["kernel"] = k.kernel;
  const auto f = kpti_forced(k);
  const Isolation iso = isolation_with(k, f);
  if (iso.kpti != kUnknown) kv["kpti"] = iso.kpti;
  if (k.meltdown) {
    if (k.meltdown->starts_with("Not affected"))
      kv["meltdown_bug"] = kOff;
    else if (k.meltdown->starts_with("Vulnerable") || k.meltdown->starts_with("Mitigation"))
      kv["meltdown_bug"] = kOn;
  }
  if (k.cpuinfo)
    if (const std::size_t cpus = cpuinfo_processors(*k.cpuinfo)) kv["nr_cpus"] = std::to_string(cpus);
  if (k.cmdline) {
    const auto words = cmdline_words(*k.cmdline);
    if (std::find(words.begin(), words.end(), "nokaslr") != words.end()) kv["kaslr"] = kOff;
    if (f && kv.contains("kpti") && (kv["kpti"] == kOn) == f->on) kv["kpti_reason"] = "cmdline:" + f->word;
  }
  return kv;
}

StatusVerdict decide(const ArchProfile& p, const KeyValues& state, StateOrigin origin) {
  StatusVerdict v = verdict_base(p, state, origin);
  const std::string reason = state_value(state, p.reason_key);
  const bool on = v.pti == kOn, off = v.pti == kOff;
  const bool bug = v.meltdown_bug == kOn, no_bug = v.meltdown_bug == kOff;
  const bool e0pd = state_value(state, "e0pd_enabled") == kOn;

  if (v.pti == kUnknown) {
    v.advice = "cannot tell whether KPTI is on: load ptilab.ko (on arm64 the meltdown sysfs file says \"Not "
               "affected\" even when KASLR forces KPTI on).";
  } else if (v.meltdown_bug == kUnknown) {
    v.advice = std::string("cannot tell whether this CPU is vulnerable to Meltdown, so not whether KPTI ") +
               (on ? "can be turned off safely." : "must be turned on.");
  } else if (on && bug) {
    v.safe_to_disable = false;
    v.advice = "booting with " + std::string(p.turn_off) +
               " would turn it off, but that is NOT safe: this CPU is vulnerable to Meltdown, so user space could "
               "read kernel memory. Keep it on.";
  } else if (on && no_bug && e0pd) {
    v.safe_to_disable = true;
    v.advice = "removing " + (reason.starts_with("cmdline:") ? reason.substr(8) : std::string("kpti=1")) +
               " from the kernel command line turns it off, and that is safe: the CPU is not affected by "
               "Meltdown and E0PD already protects KASLR.";
  } else if (on && no_bug) {
    v.safe_to_disable = true;
    v.advice = "booting with kpti=0 turns it off: safe from Meltdown (this CPU is not affected), but it weakens "
               "KASLR (timing can then find the kernel); nokaslr turns it off by giving KASLR up. A CPU with "
               "E0PD (ARMv8.5) keeps KASLR without KPTI (seed 000: 5-23% faster).";
  } else if (off && bug) {
    v.safe_to_disable = false;
    v.advice = "WARNING: this CPU is vulnerable to Meltdown and KPTI is OFF: user space can read kernel memory. "
               "Remove kpti=0 and mitigations=off from the kernel command line.";
  } else {  // off, not vulnerable
    v.safe_to_disable = true;
    v.advice = e0pd ? "nothing needed: E0PD protects KASLR and the CPU is not affected by Meltdown."
                    : "nothing needed: the CPU is not affected by Meltdown. Enabling KASLR on this CPU (no E0PD) "
                      "would force KPTI on.";
  }

  // The TLB side: ASIDs keep the TLB across KPTI's switches (the kernel and
  // user halves of an mm are an ASID pair), so KPTI costs the trampoline and
  // its TTBR writes rather than refills.
  v.pcid.push_back("E0PD: in hardware " + yes_no(state_value(state, "e0pd_hw")) + ", enabled (TCR_EL1.E0PD1) " +
                   yes_no(state_value(state, "e0pd_enabled")) + "; ASIDs: " + state_value(state, "asid_bits") + " bits, kernel " +
                   state_value(state, "kernel_asid") + ", user " + state_value(state, "user_asid"));
  v.pcid.push_back(std::string(off ? "KPTI is off, so none of this is paid now; with it on: " : "") +
                   "every kernel entry and exit goes through the trampoline and rewrites TTBR1; the ASID pair keeps "
                   "the TLB, so the cost is the trampoline and TTBR writes, not refills.");
  v.pcid.push_back("(seed 000: E0PD instead of KPTI, 5-23% faster)");

  if (origin == StateOrigin::kKernel)
    v.unknown.emplace_back("exact kpti_reason and E0PD (only the module can read them)");
  else if (reason == kUnknown)
    v.unknown.emplace_back("kpti_reason (the module's model disagrees with the kernel)");
  return v;
}

// MIDR_EL1 fields (Arm ARM D23.2.122) as /proc/cpuinfo prints them, and
// the names of the implementers and parts of arch/arm64/include/asm/cputype.h.
struct Part {
  unsigned implementer, part;
  const char* name;
};

const Part kParts[] = {
    {0x41, 0xd03, "Cortex-A53"},  {0x41, 0xd04, "Cortex-A35"},   {0x41, 0xd05, "Cortex-A55"},
    {0x41, 0xd07, "Cortex-A57"},  {0x41, 0xd08, "Cortex-A72"},   {0x41, 0xd09, "Cortex-A73"},
    {0x41, 0xd0a, "Cortex-A75"},  {0x41, 0xd0b, "Cortex-A76"},   {0x41, 0xd0c, "Neoverse-N1"},
    {0x41, 0xd0d, "Cortex-A77"},  {0x41, 0xd40, "Neoverse-V1"},  {0x41, 0xd41, "Cortex-A78"},
    {0x41, 0xd44, "Cortex-X1"},   {0x41, 0xd46, "Cortex-A510"},  {0x41, 0xd47, "Cortex-A710"},
    {0x41, 0xd48, "Cortex-X2"},   {0x41, 0xd49, "Neoverse-N2"},  {0x41, 0xd4b, "Cortex-A78C"},
    {0x41, 0xd4d, "Cortex-A715"}, {0x41, 0xd4e, "Cortex-X3"},    {0x41, 0xd4f, "Neoverse-V2"},
    {0x41, 0xd80, "Cortex-A520"}, {0x41, 0xd81, "Cortex-A720"},  {0x41, 0xd82, "Cortex-X4"},
    {0x41, 0xd84, "Neoverse-V3"}, {0x41, 0xd8e, "Neoverse-N3"},  {0x42, 0x100, "Brahma-B53"},
    {0x42, 0x516, "Vulcan"},      {0x43, 0x0a1, "ThunderX"},     {0x43, 0x0a2, "ThunderX 81xx"},
    {0x43, 0x0a3, "ThunderX 83xx"}, {0x43, 0x0af, "ThunderX2"},  {0x46, 0x001, "A64FX"},
    {0x48, 0xd01, "TSV110"},      {0x4e, 0x004, "Carmel"},       {0x51, 0x800, "Kryo 2xx Gold"},
    {0x51, 0x801, "Kryo 2xx Silver"}, {0x51, 0x803, "Kryo 3xx Silver"}, {0x51, 0x805, "Kryo 4xx Silver"},
    {0xc0, 0xac3, "Ampere-1"},
};

const char* implementer_name(unsigned imp) {
  switch (imp) {
    case 0x00: return "software-defined (e.g. QEMU's max)";
    case 0x41: return "Arm";
    case 0x42: return "Broadcom";
    case 0x43: return "Cavium";
    case 0x46: return "Fujitsu";
    case 0x48: return "HiSilicon";
    case 0x4e: return "NVIDIA";
    case 0x50: return "APM";
    case 0x51: return "Qualcomm";
    case 0x61: return "Apple";
    case 0x6d: return "Microsoft";
    case 0xc0: return "Ampere";
    default: return nullptr;
  }
}

std::optional<unsigned> hex_field(std::string_view cpuinfo, std::string_view key) {
  const auto v = cpuinfo_value(cpuinfo, key);
  if (!v) return std::nullopt;
  char* end = nullptr;
  const unsigned long x = std::strtoul(v->c_str(), &end, 0);  // "0x41", "3"
  if (end == v->c_str() || *end) return std::nullopt;
  return static_cast<unsigned>(x);
}

CpuIdentity cpu(std::string_view cpuinfo) {
  CpuIdentity id;
  const auto imp = hex_field(cpuinfo, "CPU implementer"), part = hex_field(cpuinfo, "CPU part");
  if (!imp || !part) return id;
  const unsigned variant = hex_field(cpuinfo, "CPU variant").value_or(0);
  const unsigned revision = hex_field(cpuinfo, "CPU revision").value_or(0);
  // The architecture field is 0xf ("defined by the ID registers") on every
  // ARMv8 CPU; cpuinfo prints it as "8".
  const std::string midr =
      fmt::format("{:#010x}", (*imp << 24) | (variant << 20) | (0xfu << 16) | (*part << 4) | revision);
  const char* vendor = implementer_name(*imp);
  const auto it = std::find_if(std::begin(kParts), std::end(kParts),
                               [&](const Part& p) { return p.implementer == *imp && p.part == *part; });
  id.model = fmt::format("{} {} r{}p{}", vendor ? std::string(vendor) : fmt::format("implementer {:#04x}", *imp),
                         it != std::end(kParts) ? std::string(it->name) : fmt::format("part {:#05x}", *part), variant,
                         revision);
  id.ids.emplace_back("midr", midr);
  return id;
}

// KPTI's trampoline switches TTBR1 (and the ASID with it) on every entry
// and exit, with or without E0PD.
std::string_view entry_write_probe(std::string_view /*e0pd*/) { return "ttbr1_isb"; }

}  // namespace

const ArchProfile& arm64_profile() {
  static const ArchProfile p = [] {
    ArchProfile a;
    a.name = "arm64";
    a.arch = "aarch64";
    a.spellings = {"aarch64", "arm64"};
    a.isolation = "KPTI";
    a.isolation_key = "kpti";
    a.reason_key = "kpti_reason";
    a.tlb_key = "e0pd";
    a.tlb_name = "E0PD";
    a.tlb_heading = "E0PD and ASIDs";
    a.pt_register = "TTBR";
    a.pt_write = "TTBR1 write + ISB";
    // The generic timer, not CPU cycles (counter=cntvct).
    a.probe_unit = "timer ticks";
    a.write_probes = {"ttbr1_isb"};
    a.basic_probe = "ttbr1_isb";
    a.state_keys = {"arch",    "kernel",       "nr_cpus",     "kaslr", "kpti",      "kpti_reason", "meltdown_bug",
                    "e0pd_hw", "e0pd_enabled", "ng_mappings", "midr",  "asid_bits", "kernel_asid", "user_asid"};
    a.reasons = {
        {"kaslr",
         "forced on by KASLR: without E0PD, user space could time its accesses to kernel addresses and find where "
         "KASLR put the kernel (kaslr_requires_kpti())"},
        {"e0pd",
         "off: KASLR would force it, but E0PD (ARMv8.5) makes user accesses to kernel addresses fault in constant "
         "time, so KASLR needs no KPTI"},
        {"meltdown_bug", "on: the CPU is vulnerable to Meltdown"},
        {"not_affected", "off: the CPU is not affected by Meltdown and KASLR does not require it (KASLR off)"},
        {"cavium_27456", "forced off: the ThunderX erratum 27456 workaround cannot run with it"},
        {"config", "off: the kernel was built without CONFIG_UNMAP_KERNEL_AT_EL0"},
    };
    a.unknown_reason =
        "unknown: the kernel decided in a way ptilab does not model (or the module is not loaded: only it can tell "
        "KASLR's KPTI from none on arm64)";
    a.turn_off = "kpti=0 or mitigations=off";
    a.fleet_flags = {
        {"e0pd_hw", "ptilab_e0pd_present",
         "Whether the CPU has E0PD (ARMv8.5), which makes KPTI unnecessary for KASLR (1 yes, 0 no)"},
        {"e0pd_enabled", "ptilab_e0pd_enabled", "Whether the kernel turned E0PD on: TCR_EL1.E0PD1 (1 yes, 0 no)"},
        {"kaslr", "ptilab_kaslr_enabled",
         "Whether the kernel's base is randomized: KASLR, which forces KPTI without E0PD (1 yes, 0 no)"},
    };
    a.kernel_isolation = kernel_isolation;
    a.kernel_state = kernel_state;
    a.decide = decide;
    a.cpu = cpu;
    a.entry_write_probe = entry_write_probe;
    return a;
  }();
  return p;
}

}  // namespace ptilab
