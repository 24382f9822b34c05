// Boots as the unit of replication. Repetitions inside one boot share its
// memory placement, ASLR layout and interrupt routing, so they vary less
// than boots of the same configuration do (under TCG here: a fork
// benchmark's on/off ratio 1.07-3.06 across boots, against a few percent
// inside one). An interval that only knows the repetitions is contradicted
// by the next boot; one built from boots is not.
//
// Model (two levels, summarised first): each boot's repetitions give that
// boot's mean; the boot means are the replicates, each weighted equally,
// and their sample standard deviation is the between-boot spread, which
// already holds the within-boot noise (divided by the repetitions) on top
// of the boots' own variation. With B >= 2 boots on a side, the side's
// summary is (mean of boot means, their stddev, n = B), and stats.h's
// Welch/Fieller intervals take it as they are. With one boot, only the
// repetitions are left: the summary is theirs, and everything built from
// it must say it covers that boot alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/results.h"
#include "results/stats.h"

namespace ptilab {

// One side's measurements of one quantity, pooled.
struct Pooled {
  int boots = 0;
  std::int64_t repetitions = 0;      // over all boots
  Summary all;                       // every repetition as one sample (ignores boots)
  std::optional<Summary> between;    // boot means as the sample: >= 2 boots
  std::optional<double> within_sd;   // pooled within-boot stddev: some boot with n >= 2 and a stddev
  // What an interval is built from: between when there is one, else all.
  const Summary& summary() const { return between ? *between : all; }
};

// A boot's rows pooled into one Summary: each a (mean, stddev, n) of its
// repetitions (stddev 0 when unknown). The pooled stddev counts both the
// spread inside each part and between their means.
Summary pool_parts(const std::vector<Summary>& parts);

// boots: one Summary per boot (pool_parts() first where a boot has
// several rows); has_stddev: whether every boot's stddev was measured
// (a median row has none: no within-boot spread then). Empty input:
// boots = 0.
Pooled pool_boots(const std::vector<Summary>& boots, bool has_stddev);

// "slower"/"faster" units (ns, us, ms, s, cycles); "higher"/"lower" for
// the rest.
bool is_time_unit(const std::string& unit);

// The boot a row was measured in: its boot column, or for rows recorded
// before there was one, its run (vm-bench booted each configuration once
// per run; the parts of that boot have different timestamps).
std::string boot_of(const ResultRow& row);

// A row's (value, stddev, repetitions); stddev 0 and n 0 where empty.
// Throws Error naming the row (its origin) for a field that is not a
// number, a negative stddev, a non-positive time or a number too large
// to be a measurement.
Summary row_summary(const ResultRow& row);

// Rows of one configuration and quantity: grouped by boot_of(), each
// boot's rows pooled (pool_parts), then pool_boots(). Throws as
// row_summary.
Pooled pool_rows(const std::vector<const ResultRow*>& rows);

// B against A with intervals across boots when both have two or more
// (across_boots: compare_log_ratio() on the boot means), else from all
// repetitions of each (compare_summaries(): Welch and Fieller).
struct Contrast {
  Summary a, b;
  bool across_boots = false;
  Comparison comparison;
};
Contrast contrast(const Pooled& a, const Pooled& b, double confidence);

}  // namespace ptilab
