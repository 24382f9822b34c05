// How `ptilab trace` (model/trace.h) is shown: interval rows in the manner
// of `perf stat -I`, the totals, the estimate.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kernel/arch_profile.h"
#include "model/trace.h"

namespace ptilab {

std::string format_estimate(const Estimate& e, const IsolationCost& cost, std::string_view scope);

// The interval table in the manner of `perf stat -I`: rates per second.
std::string table_legend(const ArchProfile& profile, const CounterSet& available);
std::string table_header(const CounterSet& available);
// One row: time, what ("all", "cpu3"), rates, derived entries/s and CR3/s.
std::string table_row(double end, std::string_view what, const CounterArray& c, double seconds,
                      const CounterSet& available, bool isolation_on);
std::string pid_row(double end, const PidCounts& p, double seconds, const CounterSet& available);

// The summary printed at the end (Ctrl-C, -d, or the target's exit).
// Counters not counted, and derived numbers not derived, say so in words.
std::string format_totals(const CounterArray& total, double seconds, const CounterSet& available,
                          const CounterReasons& why_not, bool isolation_on, bool isolation_assumed,
                          const ArchProfile& profile, const std::vector<PidCounts>& top, std::string_view scope);

}  // namespace ptilab
