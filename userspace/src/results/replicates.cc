#include "results/replicates.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace ptilab {

bool is_time_unit(const std::string& unit) {
  return unit == "ns" || unit == "us" || unit == "ms" || unit == "s" || unit == "cycles";
}

std::string boot_of(const ResultRow& r) { return r.boot.empty() ? "run " + r.run_id : r.boot; }

namespace {

double number(const ResultRow& row, const std::string& text, const char* column) {
  const auto v = parse_number(text);
  if (!v) throw Error(row.origin + ": " + column + " is not a number: '" + text + "'");
  return *v;
}

std::int64_t repetitions(const ResultRow& row) {
  const double v = number(row, row.repetitions, "repetitions");
  if (v < 0 || v != std::floor(v) || v > 1e15)
    throw Error(row.origin + ": repetitions is not a count: '" + row.repetitions + "'");
  return static_cast<std::int64_t>(v);
}

// Beyond this, squares of a mean or stddev (the variances the tests add)
// overflow a double: no finite interval exists, and the numbers cannot be
// measurements anyway.
constexpr double kLargestComparable = 1e150;

}  // namespace

Summary row_summary(const ResultRow& row) {
  Summary s;
  s.mean = number(row, row.value, "value");
  if (!row.stddev.empty()) {
    s.stddev = number(row, row.stddev, "stddev");
    if (s.stddev < 0) throw Error(row.origin + ": stddev is negative: '" + row.stddev + "'");
  }
  s.n = row.repetitions.empty() ? 0 : repetitions(row);
  const std::string what = row.origin + ": " + row.benchmark + " " + row.metric;
  if (std::fabs(s.mean) > kLargestComparable || s.stddev > kLargestComparable)
    throw Error(what + ": '" + row.value + "' +- '" + row.stddev +
                "' is too large to compare (over 1e150: not a measurement)");
  if (is_time_unit(row.unit) && !(s.mean > 0))
    throw Error(what + ": a time must be positive, got " + row.value + " " + row.unit);
  return s;
}

Pooled pool_rows(const std::vector<const ResultRow*>& rows) {
  std::vector<std::string> ids;  // boots in the order first seen
  std::vector<std::vector<Summary>> parts;
  bool has_stddev = true;
  for (const ResultRow* r : rows) {
    const std::string id = boot_of(*r);
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) {
      ids.push_back(id);
      parts.emplace_back();
      it = ids.end() - 1;
    }
    parts[static_cast<std::size_t>(it - ids.begin())].push_back(row_summary(*r));
    has_stddev = has_stddev && !r->stddev.empty() && !r->repetitions.empty();
  }
  std::vector<Summary> boots;
  for (const auto& p : parts) boots.push_back(p.size() == 1 ? p.front() : pool_parts(p));
  return pool_boots(boots, has_stddev);
}

Contrast contrast(const Pooled& a, const Pooled& b, double confidence) {
  Contrast c;
  c.across_boots = a.between && b.between;
  c.a = c.across_boots ? *a.between : a.all;
  c.b = c.across_boots ? *b.between : b.all;
  // Across boots, few replicates: the log-ratio interval (stats.h); one
  // boot's repetitions: Fieller, as ever.
  c.comparison = c.across_boots ? compare_log_ratio(c.a, c.b, confidence) : compare_summaries(c.a, c.b, confidence);
  return c;
}

Summary pool_parts(const std::vector<Summary>& parts) {
  Summary out;
  double sum = 0;
  for (const Summary& p : parts) {
    out.n += p.n;
    sum += p.mean * static_cast<double>(p.n);
  }
  if (out.n == 0) return out;
  out.mean = sum / static_cast<double>(out.n);
  // Sum of squares about the pooled mean: (n-1) s^2 inside each part plus
  // n (mean - pooled mean)^2 between them.
  double ss = 0;
  for (const Summary& p : parts) {
    const double d = p.mean - out.mean;
    ss += static_cast<double>(p.n - 1) * p.stddev * p.stddev + static_cast<double>(p.n) * d * d;
  }
  out.stddev = out.n > 1 ? std::sqrt(std::max(ss, 0.0) / static_cast<double>(out.n - 1)) : 0;
  return out;
}

Pooled pool_boots(const std::vector<Summary>& boots, bool has_stddev) {
  Pooled p;
  p.boots = static_cast<int>(boots.size());
  if (boots.empty()) return p;
  p.all = pool_parts(boots);
  p.repetitions = p.all.n;
  if (has_stddev) {
    double ss = 0;
    std::int64_t df = 0;
    for (const Summary& b : boots) {
      if (b.n < 2) continue;
      ss += static_cast<double>(b.n - 1) * b.stddev * b.stddev;
      df += b.n - 1;
    }
    if (df > 0) p.within_sd = std::sqrt(ss / static_cast<double>(df));
  }
  if (boots.size() >= 2) {
    std::vector<double> means;
    for (const Summary& b : boots) means.push_back(b.mean);
    p.between = summarize(means);
  }
  return p;
}

}  // namespace ptilab
