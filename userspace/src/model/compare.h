// `ptilab compare A B`: per benchmark and metric, B's mean against A's:
// delta %, its confidence interval and a verdict that says when the noise
// cannot tell (see stats.h for the statistics). Rows of one configuration
// from several boots are replicates (replicates.h): the interval is then
// across boots; from one boot, every verdict says "(one boot)".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "results/replicates.h"
#include "results/results.h"
#include "results/stats.h"

namespace ptilab {

// COL=VAL: keep rows whose column COL is exactly VAL.
struct RowFilter {
  std::string column;
  std::string value;
};

// Parses "COL=VAL"; COL must be a results column. option names the option
// in the message. Throws UsageError.
RowFilter parse_row_filter(const std::string& option, const std::string& text);

struct CompareSpec {
  std::vector<RowFilter> a_where;  // --where filters are in both
  std::vector<RowFilter> b_where;
  // Empty: every (benchmark, metric) with a value, stddev and repetitions
  // on both sides.
  std::vector<std::string> metrics;
  double confidence = 0.95;
  // Where the operands came from, for messages and the labels; empty: none.
  std::string a_source;
  std::string b_source;
};

struct CompareRow {
  std::string benchmark;
  std::string metric;
  std::string unit;
  // What the interval is built from: the boot means when both sides have
  // two boots or more (across_boots), else every repetition (replicates.h).
  Summary a, b;
  Pooled a_pool, b_pool;
  bool across_boots = false;
  bool a_has_stddev = true, b_has_stddev = true;
  std::optional<double> delta_pct;
  std::optional<Interval> ci_pct;  // Fieller, in % of A
  bool ci_unbounded = false;       // A's mean within noise of 0
  std::string verdict;
};

struct CompareReport {
  std::vector<CompareRow> rows;
  std::vector<std::string> notes;
  double confidence = 0.95;
  std::string a_label, b_label;  // "A: path where pti=off", for the renderers
};


// The comparison of already-read rows. Throws UsageError when the filters
// leave an operand empty, --metric names a metric neither has, or an
// operand still holds several configurations for one (benchmark, metric);
// Error when nothing is comparable or a compared row has a bad number.
CompareReport compare_results(const std::vector<ResultRow>& a, const std::vector<ResultRow>& b,
                              const CompareSpec& spec);

}  // namespace ptilab
