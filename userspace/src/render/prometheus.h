// Metric families (model/fleet.h) in Prometheus's text exposition format
// 0.0.4, the one node_exporter's textfile collector reads: per family a
// "# HELP" and a "# TYPE" line, then its samples, one per line.
#pragma once

#include <string>
#include <vector>

#include "model/fleet.h"

namespace ptilab {

std::string prometheus_text(const std::vector<MetricFamily>& families);

// A sample value as the format spells it: integers without a fraction,
// others in the shortest form that reads back the same double; NaN,
// +Inf, -Inf.
std::string prometheus_value(double v);

}  // namespace ptilab
