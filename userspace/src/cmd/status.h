// `ptilab status`: the isolation state explained to a person: what is on
// and why, what PCID changes, what it costs here, what would change it and
// whether that is safe, and what could not be known (model/status.h).
#pragma once

#include <filesystem>
#include <string_view>

#include "kernel/debugfs.h"
#include "kernel/numa.h"
#include "model/status.h"

namespace ptilab {

struct StatusOptions {
  bool json = false;
  // Time a page-table write with the module's probes (when it is loaded
  // and writable); false leaves costs empty and costs_unknown unset, for
  // probe_write_costs() later.
  bool probes = true;
  // Where the kernel's text is (the module's numa file, which walks the
  // kernel's page tables, and sysfs's nodes); false leaves it empty.
  bool locality = true;
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
  // The kernel's files, injectable for tests.
  std::filesystem::path meltdown = kMeltdownPath;
  std::filesystem::path cpuinfo = kCpuinfoPath;
  std::filesystem::path cmdline = kCmdlinePath;
  std::filesystem::path nodes = kSysfsNodeDir;
};

struct GatheredState {
  StateOrigin origin = StateOrigin::kKernel;
  KeyValues state;
  std::string source;  // for people: where it came from
};

// The module's state if its directory and state file are there, else
// kernel_state() of the kernel's files. Throws Error only for a malformed
// module state file.
GatheredState gather_state(const StatusOptions& options, std::string_view arch, std::string_view kernel);

// The state, its verdict, the probes of a page-table write when the module
// can run them, the CPU. Throws Error.
StatusReport gather_status(const StatusOptions& options);

// The module's probes of one page-table write (the profile's
// write_probes this CPU supports, kStatusProbeIterations each) into
// r.costs, or why there are none into r.costs_unknown (and "cost of a
// ..." among r.verdict.unknown). r.origin says whether the module is
// there. Throws Error for a malformed probe file.
void probe_write_costs(const Debugfs& fs, const ArchProfile& profile, StatusReport& r);

int run_status(const StatusOptions& options);

}  // namespace ptilab
