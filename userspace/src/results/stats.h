// Two-sample statistics for `ptilab compare`, from per-side summaries
// (mean, sample standard deviation, number of repetitions) because that is
// what the results CSV keeps.
//
// Model: each side's repetitions are independent draws whose mean is
// approximately normal; the two sides may have different variances. Then:
//  - the difference of means B-A gets Welch's t interval with the
//    Welch-Satterthwaite degrees of freedom;
//  - the ratio B/A gets Fieller's interval, built from the same t quantile.
//    It accounts for the noise in A's mean too (dividing the difference
//    interval by A's mean would treat A as exact), and with the same t it
//    excludes 1 exactly when the difference interval excludes 0, so the
//    delta % interval and the verdict never disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace ptilab {

struct Summary {
  double mean = 0;
  double stddev = 0;   // sample standard deviation (n-1 denominator)
  std::int64_t n = 0;  // repetitions
};

// Mean, sample standard deviation (0 for fewer than two values) and count
// of v: the one place they are computed (Google Benchmark's definitions).
Summary summarize(std::span<const double> v);

// The median of v (the mean of the middle two for an even count); v not
// empty.
double median_of(std::vector<double> v);

struct Interval {
  double low = 0;
  double high = 0;
};

// The p quantile of Student's t with df degrees of freedom (df > 0,
// 0 < p < 1); Boost.Math. Throws Error on a domain error.
double t_quantile(double p, double df);

// Welch-Satterthwaite degrees of freedom of mean(B)-mean(A):
// (va+vb)^2 / (va^2/(na-1) + vb^2/(nb-1)) with v = stddev^2/n.
// Both n >= 2 and not both stddevs 0, or nullopt.
std::optional<double> welch_df(const Summary& a, const Summary& b);

enum class Outcome {
  kHigher,        // B's mean is higher than A's: the interval lies above 0
  kLower,         // ... below 0
  kInconclusive,  // the interval contains 0: no significant difference
  kTooFew,        // n < 2 on a side: no spread to judge the noise by
  kNoSpread,      // n >= 2 but stddev 0 on both sides: no interval; see exact_sign
};

struct Comparison {
  double difference = 0;                  // mean(B) - mean(A)
  std::optional<double> delta_pct;        // (B-A)/A*100; nullopt when A's mean is 0
  std::optional<double> df;               // Welch-Satterthwaite
  std::optional<double> t;                // t quantile used, at (1+confidence)/2
  std::optional<Interval> difference_ci;  // Welch
  // Fieller, as (ratio-1)*100. nullopt when A's mean is not significantly
  // different from 0 (the interval is unbounded) or there is no interval.
  std::optional<Interval> delta_ci_pct;
  Outcome outcome = Outcome::kTooFew;
  int exact_sign = 0;  // kNoSpread only: sign of difference (-1, 0, 1)
};

// Fieller's interval for mean(B)/mean(A) with quantile t: the set of r with
// (mB - r*mA)^2 <= t^2 (vB + r^2 vA). nullopt when it is unbounded, i.e.
// mA^2 <= t^2 vA.
std::optional<Interval> fieller_ratio(const Summary& a, const Summary& b, double t);

// Everything above for one pair; 0 < confidence < 1. Throws Error on
// non-finite input, negative stddev or confidence outside (0, 1).
Comparison compare_summaries(const Summary& a, const Summary& b, double confidence);

// The ratio B/A on the log scale, for positive means (times): log(mB/mA)
// with the delta method's standard error sqrt(uA + uB), u = stddev^2 /
// (n mean^2), and Welch-Satterthwaite degrees of freedom on those u. The
// interval exp(+-t se) around the ratio is always positive and bounded,
// where Fieller's, with the few replicates boots give (t = 12.7 at 2 a
// side), is often unbounded or reaches below 0 for a ratio of times; boot
// effects on times are multiplicative too. delta_ci_pct and the outcome
// come from this interval (difference_ci stays empty). Falls back to
// compare_summaries() when a mean is not positive.
Comparison compare_log_ratio(const Summary& a, const Summary& b, double confidence);

// The geometric mean of several ratios B_i/A_i, as unixbench's index
// summarises its tests: exp of the mean log ratio. Its interval is on the
// log scale like compare_log_ratio()'s: each log ratio's variance
// u_A + u_B (delta method), the mean's sum(v_i)/k^2, the pairs taken as
// independent, Welch-Satterthwaite degrees of freedom over them. The
// interval is missing if some pair lacks the spread for one (n < 2 or a
// stddev of 0 on a side). Throws Error on an empty list or a mean that is
// not positive.
struct GeometricMean {
  double ratio = 0;
  int pairs = 0;
  std::optional<Interval> ratio_ci;  // of the ratio itself (not in %)
  std::optional<double> df;
};
GeometricMean geometric_mean_ratio(const std::vector<std::pair<Summary, Summary>>& pairs, double confidence);

}  // namespace ptilab
