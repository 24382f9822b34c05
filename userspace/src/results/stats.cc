#include "results/stats.h"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <stdexcept>
#include <string>

#include "util/error.h"

namespace ptilab {

Summary summarize(std::span<const double> v) {
  Summary s;
  s.n = static_cast<std::int64_t>(v.size());
  if (v.empty()) return s;
  double sum = 0;
  for (const double x : v) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  double ss = 0;
  for (const double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stddev = s.n > 1 ? std::sqrt(ss / static_cast<double>(s.n - 1)) : 0;
  return s;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

double t_quantile(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) throw Error("t quantile: need 0 < p < 1 and df > 0");
  try {
    return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
  } catch (const std::exception& e) {
    throw Error(std::string("t quantile: ") + e.what());
  }
}

namespace {

double variance_of_mean(const Summary& s) { return s.stddev * s.stddev / static_cast<double>(s.n); }

}  // namespace

std::optional<double> welch_df(const Summary& a, const Summary& b) {
  if (a.n < 2 || b.n < 2) return std::nullopt;
  const double va = variance_of_mean(a), vb = variance_of_mean(b);
  if (va == 0 && vb == 0) return std::nullopt;
  const double denom = va * va / static_cast<double>(a.n - 1) + vb * vb / static_cast<double>(b.n - 1);
  return (va + vb) * (va + vb) / denom;
}

std::optional<Interval> fieller_ratio(const Summary& a, const Summary& b, double t) {
  const double va = variance_of_mean(a), vb = variance_of_mean(b), t2 = t * t;
  // (mA^2 - t^2 vA) r^2 - 2 mA mB r + (mB^2 - t^2 vB) <= 0
  const double qa = a.mean * a.mean - t2 * va;
  if (!(qa > 0)) return std::nullopt;
  // The discriminant / 4; positive whenever qa > 0.
  const double disc = t2 * (a.mean * a.mean * vb + b.mean * b.mean * va - t2 * va * vb);
  const double root = std::sqrt(std::max(disc, 0.0));
  const double mid = a.mean * b.mean;
  return Interval{(mid - root) / qa, (mid + root) / qa};
}

Comparison compare_summaries(const Summary& a, const Summary& b, double confidence) {
  if (!(confidence > 0 && confidence < 1)) throw Error("confidence must be between 0 and 1");
  for (const Summary* s : {&a, &b})
    if (!std::isfinite(s->mean) || !std::isfinite(s->stddev) || s->stddev < 0)
      throw Error("summary needs a finite mean and a finite, non-negative stddev");

  Comparison c;
  c.difference = b.mean - a.mean;
  if (a.mean != 0) c.delta_pct = c.difference / a.mean * 100;
  if (a.n < 2 || b.n < 2) {
    c.outcome = Outcome::kTooFew;
    return c;
  }
  c.df = welch_df(a, b);
  if (!c.df) {
    // Repetitions that all gave the same number (counts, quantized clocks):
    // the model has nothing to say about noise, so say only which way it went.
    c.outcome = Outcome::kNoSpread;
    c.exact_sign = (c.difference > 0) - (c.difference < 0);
    return c;
  }
  c.t = t_quantile((1 + confidence) / 2, *c.df);
  const double se = std::sqrt(variance_of_mean(a) + variance_of_mean(b));
  c.difference_ci = Interval{c.difference - *c.t * se, c.difference + *c.t * se};
  if (c.difference_ci->low > 0)
    c.outcome = Outcome::kHigher;
  else if (c.difference_ci->high < 0)
    c.outcome = Outcome::kLower;
  else
    c.outcome = Outcome::kInconclusive;
  if (const auto r = fieller_ratio(a, b, *c.t)) c.delta_ci_pct = Interval{(r->low - 1) * 100, (r->high - 1) * 100};
  return c;
}

Comparison compare_log_ratio(const Summary& a, const Summary& b, double confidence) {
  if (!(a.mean > 0 && b.mean > 0)) return compare_summaries(a, b, confidence);
  Comparison c = compare_summaries(a, b, confidence);  // checks, delta, kTooFew, kNoSpread
  if (c.outcome == Outcome::kTooFew || c.outcome == Outcome::kNoSpread) return c;
  const auto rel = [](const Summary& s) { return s.stddev * s.stddev / (static_cast<double>(s.n) * s.mean * s.mean); };
  const double ua = rel(a), ub = rel(b);
  const double df = (ua + ub) * (ua + ub) /
                    (ua * ua / static_cast<double>(a.n - 1) + ub * ub / static_cast<double>(b.n - 1));
  c.df = df;
  c.t = t_quantile((1 + confidence) / 2, df);
  c.difference_ci.reset();
  const double ratio = b.mean / a.mean, spread = std::exp(*c.t * std::sqrt(ua + ub));
  c.delta_ci_pct = Interval{(ratio / spread - 1) * 100, (ratio * spread - 1) * 100};
  c.outcome = ratio / spread > 1 ? Outcome::kHigher : ratio * spread < 1 ? Outcome::kLower : Outcome::kInconclusive;
  return c;
}

GeometricMean geometric_mean_ratio(const std::vector<std::pair<Summary, Summary>>& pairs, double confidence) {
  if (pairs.empty()) throw Error("a geometric mean of no ratios");
  if (!(confidence > 0 && confidence < 1)) throw Error("confidence must be between 0 and 1");
  GeometricMean g;
  g.pairs = static_cast<int>(pairs.size());
  double log_sum = 0, v_sum = 0, v2_over_df = 0;
  bool spread = true;
  for (const auto& [a, b] : pairs) {
    if (!(a.mean > 0 && b.mean > 0 && std::isfinite(a.mean) && std::isfinite(b.mean)))
      throw Error("a geometric mean of ratios needs positive means");
    log_sum += std::log(b.mean / a.mean);
    if (a.n < 2 || b.n < 2 || !(a.stddev > 0 || b.stddev > 0)) {
      spread = false;
      continue;
    }
    const auto rel = [](const Summary& s) { return s.stddev * s.stddev / (static_cast<double>(s.n) * s.mean * s.mean); };
    const double ua = rel(a), ub = rel(b), v = ua + ub;
    const double df = v * v / (ua * ua / static_cast<double>(a.n - 1) + ub * ub / static_cast<double>(b.n - 1));
    v_sum += v;
    v2_over_df += v * v / df;
  }
  const double k = static_cast<double>(pairs.size());
  const double mean_log = log_sum / k;
  g.ratio = std::exp(mean_log);
  if (!spread) return g;
  g.df = v_sum * v_sum / v2_over_df;
  const double half = t_quantile((1 + confidence) / 2, *g.df) * std::sqrt(v_sum) / k;
  g.ratio_ci = Interval{std::exp(mean_log - half), std::exp(mean_log + half)};
  return g;
}

}  // namespace ptilab
