// `ptilab export --prometheus FILE`: what a fleet watches (model/fleet.h)
// in Prometheus's text format, written atomically for node_exporter's
// textfile collector: the isolation state and its reason, the module's
// probe of a page-table write, the tracer's rates over one interval, and
// the estimated share of CPU isolation costs. FleetExporter is also what
// `ptilab trace --prometheus FILE` rewrites the file with at every
// interval.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kernel/debugfs.h"
#include "kernel/sysinfo.h"
#include "model/fleet.h"
#include "model/overhead_map.h"
#include "model/trace.h"

namespace ptilab {

inline constexpr double kDefaultExportInterval = 1.0;

// Where the exporter's inputs come from.
struct FleetSources {
  std::filesystem::path file;  // the .prom file
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
  std::optional<std::filesystem::path> cost_from;  // an on/off benchmark pair: model "results"
  std::optional<std::filesystem::path> map;        // an overhead map: model "map"
  std::optional<double> ws;                        // the working set the map is read at (else each of its own)
  bool thp = false;
  std::string accel = "none";  // which of the map's pairs to prefer
  std::optional<std::uint32_t> pid;  // the map's busy time: this process's (else the machine's)
};

// The sources from a command's options (ptilab export's, ptilab trace's):
// its debugfs directory and its --cost-from, --map, --ws, --thp.
template <class O>
FleetSources fleet_sources(const std::filesystem::path& file, const O& o) {
  FleetSources s;
  s.file = file;
  s.debugfs = o.debugfs;
  s.cost_from = o.cost_from;
  s.map = o.map;
  s.ws = o.ws;
  s.thp = o.thp;
  return s;
}

class FleetExporter {
 public:
  // Reads --cost-from and --map once; throws Error if either is unusable,
  // before anything is traced.
  FleetExporter(FleetSources sources, const SystemInfo& sys);

  // Starts an interval: the busy CPU time the map's estimate divides by
  // is counted from here.
  void start_interval();
  // Writes the file, atomically: the state as it is now (the module may
  // have come or gone: its probes run again each time it appears), and
  // with a trace its counts and the estimates over its last interval.
  // tracer_asked: a trace was wanted (ptilab_tracer_up). own_cpu_seconds:
  // the exporter's CPU time (long-running mode). Throws Error.
  void write(const std::optional<FleetTrace>& trace, bool tracer_asked, std::optional<double> own_cpu_seconds);

  const std::filesystem::path& file() const { return sources_.file; }

 private:
  StatusReport status_now();
  // The busy CPU seconds so far (the -p process's or the machine's), when
  // a map needs them.
  std::optional<double> busy_now() const;
  std::vector<FleetEstimate> estimates(const StatusReport& status, const FleetTrace& trace);

  FleetSources sources_;
  SystemInfo sys_;
  const ArchProfile* profile_;
  std::optional<IsolationCost> results_cost_;
  std::vector<MapPair> map_pairs_;
  const MapPair* map_pair_ = nullptr;
  // The module's probes, kept while it stays loaded.
  std::optional<std::vector<ProbeOutcome>> probes_;
  std::optional<double> busy_start_;
  double busy_interval_ = 0;
};

// The map's pair for this machine from a results CSV (ptilab bench --map,
// make vm-bench), as ptilab trace --map and the exporter read it. Throws
// Error if it has none for this architecture.
struct LoadedMap {
  std::vector<MapPair> pairs;
  const MapPair* pair = nullptr;  // into pairs
};
LoadedMap load_map(const std::filesystem::path& csv, std::string_view arch, std::string_view kernel,
                   std::string_view tlb, std::string_view accel);

struct ExportOptions {
  std::optional<std::filesystem::path> prometheus;  // required (the only format so far)
  double interval = kDefaultExportInterval;         // -i: trace this long first; 0: no trace
  std::optional<std::filesystem::path> cost_from, map;
  std::optional<double> ws;
  bool thp = false;
  std::optional<std::filesystem::path> btf;
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
  bool verbose = false;
};

// Traces for the interval (when it can: without root or BTF it says so on
// stderr and writes the rest, with ptilab_tracer_up 0), then writes the
// file. Throws Error.
int run_export(const ExportOptions& options);

}  // namespace ptilab
