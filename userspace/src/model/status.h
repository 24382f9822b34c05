// `ptilab status`'s model: the isolation state explained -- the verdict
// drawn from the state's key/values (by the architecture's profile), what
// a page-table write costs here, the CPU -- as data; render/status.h shows
// it as text or JSON, cmd/status.cc gathers it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/arch_profile.h"
#include "kernel/probe.h"
#include "kernel/state.h"
#include "kernel/status_model.h"
#include "model/locality.h"

namespace ptilab {

// The module-like key/values the kernel's own files give, through the
// architecture's profile (arch_profile.h): arch, kernel, nr_cpus, the
// isolation state and its reason (inferred from the command line with the
// kernel's own precedence), the Meltdown bug, ... Missing inputs leave
// their keys out.
KeyValues kernel_state(const std::optional<std::string>& meltdown_text, const std::optional<std::string>& cpuinfo_text,
                       const std::optional<std::string>& cmdline_text, std::string_view arch, std::string_view kernel);

// Pure: the decisions, from the state's key/values, by the profile of the
// architecture the state is from.
StatusVerdict decide_status(const ArchProfile& profile, const KeyValues& state, StateOrigin origin);

inline constexpr int kStatusProbeIterations = 2000;

// Everything `ptilab status` shows.
struct StatusReport {
  StateOrigin origin = StateOrigin::kKernel;
  KeyValues state;
  std::string source;  // for people: where the state came from
  StatusVerdict verdict;
  std::string write_name;  // what the probes time: "CR3 write"
  std::string unit;        // their counter: "cycles"
  std::vector<ProbeOutcome> costs;
  std::string costs_unknown;  // why there are none; empty when there are
  bool virtualized = false;   // cpuinfo's hypervisor flag
  std::string cpu;            // model, ids, QEMU's -cpu
  LocalityStatus locality;    // where the kernel's text is, and the nodes' CPUs
};

}  // namespace ptilab
