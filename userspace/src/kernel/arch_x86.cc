// The x86 profile: PTI, made cheap by PCID. The module's side of it is
// module/state_x86.c.
#include <algorithm>

#include "kernel/arch_profile.h"
#include "kernel/cmdline.h"
#include "kernel/cpuinfo.h"

namespace ptilab {

namespace {

const char* const kStudy =
    "(the unixbench study: syscall -45.7% with PTI on a PCID host; in a guest -68% without PCID "
    "vs -47.8% with PCID)";

// What pti_check_boottime_disable() (arch/x86/mm/pti.c) decides from the
// command line: forced on, forced off (with the option that did it), or
// auto (the CPU's Meltdown bug decides).
struct PtiMode {
  enum { kAuto, kOff, kOn } mode = kAuto;
  std::string option;  // "pti=on", "nopti", "mitigations=off"
};

// Up to 6.7 the function reads boot_command_line itself: the last
// "pti=VALUE" word anywhere (cmdline_find_option() does not stop at "--")
// with VALUE exactly off, on or auto; pti=auto skips the next test; else
// the exact word "nopti" or cpu_mitigations_off() force it off.
PtiMode pti_mode_6_1(std::string_view cmdline) {
  PtiMode m;
  std::optional<std::string> pti;
  bool nopti = false;
  for (const auto& w : cmdline_words(cmdline)) {
    if (w.starts_with("pti=")) pti = w.substr(4);
    if (w == "nopti") nopti = true;
  }
  if (pti == "off") return {PtiMode::kOff, "pti=off"};
  if (pti == "on") return {PtiMode::kOn, "pti=on"};
  if (pti == "auto") return m;
  if (nopti) return {PtiMode::kOff, "nopti"};
  if (cmdline_mitigations_off(cmdline)) return {PtiMode::kOff, "mitigations=off"};
  return m;
}

// From 6.8 ("x86/pti: Fix kernel warnings for pti= and nopti cmdline
// options": absent from 6.5, present in 6.8) pti= and nopti are
// early_params, applied in command-line order up to "--": pti=off|on|auto
// set the mode, other values are refused and change nothing, nopti sets
// off. Then cpu_mitigations_off() forces it off over all of them.
PtiMode pti_mode_6_8(std::string_view cmdline) {
  PtiMode m;
  for (const auto& p : early_params(cmdline)) {
    if (p.name == "pti" && p.value) {
      if (*p.value == "off") m = {PtiMode::kOff, "pti=off"};
      if (*p.value == "on") m = {PtiMode::kOn, "pti=on"};
      if (*p.value == "auto") m = {PtiMode::kAuto, ""};
    } else if (p.name == "nopti") {
      m = {PtiMode::kOff, "nopti"};
    }
  }
  if (cmdline_mitigations_off(cmdline)) m = {PtiMode::kOff, "mitigations=off"};
  return m;
}

// The module's pti_reason, inferred: the model's answer if it agrees
// with what the kernel did (pti), else unknown. Xen PV guests cannot be
// told from these files, so xen_pv is never inferred.
std::string infer_pti_reason(std::string_view pti, std::string_view bug, std::string_view cmdline,
                             std::string_view release) {
  const auto version = kernel_version(release);
  const PtiMode m = version && *version < std::pair{6, 8} ? pti_mode_6_1(cmdline) : pti_mode_6_8(cmdline);
  if (pti != kOn && pti != kOff) return std::string(kUnknown);
  const bool on = pti == kOn;
  if (m.mode == PtiMode::kOn) return on ? "cmdline:" + m.option : std::string(kUnknown);
  if (m.mode == PtiMode::kOff) return on ? std::string(kUnknown) : "cmdline:" + m.option;
  if (bug != kOn && bug != kOff) return std::string(kUnknown);
  if ((bug == kOn) != on) return std::string(kUnknown);
  return on ? "meltdown_bug" : "not_affected";
}

std::string_view pti_from_meltdown_text(const std::optional<std::string>& meltdown) {
  return meltdown ? pti_from_meltdown(*meltdown) : kUnknown;
}

// The cpuinfo "pti" flag (X86_FEATURE_PTI) wins: with pti=on forced on a
// CPU without Meltdown the sysfs file still says "Not affected".
Isolation kernel_isolation(const KernelFiles& k) {
  Isolation iso;
  iso.source = "kernel (no module state): meltdown sysfs file, /proc/cpuinfo";
  iso.e0pd = iso.kpti = kNotApplicable;
  const auto flags = k.cpuinfo ? cpuinfo_flags(*k.cpuinfo) : std::nullopt;
  iso.pti = flags && flags->contains("pti") ? std::string(kOn) : std::string(pti_from_meltdown_text(k.meltdown));
  if (flags) iso.pcid = flags->contains("pcid") ? kOn : kOff;
  return iso;
}

KeyValues kernel_state(const KernelFiles& k) {
  KeyValues kv;
  kv["arch"] = k.arch;
  kv["kernel"] = k.kernel;
  const Isolation iso = kernel_isolation(k);
  if (iso.pti != kUnknown) kv["pti"] = iso.pti;
  // The bug: the sysfs file says "Not affected" or names the mitigation /
  // "Vulnerable"; cpuinfo's bugs line has cpu_meltdown.
  if (k.meltdown) {
    if (k.meltdown->starts_with("Not affected"))
      kv["meltdown_bug"] = kOff;
    else if (k.meltdown->starts_with("Vulnerable") || k.meltdown->starts_with("Mitigation"))
      kv["meltdown_bug"] = kOn;
  }
  if (k.cpuinfo) {
    if (!kv.contains("meltdown_bug")) {
      if (const auto bugs = cpuinfo_words(*k.cpuinfo, "bugs"))
        kv["meltdown_bug"] = std::find(bugs->begin(), bugs->end(), "cpu_meltdown") != bugs->end() ? kOn : kOff;
    }
    if (const auto flags = cpuinfo_flags(*k.cpuinfo))
      for (const char* f : {"pcid", "invpcid", "invpcid_single"}) kv[f] = flags->contains(f) ? kOn : kOff;
    if (const std::size_t cpus = cpuinfo_processors(*k.cpuinfo)) kv["nr_cpus"] = std::to_string(cpus);
  }
  if (k.cmdline) {
    // The decompressor looks for nokaslr anywhere (cmdline_find_option_bool()).
    const auto words = cmdline_words(*k.cmdline);
    if (std::find(words.begin(), words.end(), "nokaslr") != words.end()) kv["kaslr"] = kOff;
    if (kv.contains("pti")) kv["pti_reason"] = infer_pti_reason(kv["pti"], state_value(kv, "meltdown_bug"), *k.cmdline, k.kernel);
  }
  return kv;
}

StatusVerdict decide(const ArchProfile& p, const KeyValues& state, StateOrigin origin) {
  StatusVerdict v = verdict_base(p, state, origin);
  const std::string reason = state_value(state, p.reason_key);
  const bool on = v.pti == kOn, off = v.pti == kOff;
  const bool bug = v.meltdown_bug == kOn, no_bug = v.meltdown_bug == kOff;
  const std::string cmdline_token = reason.starts_with("cmdline:") ? reason.substr(8) : "";
  if (reason == "xen_pv") {
    v.advice = "Linux does not isolate a Xen PV guest's kernel: the hypervisor does; see Xen's xpti= setting.";
  } else if (v.pti == kUnknown) {
    v.advice = "cannot tell whether isolation is on: load ptilab.ko, or read " + std::string(kMeltdownPath) + ".";
  } else if (v.meltdown_bug == kUnknown) {
    v.advice = std::string("cannot tell whether this CPU has the Meltdown bug, so not whether isolation ") +
               (on ? "can be turned off safely." : "must be turned on.");
  } else if (on && bug) {
    v.safe_to_disable = false;
    v.advice = "booting with " + std::string(p.turn_off) +
               " would turn it off, but that is NOT safe: this CPU has the Meltdown bug, so user space could read "
               "kernel memory. Keep it on.";
  } else if (on && no_bug) {
    v.safe_to_disable = true;
    v.advice = cmdline_token == "pti=on"
                   ? "removing pti=on from the kernel command line (or booting with pti=off) turns it off, and that is "
                     "safe: this CPU is not affected by Meltdown, so isolation only costs time here."
                   : "booting with pti=off (or nopti) turns it off, and that is safe: this CPU is not affected by "
                     "Meltdown, so isolation only costs time here.";
  } else if (off && bug) {
    v.safe_to_disable = false;
    v.advice = "WARNING: this CPU has the Meltdown bug and isolation is OFF: user space can read kernel memory. "
               "Remove " +
               (cmdline_token.empty() ? std::string("pti=off, nopti and mitigations=off") : cmdline_token) +
               " from the kernel command line.";
  } else {  // off, no bug
    v.safe_to_disable = true;
    v.advice = "nothing needed: this CPU is not affected by Meltdown, so isolation is not needed (pti=on would "
               "force it on, at a cost, for no protection).";
  }

  const std::string pcid = state_value(state, "pcid");
  std::string pcide = state_value(state, "cr4_pcide");
  if (pcide == kUnknown) pcide = state_value(state, "pcid_enabled");
  v.pcid.push_back("PCID: available " + yes_no(pcid) + ", enabled (CR4.PCIDE) " + yes_no(pcide) + ", INVPCID " +
                   yes_no(state_value(state, "invpcid")));
  std::string meaning;
  if (pcide == kOn || (pcide == kUnknown && pcid == kOn)) {
    meaning = std::string(pcide == kOn ? "" : "PCID is probably enabled (Linux uses it where the CPU has it); ") +
              "with PCID the two CR3 writes per kernel entry and exit keep the TLB (NOFLUSH): isolation costs "
              "the CR3 writes, not TLB refills.";
  } else if (pcid == kOff || pcide == kOff) {
    meaning = "without PCID every kernel entry and exit flushes the non-global TLB: user space refills it after "
              "every system call and interrupt.";
  } else {
    meaning = "unknown whether PCID is in use.";
  }
  if (off) meaning = "isolation is off, so none of this is paid now; with it on: " + meaning;
  v.pcid.push_back(meaning);
  v.pcid.push_back(kStudy);

  if (origin == StateOrigin::kKernel)
    v.unknown.emplace_back("exact pti_reason (inferred without the module)");
  else if (reason == kUnknown)
    v.unknown.emplace_back("pti_reason (the module's model disagrees with the kernel)");
  return v;
}

CpuIdentity cpu(std::string_view cpuinfo) {
  CpuIdentity id;
  id.model = cpuinfo_value(cpuinfo, "model name").value_or("");
  if (const auto vendor = cpuinfo_value(cpuinfo, "vendor_id")) id.ids.emplace_back("vendor", *vendor);
  const auto family = cpuinfo_value(cpuinfo, "cpu family"), model = cpuinfo_value(cpuinfo, "model"),
             stepping = cpuinfo_value(cpuinfo, "stepping");
  if (family && model)
    id.ids.emplace_back("signature",
                        "family " + *family + " model " + *model + (stepping ? " stepping " + *stepping : ""));
  return id;
}

// With PCID the entry code writes CR3 with NOFLUSH; without, each write
// flushes the non-global TLB.
std::string_view entry_write_probe(std::string_view pcid) { return pcid == kOn ? "cr3_noflush" : "cr3_flush"; }

}  // namespace

const ArchProfile& x86_profile() {
  static const ArchProfile p = [] {
    ArchProfile a;
    a.name = "x86";
    a.arch = "x86_64";
    a.spellings = {"x86_64", "amd64", "x86"};
    a.isolation = "PTI";
    a.isolation_key = "pti";
    a.reason_key = "pti_reason";
    a.tlb_key = "pcid";
    a.tlb_name = "PCID";
    a.tlb_heading = "PCID";
    a.pt_register = "CR3";
    a.pt_write = "CR3 write";
    a.probe_unit = "cycles";
    a.write_probes = {"cr3_noflush", "cr3_flush"};
    a.basic_probe = "cr3_flush";
    a.state_keys = {"arch",         "kernel",      "nr_cpus",     "kaslr",         "pti",         "pti_reason",
                    "meltdown_bug", "pcid",        "invpcid",     "invpcid_single", "cr4_pcide",  "pcid_enabled",
                    "kernel_pcid",  "user_pcid",   "cr3_noflush", "global_pages"};
    a.reasons = {
        {"meltdown_bug", "on: the CPU has the Meltdown bug"},
        {"not_affected", "off: the CPU is not affected by Meltdown"},
        {"xen_pv", "off: this is a Xen PV guest, where the hypervisor (Xen's XPTI), not Linux, isolates the kernel"},
    };
    a.unknown_reason = "unknown: the kernel decided in a way ptilab does not model";
    a.turn_off = "pti=off, nopti or mitigations=off";
    a.fleet_flags = {
        {"pcid", "ptilab_pcid_available",
         "Whether the CPU has PCID, which lets PTI's CR3 writes keep the TLB (1 yes, 0 no)"},
        {"pcid_enabled", "ptilab_pcid_enabled", "Whether the kernel uses PCID: CR4.PCIDE (1 yes, 0 no)"},
        {"invpcid", "ptilab_invpcid_available", "Whether the CPU has INVPCID (1 yes, 0 no)"},
        {"kaslr", "ptilab_kaslr_enabled", "Whether the kernel's base is randomized: KASLR (1 yes, 0 no)"},
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
