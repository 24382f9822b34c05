#include "cmd/status.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "kernel/cpuinfo.h"
#include "util/error.h"
#include "cmd/probe.h"
#include "kernel/sysinfo.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

constexpr int kStatusProbeIterations = 2000;

}  // namespace

KeyValues kernel_state(const std::optional<std::string>& meltdown_text, const std::optional<std::string>& cpuinfo_text,
                       const std::optional<std::string>& cmdline_text, std::string_view arch, std::string_view kernel) {
  KernelFiles k;
  k.arch = arch;
  k.kernel = kernel;
  k.meltdown = meltdown_text;
  k.cpuinfo = cpuinfo_text;
  k.cmdline = cmdline_text;
  return profile_for(arch).kernel_state(k);
}

StatusVerdict decide_status(const ArchProfile& profile, const KeyValues& state, StateOrigin origin) {
  return profile.decide(profile, state, origin);
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
  const ArchProfile& profile = profile_for(sys.arch);
  const GatheredState g = gather_state(o, sys.arch, sys.kernel);
  StatusVerdict v = decide_status(profile, g.state, g.origin);

  // What it costs here: only the module can time a page-table write.
  const std::string write_name(profile.pt_write);
  const std::string unit(profile.probe_unit);
  const Debugfs fs(o.debugfs);
  std::vector<ProbeOutcome> costs;
  std::string costs_unknown;
  if (g.origin != StateOrigin::kModule) {
    costs_unknown = "unknown without the module: insmod ptilab.ko, then `ptilab status` (as root) or `ptilab probe`";
  } else if (!fs.writable("probe")) {
    costs_unknown = "unknown: cannot write " + fs.file("probe").string() + " (run as root)";
  } else {
    const ProbeReport report = parse_probe(fs.read("probe"), fs.file("probe").string());
    for (const std::string_view name : profile.write_probes) {
      const PrimitiveSupport* p = report.find_primitive(name);
      if (p && p->supported) costs.push_back(run_probe(fs, std::string(name), kStatusProbeIterations));
    }
    if (costs.empty()) costs_unknown = "unknown: this CPU supports none of the probes of a " + write_name;
  }
  if (!costs_unknown.empty()) v.unknown.emplace_back("cost of a " + write_name);
  // Inside a VM the hypervisor or emulator sets what a CR3 write costs.
  bool virtualized = false;
  CpuIdentity cpu;
  if (const auto cpuinfo = try_read_text_file(o.cpuinfo)) {
    const auto flags = cpuinfo_flags(*cpuinfo);
    virtualized = flags && flags->contains("hypervisor");
    cpu = profile.cpu(*cpuinfo);
  }
  // The harness says which CPU model QEMU emulated; cpuinfo may not.
  const char* const qemu_cpu = std::getenv("PTILAB_CPU");
  std::string cpu_line = cpu.model.empty() ? std::string("unknown") : cpu.model;
  for (const auto& [k, val] : cpu.ids) cpu_line += ", " + k + " " + val;
  if (qemu_cpu && *qemu_cpu) cpu_line += " (QEMU -cpu " + std::string(qemu_cpu) + ")";

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
    j["tlb_heading"] = v.tlb_heading;
    j["tlb"] = v.pcid;
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
    j["cpu"] = cpu_line;
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
         "\n";
  out += "  CPU: " + cpu_line + "\n\n";
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
