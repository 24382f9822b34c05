// `ptilab snapshot`: the module's view (state, optionally probe timings and
// the page-table audit) as rows of the results CSV, so that runs carry it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "debugfs.h"
#include "module_files.h"
#include "probe_cmd.h"
#include "results.h"
#include "state.h"

namespace ptilab {

// benchmark "state": on/off keys as bool 1/0, numeric values as count,
// pti_reason as metric "pti_reason=<value>" (info, 1). arch and kernel
// are columns already; other values (n/a, unknown) are left out.
std::vector<ResultRow> state_rows(const RunInfo& run, const ModuleState& state);
// benchmark "probe:<name>": cycles_min/median/p99/mean and overhead_cycles
// (cycles), ns_median (ns), repetitions = iterations; unsupported ones get
// one row "supported" 0 (bool). Throws Error for a kFailed outcome.
std::vector<ResultRow> probe_rows(const RunInfo& run, const std::vector<ProbeOutcome>& outcomes);
// benchmark "ptaudit": kernel_pages, secret_pages, region.<name> (pages).
std::vector<ResultRow> audit_rows(const RunInfo& run, const PtAuditSummary& audit);

struct SnapshotOptions {
  std::filesystem::path out;
  std::optional<std::string> run_id;
  std::optional<std::string> host;
  std::optional<std::string> accel;
  bool probes = false;
  int iterations = kDefaultProbeIterations;
  bool audit = false;
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
};

// Everything is read (and probed) before the CSV is written, atomically.
int run_snapshot(const SnapshotOptions& options);

}  // namespace ptilab
