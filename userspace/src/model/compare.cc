#include "model/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <span>

#include "util/error.h"

namespace ptilab {


namespace {

const std::string* column_of(const ResultRow& row, std::string_view name) {
  for (const auto& col : kResultColumns)
    if (col.name == name) return &(row.*col.field);
  return nullptr;
}

std::string column_names() {
  std::string out;
  for (const auto& col : kResultColumns) out += (out.empty() ? "" : ", ") + std::string(col.name);
  return out;
}

std::string filters_text(const std::vector<RowFilter>& where) {
  std::string out;
  for (const auto& f : where) out += (out.empty() ? "" : " ") + f.column + "=" + f.value;
  return out;
}

bool matches(const ResultRow& row, const std::vector<RowFilter>& where) {
  return std::all_of(where.begin(), where.end(),
                     [&](const RowFilter& f) { return *column_of(row, f.column) == f.value; });
}

using Key = std::pair<std::string, std::string>;  // (benchmark, metric)

// Rows an operand has a number for at all; the others are only noted.
bool measured(const ResultRow& r) { return !r.value.empty() && r.unit != "not_supported"; }

// Columns that tell configurations apart; the others only name them when
// none of these does. Rows equal in all of them are replicates of one
// configuration, whatever their run_id, timestamp and boot.
constexpr std::string_view kConfigColumns[] = {"pti", "pcid", "e0pd", "kpti", "kernel", "accel"};
constexpr std::string_view kOtherColumns[] = {"host", "arch", "cmdline"};

bool same_configuration(const ResultRow& a, const ResultRow& b) {
  for (const auto& columns :
       {std::span<const std::string_view>(kConfigColumns), std::span<const std::string_view>(kOtherColumns)})
    for (const auto col : columns)
      if (*column_of(a, col) != *column_of(b, col)) return false;
  return a.unit == b.unit;
}


// A usage error naming the configurations an operand mixes.
[[noreturn]] void several_configurations(const std::string& name, const std::string& option,
                                         const std::vector<const ResultRow*>& dups, std::size_t pairs) {
  std::vector<std::string_view> differing;
  for (const auto& columns :
       {std::span<const std::string_view>(kConfigColumns), std::span<const std::string_view>(kOtherColumns)}) {
    for (const auto col : columns) {
      std::set<std::string> values;
      for (const ResultRow* r : dups) values.insert(*column_of(*r, col));
      if (values.size() > 1) differing.push_back(col);
    }
    if (!differing.empty()) break;
  }
  const ResultRow& first = *dups.front();
  std::string msg = name + " has " + std::to_string(dups.size()) + " rows for " + first.benchmark + " " + first.metric;
  if (pairs > 1) msg += " (and " + std::to_string(pairs - 1) + " more benchmark/metric pairs like it)";
  if (differing.empty()) {
    if (dups[0]->unit != dups[1]->unit)
      msg += " in different units (" + dups[0]->unit + " at " + dups[0]->origin + ", " + dups[1]->unit + " at " +
             dups[1]->origin + ")";
    else
      msg += " from the same boot and run (" + dups[0]->origin + ", " + dups[1]->origin + "): remove the duplicates";
    throw Error(msg);
  }
  std::vector<std::string> configs;
  for (const ResultRow* r : dups) {
    std::string c;
    for (const auto col : differing) {
      if (!c.empty()) c += ' ';
      c.append(col).append("=").append(*column_of(*r, col));
    }
    if (std::find(configs.begin(), configs.end(), c) == configs.end()) configs.push_back(c);
  }
  msg += " from different configurations: ";
  for (std::size_t i = 0; i < configs.size(); ++i) msg += (i ? "; " : "") + configs[i];
  msg += ". Choose one with " + option + " COL=VAL (e.g. " + option + " " + std::string(differing.front()) + "=" +
         *column_of(first, differing.front()) + ")";
  throw Error(msg);
}

// One (benchmark, metric) of one operand: its rows, one configuration's,
// from one boot or several (pool_rows() tells them apart).
struct Replicated {
  std::vector<const ResultRow*> rows;
  const ResultRow& first() const { return *rows.front(); }
};

struct Side {
  std::vector<const ResultRow*> rows;  // filtered, in input order
  std::map<Key, Replicated> by_key;
  std::set<std::string> benchmarks;
};

Side select(const std::vector<ResultRow>& all, const std::vector<RowFilter>& where,
            const std::vector<std::string>& metrics, const std::string& name, const std::string& option) {
  Side s;
  for (const auto& r : all) {
    if (!matches(r, where)) continue;
    if (!metrics.empty() && std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) continue;
    s.rows.push_back(&r);
  }
  if (s.rows.empty()) {
    std::string msg = name + ": no rows";
    if (!where.empty()) msg += " match " + filters_text(where);
    if (!metrics.empty()) msg += std::string(where.empty() ? "" : " and") + " have the selected --metric";
    throw Error(msg);
  }
  std::map<Key, std::vector<const ResultRow*>> groups;
  for (const ResultRow* r : s.rows) groups[{r->benchmark, r->metric}].push_back(r);
  // Rows of one pair must be one configuration; the same boot and run
  // twice is a duplicate, not a replicate.
  const auto mixed = [](const std::vector<const ResultRow*>& g) {
    for (const ResultRow* r : g) {
      if (!same_configuration(*g.front(), *r)) return true;
      for (const ResultRow* q : g)
        if (q != r && boot_of(*q) == boot_of(*r) && q->run_id == r->run_id && q->timestamp == r->timestamp)
          return true;
    }
    return false;
  };
  std::size_t dup_pairs = 0;
  const std::vector<const ResultRow*>* first_dup = nullptr;
  for (const ResultRow* r : s.rows) {  // the first mixed pair in input order
    const auto& g = groups[{r->benchmark, r->metric}];
    if (!first_dup && mixed(g)) first_dup = &g;
  }
  for (const auto& [key, g] : groups) dup_pairs += mixed(g);
  if (first_dup) several_configurations(name, option, *first_dup, dup_pairs);
  for (const ResultRow* r : s.rows) {
    s.by_key[{r->benchmark, r->metric}].rows.push_back(r);
    s.benchmarks.insert(r->benchmark);
  }
  return s;
}

std::string verdict_text(const Comparison& c, const CompareRow& row) {
  const bool time = is_time_unit(row.unit);
  const char* up = time ? "slower" : "higher";
  const char* down = time ? "faster" : "lower";
  // An interval from one boot's repetitions says nothing about the next
  // boot: every verdict built on one says so.
  const std::string caveat = row.across_boots ? "" : " (one boot)";
  switch (c.outcome) {
    case Outcome::kHigher:
      return up + caveat;
    case Outcome::kLower:
      return down + caveat;
    case Outcome::kInconclusive:
      return "no significant difference" + caveat;
    case Outcome::kTooFew:
      return "insufficient data (n=" + std::to_string(std::min(row.a.n, row.b.n)) + ")";
    case Outcome::kNoSpread:
      return std::string(c.exact_sign > 0 ? up : c.exact_sign < 0 ? down : "same") + " (no spread)";
  }
  return "?";
}

CompareRow compare_pair(const Replicated& ra, const Replicated& rb, double confidence) {
  CompareRow row;
  row.benchmark = ra.first().benchmark;
  row.metric = ra.first().metric;
  row.unit = ra.first().unit;
  row.a_pool = pool_rows(ra.rows);
  row.b_pool = pool_rows(rb.rows);
  // What the interval is built from, and the interval: replicates.h.
  const Contrast k = contrast(row.a_pool, row.b_pool, confidence);
  row.across_boots = k.across_boots;
  row.a = k.a;
  row.b = k.b;
  // Boot means carry their own spread; one boot's needs its stddev.
  const auto measured_sd = [](const Replicated& r) {
    return std::all_of(r.rows.begin(), r.rows.end(), [](const ResultRow* x) { return !x->stddev.empty(); });
  };
  row.a_has_stddev = row.across_boots || measured_sd(ra);
  row.b_has_stddev = row.across_boots || measured_sd(rb);
  if (!row.a_has_stddev || !row.b_has_stddev) {
    if (row.a.mean != 0) row.delta_pct = (row.b.mean - row.a.mean) / row.a.mean * 100;
    row.verdict = "insufficient data (no stddev)";
    return row;
  }
  const Comparison& c = k.comparison;
  row.delta_pct = c.delta_pct;
  row.ci_pct = c.delta_ci_pct;
  row.ci_unbounded = c.difference_ci && !c.delta_ci_pct;
  row.verdict = verdict_text(c, row);
  return row;
}

// "a, b, c" with at most `max` items, then "and N more".
std::string list(const std::vector<std::string>& items, std::size_t max = 8) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += " and " + std::to_string(items.size() - max) + " more";
  return out;
}

std::set<std::string> values_of(const std::vector<const ResultRow*>& rows, std::string_view col) {
  std::set<std::string> out;
  for (const ResultRow* r : rows) out.insert(*column_of(*r, col));
  return out;
}

std::string joined(const std::set<std::string>& s) { return list(std::vector<std::string>(s.begin(), s.end())); }

// What the reader must know about where the numbers came from.
void environment_notes(const std::vector<const ResultRow*>& a, const std::vector<const ResultRow*>& b,
                       std::vector<std::string>* notes) {
  for (const auto col : {"host", "arch", "kernel", "accel"}) {
    const auto va = values_of(a, col), vb = values_of(b, col);
    if (va != vb) notes->push_back(std::string("A and B differ in ") + col + ": A " + joined(va) + ", B " + joined(vb));
  }
  const bool tcg_a = values_of(a, "accel").contains("tcg"), tcg_b = values_of(b, "accel").contains("tcg");
  if (tcg_a || tcg_b) {
    const std::string who = tcg_a && tcg_b ? "A and B" : tcg_a ? "A" : "B";
    notes->push_back(who +
                     " ran under tcg: emulator timings, not hardware ones; trust the direction more than the size");
  }
}

}  // namespace

RowFilter parse_row_filter(const std::string& option, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError(option + " needs COL=VAL, got '" + text + "'");
  RowFilter f{text.substr(0, eq), text.substr(eq + 1)};
  if (!column_of(ResultRow{}, f.column))
    throw UsageError(option + ": unknown column '" + f.column + "' (columns: " + column_names() + ")");
  return f;
}


CompareReport compare_results(const std::vector<ResultRow>& a_rows, const std::vector<ResultRow>& b_rows,
                              const CompareSpec& spec) {
  if (!(spec.confidence > 0 && spec.confidence < 1)) throw UsageError("confidence must be between 0 and 1");
  for (const auto& m : spec.metrics) {
    const auto has = [&](const std::vector<ResultRow>& rows) {
      return std::any_of(rows.begin(), rows.end(), [&](const ResultRow& r) { return r.metric == m; });
    };
    if (!has(a_rows) && !has(b_rows)) throw UsageError("--metric " + m + ": neither operand has that metric");
  }
  const auto name = [](const char* side, const std::string& source) {
    return source.empty() ? std::string(side) : std::string(side) + " (" + source + ")";
  };
  const Side a = select(a_rows, spec.a_where, spec.metrics, name("A", spec.a_source), "--a-where");
  const Side b = select(b_rows, spec.b_where, spec.metrics, name("B", spec.b_source), "--b-where");
  const bool explicit_metrics = !spec.metrics.empty();
  // Rows that would be compared had the other side a partner.
  const auto candidate = [&](const ResultRow& r) { return measured(r) && (explicit_metrics || !r.stddev.empty()); };

  CompareReport report;
  report.confidence = spec.confidence;
  std::vector<std::string> only_a, only_b, not_measured, unit_mismatch;
  std::set<std::string> no_stddev_metrics;
  std::size_t no_stddev = 0;
  std::vector<const ResultRow*> used_a, used_b;
  const auto all = [](const Replicated& r, bool (*pred)(const ResultRow&)) {
    return std::all_of(r.rows.begin(), r.rows.end(), [&](const ResultRow* x) { return pred(*x); });
  };
  const auto has_spread = +[](const ResultRow& r) { return !r.stddev.empty() && !r.repetitions.empty(); };
  std::set<Key> done;
  for (const ResultRow* first : a.rows) {
    const Key key{first->benchmark, first->metric};
    if (!done.insert(key).second) continue;  // each pair once, in A's order
    const Replicated& ra = a.by_key.at(key);
    const auto it = b.by_key.find(key);
    if (it == b.by_key.end()) {
      if (candidate(*first))
        only_a.push_back(b.benchmarks.contains(first->benchmark) ? first->benchmark + " " + first->metric
                                                                 : first->benchmark);
      continue;
    }
    const Replicated& rb = it->second;
    if (!all(ra, measured) || !all(rb, measured)) {
      not_measured.push_back(first->benchmark + " " + first->metric);
      continue;
    }
    if (!explicit_metrics && (!all(ra, has_spread) || !all(rb, has_spread))) {
      ++no_stddev;
      no_stddev_metrics.insert(first->metric);
      continue;
    }
    if (ra.first().unit != rb.first().unit) {
      unit_mismatch.push_back(first->benchmark + " " + first->metric + " (" + ra.first().unit + " vs " +
                              rb.first().unit + ")");
      continue;
    }
    report.rows.push_back(compare_pair(ra, rb, spec.confidence));
    used_a.insert(used_a.end(), ra.rows.begin(), ra.rows.end());
    used_b.insert(used_b.end(), rb.rows.begin(), rb.rows.end());
  }
  std::set<Key> seen_b;
  for (const ResultRow* rb : b.rows) {
    if (!seen_b.insert({rb->benchmark, rb->metric}).second) continue;
    if (!a.by_key.contains({rb->benchmark, rb->metric}) && candidate(*rb))
      only_b.push_back(a.benchmarks.contains(rb->benchmark) ? rb->benchmark + " " + rb->metric : rb->benchmark);
  }
  // Benchmarks with several metrics are named once.
  for (auto* v : {&only_a, &only_b}) {
    std::vector<std::string> uniq;
    for (auto& s : *v)
      if (std::find(uniq.begin(), uniq.end(), s) == uniq.end()) uniq.push_back(s);
    *v = std::move(uniq);
  }

  auto& notes = report.notes;
  if (!report.rows.empty()) environment_notes(used_a, used_b, &notes);
  if (!only_a.empty()) notes.push_back("only in A, not compared: " + list(only_a));
  if (!only_b.empty()) notes.push_back("only in B, not compared: " + list(only_b));
  if (!not_measured.empty())
    notes.push_back("not measured on one side (empty value or not_supported), not compared: " + list(not_measured));
  if (!unit_mismatch.empty()) notes.push_back("units differ, not compared: " + list(unit_mismatch));
  if (no_stddev)
    notes.push_back(std::to_string(no_stddev) +
                    (no_stddev == 1 ? " benchmark/metric pair lacks" : " benchmark/metric pairs lack") +
                    " a stddev or repetitions on a side, not compared (" + joined(no_stddev_metrics) +
                    "); name the metric with --metric to list them anyway");
  const auto one_boot = std::count_if(report.rows.begin(), report.rows.end(), [](const CompareRow& r) {
    return !r.across_boots && r.ci_pct;
  });
  if (one_boot)
    notes.push_back(std::to_string(one_boot) + (one_boot == 1 ? " interval covers" : " intervals cover") +
                    " only the repetitions inside one boot (\"(one boot)\"): boots of one configuration differ more "
                    "than that, so the next boot may fall outside it; record two boots or more per side "
                    "(scripts/vm-bench --boots N) for intervals across boots");
  if (std::any_of(report.rows.begin(), report.rows.end(), [](const CompareRow& r) { return r.ci_unbounded; }))
    notes.push_back("CI \"unbounded\": A's mean is within noise of 0, so no finite interval for the ratio exists");
  if (report.rows.empty())
    throw Error("nothing to compare: no benchmark/metric has a value, stddev and repetitions on both sides" +
                (notes.empty() ? std::string() : " (" + list(notes, 3) + ")"));

  const auto label = [](const char* side, const std::string& source, const std::vector<RowFilter>& where) {
    std::string out = std::string(side) + ":";
    if (!source.empty()) out += " " + source;
    if (!where.empty()) out += " where " + filters_text(where);
    return out;
  };
  report.a_label = label("A", spec.a_source, spec.a_where);
  report.b_label = label("B", spec.b_source, spec.b_where);
  return report;
}

}  // namespace ptilab
