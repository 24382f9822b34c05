#include "model/fleet.h"

#include <fmt/format.h>

#include <algorithm>

#include "kernel/state.h"

namespace ptilab {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Families {
 public:
  MetricFamily& add(std::string name, std::string help, MetricType type = MetricType::kGauge) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return list_.emplace_back(std::move(f));
  }
  std::vector<MetricFamily> take() {
    std::erase_if(list_, [](const MetricFamily& f) { return f.samples.empty(); });
    return std::move(list_);
  }

 private:
  std::vector<MetricFamily> list_;
};

void sample(MetricFamily& f, double value, Labels labels = {}) { f.samples.push_back({std::move(labels), value}); }

// 1 on, 0 off, nothing when unknown.
void on_off(MetricFamily& f, std::string_view value, const Labels& labels) {
  if (value == kOn) sample(f, 1, labels);
  if (value == kOff) sample(f, 0, labels);
}

std::string ws_label(double bytes) { return fmt::format("{:.0f}", bytes); }

void state_metrics(Families& out, const FleetInputs& in) {
  const ArchProfile& p = *in.profile;
  const StatusReport& s = *in.status;
  const Labels host = {{"arch", std::string(p.arch)}, {"kernel", in.kernel}};
  Labels with_reason = host;
  with_reason.emplace_back("isolation", std::string(p.isolation));
  with_reason.emplace_back("reason", state_value(s.state, p.reason_key));
  on_off(out.add("ptilab_isolation_enabled",
                 fmt::format("Whether page-table isolation ({}) is on (1) or off (0); reason: why, as ptilab.ko "
                             "tells it (without the module, as ptilab infers it from the kernel's files)",
                             p.isolation)),
         s.verdict.pti, with_reason);
  on_off(out.add("ptilab_meltdown_affected", "Whether the CPU has the Meltdown bug (1 yes, 0 no)"), s.verdict.meltdown_bug,
         host);
  if (s.verdict.safe_to_disable)
    sample(out.add("ptilab_isolation_safe_to_disable",
                   fmt::format("Whether turning {} off ({}) is safe on this CPU (1 yes, 0 no)", p.isolation, p.turn_off)),
           *s.verdict.safe_to_disable ? 1 : 0, host);
  sample(out.add("ptilab_module_loaded",
                 "Whether the state comes from ptilab.ko (1) or from the kernel's own files (0)"),
         s.origin == StateOrigin::kModule ? 1 : 0, host);
  for (const FleetFlag& flag : p.fleet_flags)
    on_off(out.add(std::string(flag.metric), std::string(flag.help)), state_value(s.state, flag.key), host);
  MetricFamily& write =
      out.add("ptilab_page_table_write_seconds",
              fmt::format("What one {} costs: the median of ptilab.ko's probe ({} runs)", p.pt_write,
                          kStatusProbeIterations));
  for (const ProbeOutcome& c : s.costs)
    if (c.kind == ProbeOutcome::Kind::kMeasured && c.median_ns) sample(write, *c.median_ns / 1e9, {{"probe", c.primitive}});
}

void trace_metrics(Families& out, const FleetInputs& in) {
  if (in.tracer_asked)
    sample(out.add("ptilab_tracer_up", "Whether the eBPF tracer counted (1) or could not attach (0)"), in.trace ? 1 : 0);
  if (!in.trace) return;
  const FleetTrace& t = *in.trace;
  const ArchProfile& p = *in.profile;
  const auto has = [&](int counter) { return t.available[static_cast<std::size_t>(counter)]; };

  if (t.last) {
    const CounterArray& c = *t.last;
    const double s = t.last_seconds;
    const Derived d = derive(c, t.isolation_on, t.available);
    sample(out.add("ptilab_trace_interval_seconds", "The interval the *_per_second gauges are rates over"), s);
    const auto per_s = [&](const std::string& name, const std::string& what, bool counted, double n) {
      MetricFamily& f = out.add(name, what + " per second over the last interval");
      if (counted) sample(f, s > 0 ? n / s : 0);
    };
    per_s("ptilab_syscalls_per_second", "System calls", has(PTL_SYSCALLS), static_cast<double>(c[PTL_SYSCALLS]));
    per_s("ptilab_kernel_entries_per_second", "Kernel entries (derived: " + entries_formula() + ")",
          d.entries_counted, d.kernel_entries);
    per_s("ptilab_context_switches_per_second", "Context switches", has(PTL_CTX_SWITCHES),
          static_cast<double>(c[PTL_CTX_SWITCHES]));
    per_s("ptilab_mm_switches_per_second", "Context switches that change mm (a page-table switch)",
          has(PTL_MM_SWITCHES), static_cast<double>(c[PTL_MM_SWITCHES]));
    per_s("ptilab_page_table_writes_per_second",
          std::string(p.pt_register) + " writes (derived: " + cr3_formula(t.isolation_on, p) + ")", d.cr3_counted,
          d.cr3_writes);
    per_s("ptilab_tlb_flushes_per_second", "TLB flushes (tlb:tlb_flush)", has(PTL_TLB_FLUSHES),
          static_cast<double>(c[PTL_TLB_FLUSHES]));
  }

  if (!t.total) return;
  const CounterArray& c = *t.total;
  const auto count = [&](MetricFamily& f, int counter, Labels labels = {}) {
    if (has(counter)) sample(f, static_cast<double>(c[counter]), std::move(labels));
  };
  sample(out.add("ptilab_trace_seconds_total", "Seconds traced since the exporter started", MetricType::kCounter),
         t.total_seconds);
  count(out.add("ptilab_syscalls_total", "System calls since the exporter started", MetricType::kCounter), PTL_SYSCALLS);
  MetricFamily& irqs = out.add("ptilab_interrupts_total",
                               "Interrupts since the exporter started, by kind (device handlers, local timer, IPIs)",
                               MetricType::kCounter);
  count(irqs, PTL_IRQS, {{"kind", "device"}});
  count(irqs, PTL_TIMER_IRQS, {{"kind", "timer"}});
  count(irqs, PTL_IPIS, {{"kind", "ipi"}});
  MetricFamily& faults =
      out.add("ptilab_page_faults_total", "Page faults since the exporter started, by mode", MetricType::kCounter);
  count(faults, PTL_PF_USER, {{"mode", "user"}});
  count(faults, PTL_PF_KERNEL, {{"mode", "kernel"}});
  count(out.add("ptilab_context_switches_total", "Context switches since the exporter started", MetricType::kCounter),
        PTL_CTX_SWITCHES);
  count(out.add("ptilab_mm_switches_total", "Context switches that change mm since the exporter started",
                MetricType::kCounter),
        PTL_MM_SWITCHES);
  MetricFamily& tlb = out.add("ptilab_tlb_flushes_total", "TLB flushes (tlb:tlb_flush) since the exporter started, by reason",
                              MetricType::kCounter);
  for (const CounterInfo& ci : counter_infos())
    if (ci.metric.starts_with("tlb_flush_")) count(tlb, ci.index, {{"reason", std::string(ci.metric.substr(10))}});
  const Derived d = derive(c, t.isolation_on, t.available);
  MetricFamily& entries = out.add("ptilab_kernel_entries_total", "Kernel entries since the exporter started (derived: " +
                                                                     entries_formula() + ")",
                                  MetricType::kCounter);
  if (d.entries_counted) sample(entries, d.kernel_entries);
  MetricFamily& writes = out.add("ptilab_page_table_writes_total",
                                 std::string(p.pt_register) + " writes since the exporter started (derived: " +
                                     cr3_formula(t.isolation_on, p) + ")",
                                 MetricType::kCounter);
  if (d.cr3_counted) sample(writes, d.cr3_writes);
}

void estimate_metrics(Families& out, const FleetInputs& in) {
  MetricFamily& share = out.add(
      "ptilab_isolation_cpu_ratio",
      "Estimated share of all online CPUs' time isolation costs over the last interval (with isolation off: what "
      "turning it on would cost); model: probe (2 x ptilab.ko's page-table write per kernel entry), results "
      "(--cost-from: an on/off benchmark pair), map (the overhead map's prediction at this rate and working set)");
  MetricFamily& loss = out.add("ptilab_isolation_loss_ratio",
                               "The overhead map's predicted loss of the busy time, isolation on against off, at this "
                               "rate of system calls + context switches per busy CPU-second and working set");
  MetricFamily& entry = out.add("ptilab_isolation_entry_cost_seconds",
                                "What isolation adds to one kernel entry and exit, as the estimate prices it");
  MetricFamily& mm = out.add("ptilab_isolation_mm_switch_cost_seconds",
                             "What isolation adds to one mm switch, as the estimate prices it");
  for (const FleetEstimate& e : in.estimates) {
    Labels labels = {{"model", e.model}};
    if (e.ws) {
      labels.emplace_back("working_set_bytes", ws_label(*e.ws));
      labels.emplace_back("pages", e.huge ? "huge" : "4k");
    }
    sample(share, e.cpu_ratio, labels);
    if (e.loss_ratio) sample(loss, *e.loss_ratio, labels);
    if (e.entry_cost_seconds) sample(entry, *e.entry_cost_seconds, labels);
    if (e.mm_switch_cost_seconds) sample(mm, *e.mm_switch_cost_seconds, labels);
  }
}

}  // namespace

std::vector<MetricFamily> fleet_metrics(const FleetInputs& in) {
  Families out;
  state_metrics(out, in);
  trace_metrics(out, in);
  estimate_metrics(out, in);
  if (in.exporter_cpu_seconds)
    sample(out.add("ptilab_exporter_cpu_seconds_total",
                   "CPU time (user + system) the exporter itself has used since it started", MetricType::kCounter),
           *in.exporter_cpu_seconds);
  return out.take();
}

FleetEstimate fleet_cost_estimate(const Estimate& e, const IsolationCost& cost, bool from_results) {
  FleetEstimate f;
  f.model = from_results ? "results" : "probe";
  f.cpu_ratio = e.percent_of_cpus / 100;
  f.entry_cost_seconds = cost.ns_per_entry / 1e9;
  f.mm_switch_cost_seconds = cost.ns_per_mm_switch / 1e9;
  return f;
}

std::vector<FleetEstimate> fleet_map_estimates(const std::vector<MapPrediction>& predictions, bool isolation_on,
                                               bool huge, double busy_cpu_seconds, double seconds, int nr_cpus) {
  std::vector<FleetEstimate> out;
  const double capacity = seconds * std::max(1, nr_cpus);
  for (const MapPrediction& p : predictions) {
    FleetEstimate f;
    f.model = "map";
    const double loss = p.loss_pct / 100;
    f.loss_ratio = loss;
    // With isolation on the busy time already holds it: its share is
    // loss / (1 + loss). Off, turning it on would add loss x busy.
    const double share_of_busy = isolation_on ? (loss > -1 ? loss / (1 + loss) : 0) : loss;
    f.cpu_ratio = capacity > 0 ? share_of_busy * busy_cpu_seconds / capacity : 0;
    f.ws = p.ws;
    f.huge = huge;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace ptilab
