#include "render/probe.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ptilab {

std::string format_probe_table(const std::vector<ProbeOutcome>& outcomes) {
  std::vector<std::vector<std::string>> rows = {
      {"primitive", "median", "min", "p99", "mean", "median ns"}};
  std::vector<std::string> notes;  // rows with a message instead of numbers
  for (const auto& o : outcomes) {
    if (o.kind == ProbeOutcome::Kind::kMeasured) {
      const auto& s = o.stats;
      rows.push_back({o.primitive, std::to_string(s.median_cycles), std::to_string(s.min_cycles),
                      std::to_string(s.p99_cycles), std::to_string(s.mean_cycles),
                      o.median_ns ? fmt::format("{:.1f}", *o.median_ns) : "?"});
    } else {
      rows.push_back({o.primitive});
    }
    notes.push_back(o.kind == ProbeOutcome::Kind::kUnsupported ? "not supported on this CPU"
                    : o.kind == ProbeOutcome::Kind::kFailed    ? "failed: " + o.error
                                                               : "");
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (std::size_t n = 0; n < rows.size(); ++n) {
    const auto& r = rows[n];
    std::string line = r[0] + std::string(width[0] - r[0].size(), ' ');
    if (n > 0 && r.size() == 1) {
      line += "  " + notes[n - 1];
    } else {
      // Numbers right-aligned; the header labels them.
      for (std::size_t i = 1; i < r.size(); ++i) line += "  " + std::string(width[i] - r[i].size(), ' ') + r[i];
    }
    out += line + "\n";
  }
  out += "(cycles of the module's counter per operation; median ns = cycles / counter frequency)\n";
  return out;
}

std::string format_probe_json(const std::vector<ProbeOutcome>& outcomes) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& o : outcomes) {
    nlohmann::ordered_json j;
    j["primitive"] = o.primitive;
    j["supported"] = o.kind != ProbeOutcome::Kind::kUnsupported;
    if (o.kind == ProbeOutcome::Kind::kMeasured) {
      const auto& s = o.stats;
      j["iterations"] = s.iterations;
      j["cpu"] = s.cpu;
      j["min_cycles"] = s.min_cycles;
      j["median_cycles"] = s.median_cycles;
      j["p99_cycles"] = s.p99_cycles;
      j["max_cycles"] = s.max_cycles;
      j["mean_cycles"] = s.mean_cycles;
      j["overhead_cycles"] = s.overhead_cycles;
      j["median_ns"] = o.median_ns ? nlohmann::ordered_json(*o.median_ns) : nlohmann::ordered_json();
      j["counter"] = o.counter;
      j["counter_khz"] = o.counter_khz;
    }
    if (!o.error.empty()) j["error"] = o.error;
    array.push_back(std::move(j));
  }
  return array.dump(2) + "\n";
}

}  // namespace ptilab
