// `ptilab hook`: the module's syscall-entry hooks, which add CR3 writes
// (extra-cr3) or a TLB flush (flush) to one process's system calls, to
// emulate isolation's cost where the kernel does not pay it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kernel/debugfs.h"

namespace ptilab {

inline constexpr int kMaxHookWrites = 16;

enum class HookKind { kExtraCr3, kFlush };

// "extra-cr3" / "flush" (command line); the module calls them extra_cr3 /
// flush, in files hook_extra_cr3 / hook_flush.
std::string hook_cli_name(HookKind kind);
std::string hook_module_name(HookKind kind);
// The line that installs the hook for pid (pid 0 removes it).
std::string hook_command(HookKind kind, long pid, int writes);

struct HookOptions {
  enum class Action { kInstall, kRemove, kStatus };
  Action action = Action::kStatus;
  std::vector<HookKind> kinds;  // kInstall: one; kRemove: one or both
  int writes = 0;               // extra-cr3
  std::optional<long> pid;      // kInstall: --pid, or
  std::vector<std::string> command;  // kInstall: -- CMD ARG...
  bool json = false;            // kStatus
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
};

// Throws Error; with a command, returns its exit status (128+signal).
int run_hook_cmd(const HookOptions& options);

}  // namespace ptilab
