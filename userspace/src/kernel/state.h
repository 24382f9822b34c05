// Isolation state: what the ptilab kernel module reports
// (/sys/kernel/debug/ptilab/state), or, without the module, what the
// kernel itself tells user space (meltdown sysfs file, /proc/cpuinfo).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/cpuinfo.h"

namespace ptilab {

inline constexpr std::string_view kModuleStatePath = "/sys/kernel/debug/ptilab/state";
inline constexpr std::string_view kMeltdownPath = "/sys/devices/system/cpu/vulnerabilities/meltdown";
inline constexpr std::string_view kCpuinfoPath = "/proc/cpuinfo";
inline constexpr std::string_view kCmdlinePath = "/proc/cmdline";

inline constexpr std::string_view kOn = "on";
inline constexpr std::string_view kOff = "off";
inline constexpr std::string_view kUnknown = "unknown";
inline constexpr std::string_view kNotApplicable = "n/a";

// The module's "key=value" lines, in file order. Keys this program does not
// know are kept: later module versions add keys.
class ModuleState {
 public:
  struct Entry {
    std::string key;
    std::string value;
    std::size_t line = 0;
  };

  // Strict: every non-blank line is key=value (split at the first '='),
  // keys are non-empty, without blanks and unique. source names the input
  // in errors ("source:line: problem"); first_line is the line number of
  // text's first line (for key=value sections of larger files). Throws Error.
  static ModuleState parse(std::string_view text, std::string_view source, std::size_t first_line = 1);
  static ModuleState read(const std::filesystem::path& path);

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(std::string_view key) const;
  std::optional<std::string> get(std::string_view key) const;
  const std::string& source() const { return source_; }

 private:
  std::vector<Entry> entries_;
  std::string source_;
};

// The CSV's isolation columns. Each is on, off, unknown or n/a.
struct Isolation {
  std::string pti = std::string(kUnknown);
  std::string pcid = std::string(kUnknown);
  std::string e0pd = std::string(kUnknown);
  std::string kpti = std::string(kUnknown);
  std::string source;                 // where it came from, for the user
  std::vector<std::string> warnings;  // e.g. the state file is for another kernel

  // The field of results column name (pti, pcid, e0pd, kpti); nullptr for
  // any other name.
  std::string* column(std::string_view name);
  const std::string* column(std::string_view name) const;

  bool operator==(const Isolation&) const = default;
};

// From the module's state: the architecture's two columns (arch_profile.h:
// pti and pcid on x86, kpti and e0pd on arm64), the others n/a. arch and
// kernel are this machine's (uname); a state file naming another arch or
// kernel is used but warned about. Throws Error if a key we use has a
// value other than on/off/unknown, or for an architecture ptilab does not
// know.
Isolation isolation_from_module(const ModuleState& state, std::string_view arch, std::string_view kernel);

// The meltdown vulnerabilities file: "Mitigation: PTI" -> on,
// "Not affected" / "Vulnerable" -> off, anything else -> unknown.
std::string_view pti_from_meltdown(std::string_view sysfs_text);

// Without the module: what the architecture's profile can tell from the
// kernel's own files. Missing inputs (nullopt) make the answer unknown.
Isolation isolation_from_kernel(const std::optional<std::string>& meltdown_text,
                                const std::optional<std::string>& cpuinfo_text, std::string_view arch);

// Where to look; defaults are the real files, tests use temporary ones.
struct StateSources {
  std::optional<std::filesystem::path> state_file;  // --state: must be readable
  std::filesystem::path module_state = kModuleStatePath;  // used if readable
  std::filesystem::path meltdown = kMeltdownPath;
  std::filesystem::path cpuinfo = kCpuinfoPath;
};

// --state FILE, else the module's file if readable, else the kernel's view.
// Throws Error when --state cannot be read or a state file is malformed.
Isolation detect_isolation(const StateSources& sources, std::string_view arch, std::string_view kernel);

}  // namespace ptilab
