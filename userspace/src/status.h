// `ptilab status`: the isolation state explained to a person: what is on
// and why, what PCID changes, what it costs here, what would change it and
// whether that is safe, and what could not be known.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "debugfs.h"
#include "state.h"

namespace ptilab {

inline constexpr std::string_view kCmdlinePath = "/proc/cmdline";

using KeyValues = std::map<std::string, std::string, std::less<>>;

// Where the key/values came from: the module's state file, or what the
// kernel shows everyone (meltdown sysfs file, /proc/cpuinfo, /proc/cmdline).
enum class StateOrigin { kModule, kKernel };

// The module's state keys on x86_64, in its order; those status reads on arm64.
extern const std::vector<std::string_view> kModuleStateKeys;
extern const std::vector<std::string_view> kModuleStateKeysArm64;

// arm64: the module's kpti_reason as a sentence ("kaslr" -> "forced on by
// KASLR: ...", "e0pd" -> "off: KASLR would force it, but E0PD ...").
std::string kpti_reason_sentence(std::string_view reason);

// The module's pti_reason as a sentence: "cmdline:pti=on" -> "forced on by
// pti=on on the kernel command line", "meltdown_bug" -> "on: the CPU has
// the Meltdown bug", ...
std::string pti_reason_sentence(std::string_view reason);

// Without the module: the pti_reason the module would give, from the
// isolation state (on/off/unknown), the Meltdown bug (on/off/unknown) and
// the kernel command line. "unknown" when nothing explains it.
std::string infer_pti_reason(std::string_view pti, std::string_view meltdown_bug, std::string_view cmdline);

// The module-like key/values derivable without the module: arch, kernel,
// nr_cpus, pti, pti_reason (inferred), meltdown_bug, pcid, invpcid,
// invpcid_single, kaslr (only "off", from nokaslr). Missing inputs leave
// their keys out.
KeyValues kernel_state(const std::optional<std::string>& meltdown_text, const std::optional<std::string>& cpuinfo_text,
                       const std::optional<std::string>& cmdline_text, std::string_view arch, std::string_view kernel);

struct StatusVerdict {
  std::string isolation = "PTI";            // what is on or off: PTI (x86) or KPTI (arm64)
  std::string pti = std::string(kUnknown);  // on, off or unknown
  std::string meltdown_bug = std::string(kUnknown);
  std::string reason;                       // pti_reason_sentence()
  bool reason_inferred = false;             // StateOrigin::kKernel
  std::optional<bool> safe_to_disable;      // nullopt: cannot tell
  std::string advice;                       // what would change it, and whether to
  std::string tlb_heading = "PCID";         // the TLB section: PCID (x86), E0PD and ASIDs (arm64)
  std::vector<std::string> pcid;            // its lines
  std::vector<std::string> unknown;         // what could not be known
};

// Pure: the decisions, from the state's key/values.
StatusVerdict decide_status(const KeyValues& state, StateOrigin origin);

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
