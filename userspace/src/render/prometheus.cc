#include "render/prometheus.h"

#include <fmt/format.h>

#include <cmath>

namespace ptilab {

namespace {

// HELP text escapes backslash and newline; label values also the double
// quote (the format's only escapes).
std::string escape(std::string_view s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string prometheus_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Counts stay whole numbers while a double holds them exactly.
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

std::string prometheus_text(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const MetricFamily& f : families) {
    out += fmt::format("# HELP {} {}\n", f.name, escape(f.help, false));
    out += fmt::format("# TYPE {} {}\n", f.name, f.type == MetricType::kCounter ? "counter" : "gauge");
    for (const MetricSample& s : f.samples) {
      out += f.name;
      if (!s.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < s.labels.size(); ++i)
          out += fmt::format("{}{}=\"{}\"", i ? "," : "", s.labels[i].first, escape(s.labels[i].second, true));
        out += '}';
      }
      out += ' ' + prometheus_value(s.value) + '\n';
    }
  }
  return out;
}

}  // namespace ptilab
