#include "model/locality.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <tuple>

#include "kernel/arch_profile.h"
#include "kernel/noise.h"
#include "results/bench_properties.h"

namespace ptilab {

std::string cpus_text(const std::vector<int>& cpus) {
  if (cpus.empty()) return "no CPU";
  return (cpus.size() == 1 ? "CPU " : "CPUs ") + cpu_list(cpus);
}

namespace {

constexpr std::string_view kNodeArg = "/node:";

// "1 (CPU 1)", for the meaning lines.
std::string node_text(const NumaNode& n) { return "node " + std::to_string(n.id) + " (" + cpus_text(n.cpus) + ")"; }

}  // namespace

std::string placement_line(const PlacedRange& r) {
  if (!r.unresolved.empty()) return r.name + ": cannot tell (" + r.unresolved + ")";
  std::string s = fmt::format("{}: node {} ({:.0f}%)", r.name, *r.node, r.node_pct());
  for (const auto& [nid, pages] : r.node_pages)
    if (nid != *r.node) s += fmt::format(", node {} {} page{}", nid, pages, pages == 1 ? "" : "s");
  if (r.unknown_pages)
    s += fmt::format(", {} page{} of no known node", r.unknown_pages, r.unknown_pages == 1 ? "" : "s");
  s += fmt::format("; {} page{} at {} ({} table)", r.pages, r.pages == 1 ? "" : "s", r.phys, r.table);
  return s;
}

LocalityStatus locality_status(const std::optional<NumaPlacement>& placement,
                               const std::optional<std::vector<NumaNode>>& sysfs_nodes, const std::string& why) {
  LocalityStatus s;
  if (placement) {
    s.from_module = true;
    s.nodes = placement->nodes;
    s.ranges = placement->ranges;
    for (const auto& r : s.ranges) s.lines.push_back(placement_line(r));
  } else {
    s.unknown = why;
    if (sysfs_nodes) s.nodes = *sysfs_nodes;
  }
  if (s.nodes.empty() && !sysfs_nodes && !placement) {
    s.meaning.push_back("one NUMA node (this kernel has no NUMA in sysfs): every kernel entry fetches local text");
    return s;
  }
  if (s.nodes.size() == 1) {
    s.meaning.push_back("one NUMA node: " + node_text(s.nodes.front()) +
                        "; every kernel entry fetches the kernel's text from local memory");
    return s;
  }
  const PlacedRange* text = placement ? placement->find("text") : nullptr;
  if (!text || !text->node) {
    s.meaning.push_back(std::to_string(s.nodes.size()) + " NUMA nodes, but where the kernel's text is cannot be told" +
                        (text ? " (" + text->unresolved + ")" : s.unknown.empty() ? "" : " (" + s.unknown + ")"));
    return s;
  }
  const int t = *text->node;
  for (const auto& n : s.nodes) {
    if (n.cpus.empty()) continue;
    const bool one = n.cpus.size() == 1;
    const std::string who = cpus_text(n.cpus) + " (node " + std::to_string(n.id) + ")";
    if (n.id == t)
      s.meaning.push_back(who + (one ? " enters" : " enter") + " a kernel whose text is local: " +
                          (one ? "its" : "their") + " kernel entries fetch it from " + (one ? "its" : "their") +
                          " own node");
    else
      s.meaning.push_back(who + (one ? " enters" : " enter") + " a kernel whose text is on node " + std::to_string(t) +
                          ": every system call, interrupt and fault from " + (one ? "it" : "them") +
                          " fetches kernel text from another node");
  }
  // The entry code is where every entry starts: say where it differs.
  for (const auto& r : s.ranges)
    if (r.name != "text" && r.node && *r.node != t)
      s.meaning.push_back(r.name + " is on node " + std::to_string(*r.node) + ", not with the text on node " +
                          std::to_string(t));
  return s;
}

std::optional<int> locality_node(std::string_view benchmark) {
  const std::size_t at = benchmark.find(kNodeArg);
  if (at == std::string_view::npos || !is_locality_benchmark(benchmark)) return std::nullopt;
  const std::string_view digits = benchmark.substr(at + kNodeArg.size());
  int v = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || v < 0) return std::nullopt;
  return v;
}

bool is_locality_benchmark(std::string_view benchmark) {
  const std::string_view family = benchmark.substr(0, benchmark.find('/'));
  return std::find(kLocalityBenchmarks.begin(), kLocalityBenchmarks.end(), family) != kLocalityBenchmarks.end();
}

bool locality_uses(const ResultRow& row) {
  return is_locality_benchmark(row.benchmark) &&
         (row.metric == kMetricMean || row.metric == kNumaCpu || row.metric == kKernelTextNode);
}

bool LocalityGroup::single_node() const {
  std::set<int> nodes;
  for (const auto& l : lines)
    for (const auto& c : l.cells) nodes.insert(c.node);
  return nodes.size() <= 1;
}

std::vector<LocalityGroup> kernel_text_locality(const std::vector<ResultRow>& rows, double confidence) {
  // (arch, kernel, accel, config) -> family -> node -> rows
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  struct Acc {
    std::map<std::string, std::map<int, std::vector<const ResultRow*>>> times;
    std::vector<std::string> families;  // first-seen
    std::map<int, int> cpus;            // node -> the CPU a run recorded
    std::set<int> text_nodes;
  };
  std::map<Key, Acc> groups;
  std::vector<Key> order;
  // The TLB column distinguishes configurations only where the rows of an
  // architecture have several values of it (as the table labels them).
  std::map<std::string, std::set<std::string>> tlbs;
  for (const ResultRow& r : rows)
    if (locality_uses(r)) tlbs[r.arch].insert(profile_for(r.arch).tlb_of(r));
  for (const ResultRow& r : rows) {
    if (!locality_uses(r)) continue;
    const auto node = locality_node(r.benchmark);
    if (!node) continue;
    const ArchProfile& p = profile_for(r.arch);
    const Key key{r.arch, r.kernel, r.accel, p.label(r, tlbs[r.arch].size() > 1)};
    if (!groups.contains(key)) order.push_back(key);
    Acc& a = groups[key];
    const std::string family(r.benchmark.substr(0, r.benchmark.find('/')));
    const auto v = parse_number(r.value);
    if (r.metric == kMetricMean) {
      if (std::find(a.families.begin(), a.families.end(), family) == a.families.end()) a.families.push_back(family);
      a.times[family][*node].push_back(&r);
    } else if (v && r.metric == kNumaCpu) {
      a.cpus[*node] = static_cast<int>(*v);
    } else if (v && r.metric == kKernelTextNode) {
      a.text_nodes.insert(static_cast<int>(*v));
    }
  }
  std::vector<LocalityGroup> out;
  for (const Key& key : order) {
    Acc& a = groups[key];
    if (a.families.empty()) continue;
    LocalityGroup g;
    std::tie(g.arch, g.kernel, g.accel, g.config) = key;
    // Boots of one configuration load the kernel where the boot put it
    // (x86's KASLR moves it physically): one node for all of them, or none.
    if (a.text_nodes.size() == 1) g.text_node = *a.text_nodes.begin();
    std::set<int> nodes;
    for (const auto& [f, by_node] : a.times)
      for (const auto& [n, _] : by_node) nodes.insert(n);
    g.reference = g.text_node && nodes.contains(*g.text_node) ? *g.text_node : *nodes.begin();
    for (const std::string& f : a.families) {
      LocalityLine line;
      line.family = f;
      const auto& by_node = a.times[f];
      const auto ref = by_node.find(g.reference);
      std::optional<Pooled> ref_pool;
      if (ref != by_node.end()) ref_pool = pool_rows(ref->second);
      for (const auto& [n, rs] : by_node) {
        LocalityCell c;
        c.node = n;
        if (const auto it = a.cpus.find(n); it != a.cpus.end()) c.cpu = it->second;
        c.pooled = n == g.reference && ref_pool ? *ref_pool : pool_rows(rs);
        g.boots = std::max(g.boots, c.pooled.boots);
        if (n != g.reference && ref_pool) c.vs_reference = contrast(*ref_pool, c.pooled, confidence);
        line.cells.push_back(std::move(c));
      }
      g.lines.push_back(std::move(line));
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace ptilab
