// What a fleet watches, as Prometheus metric families: whether isolation
// is on and why, the facts that decide its price (PCID, E0PD, KASLR), what
// one page-table write costs (the module's probe), how often the kernel is
// entered (the tracer's rates and counts), and the share of CPU isolation
// is estimated to cost. Pure: cmd/export.cc gathers the inputs (ptilab
// export, ptilab trace --prometheus) and render/prometheus.h writes the
// text exposition format node_exporter's textfile collector reads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernel/arch_profile.h"
#include "kernel/trace_counts.h"
#include "model/overhead_map.h"
#include "model/status.h"
#include "model/trace.h"

namespace ptilab {

enum class MetricType { kGauge, kCounter };

struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;  // in this order
  double value = 0;
};

// One metric: its name (ptilab_..., base units: _seconds, _ratio, _bytes;
// _total for counters), its help, its type and every sample, contiguous
// as the exposition format requires.
struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<MetricSample> samples;
};

// The tracer's part.
struct FleetTrace {
  CounterSet available{};
  bool isolation_on = true;
  // The last interval (the *_per_second gauges); nullopt before the first
  // one has ended.
  std::optional<CounterArray> last;
  double last_seconds = 0;
  // Since tracing started (the *_total counters): only a process that
  // keeps running may export counters, which must grow for its whole life
  // (ptilab trace --prometheus; a one-shot ptilab export has none).
  std::optional<CounterArray> total;
  double total_seconds = 0;
};

// An estimate of isolation's cost over the last interval.
struct FleetEstimate {
  std::string model;     // "probe" (the module's), "results" (--cost-from), "map" (--map)
  double cpu_ratio = 0;  // of all online CPUs' time
  // probe, results: what one kernel entry + exit and one mm switch cost.
  std::optional<double> entry_cost_seconds, mm_switch_cost_seconds;
  // map: the loss of the busy time it predicts, and the working set and
  // page size it was read at.
  std::optional<double> loss_ratio;
  std::optional<double> ws;
  bool huge = false;
};

struct FleetInputs {
  const ArchProfile* profile = nullptr;
  const StatusReport* status = nullptr;
  std::string kernel;  // the kernel label: the state's, else uname's
  // A trace was asked for (ptilab export -i SEC > 0): ptilab_tracer_up is 1
  // with trace, 0 without (it could not attach).
  bool tracer_asked = false;
  std::optional<FleetTrace> trace;
  std::vector<FleetEstimate> estimates;
  // The exporter's own CPU time so far (long-running mode only).
  std::optional<double> exporter_cpu_seconds;
};

// Every family, in a fixed order; a fact or count that is unknown or was
// not counted is left out, never a 0. Families without samples are left
// out.
std::vector<MetricFamily> fleet_metrics(const FleetInputs& in);

// The cost model's estimate (trace --estimate's): model "probe" or
// "results" by where the cost came from.
FleetEstimate fleet_cost_estimate(const Estimate& e, const IsolationCost& cost, bool from_results);

// The map's predictions as estimates: the share of the busy time
// isolation takes (loss / (1 + loss) with it on; with it off the loss it
// would add) times the busy share of all CPUs over the interval.
std::vector<FleetEstimate> fleet_map_estimates(const std::vector<MapPrediction>& predictions, bool isolation_on,
                                               bool huge, double busy_cpu_seconds, double seconds, int nr_cpus);

}  // namespace ptilab
