// Parsers for the module's debugfs files other than state: probe, hooks
// and ptaudit. All are strict about the keys they use (a missing or
// malformed one is an Error naming "source:line") and keep going past keys
// they do not know: later module versions add keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

// The numbers of the last probe run.
struct ProbeStats {
  std::uint64_t iterations = 0;
  std::int64_t cpu = 0;
  std::uint64_t min_cycles = 0;
  std::uint64_t median_cycles = 0;
  std::uint64_t p99_cycles = 0;
  std::uint64_t max_cycles = 0;
  std::uint64_t mean_cycles = 0;
  std::uint64_t overhead_cycles = 0;

  bool operator==(const ProbeStats&) const = default;
};

struct PrimitiveSupport {
  std::string name;
  bool supported = false;

  bool operator==(const PrimitiveSupport&) const = default;
};

// The probe file.
struct ProbeReport {
  std::string primitive;            // of the last run; "none" before any
  std::optional<ProbeStats> stats;  // absent when primitive is "none"
  std::string counter;              // "tsc", ...
  std::uint64_t counter_khz = 0;    // 0: unknown
  std::vector<PrimitiveSupport> primitives;  // the primitive.<name> lines, in order

  const PrimitiveSupport* find_primitive(std::string_view name) const;
};

ProbeReport parse_probe(std::string_view text, std::string_view source);

// cycles * 1e6 / counter_khz; nullopt when counter_khz is 0.
std::optional<double> cycles_to_ns(double cycles, std::uint64_t counter_khz);

// One hook in the hooks file ("<name>.installed=yes" etc.).
struct HookInfo {
  std::string name;  // "extra_cr3", "flush"
  bool installed = false;
  std::int64_t pid = 0;  // 0: no target, or one this reader cannot see
  std::optional<std::uint64_t> writes;  // extra_cr3 only
  std::int64_t fired = 0;
  // false for "pid=not_visible": installed for a process in a pid
  // namespace the reader cannot see (pid is 0 then).
  bool pid_visible = true;
  // "target_exited=yes": the hook removed itself when its process exited
  // (fired keeps that process's count until the next write). Modules
  // before that key read as false.
  bool target_exited = false;

  bool operator==(const HookInfo&) const = default;
};

struct HooksReport {
  bool allow_hooks = false;
  std::string sys_enter_probe;  // "registered" / "unregistered"
  std::vector<HookInfo> hooks;  // in file order

  const HookInfo* find(std::string_view name) const;
};

HooksReport parse_hooks(std::string_view text, std::string_view source);

// The summary after "# summary" in the ptaudit file (the range table
// before it is for people). An "error=..." line instead of a summary
// becomes an Error.
struct PtAuditSummary {
  std::string table;  // "pti_user" or "kernel"
  std::uint64_t ranges = 0;
  std::uint64_t kernel_pages = 0;
  std::uint64_t secret_pages = 0;
  std::vector<std::pair<std::string, std::uint64_t>> regions;  // in file order
};

PtAuditSummary parse_ptaudit(std::string_view text, std::string_view source);

}  // namespace ptilab
