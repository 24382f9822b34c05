#include "snapshot.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "bench_cmd.h"
#include "error.h"
#include "sysinfo.h"

namespace ptilab {

namespace {

bool is_count(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ResultRow row(const ResultRow& base, std::string metric, std::string value, std::string unit, std::string reps) {
  ResultRow r = base;
  r.metric = std::move(metric);
  r.value = std::move(value);
  r.unit = std::move(unit);
  r.repetitions = std::move(reps);
  return r;
}

}  // namespace

std::vector<ResultRow> state_rows(const RunInfo& run, const ModuleState& state) {
  ResultRow base = make_base_row(run);
  base.benchmark = "state";
  std::vector<ResultRow> rows;
  for (const auto& e : state.entries()) {
    if (e.key == "arch" || e.key == "kernel") continue;
    if (e.key == "pti_reason")
      rows.push_back(row(base, "pti_reason=" + e.value, "1", "info", "1"));
    else if (e.value == kOn || e.value == kOff)
      rows.push_back(row(base, e.key, e.value == kOn ? "1" : "0", "bool", "1"));
    else if (is_count(e.value))
      rows.push_back(row(base, e.key, e.value, "count", "1"));
  }
  return rows;
}

std::vector<ResultRow> probe_rows(const RunInfo& run, const std::vector<ProbeOutcome>& outcomes) {
  std::vector<ResultRow> rows;
  for (const auto& o : outcomes) {
    ResultRow base = make_base_row(run);
    base.benchmark = "probe:" + o.primitive;
    switch (o.kind) {
      case ProbeOutcome::Kind::kFailed:
        throw Error(o.error);
      case ProbeOutcome::Kind::kUnsupported:
        rows.push_back(row(base, "supported", "0", "bool", "1"));
        break;
      case ProbeOutcome::Kind::kMeasured: {
        const auto& s = o.stats;
        const std::string reps = std::to_string(s.iterations);
        rows.push_back(row(base, "cycles_min", std::to_string(s.min_cycles), "cycles", reps));
        rows.push_back(row(base, "cycles_median", std::to_string(s.median_cycles), "cycles", reps));
        rows.push_back(row(base, "cycles_p99", std::to_string(s.p99_cycles), "cycles", reps));
        rows.push_back(row(base, "cycles_mean", std::to_string(s.mean_cycles), "cycles", reps));
        rows.push_back(row(base, "overhead_cycles", std::to_string(s.overhead_cycles), "cycles", reps));
        if (o.median_ns) rows.push_back(row(base, "ns_median", format_number(*o.median_ns), "ns", reps));
        break;
      }
    }
  }
  return rows;
}

std::vector<ResultRow> audit_rows(const RunInfo& run, const PtAuditSummary& audit) {
  ResultRow base = make_base_row(run);
  base.benchmark = "ptaudit";
  std::vector<ResultRow> rows;
  rows.push_back(row(base, "kernel_pages", std::to_string(audit.kernel_pages), "pages", "1"));
  rows.push_back(row(base, "secret_pages", std::to_string(audit.secret_pages), "pages", "1"));
  for (const auto& [name, pages] : audit.regions)
    rows.push_back(row(base, "region." + name, std::to_string(pages), "pages", "1"));
  return rows;
}

int run_snapshot(const SnapshotOptions& o) {
  const auto start = std::chrono::system_clock::now();
  const Debugfs fs(o.debugfs);
  const SystemInfo sys = read_system_info();
  const ModuleState state = ModuleState::parse(fs.read("state"), fs.file("state").string());
  const Isolation iso = isolation_from_module(state, sys.arch, sys.kernel);
  for (const auto& w : iso.warnings) std::cerr << "ptilab: warning: " << w << "\n";

  std::vector<ProbeOutcome> outcomes;
  if (o.probes) {
    const ProbeReport report = parse_probe(fs.read("probe"), fs.file("probe").string());
    for (const auto& p : report.primitives) {
      if (p.supported) {
        outcomes.push_back(run_probe(fs, p.name, o.iterations));
      } else {
        ProbeOutcome unsupported;
        unsupported.kind = ProbeOutcome::Kind::kUnsupported;
        unsupported.primitive = p.name;
        outcomes.push_back(std::move(unsupported));
      }
    }
  }
  std::optional<PtAuditSummary> audit;
  if (o.audit) audit = parse_ptaudit(fs.read("ptaudit"), fs.file("ptaudit").string());

  const RunInfo run = make_run_info(sys, iso, start, o.run_id, o.host, o.accel);
  std::vector<ResultRow> rows = state_rows(run, state);
  const auto more = probe_rows(run, outcomes);
  rows.insert(rows.end(), more.begin(), more.end());
  if (audit) {
    const auto a = audit_rows(run, *audit);
    rows.insert(rows.end(), a.begin(), a.end());
  }
  write_results(o.out, rows);
  std::cout << "ptilab: wrote " << o.out.string() << " (" << rows.size() << " rows)" << std::endl;
  return 0;
}

}  // namespace ptilab
