#include "kernel/probe.h"

#include <algorithm>
#include <cerrno>

#include "util/error.h"

namespace ptilab {

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

}  // namespace ptilab
