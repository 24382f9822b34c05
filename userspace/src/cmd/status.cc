#include "cmd/status.h"

#include <cstdlib>
#include <iostream>

#include "kernel/cpuinfo.h"
#include "kernel/sysinfo.h"
#include "render/status.h"
#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

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

void probe_write_costs(const Debugfs& fs, const ArchProfile& profile, StatusReport& r) {
  r.costs.clear();
  r.costs_unknown.clear();
  if (r.origin != StateOrigin::kModule) {
    r.costs_unknown = "unknown without the module: insmod ptilab.ko, then `ptilab status` (as root) or `ptilab probe`";
  } else if (!fs.writable("probe")) {
    r.costs_unknown = "unknown: cannot write " + fs.file("probe").string() + " (run as root)";
  } else {
    const ProbeReport report = parse_probe(fs.read("probe"), fs.file("probe").string());
    for (const std::string_view name : profile.write_probes) {
      const PrimitiveSupport* p = report.find_primitive(name);
      if (p && p->supported) r.costs.push_back(run_probe(fs, std::string(name), kStatusProbeIterations));
    }
    if (r.costs.empty())
      r.costs_unknown = "unknown: this CPU supports none of the probes of a " + std::string(profile.pt_write);
  }
  const std::string what = "cost of a " + std::string(profile.pt_write);
  std::erase(r.verdict.unknown, what);
  if (!r.costs_unknown.empty()) r.verdict.unknown.push_back(what);
}

StatusReport gather_status(const StatusOptions& o) {
  const SystemInfo sys = read_system_info(o.cmdline);
  const ArchProfile& profile = profile_for(sys.arch);
  GatheredState g = gather_state(o, sys.arch, sys.kernel);
  StatusReport r;
  r.origin = g.origin;
  r.state = std::move(g.state);
  r.source = std::move(g.source);
  r.verdict = decide_status(profile, r.state, r.origin);

  // What it costs here: only the module can time a page-table write.
  r.write_name = profile.pt_write;
  r.unit = profile.probe_unit;
  if (o.probes) probe_write_costs(Debugfs(o.debugfs), profile, r);
  // Kernel text locality: the module's placement of the kernel's ranges,
  // else only the nodes and their CPUs (sysfs).
  if (o.locality) {
    const Debugfs fs(o.debugfs);
    std::optional<NumaPlacement> placement;
    std::string no_placement;
    if (r.origin != StateOrigin::kModule)
      no_placement = "unknown without the module: insmod ptilab.ko, then `ptilab status` (as root)";
    else if (const auto text = try_read_text_file(fs.file("numa")))
      placement = parse_numa(*text, fs.file("numa").string());
    else
      no_placement = "unknown: cannot read " + fs.file("numa").string() + " (a ptilab.ko without it, or not root)";
    r.locality = locality_status(placement, read_sysfs_nodes(o.nodes), no_placement);
    if (!placement) r.verdict.unknown.emplace_back("where the kernel's text is (NUMA node)");
  }
  // Inside a VM the hypervisor or emulator sets what a CR3 write costs.
  CpuIdentity cpu;
  if (const auto cpuinfo = try_read_text_file(o.cpuinfo)) {
    const auto flags = cpuinfo_flags(*cpuinfo);
    r.virtualized = flags && flags->contains("hypervisor");
    cpu = profile.cpu(*cpuinfo);
  }
  // The harness says which CPU model QEMU emulated; cpuinfo may not.
  const char* const qemu_cpu = std::getenv("PTILAB_CPU");
  r.cpu = cpu.model.empty() ? std::string("unknown") : cpu.model;
  for (const auto& [k, val] : cpu.ids) r.cpu += ", " + k + " " + val;
  if (qemu_cpu && *qemu_cpu) r.cpu += " (QEMU -cpu " + std::string(qemu_cpu) + ")";
  return r;
}

int run_status(const StatusOptions& o) {
  const StatusReport r = gather_status(o);
  std::cout << (o.json ? status_json(r) : status_text(r));
  return 0;
}

}  // namespace ptilab
