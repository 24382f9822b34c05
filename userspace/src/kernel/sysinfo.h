// Facts about the running system recorded with every result row.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace ptilab {

struct SystemInfo {
  std::string kernel;    // uname release
  std::string arch;      // uname machine
  std::string hostname;  // gethostname
  std::string cmdline;   // /proc/cmdline, trimmed; "unknown" if unreadable
  // /proc/sys/kernel/random/boot_id: new at every boot, so rows that share
  // it share the boot's memory placement, ASLR and interrupt routing.
  // Empty if unreadable.
  std::string boot_id;
};

// Throws Error if uname or gethostname fail.
SystemInfo read_system_info(const std::filesystem::path& cmdline_path = "/proc/cmdline",
                            const std::filesystem::path& boot_id_path = "/proc/sys/kernel/random/boot_id");

// "2026-11-21T18:30:00Z"
std::string iso8601_utc(std::chrono::system_clock::time_point t);
// "20261121-183000-<hostname>" (UTC)
std::string default_run_id(std::chrono::system_clock::time_point t, std::string_view hostname);

}  // namespace ptilab
