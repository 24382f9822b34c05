// `ptilab table`: mean ns per operation, one row per benchmark, one column
// per isolation configuration, and the on/off ratio with an honest word
// about noise.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results.h"

namespace ptilab {

struct Measurement {
  double mean = 0;
  std::optional<double> stddev;  // unknown: treated as 0 for the noise test
};

struct Ratio {
  double value = 0;
  bool within_noise = false;
};

// The row's configuration by its architecture's profile: "pti=on", or with
// with_tlb (the rows being compared differ in it) "pti=on,pcid=off";
// "kpti=on,e0pd=off". Error for an architecture ptilab does not know.
std::string config_label(const ResultRow& row, bool with_tlb);

// True when [mean-stddev, mean+stddev] of a and of b overlap.
bool intervals_overlap(const Measurement& a, const Measurement& b);

// on.mean / off.mean, within_noise when the intervals overlap; nullopt when
// off.mean is not positive.
std::optional<Ratio> isolation_ratio(const Measurement& on, const Measurement& off);

// "123.4 ns ±2.1%" (stddev as % of mean), "123.4 ns" without a stddev.
std::string format_measurement(const Measurement& m);
// "1.87x", "1.02x (within noise)".
std::string format_ratio(const Ratio& r);

// The whole table for the ns_per_op rows: a heading line per (arch,
// kernel, accel) group, then per configuration why isolation is on or off
// and the CPU (from the state and cpu rows), then fixed-width aligned
// columns. Where a configuration
// was measured more than once, the row with the latest timestamp is shown
// and a note is added to notes. Throws Error on unparsable numbers or when
// there is no ns_per_op row at all.
std::string render_table(const std::vector<ResultRow>& rows, std::vector<std::string>* notes);

// Whether render_table() looks at the row at all (ns_per_op, state, cpu).
bool table_uses(const ResultRow& row);

}  // namespace ptilab
