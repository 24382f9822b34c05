// The kernel command line as the kernel's own parsers read it, and the
// kernel release as a version, for the models of how a kernel decided
// isolation (arch_x86.cc, arch_arm64.cc) when the module is not there to
// say. The module does the same in module/state.c.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptilab {

struct CmdlineParam {
  std::string name;                  // "pti", "nopti"
  std::optional<std::string> value;  // after the first '=', quotes removed; nullopt without '='
  std::string word;                  // as written ("pti=on")
};

// What parse_args() (kernel/params.c) hands to early_param() handlers, in
// command-line order: words split at blanks outside double quotes, the
// quotes next_arg() strips removed, and nothing from a "--" word on (the
// rest is init's).
std::vector<CmdlineParam> early_params(std::string_view cmdline);

// Every blank-separated word of the whole line, "--" and what follows
// included, as arch/x86/lib/cmdline.c scans boot_command_line.
std::vector<std::string> cmdline_words(std::string_view cmdline);

// kstrtobool(): "1", "y", "Y", "t", "T", "on" are true; "0", "n", "N", "f",
// "F", "off" false (only the first one or two characters matter); anything
// else nullopt (the kernel rejects it with -EINVAL).
std::optional<bool> kernel_strtobool(std::string_view s);

// mitigations= as kernel/cpu.c parses it: the last of "off", "auto",
// "auto,nosmt" wins, other values change nothing. True when it ends "off":
// cpu_mitigations_off().
bool cmdline_mitigations_off(std::string_view cmdline);

// "6.1.0-57-amd64" -> {6, 1}, "6.12.117+deb12-amd64" -> {6, 12}; nullopt
// when the release does not start with MAJOR.MINOR.
std::optional<std::pair<int, int>> kernel_version(std::string_view release);

}  // namespace ptilab
