// What /proc says of a traced workload over an interval, for placing it on
// the overhead map (ptilab trace --map): the CPU time it was busy, and the
// memory it touched (Brendan Gregg's wss method: clear the referenced bits
// through /proc/PID/clear_refs, read Referenced from smaps_rollup later).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ptilab {

// Busy CPU seconds so far: the process's user + system time (all its
// threads; /proc/PID/stat utime + stime), or without a pid every CPU's
// non-idle time (/proc/stat: all but idle and iowait). Throws Error
// naming the file.
double busy_cpu_seconds(std::optional<pid_t> pid, const std::filesystem::path& proc_root = "/proc");

// /proc/PID/stat's utime + stime, in clock ticks; nullopt if malformed
// (the command name may hold blanks and parentheses: fields count from
// the last ')').
std::optional<std::uint64_t> parse_pid_stat_ticks(std::string_view text);

// Clears the process's referenced bits ("1" into /proc/PID/clear_refs:
// every mapping's pages). Its owner or root may; it costs the process
// the page faults and the reclaim order the bits kept. Throws Error
// saying what to do instead.
void clear_referenced(pid_t pid, const std::filesystem::path& proc_root = "/proc");

// smaps_rollup's sizes, in bytes.
struct MemoryRollup {
  double referenced = 0;    // touched since the last clear_referenced
  double anonymous = 0;
  double anon_huge = 0;     // of which in transparent huge pages
};
// nullopt if text lacks Referenced.
std::optional<MemoryRollup> parse_smaps_rollup(std::string_view text);
// Throws Error naming the file.
MemoryRollup read_memory_rollup(pid_t pid, const std::filesystem::path& proc_root = "/proc");

}  // namespace ptilab
