#include "status.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "error.h"
#include "probe_cmd.h"
#include "sysinfo.h"
#include "text_file.h"

namespace ptilab {

namespace {

constexpr int kStatusProbeIterations = 2000;

std::string get(const KeyValues& kv, std::string_view key) {
  const auto it = kv.find(key);
  return it == kv.end() ? std::string(kUnknown) : it->second;
}

// Kernel command line tokens, up to "--" (the rest is init's).
std::vector<std::string> cmdline_tokens(std::string_view cmdline) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && (cmdline[i] == ' ' || cmdline[i] == '\n' || cmdline[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < cmdline.size() && cmdline[i] != ' ' && cmdline[i] != '\n' && cmdline[i] != '\t') ++i;
    if (i == start) break;
    std::string tok(cmdline.substr(start, i - start));
    if (tok == "--") break;
    out.push_back(std::move(tok));
  }
  return out;
}

// The words after "name :" on the first such line of /proc/cpuinfo.
std::optional<std::vector<std::string>> cpuinfo_words(std::string_view text, std::string_view name) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    if (key != name) continue;
    return cmdline_tokens(line.substr(colon + 1));
  }
  return std::nullopt;
}

std::string yes_no(std::string_view on_off) {
  if (on_off == kOn) return "yes";
  if (on_off == kOff) return "no";
  return "unknown";
}

const char* const kStudy =
    "(the unixbench study: syscall -45.7% with PTI on a PCID host; in a guest -68% without PCID "
    "vs -47.8% with PCID)";

}  // namespace

const std::vector<std::string_view> kModuleStateKeys = {
    "arch",    "kernel",         "nr_cpus",   "kaslr",        "pti",         "pti_reason",
    "meltdown_bug", "pcid",      "invpcid",   "invpcid_single", "cr4_pcide", "pcid_enabled",
    "kernel_pcid", "user_pcid",  "cr3_noflush", "global_pages"};

std::string pti_reason_sentence(std::string_view reason) {
  if (reason == "cmdline:pti=on") return "forced on by pti=on on the kernel command line";
  if (reason == "cmdline:pti=off") return "forced off by pti=off on the kernel command line";
  if (reason == "cmdline:nopti") return "forced off by nopti on the kernel command line";
  if (reason == "cmdline:mitigations=off") return "forced off by mitigations=off on the kernel command line";
  if (reason.starts_with("cmdline:"))
    return "set by " + std::string(reason.substr(8)) + " on the kernel command line";
  if (reason == "meltdown_bug") return "on: the CPU has the Meltdown bug";
  if (reason == "not_affected") return "off: the CPU is not affected by Meltdown";
  if (reason == "xen_pv")
    return "off: this is a Xen PV guest, where the hypervisor (Xen's XPTI), not Linux, isolates the kernel";
  if (reason == kUnknown || reason.empty())
    return "unknown: the kernel decided in a way ptilab does not model";
  return "unrecognised reason '" + std::string(reason) + "'";
}

std::string infer_pti_reason(std::string_view pti, std::string_view meltdown_bug, std::string_view cmdline) {
  // The last pti=/nopti token wins, as in the kernel's parameter parsing.
  std::string pti_token;
  bool mitigations_off = false;
  for (const auto& t : cmdline_tokens(cmdline)) {
    if (t.starts_with("pti=") || t == "nopti") pti_token = t;
    if (t == "mitigations=off") mitigations_off = true;
  }
  if (pti == kOn) {
    if (pti_token == "pti=on") return "cmdline:pti=on";
    if (meltdown_bug == kOn) return "meltdown_bug";
  } else if (pti == kOff) {
    if (pti_token == "pti=off" || pti_token == "nopti") return "cmdline:" + pti_token;
    if (mitigations_off && pti_token != "pti=on") return "cmdline:mitigations=off";
    if (meltdown_bug == kOff) return "not_affected";
  }
  return std::string(kUnknown);
}

KeyValues kernel_state(const std::optional<std::string>& meltdown_text, const std::optional<std::string>& cpuinfo_text,
                       const std::optional<std::string>& cmdline_text, std::string_view arch, std::string_view kernel) {
  KeyValues kv;
  kv["arch"] = arch;
  kv["kernel"] = kernel;
  const Isolation iso = isolation_from_kernel(meltdown_text, cpuinfo_text, arch);
  if (iso.pti != kUnknown && iso.pti != kNotApplicable) kv["pti"] = iso.pti;
  if (iso.kpti != kUnknown && iso.kpti != kNotApplicable) kv["kpti"] = iso.kpti;

  // The bug: the sysfs file says "Not affected" or names the mitigation /
  // "Vulnerable"; cpuinfo's bugs line has cpu_meltdown.
  if (meltdown_text) {
    std::string_view m = *meltdown_text;
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.remove_suffix(1);
    if (m.starts_with("Not affected"))
      kv["meltdown_bug"] = kOff;
    else if (m.starts_with("Vulnerable") || m.starts_with("Mitigation"))
      kv["meltdown_bug"] = kOn;
  }
  if (cpuinfo_text) {
    if (!kv.contains("meltdown_bug")) {
      if (const auto bugs = cpuinfo_words(*cpuinfo_text, "bugs"))
        kv["meltdown_bug"] = std::find(bugs->begin(), bugs->end(), "cpu_meltdown") != bugs->end() ? kOn : kOff;
    }
    if (const auto flags = cpuinfo_flags(*cpuinfo_text)) {
      for (const char* f : {"pcid", "invpcid", "invpcid_single"}) kv[f] = flags->contains(f) ? kOn : kOff;
    }
    std::size_t cpus = 0;
    std::string_view t = *cpuinfo_text;
    while (!t.empty()) {
      const std::size_t nl = t.find('\n');
      if (t.starts_with("processor")) ++cpus;
      t.remove_prefix(nl == std::string_view::npos ? t.size() : nl + 1);
    }
    if (cpus > 0) kv["nr_cpus"] = std::to_string(cpus);
  }
  if (cmdline_text) {
    const auto tokens = cmdline_tokens(*cmdline_text);
    if (std::find(tokens.begin(), tokens.end(), "nokaslr") != tokens.end()) kv["kaslr"] = kOff;
    if (kv.contains("pti"))
      kv["pti_reason"] = infer_pti_reason(kv["pti"], get(kv, "meltdown_bug"), *cmdline_text);
    // arm64: only a kpti= on the command line explains KPTI without the module.
    for (const auto& t : tokens)
      if (t.starts_with("kpti=") && kv.contains("kpti")) kv["kpti_reason"] = "cmdline:" + t;
  }
  return kv;
}

const std::vector<std::string_view> kModuleStateKeysArm64 = {
    "arch",   "kernel",   "nr_cpus", "kaslr",     "kpti",         "kpti_reason", "meltdown_bug",
    "e0pd_hw", "e0pd_enabled", "ng_mappings", "midr", "asid_bits", "kernel_asid", "user_asid"};

std::string kpti_reason_sentence(std::string_view reason) {
  if (reason == "kaslr")
    return "forced on by KASLR: without E0PD, user space could time its accesses to kernel addresses and find "
           "where KASLR put the kernel (kaslr_requires_kpti())";
  if (reason == "e0pd")
    return "off: KASLR would force it, but E0PD (ARMv8.5) makes user accesses to kernel addresses fault in "
           "constant time, so KASLR needs no KPTI";
  if (reason == "meltdown_bug") return "on: the CPU is vulnerable to Meltdown";
  if (reason == "not_affected")
    return "off: the CPU is not affected by Meltdown and KASLR does not require it (KASLR off)";
  if (reason == "cavium_27456") return "forced off: the ThunderX erratum 27456 workaround cannot run with it";
  if (reason == "config") return "off: the kernel was built without CONFIG_UNMAP_KERNEL_AT_EL0";
  if (reason.starts_with("cmdline:"))
    return "forced by " + std::string(reason.substr(8)) + " on the kernel command line";
  if (reason == kUnknown || reason.empty())
    return "unknown: the kernel decided in a way ptilab does not model (or the module is not loaded: only it "
           "can tell KASLR's KPTI from none on arm64)";
  return "unrecognised reason '" + std::string(reason) + "'";
}

namespace {

// arm64: KPTI (the kernel unmapped at EL0 behind a trampoline) and E0PD.
StatusVerdict decide_status_arm64(const KeyValues& state, StateOrigin origin) {
  StatusVerdict v;
  v.isolation = "KPTI";
  v.pti = get(state, "kpti");
  if (v.pti != kOn && v.pti != kOff) v.pti = kUnknown;
  v.meltdown_bug = get(state, "meltdown_bug");
  if (v.meltdown_bug != kOn && v.meltdown_bug != kOff) v.meltdown_bug = kUnknown;
  const std::string reason = get(state, "kpti_reason");
  v.reason = kpti_reason_sentence(reason);
  v.reason_inferred = origin == StateOrigin::kKernel;
  const bool on = v.pti == kOn, off = v.pti == kOff;
  const bool bug = v.meltdown_bug == kOn, no_bug = v.meltdown_bug == kOff;
  const bool e0pd = get(state, "e0pd_enabled") == kOn;

  if (v.pti == kUnknown) {
    v.advice = "cannot tell whether KPTI is on: load ptilab.ko (on arm64 the meltdown sysfs file says \"Not "
               "affected\" even when KASLR forces KPTI on).";
  } else if (v.meltdown_bug == kUnknown) {
    v.advice = std::string("cannot tell whether this CPU is vulnerable to Meltdown, so not whether KPTI ") +
               (on ? "can be turned off safely." : "must be turned on.");
  } else if (on && bug) {
    v.safe_to_disable = false;
    v.advice = "booting with kpti=0 or mitigations=off would turn it off, but that is NOT safe: this CPU is "
               "vulnerable to Meltdown, so user space could read kernel memory. Keep it on.";
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
  v.tlb_heading = "E0PD and ASIDs";
  v.pcid.push_back("E0PD: in hardware " + yes_no(get(state, "e0pd_hw")) + ", enabled (TCR_EL1.E0PD1) " +
                   yes_no(get(state, "e0pd_enabled")) + "; ASIDs: " + get(state, "asid_bits") + " bits, kernel " +
                   get(state, "kernel_asid") + ", user " + get(state, "user_asid"));
  v.pcid.push_back(std::string(off ? "KPTI is off, so none of this is paid now; with it on: " : "") +
                   "every kernel entry and exit goes through the trampoline and rewrites TTBR1; the ASID pair keeps "
                   "the TLB, so the cost is the trampoline and TTBR writes, not refills.");
  v.pcid.push_back("(seed 000: E0PD instead of KPTI, 5-23% faster)");

  for (const auto key : kModuleStateKeysArm64) {
    if (key == "kpti_reason") continue;
    if (get(state, key) == kUnknown) v.unknown.emplace_back(key);
  }
  if (origin == StateOrigin::kKernel)
    v.unknown.emplace_back("exact kpti_reason and E0PD (only the module can read them)");
  else if (reason == kUnknown)
    v.unknown.emplace_back("kpti_reason (the module's model disagrees with the kernel)");
  return v;
}

}  // namespace

StatusVerdict decide_status(const KeyValues& state, StateOrigin origin) {
  if (const std::string arch = get(state, "arch"); arch == "aarch64" || arch == "arm64")
    return decide_status_arm64(state, origin);
  StatusVerdict v;
  v.pti = get(state, "pti");
  if (v.pti != kOn && v.pti != kOff) v.pti = kUnknown;
  v.meltdown_bug = get(state, "meltdown_bug");
  if (v.meltdown_bug != kOn && v.meltdown_bug != kOff) v.meltdown_bug = kUnknown;
  const std::string reason = get(state, "pti_reason");
  v.reason = pti_reason_sentence(reason);
  v.reason_inferred = origin == StateOrigin::kKernel;

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
    v.advice =
        "booting with pti=off, nopti or mitigations=off would turn it off, but that is NOT safe: this CPU has the "
        "Meltdown bug, so user space could read kernel memory. Keep it on.";
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

  // PCID.
  const std::string pcid = get(state, "pcid");
  std::string pcide = get(state, "cr4_pcide");
  if (pcide == kUnknown) pcide = get(state, "pcid_enabled");
  v.pcid.push_back("PCID: available " + yes_no(pcid) + ", enabled (CR4.PCIDE) " + yes_no(pcide) + ", INVPCID " +
                   yes_no(get(state, "invpcid")));
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

  // What could not be known.
  for (const auto key : kModuleStateKeys) {
    if (key == "pti_reason") continue;
    if (get(state, key) == kUnknown) v.unknown.emplace_back(key);
  }
  if (origin == StateOrigin::kKernel)
    v.unknown.emplace_back("exact pti_reason (inferred without the module)");
  else if (reason == kUnknown)
    v.unknown.emplace_back("pti_reason (the module's model disagrees with the kernel)");
  return v;
}

GatheredState gather_state(const StatusOptions& o, std::string_view arch, std::string_view kernel) {
  const Debugfs fs(o.debugfs);
  GatheredState g;
  std::string why_not;
  if (const auto unavailable = fs.unavailable()) {
    why_not = *unavailable;
  } else if (const auto text = try_read_text_file(fs.file("state"))) {
    const ModuleState ms = ModuleState::parse(*text, fs.file("state").string());
    g.origin = StateOrigin::kModule;
    for (const auto& e : ms.entries()) g.state[e.key] = e.value;
    g.source = "the module (" + fs.file("state").string() + ")";
    return g;
  } else {
    why_not = "cannot read " + fs.file("state").string();
  }
  g.state = kernel_state(try_read_text_file(o.meltdown), try_read_text_file(o.cpuinfo), try_read_text_file(o.cmdline),
                         arch, kernel);
  g.source = why_not + "; using what the kernel shows (" + o.meltdown.string() + ", " + o.cpuinfo.string() + ", " +
             o.cmdline.string() + ")";
  return g;
}

int run_status(const StatusOptions& o) {
  const SystemInfo sys = read_system_info(o.cmdline);
  const GatheredState g = gather_state(o, sys.arch, sys.kernel);
  StatusVerdict v = decide_status(g.state, g.origin);

  // What it costs here: only the module can time a CR3 (TTBR1) write.
  const bool x86 = is_x86_64(sys.arch);
  const std::vector<const char*> write_probes =
      x86 ? std::vector<const char*>{"cr3_noflush", "cr3_flush"} : std::vector<const char*>{"ttbr1_isb"};
  const std::string write_name = x86 ? "CR3 write" : "TTBR1 write + ISB";
  // arm64's probes count generic-timer ticks, not CPU cycles.
  const std::string unit = x86 ? "cycles" : "timer ticks";
  const Debugfs fs(o.debugfs);
  std::vector<ProbeOutcome> costs;
  std::string costs_unknown;
  if (g.origin != StateOrigin::kModule) {
    costs_unknown = "unknown without the module: insmod ptilab.ko, then `ptilab status` (as root) or `ptilab probe`";
  } else if (!fs.writable("probe")) {
    costs_unknown = "unknown: cannot write " + fs.file("probe").string() + " (run as root)";
  } else {
    const ProbeReport report = parse_probe(fs.read("probe"), fs.file("probe").string());
    for (const char* name : write_probes) {
      const PrimitiveSupport* p = report.find_primitive(name);
      if (p && p->supported) costs.push_back(run_probe(fs, name, kStatusProbeIterations));
    }
    if (costs.empty()) costs_unknown = "unknown: this CPU supports none of the probes of a " + write_name;
  }
  if (!costs_unknown.empty()) v.unknown.emplace_back("cost of a " + write_name);
  // Inside a VM the hypervisor or emulator sets what a CR3 write costs.
  bool virtualized = false;
  if (const auto cpuinfo = try_read_text_file(o.cpuinfo)) {
    const auto flags = cpuinfo->find("\nflags");
    const auto eol = cpuinfo->find('\n', flags == std::string::npos ? 0 : flags + 1);
    virtualized = flags != std::string::npos &&
                  (cpuinfo->substr(flags, eol - flags) + " ").find(" hypervisor ") != std::string::npos;
  }

  if (o.json) {
    nlohmann::ordered_json j;
    j["source"] = g.origin == StateOrigin::kModule ? "module" : "kernel";
    j["state"] = nlohmann::ordered_json::object();
    for (const auto& [k, val] : g.state) j["state"][k] = val;
    j["isolation"] = v.isolation;
    j["pti"] = v.pti;  // on/off of that isolation (PTI or KPTI)
    j["meltdown_bug"] = v.meltdown_bug;
    j["reason"] = v.reason;
    j["reason_inferred"] = v.reason_inferred;
    j["safe_to_disable"] = v.safe_to_disable ? nlohmann::ordered_json(*v.safe_to_disable) : nlohmann::ordered_json();
    j["advice"] = v.advice;
    j[x86 ? "pcid" : "e0pd_asid"] = v.pcid;
    j["costs"] = nlohmann::ordered_json::object();
    for (const auto& c : costs) {
      if (c.kind == ProbeOutcome::Kind::kMeasured)
        j["costs"][c.primitive] = {{"median_cycles", c.stats.median_cycles},
                                   {"median_ns", c.median_ns ? nlohmann::ordered_json(*c.median_ns)
                                                             : nlohmann::ordered_json()}};
      else
        j["costs"][c.primitive] = {{"error", c.kind == ProbeOutcome::Kind::kFailed ? c.error : "not supported"}};
    }
    j["virtualized"] = virtualized;
    j["unknown"] = v.unknown;
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  std::string out;
  out += "Source: " + g.source + "\n\n";
  out += "Page-table isolation (" + v.isolation + "): " +
         std::string(v.pti == kOn ? "ON" : v.pti == kOff ? "OFF" : "UNKNOWN") + "\n";
  out += "  why: " + v.reason + (v.reason_inferred ? " (reason inferred: the module is not loaded)" : "") + "\n";
  out += "  Meltdown bug: " + std::string(v.meltdown_bug == kOn ? "yes" : v.meltdown_bug == kOff ? "no" : "unknown") +
         "\n\n";
  out += v.pcid.front() + "\n";
  for (std::size_t i = 1; i < v.pcid.size(); ++i) out += "  " + v.pcid[i] + "\n";
  out += "\nWhat it costs here (one " + write_name + ", median of " + std::to_string(kStatusProbeIterations) +
         "):\n";
  if (!costs_unknown.empty()) out += "  " + costs_unknown + "\n";
  if (virtualized && !costs.empty())
    out += "  (inside a virtual machine: the hypervisor or emulator sets these costs, not the CPU)\n";
  for (const auto& c : costs) {
    out += "  " + c.primitive + ": ";
    if (c.kind == ProbeOutcome::Kind::kMeasured) {
      out += std::to_string(c.stats.median_cycles) + " " + unit;
      if (c.median_ns) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " (%.1f ns)", *c.median_ns);
        out += buf;
      }
    } else {
      out += c.kind == ProbeOutcome::Kind::kFailed ? c.error : "not supported on this CPU";
    }
    out += "\n";
  }
  out += "\nWhat would change it:\n  " + v.advice + "\n";
  out += "  safe to turn off: " +
         std::string(!v.safe_to_disable ? "cannot tell" : *v.safe_to_disable ? "yes" : "NO") + "\n";
  out += "\nCould not know: ";
  if (v.unknown.empty()) {
    out += "nothing\n";
  } else {
    for (std::size_t i = 0; i < v.unknown.size(); ++i) out += (i ? ", " : "") + v.unknown[i];
    out += "\n";
  }
  std::cout << out;
  return 0;
}

}  // namespace ptilab
