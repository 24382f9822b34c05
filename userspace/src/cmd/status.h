// `ptilab status`: the isolation state explained to a person: what is on
// and why, what PCID changes, what it costs here, what would change it and
// whether that is safe, and what could not be known.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/arch_profile.h"
#include "kernel/debugfs.h"
#include "kernel/state.h"
#include "kernel/status_model.h"

namespace ptilab {

inline constexpr std::string_view kCmdlinePath = "/proc/cmdline";

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

struct StatusOptions {
  bool json = false;
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
  // The kernel's files, injectable for tests.
  std::filesystem::path meltdown = kMeltdownPath;
  std::filesystem::path cpuinfo = kCpuinfoPath;
  std::filesystem::path cmdline = kCmdlinePath;
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

int run_status(const StatusOptions& options);

}  // namespace ptilab
