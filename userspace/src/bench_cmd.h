// `ptilab bench`: run the registered Google Benchmark benchmarks and write
// benchmarks.json (Google Benchmark's own JSON, the raw output) and
// results.csv.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ptilab {

struct BenchOptions {
  bool quick = false;  // fewer, shorter repetitions for emulated VMs
  std::filesystem::path out_dir = ".";
  std::optional<std::string> run_id;
  std::optional<std::string> host;
  std::optional<std::string> accel;
  std::optional<std::filesystem::path> state_file;
  std::optional<std::string> filter;
  std::optional<int> repetitions;
  std::optional<double> min_time;  // seconds
  std::string name_suffix;         // appended to every benchmark name in results.csv
  std::vector<std::string> counters;     // perf events (--counters), as typed
  std::vector<std::string> passthrough;  // after "--", for Google Benchmark
};

inline constexpr int kDefaultRepetitions = 5;
inline constexpr double kDefaultMinTime = 0.5;
inline constexpr int kQuickRepetitions = 3;
inline constexpr double kQuickMinTime = 0.1;

// Google Benchmark's flags (without argv[0]) for these options: ours, then
// the pass-through ones (which may override ours), then --benchmark_out
// (which must not be overridden: it is how the JSON is written atomically).
// Throws UsageError if the pass-through flags try to set the output file.
std::vector<std::string> benchmark_flags(const BenchOptions& options, const std::filesystem::path& json_out);

struct Isolation;
struct RunInfo;
struct SystemInfo;

// The columns every row of a run shares, filled the way `ptilab bench`
// fills them (also used by `ptilab snapshot`): run_id defaults to
// default_run_id(start, hostname), host to the host name, accel to "none".
RunInfo make_run_info(const SystemInfo& sys, const Isolation& iso, std::chrono::system_clock::time_point start,
                      const std::optional<std::string>& run_id, const std::optional<std::string>& host,
                      const std::optional<std::string>& accel);

// Runs the benchmarks and writes the files. argv0 is shown by Google
// Benchmark. Returns the exit status; throws Error / UsageError.
int run_bench(const BenchOptions& options, const char* argv0);

}  // namespace ptilab
