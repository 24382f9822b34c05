#include "compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <span>

#include "atomic_file.h"
#include "csv.h"
#include "error.h"
#include "text_table.h"

namespace ptilab {

bool is_time_unit(const std::string& unit) {
  return unit == "ns" || unit == "us" || unit == "ms" || unit == "s" || unit == "cycles";
}

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
// none of these does.
constexpr std::string_view kConfigColumns[] = {"pti", "pcid", "e0pd", "kpti", "kernel", "accel", "run_id"};
constexpr std::string_view kOtherColumns[] = {"host", "arch", "cmdline", "timestamp"};

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
    msg += " with identical configurations (" + dups[0]->origin + ", " + dups[1]->origin + "): remove the duplicates";
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

struct Side {
  std::vector<const ResultRow*> rows;  // filtered, in input order
  std::map<Key, const ResultRow*> by_key;
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
  std::size_t dup_pairs = 0;
  const std::vector<const ResultRow*>* first_dup = nullptr;
  for (const ResultRow* r : s.rows) {  // the first duplicate in input order
    const auto& g = groups[{r->benchmark, r->metric}];
    if (g.size() > 1 && !first_dup) first_dup = &g;
  }
  for (const auto& [key, g] : groups) dup_pairs += g.size() > 1;
  if (first_dup) several_configurations(name, option, *first_dup, dup_pairs);
  for (const ResultRow* r : s.rows) {
    s.by_key[{r->benchmark, r->metric}] = r;
    s.benchmarks.insert(r->benchmark);
  }
  return s;
}

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

Summary summary(const ResultRow& row) {
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

std::string verdict_text(const Comparison& c, const CompareRow& row) {
  const bool time = is_time_unit(row.unit);
  const char* up = time ? "slower" : "higher";
  const char* down = time ? "faster" : "lower";
  switch (c.outcome) {
    case Outcome::kHigher:
      return up;
    case Outcome::kLower:
      return down;
    case Outcome::kInconclusive:
      return "no significant difference";
    case Outcome::kTooFew:
      return "insufficient data (n=" + std::to_string(std::min(row.a.n, row.b.n)) + ")";
    case Outcome::kNoSpread:
      return std::string(c.exact_sign > 0 ? up : c.exact_sign < 0 ? down : "same") + " (no spread)";
  }
  return "?";
}

CompareRow compare_pair(const ResultRow& ra, const ResultRow& rb, double confidence) {
  CompareRow row;
  row.benchmark = ra.benchmark;
  row.metric = ra.metric;
  row.unit = ra.unit;
  row.a = summary(ra);
  row.b = summary(rb);
  row.a_has_stddev = !ra.stddev.empty();
  row.b_has_stddev = !rb.stddev.empty();
  if (!row.a_has_stddev || !row.b_has_stddev) {
    if (row.a.mean != 0) row.delta_pct = (row.b.mean - row.a.mean) / row.a.mean * 100;
    row.verdict = "insufficient data (no stddev)";
    return row;
  }
  const Comparison c = compare_summaries(row.a, row.b, confidence);
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
  for (const ResultRow* ra : a.rows) {
    const Key key{ra->benchmark, ra->metric};
    const auto it = b.by_key.find(key);
    if (it == b.by_key.end()) {
      if (candidate(*ra))
        only_a.push_back(b.benchmarks.contains(ra->benchmark) ? ra->benchmark + " " + ra->metric : ra->benchmark);
      continue;
    }
    const ResultRow* rb = it->second;
    if (!measured(*ra) || !measured(*rb)) {
      not_measured.push_back(ra->benchmark + " " + ra->metric);
      continue;
    }
    if (!explicit_metrics &&
        (ra->stddev.empty() || rb->stddev.empty() || ra->repetitions.empty() || rb->repetitions.empty())) {
      ++no_stddev;
      no_stddev_metrics.insert(ra->metric);
      continue;
    }
    if (ra->unit != rb->unit) {
      unit_mismatch.push_back(ra->benchmark + " " + ra->metric + " (" + ra->unit + " vs " + rb->unit + ")");
      continue;
    }
    report.rows.push_back(compare_pair(*ra, *rb, spec.confidence));
    used_a.push_back(ra);
    used_b.push_back(rb);
  }
  for (const ResultRow* rb : b.rows) {
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

namespace {

// Four significant digits or all of the integer part: readable, not exact
// (the CSV format is exact).
std::string readable(double v) {
  char buf[64];
  const double m = std::fabs(v);
  if (m >= 1000)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (m >= 100)
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (m >= 10)
    std::snprintf(buf, sizeof buf, "%.2f", v);
  else if (m >= 1 || m == 0)
    std::snprintf(buf, sizeof buf, "%.3f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string percent(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.1f%%", v);
  return std::string(buf) == "-0.0%" ? "+0.0%" : buf;
}

std::string side_cell(const Summary& s, bool has_stddev, const std::string& unit) {
  std::string out = readable(s.mean);
  if (has_stddev) out += " ± " + readable(s.stddev);
  if (!unit.empty()) out += " " + unit;
  return out + " (n=" + std::to_string(s.n) + ")";
}

std::string ci_cell(const CompareRow& r) {
  if (r.ci_pct) return "[" + percent(r.ci_pct->low) + ", " + percent(r.ci_pct->high) + "]";
  return r.ci_unbounded ? "unbounded" : "-";
}

std::string confidence_label(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%% CI", c * 100);
  return buf;
}

std::vector<std::vector<std::string>> cells(const CompareReport& report) {
  std::vector<std::vector<std::string>> out;
  out.push_back({"benchmark", "metric", "A mean ± stddev (n)", "B mean ± stddev (n)", "delta",
                 confidence_label(report.confidence), "verdict"});
  for (const auto& r : report.rows)
    out.push_back({r.benchmark, r.metric, side_cell(r.a, r.a_has_stddev, r.unit),
                   side_cell(r.b, r.b_has_stddev, r.unit), r.delta_pct ? percent(*r.delta_pct) : "-", ci_cell(r),
                   r.verdict});
  return out;
}

std::string method_line(const CompareReport& report) {
  return "delta = (B-A)/A; " + confidence_label(report.confidence) +
         ": Fieller's interval for B/A with Welch's t (degrees of freedom per row); the verdict is Welch's t-test, "
         "and agrees with the CI";
}

}  // namespace

std::string render_compare_table(const CompareReport& report) {
  const auto table = cells(report);
  const std::vector<bool> right = {false, false, true, true, true, true, false};
  std::string out = report.a_label + "\n" + report.b_label + "\n\n" + align_columns(table, right);
  out += "\n" + method_line(report) + "\n";
  for (const auto& n : report.notes) out += "note: " + n + "\n";
  return out;
}

std::string render_compare_csv(const CompareReport& report) {
  const std::vector<std::string> header = {"benchmark",  "metric",      "unit",       "a_mean", "a_stddev",
                                           "a_n",        "b_mean",      "b_stddev",   "b_n",    "delta_pct",
                                           "ci_low_pct", "ci_high_pct", "confidence", "verdict"};
  std::string out = csv_format_record(header);
  const auto opt = [](const std::optional<double>& v) { return v ? format_number(*v) : std::string(); };
  for (const auto& r : report.rows) {
    const std::vector<std::string> fields = {
        r.benchmark,
        r.metric,
        r.unit,
        format_number(r.a.mean),
        r.a_has_stddev ? format_number(r.a.stddev) : "",
        std::to_string(r.a.n),
        format_number(r.b.mean),
        r.b_has_stddev ? format_number(r.b.stddev) : "",
        std::to_string(r.b.n),
        opt(r.delta_pct),
        r.ci_pct ? format_number(r.ci_pct->low) : "",
        r.ci_pct ? format_number(r.ci_pct->high) : "",
        format_number(report.confidence),
        r.verdict,
    };
    out += csv_format_record(fields);
  }
  return out;
}

std::string render_compare_markdown(const CompareReport& report) {
  const auto escape = [](const std::string& s) {
    std::string out;
    for (const char c : s) {
      if (c == '|') out += '\\';
      out += c == '\n' ? ' ' : c;
    }
    return out;
  };
  const auto table = cells(report);
  std::string out = "- " + escape(report.a_label) + "\n- " + escape(report.b_label) + "\n\n";
  for (std::size_t i = 0; i < table.size(); ++i) {
    out += "|";
    for (const auto& c : table[i]) out.append(" ").append(escape(c)).append(" |");
    out += "\n";
    if (i == 0) out += "| --- | --- | ---: | ---: | ---: | ---: | --- |\n";
  }
  out += "\n" + method_line(report) + ".\n";
  if (!report.notes.empty()) {
    out += "\nNotes:\n\n";
    for (const auto& n : report.notes) out += "- " + escape(n) + "\n";
  }
  return out;
}

namespace {

std::filesystem::path results_file(const std::filesystem::path& operand, const std::string& name) {
  std::error_code ec;
  const auto st = std::filesystem::status(operand, ec);
  if (!std::filesystem::exists(st)) throw Error(name + ": no such file or directory: " + operand.string());
  if (std::filesystem::is_directory(st)) {
    auto csv = operand / "results.csv";
    if (!std::filesystem::exists(csv, ec))
      throw Error(name + ": " + operand.string() + " is a directory without results.csv");
    return csv;
  }
  return operand;
}

}  // namespace

int run_compare(const CompareOptions& options) {
  const auto a_path = results_file(options.a, "A");
  const auto b_path = results_file(options.b, "B");
  const auto a_rows = read_results(a_path);
  const auto b_rows = read_results(b_path);
  CompareSpec spec = options.spec;
  spec.a_source = a_path.string();
  spec.b_source = b_path.string();
  CompareReport report = compare_results(a_rows, b_rows, spec);

  std::string text;
  switch (options.format) {
    case CompareFormat::kTable:
      text = render_compare_table(report);
      break;
    case CompareFormat::kCsv:
      text = render_compare_csv(report);
      for (const auto& n : report.notes) std::cerr << "ptilab: note: " << n << "\n";
      break;
    case CompareFormat::kMarkdown:
      text = render_compare_markdown(report);
      break;
  }
  if (options.out)
    write_file_atomic(*options.out, text);
  else
    std::cout << text << std::flush;
  return 0;
}

}  // namespace ptilab
