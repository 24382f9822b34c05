// The isolation state as key/values and the verdict `ptilab status` draws
// from it: the types the architecture profiles (arch_profile.h) and the
// status command share. No I/O here.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

using KeyValues = std::map<std::string, std::string, std::less<>>;

// Where the key/values came from: the module's state file, or what the
// kernel shows everyone (meltdown sysfs file, /proc/cpuinfo, /proc/cmdline).
enum class StateOrigin { kModule, kKernel };

// What the kernel tells everyone, for the state without the module.
struct KernelFiles {
  std::string arch;    // uname -m
  std::string kernel;  // uname -r
  std::optional<std::string> meltdown;  // /sys/devices/system/cpu/vulnerabilities/meltdown
  std::optional<std::string> cpuinfo;   // /proc/cpuinfo
  std::optional<std::string> cmdline;   // /proc/cmdline
};

struct StatusVerdict {
  std::string isolation;                    // what is on or off: PTI (x86) or KPTI (arm64)
  std::string pti = "unknown";              // on, off or unknown (of that isolation)
  std::string meltdown_bug = "unknown";
  std::string reason;                       // the reason token as a sentence
  bool reason_inferred = false;             // StateOrigin::kKernel
  std::optional<bool> safe_to_disable;      // nullopt: cannot tell
  std::string advice;                       // what would change it, and whether to
  std::string tlb_heading;                  // the TLB section: PCID (x86), E0PD and ASIDs (arm64)
  std::vector<std::string> pcid;            // its lines
  std::vector<std::string> unknown;         // what could not be known
};

}  // namespace ptilab
