#include "cmd/probe.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace ptilab {

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

ProbeOutcome probe_outcome(std::string_view name, int iterations, const ProbeRun& run, std::string_view source) {
  ProbeOutcome o;
  o.primitive = name;
  const std::string what = "probe " + std::string(name) + ": ";
  if (run.error == EOPNOTSUPP) {
    o.kind = ProbeOutcome::Kind::kUnsupported;
    o.error = what + "not supported on this CPU (" + errno_name(run.error) + ")";
    return o;
  }
  if (run.error != 0) {
    o.error = what + describe_errno(run.error);
    return o;
  }
  const ProbeReport r = parse_probe(run.text, source);
  // Another writer between our write and read would show its run.
  if (r.primitive != name || !r.stats || r.stats->iterations != static_cast<std::uint64_t>(iterations)) {
    o.error = what + "the probe file shows primitive=" + r.primitive +
              (r.stats ? " iterations=" + std::to_string(r.stats->iterations) : std::string()) +
              ", not this run (another probe at the same time?)";
    return o;
  }
  o.kind = ProbeOutcome::Kind::kMeasured;
  o.stats = *r.stats;
  o.counter = r.counter;
  o.counter_khz = r.counter_khz;
  o.median_ns = cycles_to_ns(static_cast<double>(o.stats.median_cycles), r.counter_khz);
  return o;
}

ProbeRun run_probe_raw(const Debugfs& fs, std::string_view name, int iterations) {
  ProbeRun run;
  run.error = fs.write("probe", std::string(name) + " iterations=" + std::to_string(iterations) + "\n");
  if (run.error == 0) run.text = fs.read("probe");
  return run;
}

ProbeOutcome run_probe(const Debugfs& fs, std::string_view name, int iterations) {
  return probe_outcome(name, iterations, run_probe_raw(fs, name, iterations), fs.file("probe").string());
}

std::vector<std::string> select_primitives(const ProbeReport& report, const std::vector<std::string>& names,
                                           bool all) {
  std::vector<std::string> out;
  if (names.empty() || all) {
    for (const auto& p : report.primitives)
      if (p.supported) out.push_back(p.name);
    if (!all) return out;
  }
  for (const auto& n : names) {
    if (!report.find_primitive(n)) {
      std::string valid;
      for (const auto& p : report.primitives) valid += (valid.empty() ? "" : ", ") + p.name;
      throw UsageError("unknown primitive '" + n + "'; valid: " + valid);
    }
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  return out;
}

std::string format_probe_table(const std::vector<ProbeOutcome>& outcomes) {
  std::vector<std::vector<std::string>> rows = {
      {"primitive", "median", "min", "p99", "mean", "median ns"}};
  std::vector<std::string> notes;  // rows with a message instead of numbers
  for (const auto& o : outcomes) {
    if (o.kind == ProbeOutcome::Kind::kMeasured) {
      const auto& s = o.stats;
      rows.push_back({o.primitive, std::to_string(s.median_cycles), std::to_string(s.min_cycles),
                      std::to_string(s.p99_cycles), std::to_string(s.mean_cycles),
                      o.median_ns ? fixed(*o.median_ns, 1) : "?"});
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

int run_probe_cmd(const ProbeOptions& o) {
  const Debugfs fs(o.debugfs);
  const ProbeReport report = parse_probe(fs.read("probe"), fs.file("probe").string());
  const auto names = select_primitives(report, o.names, o.all);
  if (names.empty()) throw Error("this CPU supports none of the module's primitives");

  std::vector<ProbeOutcome> outcomes;
  std::size_t failed = 0;
  for (const auto& name : names) {
    const PrimitiveSupport* p = report.find_primitive(name);
    if (p && !p->supported) {
      ProbeOutcome unsupported;
      unsupported.kind = ProbeOutcome::Kind::kUnsupported;
      unsupported.primitive = name;
      outcomes.push_back(std::move(unsupported));
      continue;
    }
    outcomes.push_back(run_probe(fs, name, o.iterations));
    if (outcomes.back().kind == ProbeOutcome::Kind::kFailed) ++failed;
  }
  if (failed == names.size())
    throw Error(outcomes.front().error + (failed > 1 ? " (and " + std::to_string(failed - 1) + " more)" : ""));
  for (const auto& out : outcomes)
    if (!out.error.empty()) std::cerr << "ptilab: " << out.error << "\n";
  std::cout << (o.json ? format_probe_json(outcomes) : format_probe_table(outcomes));
  return 0;
}

}  // namespace ptilab
