#include "kernel/numa.h"

#include <algorithm>
#include <charconv>

#include "kernel/state.h"
#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename Int>
std::optional<Int> to_int(std::string_view s, int base = 10) {
  Int v{};
  if (base == 16) {
    if (!s.starts_with("0x")) return std::nullopt;
    s.remove_prefix(2);
  }
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string where(const ModuleState& kv, const ModuleState::Entry& e) {
  return kv.source() + ":" + std::to_string(e.line);
}

}  // namespace

double PlacedRange::node_pct() const {
  if (!node || pages == 0) return 0;
  const auto it = node_pages.find(*node);
  return it == node_pages.end() ? 0 : 100.0 * static_cast<double>(it->second) / static_cast<double>(pages);
}

const PlacedRange* NumaPlacement::find(std::string_view name) const {
  for (const auto& r : ranges)
    if (r.name == name) return &r;
  return nullptr;
}

const NumaNode* NumaPlacement::node(int id) const {
  for (const auto& n : nodes)
    if (n.id == id) return &n;
  return nullptr;
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> out;
  text = trim(text);
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    const std::size_t dash = item.find('-');
    const auto lo = to_int<int>(item.substr(0, dash));
    const auto hi = dash == std::string_view::npos ? lo : to_int<int>(item.substr(dash + 1));
    if (!lo || !hi || *hi < *lo || *lo < 0) return std::nullopt;
    for (int c = *lo; c <= *hi; ++c) out.push_back(c);
    if (comma != std::string_view::npos && text.empty()) return std::nullopt;  // "0,"
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

NumaPlacement parse_numa(std::string_view text, std::string_view source) {
  const ModuleState kv = ModuleState::parse(text, source);
  if (const ModuleState::Entry* e = kv.find("error"))
    throw Error(where(kv, *e) + ": the module could not place the kernel's ranges: " + e->value);
  const ModuleState::Entry* online = kv.find("nodes");
  if (!online) throw Error(kv.source() + ": no nodes= line");
  const auto ids = parse_cpu_list(online->value);
  if (!ids || ids->empty()) throw Error(where(kv, *online) + ": nodes must be a list of node numbers, got '" + online->value + "'");
  NumaPlacement p;
  for (const int id : *ids) {
    NumaNode n;
    n.id = id;
    const std::string prefix = "node" + std::to_string(id) + ".";
    const ModuleState::Entry* cpus = kv.find(prefix + "cpus");
    if (!cpus) throw Error(kv.source() + ": no " + prefix + "cpus= line for online node " + std::to_string(id));
    const auto list = parse_cpu_list(cpus->value);
    if (!list) throw Error(where(kv, *cpus) + ": " + cpus->key + " must be a CPU list, got '" + cpus->value + "'");
    n.cpus = *list;
    if (const ModuleState::Entry* span = kv.find(prefix + "span")) {
      const std::size_t dash = span->value.find('-');
      const auto lo = to_int<std::uint64_t>(std::string_view(span->value).substr(0, dash), 16);
      const auto hi = dash == std::string::npos ? std::nullopt
                                                : to_int<std::uint64_t>(std::string_view(span->value).substr(dash + 1), 16);
      if (!lo || !hi || *hi < *lo) throw Error(where(kv, *span) + ": " + span->key + " must be 0xSTART-0xEND, got '" + span->value + "'");
      n.span = {*lo, *hi};
    }
    p.nodes.push_back(std::move(n));
  }
  // Ranges in the order their range.<name>.what lines come.
  constexpr std::string_view kRange = "range.";
  for (const auto& e : kv.entries()) {
    if (!e.key.starts_with(kRange) || !e.key.ends_with(".what")) continue;
    PlacedRange r;
    r.name = e.key.substr(kRange.size(), e.key.size() - kRange.size() - 5);
    if (r.name.empty() || r.name.find('.') != std::string::npos) throw Error(where(kv, e) + ": bad range name in '" + e.key + "'");
    r.what = e.value;
    const std::string prefix = std::string(kRange) + r.name + ".";
    const auto get = [&](std::string_view field) { return kv.find(prefix + std::string(field)); };
    const auto count = [&](const ModuleState::Entry& f) {
      const auto v = to_int<std::uint64_t>(f.value);
      if (!v) throw Error(where(kv, f) + ": " + f.key + " must be a number, got '" + f.value + "'");
      return *v;
    };
    if (const auto* u = get("unresolved")) r.unresolved = u->value.empty() ? "unknown" : u->value;
    if (const auto* t = get("table")) r.table = t->value;
    if (const auto* ph = get("phys")) r.phys = ph->value;
    if (const auto* pg = get("pages")) r.pages = count(*pg);
    if (const auto* un = get("unknown_pages")) r.unknown_pages = count(*un);
    for (const auto& f : kv.entries()) {
      if (!f.key.starts_with(prefix + "node") || !f.key.ends_with("_pages")) continue;
      const std::string_view id =
          std::string_view(f.key).substr(prefix.size() + 4, f.key.size() - prefix.size() - 4 - 6);
      const auto nid = to_int<int>(id);
      if (!nid) throw Error(where(kv, f) + ": bad node in '" + f.key + "'");
      r.node_pages[*nid] = count(f);
    }
    if (const auto* nd = get("node")) {
      const auto nid = to_int<int>(nd->value);
      if (!nid) throw Error(where(kv, *nd) + ": " + nd->key + " must be a node number, got '" + nd->value + "'");
      r.node = *nid;
    }
    if (r.unresolved.empty() && !r.node)
      throw Error(kv.source() + ": range " + r.name + " has neither a node= nor an unresolved= line");
    p.ranges.push_back(std::move(r));
  }
  return p;
}

std::optional<std::vector<NumaNode>> read_sysfs_nodes(const std::filesystem::path& dir) {
  const auto online_text = try_read_text_file(dir / "online");
  if (!online_text) return std::nullopt;
  const auto ids = parse_cpu_list(*online_text);
  if (!ids || ids->empty())
    throw Error((dir / "online").string() + ": not a list of nodes: '" + std::string(trim(*online_text)) + "'");
  std::vector<NumaNode> nodes;
  for (const int id : *ids) {
    const auto path = dir / ("node" + std::to_string(id)) / "cpulist";
    const std::string text = read_text_file(path);
    const auto cpus = parse_cpu_list(text);
    if (!cpus) throw Error(path.string() + ": not a CPU list: '" + std::string(trim(text)) + "'");
    nodes.push_back({id, *cpus, std::nullopt});
  }
  return nodes;
}

}  // namespace ptilab
