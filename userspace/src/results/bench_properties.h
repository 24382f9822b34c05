// User counters that describe the process a benchmark ran in rather than
// its iterations (set with Counter::kDefaults, never divided by them): the
// collector (bench_reporter.h) turns each into a row in its own unit, the
// mean over the repetitions, without a stddev.
#pragma once

#include <array>
#include <string_view>

namespace ptilab {

struct PropertyCounter {
  std::string_view name;
  std::string_view unit;  // one of kUnits (results.h)
};

// The process that forks in a process benchmark, read just before its
// timed loop: its mappings (lines of /proc/self/maps) and resident pages
// (/proc/self/statm: VmRSS in pages). What a fork copies grows with both.
inline constexpr std::string_view kForkMaps = "fork_maps";
inline constexpr std::string_view kForkRssPages = "fork_rss_pages";

inline constexpr std::array<PropertyCounter, 2> kPropertyCounters{{
    {kForkMaps, "count"},
    {kForkRssPages, "pages"},
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

inline constexpr std::array<PropertyCounter, 5> kWorkloadCounters{{
    {kUserNs, "ns"},
    {kSysNs, "ns"},
    {kServerUserNs, "ns"},
    {kServerSysNs, "ns"},
    {kOpsPerS, "per_s"},
}};

// The benchmarks that record them (workload_bench.cc): the macro tier,
// shown apart from the microbenchmarks (macro_tier.h). Instances add
// "/arg:value" to these names.
inline constexpr std::array<std::string_view, 4> kWorkloadBenchmarks{
    "BM_Macro_BuildLua", "BM_Macro_PgbenchSelect", "BM_Macro_RedisGet", "BM_Macro_RedisSet"};

}  // namespace ptilab
