// `ptilab table`: mean ns per operation, one row per benchmark, one column
// per isolation configuration, and the on/off ratio with its interval:
// across boots where each side has two or more, else marked "(one boot)"
// (replicates.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/replicates.h"
#include "results/results.h"

namespace ptilab {

// The table's intervals: the same level as ptilab compare's default.
inline constexpr double kTableConfidence = 0.95;

struct Measurement {
  double mean = 0;
  std::optional<double> stddev;  // unknown: none shown
};

// The row's configuration by its architecture's profile: "pti=on", or with
// with_tlb (the rows being compared differ in it) "pti=on,pcid=off";
// "kpti=on,e0pd=off". Error for an architecture ptilab does not know.
std::string config_label(const ResultRow& row, bool with_tlb);

// "1.23M", "45.6k", "812": a rate (per second).
std::string format_rate(double v);

// "123.4 ns ±2.1%" (stddev as % of mean), "123.4 ns" without a stddev.
std::string format_measurement(const Measurement& m);

// A pooled cell as the table shows it: "1616.1 ns ±2.1%" (one boot: its
// repetitions' stddev); across boots the mean of the boot means with
// their spread, then the spread inside a boot: "1616.1 ns ±3.4% (w ±2.1%)".
std::string format_cell(const Pooled& p);

// B/A of a contrast with its interval: "18.48x [17.21, 19.80]"; from one
// boot a side "(one boot)" follows (and *one_boot is set), "within noise"
// where the interval holds 1; "(no interval)" where neither boots nor
// (spread) both sides' repetitions give one.
std::string format_ratio(const Contrast& k, bool spread, bool* one_boot);

// The whole table for the ns_per_op rows of the microbenchmarks: a heading line per (arch,
// kernel, accel) group, then per configuration why isolation is on or off,
// the CPU (from the state and cpu rows) and its number of boots, then
// fixed-width aligned columns and a legend. Rows of one configuration from
// several boots are pooled (replicates.h). An on/off column per value of
// the other column (pcid, e0pd) that has exactly one configuration with
// isolation on and one with it off. When an interval comes from one boot,
// a note says what that means. Then the macro tier (render_macro_tier).
// Throws Error on unparsable numbers or when there is no ns_per_op row at
// all.
std::string render_table(const std::vector<ResultRow>& rows, std::vector<std::string>* notes);

// Whether render_table() looks at the row at all (ns_per_op, state, cpu,
// and what the macro tier reads).
bool table_uses(const ResultRow& row);

struct MacroPair;
// The macro tier (macro_tier.h) as text: per pair a heading, the seed-003
// table (workload; real, user, sys off and on with the change; kernel
// entries per second), the skipped workloads with why, the score and a
// legend. render_table() ends with it; the workloads are not in its
// microbenchmark groups.
std::string render_macro_tier(const std::vector<MacroPair>& pairs, std::vector<std::string>* notes);
// The same as CSV (ptilab table --macro-csv, the report's input): a record
// per (pair, workload, metric), a "skipped" record per skip, a "score"
// record per pair; header
// arch,kernel,accel,off,on,benchmark,metric,off_mean,on_mean,delta_pct,
// ci_low_pct,ci_high_pct,basis,boots_off,boots_on,entries_per_s_off,
// entries_per_s_on,note.
std::string format_macro_csv(const std::vector<MacroPair>& pairs);

}  // namespace ptilab
