// Noise checks of `ptilab bench`: before the run, is the CPU frequency
// governor `performance` and is the machine idle; after it, which
// benchmarks' repetitions spread too far (CV). Every check takes its file
// contents or roots as arguments, so tests can inject them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "results/results.h"

namespace ptilab {

// Warnings go to stderr and OUT/warnings.txt; notes (what could not be
// checked) only to stderr.
struct NoiseReport {
  std::vector<std::string> warnings;
  std::vector<std::string> notes;
};

// "0-3,5,7-8" for a sorted list of CPUs.
std::string cpu_list(const std::vector<int>& cpus);

// The scaling governor of each of cpus, from
// <sysfs_cpu>/cpu<N>/cpufreq/scaling_governor (sysfs_cpu is normally
// /sys/devices/system/cpu). One warning naming every CPU whose governor is
// not "performance"; a note when no CPU has cpufreq (VMs: unknown, not
// wrong).
void check_governors(const std::filesystem::path& sysfs_cpu, const std::vector<int>& cpus, NoiseReport& report);

// The aggregate "cpu" line of /proc/stat, in clock ticks.
struct CpuTimes {
  std::uint64_t total = 0;  // user + nice + system + idle + iowait + irq + softirq + steal
  std::uint64_t idle = 0;   // idle + iowait
};
// nullopt if text has no well-formed "cpu " line.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);

// The 1-minute load average (first field of /proc/loadavg).
std::optional<double> parse_loadavg(std::string_view text);

// Above these the machine counts as busy. Busy time: every tick of the
// whole machine not idle (steal included: on a shared host that is another
// guest running) while `ptilab bench` itself sleeps through the sample.
// 10% of the machine is a fifth of a CPU on 2 CPUs: a background job that
// large changes timings by more than the 5% CV we warn about. The load
// average catches what a 200 ms window misses (a build between two
// compiler runs); an idle machine shows 0.0-0.1, and 0.5 per CPU means
// a runnable task on every other CPU, on average, over the last minute.
inline constexpr double kBusyFraction = 0.10;
inline constexpr double kBusyLoadPerCpu = 0.5;

// Adds a warning if, between the two samples, more than kBusyFraction of
// the machine's time was not idle, or if loadavg exceeds kBusyLoadPerCpu
// per online CPU. Either sample missing: a note.
void check_busy(const std::optional<CpuTimes>& before, const std::optional<CpuTimes>& after,
                const std::optional<double>& loadavg, int online_cpus, NoiseReport& report);

// Reads /proc/stat (under proc_root) twice, `window` apart, and the load
// average, then check_busy().
void sample_busy(const std::filesystem::path& proc_root, double window_seconds, int online_cpus, NoiseReport& report);

// Coefficient of variation, stddev / mean, in percent; nullopt where it
// means nothing (fewer than 2 repetitions, mean not positive).
std::optional<double> cv_percent(const BenchResult& r);

inline constexpr double kMaxCvPercent = 5.0;

// The results row of a benchmark's CV: metric ns_per_op_cv, value in
// percent, unit "%"; nullopt where cv_percent() is.
inline constexpr std::string_view kMetricCv = "ns_per_op_cv";
std::optional<ResultRow> make_cv_row(const RunInfo& run, const BenchResult& r);

// One warning per benchmark whose CV exceeds kMaxCvPercent.
void check_cv(const std::vector<BenchResult>& results, NoiseReport& report);

// warnings.txt: one warning per line (empty when there were none).
std::string format_warnings(const std::vector<std::string>& warnings);

}  // namespace ptilab
