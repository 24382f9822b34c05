// `ptilab bench`: run the registered Google Benchmark benchmarks and write
// benchmarks.json (Google Benchmark's own JSON, the raw output) and
// results.csv.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/reporter.h"
#include "results/results.h"

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
  bool trace = false;                    // --trace: the eBPF tracer's counts per iteration
  std::string map;                       // --map GRID: the overhead map's cells too ("full", "quick")
  // --map-reads RESULTS.csv: the map's reads per call from an earlier run
  // (its reads_per_op rows of this arch) instead of calibrating them.
  std::optional<std::filesystem::path> map_reads;
  // The CPU the single-process benchmarks pin themselves to (pinning.h);
  // default: the last allowed one. pin = false (--no-pin): none.
  std::optional<int> cpu;
  bool pin = true;
  std::vector<std::string> passthrough;  // after "--", for Google Benchmark
  // --replay DIR: no benchmarks run; DIR/results.csv made again from the
  // DIR/benchmarks.json and DIR/run.txt an earlier run wrote.
  std::optional<std::filesystem::path> replay;
};

// A full run of every benchmark stays under a minute on a 2-CPU machine
// (Google Benchmark runs each repetition up to 1.4 times min_time).
inline constexpr int kDefaultRepetitions = 5;
inline constexpr double kDefaultMinTime = 0.15;
inline constexpr int kQuickRepetitions = 3;
inline constexpr double kQuickMinTime = 0.1;
// Google Benchmark runs each benchmark this long, unmeasured, before its
// first repetition: caches, TLB, page tables and the CPU's clock settle.
inline constexpr double kDefaultWarmupTime = 0.1;
inline constexpr double kQuickWarmupTime = 0.02;
// How long the busy-machine check samples /proc/stat before the run.
inline constexpr double kBusySampleSeconds = 0.2;

// --filter as Google Benchmark must see it: it matches the full name,
// "BM_Syscall_Null/real_time", while results.csv and the user say
// "BM_Syscall_Null"; so every end anchor "$" (not "\$") also accepts the
// "/real_time" suffix (and "/manual_time", the time of the benchmarks
// that time themselves), and '^BM_Syscall_Null$' selects that benchmark.
std::string filter_regex(std::string_view filter);

// Google Benchmark's flags (without argv[0]) for these options: ours, then
// the pass-through ones (which may override ours), then --benchmark_out
// (which must not be overridden: it is how the JSON is written atomically).
// Throws UsageError if the pass-through flags try to set the output file.
std::vector<std::string> benchmark_flags(const BenchOptions& options, const std::filesystem::path& json_out);

struct Isolation;
struct SystemInfo;

// The columns every row of a run shares, filled the way `ptilab bench`
// fills them (also used by `ptilab snapshot`): run_id defaults to
// default_run_id(start, hostname), host to the host name, accel to "none".
RunInfo make_run_info(const SystemInfo& sys, const Isolation& iso, std::chrono::system_clock::time_point start,
                      const std::optional<std::string>& run_id, const std::optional<std::string>& host,
                      const std::optional<std::string>& accel);

// What DIR/run.txt keeps of a bench run beside benchmarks.json, so that
// its rows can be made again from the two (--replay): the run's columns,
// the counters it collected (perf events and tracer counts, as named in
// the JSON), the events it could not count, the name suffix.
struct BenchRecord {
  RunInfo run;
  std::vector<std::string> counted, unsupported;
  std::string name_suffix;
};
std::string format_bench_record(const BenchRecord& record);
// Throws Error naming source and the missing key.
BenchRecord parse_bench_record(std::string_view text, std::string_view source);

// The rows of one run, live or replayed: unsupported counters, then per
// benchmark ns_per_op, ns_per_op_median, ns_per_op_cv, then the counters.
struct BenchOutput {
  std::vector<BenchResult> results;  // with the name suffix
  std::vector<ResultRow> rows;
};
BenchOutput bench_rows(const BenchRecord& record, const ResultCollector& collector);

// Runs the benchmarks and writes the files. argv0 is shown by Google
// Benchmark. Returns the exit status; throws Error / UsageError.
int run_bench(const BenchOptions& options, const char* argv0);

}  // namespace ptilab
