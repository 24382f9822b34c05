// How a comparison (model/compare.h) is shown: an aligned table, CSV for
// scripts, markdown for pull requests.
#pragma once

#include <string>

#include "model/compare.h"

namespace ptilab {

std::string render_compare_table(const CompareReport& report);
// Header benchmark,metric,unit,a_mean,a_stddev,a_n,b_mean,b_stddev,b_n,
// delta_pct,ci_low_pct,ci_high_pct,confidence,verdict,basis,a_boots,
// b_boots,a_within_sd,b_within_sd,a_between_sd,b_between_sd: a_* and b_*
// of the summary the interval used (basis "boots": n counts boots, stddev
// is the boot means'; "repetitions": all repetitions as one sample), then
// both spreads. Empty fields where a number does not exist. Notes are not
// part of it.
std::string render_compare_csv(const CompareReport& report);
std::string render_compare_markdown(const CompareReport& report);

}  // namespace ptilab
