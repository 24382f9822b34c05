#include "render/compare.h"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "results/csv.h"
#include "util/text_table.h"

namespace ptilab {

namespace {

// Four significant digits or all of the integer part: readable, not exact
// (the CSV format is exact).
std::string readable(double v) {
  const double m = std::fabs(v);
  if (m >= 1000) return fmt::format("{:.0f}", v);
  if (m >= 100) return fmt::format("{:.1f}", v);
  if (m >= 10) return fmt::format("{:.2f}", v);
  if (m >= 1 || m == 0) return fmt::format("{:.3f}", v);
  return fmt::format("{:.3g}", v);
}

std::string percent(double v) {
  const std::string p = fmt::format("{:+.1f}%", v);
  return p == "-0.0%" ? "+0.0%" : p;
}

std::string percent_of(double sd, double mean) {
  return fmt::format("±{:.1f}%", mean != 0 ? sd / std::fabs(mean) * 100 : 0.0);
}

// "1616 ± 34 ns (n=3)" from one boot; across boots the stddev is the boot
// means' and the within-boot spread follows: "1616 ± 51 ns (3 boots,
// within ±2.1%)".
std::string side_cell(const CompareRow& r, const Summary& s, const Pooled& p, bool has_stddev) {
  std::string out = readable(s.mean);
  if (has_stddev) out += fmt::format(" ± {}", readable(s.stddev));
  if (!r.unit.empty()) out += fmt::format(" {}", r.unit);
  if (r.across_boots) {
    if (p.within_sd) return fmt::format("{} ({} boots, within {})", out, p.boots, percent_of(*p.within_sd, s.mean));
    return fmt::format("{} ({} boots)", out, p.boots);
  }
  if (p.boots > 1) return fmt::format("{} (n={} over {} boots)", out, s.n, p.boots);
  return fmt::format("{} (n={})", out, s.n);
}

std::string ci_cell(const CompareRow& r) {
  if (r.ci_pct) return fmt::format("[{}, {}]", percent(r.ci_pct->low), percent(r.ci_pct->high));
  return r.ci_unbounded ? "unbounded" : "-";
}

std::string confidence_label(double c) { return fmt::format("{:g}% CI", c * 100); }

std::vector<std::vector<std::string>> cells(const CompareReport& report) {
  std::vector<std::vector<std::string>> out;
  out.push_back({"benchmark", "metric", "A mean ± stddev (n)", "B mean ± stddev (n)", "delta",
                 confidence_label(report.confidence), "verdict"});
  for (const auto& r : report.rows)
    out.push_back({r.benchmark, r.metric, side_cell(r, r.a, r.a_pool, r.a_has_stddev),
                   side_cell(r, r.b, r.b_pool, r.b_has_stddev), r.delta_pct ? percent(*r.delta_pct) : "-", ci_cell(r),
                   r.verdict});
  return out;
}

std::string method_line(const CompareReport& report) {
  return "delta = (B-A)/A; " + confidence_label(report.confidence) +
         ": boots as the replicates where both sides have two or more (each boot's repetitions averaged first; "
         "\"within\": the pooled spread inside a boot), an interval for B/A on the log scale with Welch's t; else "
         "the repetitions of one boot, Fieller's interval for B/A with Welch's t; degrees of freedom per row; the "
         "verdict agrees with the CI";
}

}  // namespace

std::string render_compare_table(const CompareReport& report) {
  const auto table = cells(report);
  const std::vector<bool> right = {false, false, true, true, true, true, false};
  std::string out = fmt::format("{}\n{}\n\n{}\n{}\n", report.a_label, report.b_label, align_columns(table, right),
                                method_line(report));
  for (const auto& n : report.notes) out += "note: " + n + "\n";
  return out;
}

std::string render_compare_csv(const CompareReport& report) {
  const std::vector<std::string> header = {
      "benchmark",   "metric",      "unit",         "a_mean",      "a_stddev",   "a_n",         "b_mean",
      "b_stddev",    "b_n",         "delta_pct",    "ci_low_pct",  "ci_high_pct", "confidence", "verdict",
      "basis",       "a_boots",     "b_boots",      "a_within_sd", "b_within_sd", "a_between_sd", "b_between_sd"};
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
        r.across_boots ? "boots" : "repetitions",
        std::to_string(r.a_pool.boots),
        std::to_string(r.b_pool.boots),
        opt(r.a_pool.within_sd),
        opt(r.b_pool.within_sd),
        r.a_pool.between ? format_number(r.a_pool.between->stddev) : "",
        r.b_pool.between ? format_number(r.b_pool.between->stddev) : "",
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
  out += fmt::format("\n{}.\n", method_line(report));
  if (!report.notes.empty()) {
    out += "\nNotes:\n\n";
    for (const auto& n : report.notes) out += "- " + escape(n) + "\n";
  }
  return out;
}

}  // namespace ptilab
