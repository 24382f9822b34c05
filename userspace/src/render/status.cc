#include "render/status.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace ptilab {

std::string status_json(const StatusReport& r) {
  const StatusVerdict& v = r.verdict;
  nlohmann::ordered_json j;
  j["source"] = r.origin == StateOrigin::kModule ? "module" : "kernel";
  j["state"] = nlohmann::ordered_json::object();
  for (const auto& [k, val] : r.state) j["state"][k] = val;
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
  for (const auto& c : r.costs) {
    if (c.kind == ProbeOutcome::Kind::kMeasured)
      j["costs"][c.primitive] = {
          {"median_cycles", c.stats.median_cycles},
          {"median_ns", c.median_ns ? nlohmann::ordered_json(*c.median_ns) : nlohmann::ordered_json()}};
    else
      j["costs"][c.primitive] = {{"error", c.kind == ProbeOutcome::Kind::kFailed ? c.error : "not supported"}};
  }
  j["virtualized"] = r.virtualized;
  j["cpu"] = r.cpu;
  const LocalityStatus& l = r.locality;
  nlohmann::ordered_json loc;
  loc["source"] = l.from_module ? "module" : "sysfs";
  loc["nodes"] = nlohmann::ordered_json::array();
  for (const auto& n : l.nodes) loc["nodes"].push_back({{"node", n.id}, {"cpus", n.cpus}});
  loc["ranges"] = nlohmann::ordered_json::array();
  for (const auto& pr : l.ranges) {
    nlohmann::ordered_json x;
    x["name"] = pr.name;
    x["what"] = pr.what;
    x["node"] = pr.node ? nlohmann::ordered_json(*pr.node) : nlohmann::ordered_json();
    x["pct"] = pr.node ? nlohmann::ordered_json(pr.node_pct()) : nlohmann::ordered_json();
    x["pages"] = pr.pages;
    x["node_pages"] = nlohmann::ordered_json::object();
    for (const auto& [nid, pages] : pr.node_pages) x["node_pages"][std::to_string(nid)] = pages;
    x["unknown_pages"] = pr.unknown_pages;
    x["phys"] = pr.phys;
    x["table"] = pr.table;
    x["unresolved"] = pr.unresolved.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(pr.unresolved);
    loc["ranges"].push_back(std::move(x));
  }
  loc["lines"] = l.lines;
  loc["meaning"] = l.meaning;
  loc["unknown"] = l.unknown.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(l.unknown);
  j["locality"] = std::move(loc);
  j["unknown"] = v.unknown;
  return j.dump(2) + "\n";
}

std::string status_text(const StatusReport& r) {
  const StatusVerdict& v = r.verdict;
  const auto on_off = [](const std::string& s, const char* on, const char* off, const char* unknown) {
    return s == kOn ? on : s == kOff ? off : unknown;
  };
  std::string out = fmt::format("Source: {}\n\n", r.source);
  out += fmt::format("Page-table isolation ({}): {}\n", v.isolation, on_off(v.pti, "ON", "OFF", "UNKNOWN"));
  out += fmt::format("  why: {}{}\n", v.reason, v.reason_inferred ? " (reason inferred: the module is not loaded)" : "");
  out += fmt::format("  Meltdown bug: {}\n", on_off(v.meltdown_bug, "yes", "no", "unknown"));
  out += fmt::format("  CPU: {}\n\n", r.cpu);
  out += v.pcid.front() + "\n";
  for (std::size_t i = 1; i < v.pcid.size(); ++i) out += fmt::format("  {}\n", v.pcid[i]);
  out += fmt::format("\nWhat it costs here (one {}, median of {}):\n", r.write_name, kStatusProbeIterations);
  if (!r.costs_unknown.empty()) out += fmt::format("  {}\n", r.costs_unknown);
  if (r.virtualized && !r.costs.empty())
    out += "  (inside a virtual machine: the hypervisor or emulator sets these costs, not the CPU)\n";
  for (const auto& c : r.costs) {
    out += fmt::format("  {}: ", c.primitive);
    if (c.kind == ProbeOutcome::Kind::kMeasured) {
      out += fmt::format("{} {}", c.stats.median_cycles, r.unit);
      if (c.median_ns) out += fmt::format(" ({:.1f} ns)", *c.median_ns);
    } else {
      out += c.kind == ProbeOutcome::Kind::kFailed ? c.error : "not supported on this CPU";
    }
    out += "\n";
  }
  const LocalityStatus& l = r.locality;
  out += "\nKernel text locality (NUMA):\n";
  if (!l.nodes.empty()) {
    std::string nodes;
    for (const auto& n : l.nodes)
      nodes += fmt::format("{}node {} ({})", nodes.empty() ? "" : ", ", n.id, cpus_text(n.cpus));
    out += "  nodes: " + nodes + "\n";
  }
  for (const auto& line : l.lines) out += "  " + line + "\n";
  if (!l.unknown.empty()) out += "  where the kernel's text is: " + l.unknown + "\n";
  for (const auto& m : l.meaning) out += "  " + m + "\n";
  out += fmt::format("\nWhat would change it:\n  {}\n", v.advice);
  out += fmt::format("  safe to turn off: {}\n",
                     !v.safe_to_disable ? "cannot tell" : *v.safe_to_disable ? "yes" : "NO");
  out += "\nCould not know: ";
  out += v.unknown.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(v.unknown, ", "));
  return out + "\n";
}

}  // namespace ptilab
