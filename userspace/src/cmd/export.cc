#include "cmd/export.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "cmd/status.h"
#include "kernel/state.h"
#include "kernel/trace_bpf.h"
#include "kernel/workload.h"
#include "render/prometheus.h"
#include "render/table.h"
#include "results/results.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace ptilab {

namespace {

int online_cpus() { return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)); }

}  // namespace

LoadedMap load_map(const std::filesystem::path& csv, std::string_view arch, std::string_view kernel,
                   std::string_view tlb, std::string_view accel) {
  std::vector<ResultRow> rows;
  for_each_result(csv, [&](ResultRow&& r) {
    if (map_uses(r)) rows.push_back(std::move(r));
  });
  LoadedMap m;
  m.pairs = overhead_map(rows, kTableConfidence);
  m.pair = choose_pair(m.pairs, arch, kernel, tlb, accel);
  if (!m.pair)
    throw Error("--map: " + csv.string() + " has no overhead map for " + std::string(arch) +
                " (BM_Map cells with isolation on and off; ptilab bench --map full, or make vm-bench)");
  return m;
}

FleetExporter::FleetExporter(FleetSources sources, const SystemInfo& sys)
    : sources_(std::move(sources)), sys_(sys), profile_(&profile_for(sys.arch)) {
  if (sources_.cost_from)
    results_cost_ = cost_from_results(read_results(*sources_.cost_from), sources_.cost_from->string());
  if (sources_.map) {
    // The pair of this machine's TLB setting, as the state says it now.
    const StatusReport s = status_now();
    LoadedMap m = load_map(*sources_.map, sys_.arch, sys_.kernel, state_value(s.state, profile_->tlb_key),
                           sources_.accel);
    map_pairs_ = std::move(m.pairs);
    map_pair_ = m.pair;  // moving the vector keeps its elements where they were
  }
}

StatusReport FleetExporter::status_now() {
  StatusOptions so;
  so.debugfs = sources_.debugfs;
  so.probes = false;  // once per load of the module, below
  so.locality = false;  // not exported: no page-table walk every interval
  StatusReport r;
  try {
    r = gather_status(so);
  } catch (const Error&) {
    // The module's files read while it was being unloaded: once more,
    // when they are whole or gone.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    r = gather_status(so);
  }
  if (r.origin != StateOrigin::kModule) {
    probes_.reset();  // probed again when it comes back
    probe_write_costs(Debugfs(sources_.debugfs), *profile_, r);  // says why there are none
    return r;
  }
  if (probes_) {
    r.costs = *probes_;
    return r;
  }
  try {
    probe_write_costs(Debugfs(sources_.debugfs), *profile_, r);
    probes_ = r.costs;
  } catch (const Error& e) {
    // Unloaded between the state and the probe: none this time.
    r.costs.clear();
    r.costs_unknown = e.what();
  }
  return r;
}

std::optional<double> FleetExporter::busy_now() const {
  if (!map_pair_) return std::nullopt;
  try {
    return busy_cpu_seconds(sources_.pid ? std::optional<pid_t>(static_cast<pid_t>(*sources_.pid)) : std::nullopt);
  } catch (const Error&) {
    return std::nullopt;  // a -p process that has exited: no map estimate
  }
}

void FleetExporter::start_interval() { busy_start_ = busy_now(); }

std::vector<FleetEstimate> FleetExporter::estimates(const StatusReport& status, const FleetTrace& t) {
  std::vector<FleetEstimate> out;
  if (!t.last || !(t.last_seconds > 0)) return out;
  const CounterArray& c = *t.last;
  const Derived d = derive(c, t.isolation_on, t.available);
  // The cost model: --cost-from, else the module's probe of the write a
  // kernel entry makes (while it is loaded).
  std::optional<IsolationCost> cost = results_cost_;
  if (!cost) {
    const std::string_view name = profile_->entry_write_probe(state_value(status.state, profile_->tlb_key));
    for (const ProbeOutcome& p : status.costs)
      if (p.primitive == name && p.kind == ProbeOutcome::Kind::kMeasured && p.median_ns)
        cost = cost_from_probe(*profile_, name, *p.median_ns);
  }
  if (cost && d.cr3_counted)
    out.push_back(
        fleet_cost_estimate(estimate(d, c, t.last_seconds, online_cpus(), *cost), *cost, results_cost_.has_value()));
  // The map: where this rate of system calls + context switches per busy
  // CPU-second falls, at the working set given or each of the map's.
  if (map_pair_ && t.available[PTL_SYSCALLS] && t.available[PTL_CTX_SWITCHES] && busy_interval_ > 0) {
    MapQuery q;
    q.isolation_on = t.isolation_on;
    q.ws = sources_.ws;
    q.huge = sources_.thp;
    q.rate = static_cast<double>(c[PTL_SYSCALLS] + c[PTL_CTX_SWITCHES]) / busy_interval_;
    const auto predictions = predict(*map_pair_, q);
    for (auto& e : fleet_map_estimates(predictions, t.isolation_on, q.huge, busy_interval_, t.last_seconds,
                                       online_cpus()))
      out.push_back(std::move(e));
  }
  return out;
}

void FleetExporter::write(const std::optional<FleetTrace>& trace, bool tracer_asked,
                          std::optional<double> own_cpu_seconds) {
  const StatusReport status = status_now();
  // The busy time since the last write (or start_interval()), and the
  // next interval's start.
  const std::optional<double> busy = busy_now();
  busy_interval_ = busy && busy_start_ ? *busy - *busy_start_ : 0;
  busy_start_ = busy;
  FleetInputs in;
  in.profile = profile_;
  in.status = &status;
  in.kernel = status.state.contains("kernel") ? state_value(status.state, "kernel") : sys_.kernel;
  in.tracer_asked = tracer_asked;
  in.trace = trace;
  if (trace) in.estimates = estimates(status, *trace);
  in.exporter_cpu_seconds = own_cpu_seconds;
  write_file_atomic(sources_.file, prometheus_text(fleet_metrics(in)));
}

int run_export(const ExportOptions& o) {
  const SystemInfo sys = read_system_info();
  FleetExporter exporter(fleet_sources(*o.prometheus, o), sys);
  if (!(o.interval > 0)) {
    exporter.write(std::nullopt, false, std::nullopt);
    return 0;
  }

  // The same module directory the state metrics read.
  StateSources sources;
  sources.module_state = o.debugfs / "state";
  const Isolation iso = detect_isolation(sources, sys.arch, sys.kernel);
  TraceBpfOptions bo;
  bo.verbose = o.verbose;
  bo.btf = kernel_btf(o.btf);
  std::unique_ptr<TraceBpf> bpf;
  try {
    bpf = std::make_unique<TraceBpf>(bo);
  } catch (const Error& e) {
    // The state is worth exporting without the rates.
    std::cerr << "ptilab: export: not traced, the file has the state only: " << e.what() << std::endl;
    exporter.write(std::nullopt, true, std::nullopt);
    return 0;
  }

  // SIGINT or SIGTERM ends the interval early; what was counted is written.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  using Clock = std::chrono::steady_clock;
  const auto sum = [](const std::vector<CounterArray>& cpus) {
    CounterArray t{};
    for (const auto& c : cpus)
      for (int i = 0; i < PTL_NR_COUNTERS; ++i) t[i] += c[i];
    return t;
  };
  const CounterArray before = sum(bpf->read_cpus());
  const auto t0 = Clock::now();
  exporter.start_interval();
  timespec ts;
  ts.tv_sec = static_cast<time_t>(o.interval);
  ts.tv_nsec = static_cast<long>((o.interval - static_cast<double>(ts.tv_sec)) * 1e9);
  (void)sigtimedwait(&stop, nullptr, &ts);
  const CounterArray after = sum(bpf->read_cpus());
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  sigprocmask(SIG_UNBLOCK, &stop, nullptr);

  FleetTrace t;
  t.available = bpf->available();
  t.isolation_on = isolation_assumed_on(iso.pti, iso.kpti);
  CounterArray delta{};
  for (int i = 0; i < PTL_NR_COUNTERS; ++i) delta[i] = after[i] - before[i];
  t.last = delta;
  t.last_seconds = seconds;
  exporter.write(t, true, std::nullopt);
  return 0;
}

}  // namespace ptilab
