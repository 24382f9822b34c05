// User counters that describe the process a benchmark ran in rather than
// its iterations (set with Counter::kDefaults, never divided by them): the
// collector (bench_reporter.h) turns each into a row in its own unit, the
// mean over the repetitions, without a stddev.
#pragma once

#include <array>
#include <string_view>

namespace ptilab {

struct PropertyCounter {
  std::string_view name;  // the row's metric
  std::string_view unit;  // one of kUnits (results.h)
  // The user counter it comes from when that is not name, and the factor
  // to its unit (Google Benchmark shows time counters best in seconds).
  std::string_view counter = {};
  double scale = 1;
  std::string_view source() const { return counter.empty() ? name : counter; }
};

// The process that forks in a process benchmark, read just before its
// timed loop: its mappings (lines of /proc/self/maps) and resident pages
// (/proc/self/statm: VmRSS in pages). What a fork copies grows with both.
inline constexpr std::string_view kForkMaps = "fork_maps";
inline constexpr std::string_view kForkRssPages = "fork_rss_pages";

// The overhead map's cell (map_bench.cc), read once per repetition: the
// page reads of user work between two system calls, as calibrated for
// the cell's rate on this boot, and how much of the working set the
// kernel backed with huge pages.
inline constexpr std::string_view kMapReadsPerOp = "reads_per_op";
inline constexpr std::string_view kMapThpPct = "thp_pct";

// ptilab bench --trace, beside the tracer's counts: what the overhead map
// places a benchmark by (overhead_map.h). The machine's busy CPU time per
// iteration (/proc/stat, system-wide like the counts; a per_op row), and
// the pages ptilab's own process referenced during the loop (clear_refs,
// then smaps_rollup: the benchmark's thread; children and partner
// processes are not in it).
inline constexpr std::string_view kTraceBusyMetric = "trace:busy_cpu_ns_per_op";
inline constexpr std::string_view kTraceWorkingSetPages = "trace:referenced_pages";

// The per-node benchmarks (numa_bench.cc), read before the timed loop:
// the CPU the benchmark ran on, and the NUMA node that holds the kernel's
// text as the module said (absent where nothing said: no module).
inline constexpr std::string_view kNumaCpu = "numa_cpu";
inline constexpr std::string_view kKernelTextNode = "kernel_text_node";

inline constexpr std::array<PropertyCounter, 7> kPropertyCounters{{
    {kForkMaps, "count"},
    {kForkRssPages, "pages"},
    {kMapReadsPerOp, "count"},
    {kMapThpPct, "%"},
    {kTraceWorkingSetPages, "pages"},
    {kNumaCpu, "count"},
    {kKernelTextNode, "count"},
}};

// What a macro workload's processes did per iteration, measured like the
// time (a mean over the repetitions, with its stddev): the collector turns
// each into a row in its own unit. user/sys: CPU time of the benchmark's
// waited-for children (getrusage RUSAGE_CHILDREN: the build's compilers,
// the benchmark clients), as `time` reports it; server_user/server_sys: a
// server's own (/proc/PID/stat, with its reaped children: PostgreSQL's
// backends); ops_per_s: transactions or requests per second of real time.
inline constexpr std::string_view kUserNs = "user_ns_per_op";
inline constexpr std::string_view kSysNs = "sys_ns_per_op";
inline constexpr std::string_view kServerUserNs = "server_user_ns_per_op";
inline constexpr std::string_view kServerSysNs = "server_sys_ns_per_op";
inline constexpr std::string_view kOpsPerS = "ops_per_s";

// The overhead map's measurements, per repetition like the time:
// ns_per_read, the time per page read of user work (the iteration's time,
// its system call included, over its reads: what isolation's loss is a
// ratio of; the benchmark's counter seconds_per_read), and syscalls_per_s,
// the system calls per second the cell made (one per iteration).
inline constexpr std::string_view kMapNsPerRead = "ns_per_read";
inline constexpr std::string_view kMapSecondsPerRead = "seconds_per_read";
inline constexpr std::string_view kMapSyscallsPerS = "syscalls_per_s";
// spins_per_read: the iteration's time over its reads in units of a
// register-only spin timed in the same run (map_bench.cc), what the map's
// loss is a ratio of where both sides have it: the CPU's speed (under TCG
// the host's, which a shared host changes from minute to minute) divides
// out.
inline constexpr std::string_view kMapSpinsPerRead = "spins_per_read";

inline constexpr std::array<PropertyCounter, 8> kWorkloadCounters{{
    {kUserNs, "ns"},
    {kSysNs, "ns"},
    {kServerUserNs, "ns"},
    {kServerSysNs, "ns"},
    {kOpsPerS, "per_s"},
    {kMapNsPerRead, "ns", kMapSecondsPerRead, 1e9},
    {kMapSyscallsPerS, "per_s"},
    {kMapSpinsPerRead, "ratio"},
}};

// The benchmarks that record them (workload_bench.cc): the macro tier,
// shown apart from the microbenchmarks (macro_tier.h). Instances add
// "/arg:value" to these names.
inline constexpr std::array<std::string_view, 4> kWorkloadBenchmarks{
    "BM_Macro_BuildLua", "BM_Macro_PgbenchSelect", "BM_Macro_RedisGet", "BM_Macro_RedisSet"};

// The overhead map's benchmark (map_bench.cc): instances
// "BM_Map/rate:R/ws:W/thp:H", shown apart from the microbenchmarks
// (overhead_map.h).
inline constexpr std::string_view kMapBenchmark = "BM_Map";

// The per-node benchmarks (numa_bench.cc): instances "<family>/node:N",
// shown apart from the microbenchmarks (model/locality.h).
inline constexpr std::array<std::string_view, 2> kLocalityBenchmarks{"BM_Numa_SyscallNull", "BM_Numa_SocketClose"};

}  // namespace ptilab
