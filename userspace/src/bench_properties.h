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

}  // namespace ptilab
