// Kernel text locality: what the module says of where the kernel's text,
// rodata and entry code lie (its debugfs file numa: the NUMA node of each
// range's pages, each node's CPUs), and what sysfs says of the nodes
// (/sys/devices/system/node) for the benchmarks pinned to one CPU of
// each node. No decisions here (model/locality.h makes them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

inline constexpr std::string_view kSysfsNodeDir = "/sys/devices/system/node";

struct NumaNode {
  int id = 0;
  std::vector<int> cpus;  // ascending
  // The physical span of its memory, inclusive, where known (the module's
  // node<N>.span; sysfs does not give it).
  std::optional<std::pair<std::uint64_t, std::uint64_t>> span;

  bool operator==(const NumaNode&) const = default;
};

// One range of the module's numa file.
struct PlacedRange {
  std::string name;   // "text", "rodata", "entry_text", "vectors", "kpti_trampoline"
  std::string what;   // the module's words for it
  std::string table;  // the page table walked: "kernel", "pti_user", "kpti_trampoline"
  std::string phys;   // physical extents as the module prints them ("0x..-0x..,...")
  std::uint64_t pages = 0;
  std::map<int, std::uint64_t> node_pages;  // node -> pages on it
  std::uint64_t unknown_pages = 0;          // pages without a struct page
  std::optional<int> node;                  // where most of it is
  std::string unresolved;                   // why it cannot be placed; empty when it can

  // Percent of its pages on `node` (0 without one).
  double node_pct() const;

  bool operator==(const PlacedRange&) const = default;
};

// The module's numa file.
struct NumaPlacement {
  std::vector<NumaNode> nodes;      // online nodes, ascending
  std::vector<PlacedRange> ranges;  // in file order

  const PlacedRange* find(std::string_view name) const;
  const NumaNode* node(int id) const;
};

// Strict about the keys it uses (a malformed one is an Error naming
// "source:line"), keeps going past keys it does not know. An "error=..."
// line (the module ran out of memory) is an Error.
NumaPlacement parse_numa(std::string_view text, std::string_view source);

// "0-3,8,10-11" -> {0,1,2,3,8,10,11}; an empty or blank list is empty.
// nullopt for anything else.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text);

// The online nodes and their CPUs from sysfs (dir: /sys/devices/system/node):
// "online", then each node<N>/cpulist. nullopt when the kernel has no NUMA
// there (no such directory: CONFIG_NUMA off), which means one node of
// every CPU. Throws Error for a file that is there but malformed.
std::optional<std::vector<NumaNode>> read_sysfs_nodes(const std::filesystem::path& dir = kSysfsNodeDir);

}  // namespace ptilab
