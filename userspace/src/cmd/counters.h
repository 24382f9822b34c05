// `ptilab counters`: whether each perf event can be counted here.
#pragma once

#include <string>
#include <vector>

namespace ptilab {

struct CountersOptions {
  std::vector<std::string> events;  // as typed; empty: the defaults
};

// `ptilab counters [NAME...]`: prints each event (default
// kDefaultCounterNames) and whether it is supported here. Returns 0, or 1
// if any NAME is unknown to libpfm4.
int run_counters(const CountersOptions& options);

}  // namespace ptilab
