// How probe outcomes (kernel/probe.h) are shown: a table for people, JSON.
#pragma once

#include <string>
#include <vector>

#include "kernel/probe.h"

namespace ptilab {

// Columns: primitive, median, min, p99, mean (cycles), median ns.
std::string format_probe_table(const std::vector<ProbeOutcome>& outcomes);
// A JSON array, one object per outcome.
std::string format_probe_json(const std::vector<ProbeOutcome>& outcomes);

}  // namespace ptilab
