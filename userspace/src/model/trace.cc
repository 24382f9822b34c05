#include "model/trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "kernel/state.h"
#include "results/stats.h"
#include "util/error.h"

namespace ptilab {

namespace {

std::string fixed(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

ResultRow metric_row(const ResultRow& base, std::string metric, double value, std::string unit,
                     std::size_t reps, std::optional<double> stddev) {
  ResultRow r = base;
  r.metric = std::move(metric);
  r.value = format_number(value);
  r.unit = std::move(unit);
  r.repetitions = std::to_string(reps);
  r.stddev = stddev ? format_number(*stddev) : std::string();
  return r;
}

ResultRow unsupported_row(const ResultRow& base, std::string metric) {
  ResultRow r = base;
  r.metric = std::move(metric);
  r.value.clear();  // never a zero
  r.unit = std::string(kUnitNotSupported);
  r.repetitions.clear();
  r.stddev.clear();
  return r;
}

}  // namespace

const std::vector<CounterInfo>& counter_infos() {
  static const std::vector<CounterInfo> v = {
      {PTL_SYSCALLS, "syscalls", "syscall", "system calls (raw_syscalls:sys_enter)", true},
      {PTL_IRQS, "irqs", "irq", "device interrupt handlers (irq:irq_handler_entry)", true},
      {PTL_TIMER_IRQS, "timer_irqs", "timer", "local timer interrupts", true},
      {PTL_IPIS, "ipis", "ipi", "IPIs received (reschedule, function call)", true},
      {PTL_INTR_IN_TASK, "interrupts_in_task", "intr_u", "interrupts that hit a user task", false},
      {PTL_PF_USER, "page_faults_user", "pf_user", "page faults from user mode", true},
      {PTL_PF_KERNEL, "page_faults_kernel", "pf_kern", "page faults in kernel mode", true},
      {PTL_CTX_SWITCHES, "context_switches", "ctxsw", "context switches", true},
      {PTL_MM_SWITCHES, "mm_switches", "mm_sw", "  of which change mm (CR3/TTBR0 write)", true},
      {PTL_TLB_FLUSHES, "tlb_flushes", "tlb", "TLB flushes (tlb:tlb_flush)", false},
      {PTL_TLB_REASON0, "tlb_flush_task_switch", "tlb_sw", "  on task switch", true},
      {PTL_TLB_REASON1, "tlb_flush_remote_shootdown", "tlb_rmt", "  remote shootdown (received)", true},
      {PTL_TLB_REASON2, "tlb_flush_local_shootdown", "tlb_loc", "  local shootdown", true},
      {PTL_TLB_REASON3, "tlb_flush_local_mm_shootdown", "tlb_lmm", "  local mm shootdown", true},
      {PTL_TLB_REASON4, "tlb_flush_remote_send_ipi", "tlb_ipi", "  remote shootdown IPI sent", true},
      {PTL_TLB_REASON5, "tlb_flush_remote_wrong_cpu", "tlb_wcpu", "  remote, wrong CPU", false},
      {PTL_TLB_REASON_OTHER, "tlb_flush_other", "tlb_oth", "  other reason", false},
      {PTL_TLB_PAGES, "tlb_pages_flushed", "tlb_pg", "pages flushed by ranged flushes", true},
      {PTL_TLB_FULL, "tlb_full_flushes", "tlb_full", "full flushes (TLB_FLUSH_ALL)", false},
  };
  return v;
}

const std::vector<CounterInfo>& pid_counter_infos() {
  static const std::vector<CounterInfo> v = {
      {PTL_PID_SYSCALLS, "syscalls", "syscall", "system calls"},
      {PTL_PID_INTR, "interrupts_in_task", "intr", "interrupts"},
      {PTL_PID_PF_USER, "page_faults_user", "pf_user", "user page faults"},
      {PTL_PID_CTX_SWITCHES, "context_switches", "ctxsw", "context switches (out)"},
      {PTL_PID_MM_SWITCHES, "mm_switches", "mm_sw", "mm switches (in)"},
      {PTL_PID_TLB_FLUSHES, "tlb_flushes", "tlb", "TLB flushes"},
  };
  return v;
}

CounterSet all_counters() {
  CounterSet s;
  s.fill(true);
  return s;
}

double rate(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }

std::uint64_t entries_of(const PidCounts& p) {
  return p.c[PTL_PID_SYSCALLS] + p.c[PTL_PID_INTR] + p.c[PTL_PID_PF_USER];
}

// The system-wide counter a per-process counter is a share of.
int pid_source(int pid_index) {
  switch (pid_index) {
    case PTL_PID_SYSCALLS: return PTL_SYSCALLS;
    case PTL_PID_INTR: return PTL_INTR_IN_TASK;
    case PTL_PID_PF_USER: return PTL_PF_USER;
    case PTL_PID_TLB_FLUSHES: return PTL_TLB_FLUSHES;
    case PTL_PID_CTX_SWITCHES: return PTL_CTX_SWITCHES;
    case PTL_PID_MM_SWITCHES: return PTL_MM_SWITCHES;
    default: return PTL_PID_DROPPED;
  }
}

std::string term_list(const std::vector<int>& terms) {
  std::string s;
  for (const int t : terms) s += (s.empty() ? "" : ", ") + std::string(metric_of(t));
  return s;
}


TraceInterval interval_between(const TraceSnapshot& prev, const TraceSnapshot& cur) {
  TraceInterval iv;
  iv.seconds = cur.seconds - prev.seconds;
  iv.end = cur.seconds;
  iv.cpus.resize(cur.cpus.size());
  for (std::size_t cpu = 0; cpu < cur.cpus.size(); ++cpu) {
    for (int i = 0; i < PTL_NR_COUNTERS; ++i) {
      const std::uint64_t before = cpu < prev.cpus.size() ? prev.cpus[cpu][i] : 0;
      // Counters only grow; a smaller value means the maps were recreated.
      const std::uint64_t d = cur.cpus[cpu][i] >= before ? cur.cpus[cpu][i] - before : cur.cpus[cpu][i];
      iv.cpus[cpu][i] = d;
      iv.total[i] += d;
    }
  }
  for (const auto& [pid, now] : cur.pids) {
    PidCounts d = now;
    if (const auto it = prev.pids.find(pid); it != prev.pids.end()) {
      for (int i = 0; i < PTL_PID_NR_COUNTERS; ++i)
        d.c[i] = now.c[i] >= it->second.c[i] ? now.c[i] - it->second.c[i] : now.c[i];
    }
    if (std::any_of(d.c.begin(), d.c.end(), [](std::uint64_t x) { return x != 0; })) iv.pids.push_back(d);
  }
  return iv;
}

void accumulate_pids(std::map<std::uint32_t, PidCounts>& totals, const std::vector<PidCounts>& deltas) {
  for (const auto& d : deltas) {
    auto [it, fresh] = totals.try_emplace(d.pid, d);
    if (fresh) continue;
    if (!d.comm.empty()) it->second.comm = d.comm;
    for (int i = 0; i < PTL_PID_NR_COUNTERS; ++i) it->second.c[i] += d.c[i];
  }
}

std::vector<PidCounts> top_pids(std::vector<PidCounts> pids, std::size_t n) {
  std::sort(pids.begin(), pids.end(), [](const PidCounts& a, const PidCounts& b) {
    const auto ea = entries_of(a), eb = entries_of(b);
    if (ea != eb) return ea > eb;
    if (a.c[PTL_PID_CTX_SWITCHES] != b.c[PTL_PID_CTX_SWITCHES])
      return a.c[PTL_PID_CTX_SWITCHES] > b.c[PTL_PID_CTX_SWITCHES];
    return a.pid < b.pid;
  });
  if (pids.size() > n) pids.resize(n);
  return pids;
}

Derived derive(const CounterArray& c, bool isolation_on) { return derive(c, isolation_on, all_counters()); }

Derived derive(const CounterArray& c, bool isolation_on, const CounterSet& available) {
  Derived d;
  d.isolation_on = isolation_on;
  d.entries_counted = missing_terms(entry_terms(), available).empty();
  d.cr3_counted = missing_terms(cr3_terms(isolation_on), available).empty();
  const double entries =
      static_cast<double>(c[PTL_SYSCALLS]) + static_cast<double>(c[PTL_PF_USER]) + static_cast<double>(c[PTL_INTR_IN_TASK]);
  d.kernel_entries = d.entries_counted ? entries : 0;
  d.cr3_writes = d.cr3_counted ? (isolation_on ? 2 * entries : 0) + static_cast<double>(c[PTL_MM_SWITCHES]) : 0;
  return d;
}

std::vector<int> entry_terms() { return {PTL_SYSCALLS, PTL_PF_USER, PTL_INTR_IN_TASK}; }

std::vector<int> cr3_terms(bool isolation_on) {
  std::vector<int> t = isolation_on ? entry_terms() : std::vector<int>{};
  t.push_back(PTL_MM_SWITCHES);
  return t;
}

std::vector<int> missing_terms(const std::vector<int>& terms, const CounterSet& available) {
  std::vector<int> out;
  for (const int t : terms)
    if (!available[static_cast<std::size_t>(t)]) out.push_back(t);
  return out;
}

std::string_view metric_of(int counter) {
  for (const auto& ci : counter_infos())
    if (ci.index == counter) return ci.metric;
  return {};
}

std::vector<std::string> coverage_notes(const CounterSet& available, const CounterReasons& why_not, bool isolation_on,
                                        std::string (*name)(std::string_view stem)) {
  std::vector<std::string> out;
  // One line per reason, in display order.
  std::vector<std::pair<std::string, std::string>> by_reason;  // reason, names
  for (const auto& ci : counter_infos()) {
    if (available[static_cast<std::size_t>(ci.index)]) continue;
    const std::string& why = why_not[static_cast<std::size_t>(ci.index)];
    auto it = std::find_if(by_reason.begin(), by_reason.end(), [&](const auto& r) { return r.first == why; });
    if (it == by_reason.end()) it = by_reason.insert(by_reason.end(), {why, std::string()});
    it->second += (it->second.empty() ? "" : ", ") + name(ci.metric);
  }
  for (const auto& [why, names] : by_reason)
    out.push_back("not countable on this kernel: " + names + (why.empty() ? std::string() : " (" + why + ")"));
  const auto derived = [&](std::string_view stem, const std::vector<int>& terms) {
    const auto missing = missing_terms(terms, available);
    if (!missing.empty())
      out.push_back(name(stem) + " not derived: its term" + (missing.size() > 1 ? "s " : " ") + term_list(missing) +
                    (missing.size() > 1 ? " were" : " was") + " not counted");
  };
  derived("kernel_entries_derived", entry_terms());
  derived("cr3_writes_derived", cr3_terms(isolation_on));
  return out;
}

bool isolation_assumed_on(std::string_view pti, std::string_view kpti) {
  if (pti == kOff || pti == kOn) return pti == kOn;
  if (kpti == kOff || kpti == kOn) return kpti == kOn;
  return true;
}

std::string entries_formula() { return "kernel entries = syscalls + user page faults + interrupts in user tasks"; }

std::string cr3_formula(bool isolation_on, const ArchProfile& profile) {
  const std::string reg = std::string(profile.pt_register) + " writes";
  if (isolation_on) return reg + " = 2 x kernel entries (entry and exit, isolation on) + mm switches";
  return reg + " = mm switches (isolation off: entries write none)";
}

namespace {

struct Mean {
  double sum = 0;
  int n = 0;
  void add(double v) {
    sum += v;
    ++n;
  }
  std::optional<double> get() const { return n ? std::optional<double>(sum / n) : std::nullopt; }
};

}  // namespace

IsolationCost cost_from_results(const std::vector<ResultRow>& rows, std::string_view source) {
  Mean null_on, null_off, pp_on, pp_off;
  std::set<std::string> accels;
  for (const auto& r : rows) {
    if (r.metric != kMetricMean) continue;
    const auto v = parse_number(r.value);
    const ArchProfile* p = find_profile(r.arch);
    if (!v || !p) continue;
    const std::string& iso = p->isolation_of(r);  // pti on x86, kpti on arm64
    if (r.benchmark == "BM_Syscall_Null" || r.benchmark == "BM_Pipe_PingPong/cpus:1") accels.insert(r.accel);
    if (r.benchmark == "BM_Syscall_Null") {
      if (iso == kOn) null_on.add(*v);
      if (iso == kOff) null_off.add(*v);
    } else if (r.benchmark == "BM_Pipe_PingPong/cpus:1") {
      if (iso == kOn) pp_on.add(*v);
      if (iso == kOff) pp_off.add(*v);
    }
  }
  if (!null_on.get() || !null_off.get())
    throw Error(std::string(source) + ": needs BM_Syscall_Null ns_per_op rows with isolation on and with isolation off (" +
                (null_on.get() ? "" : "none on") + (!null_on.get() && !null_off.get() ? ", " : "") +
                (null_off.get() ? "" : "none off") +
                "); run `ptilab bench` in both configurations (make vm-bench: pti=on/off, kpti=on/off)");
  IsolationCost c;
  c.source = std::string(source) + " (pti=on/off pair)";
  const double entry = *null_on.get() - *null_off.get();
  c.ns_per_entry = std::max(0.0, entry);
  c.inputs.push_back("BM_Syscall_Null: " + fixed(*null_on.get(), 1) + " ns (pti=on) - " + fixed(*null_off.get(), 1) +
                     " ns (pti=off) = " + fixed(entry, 1) + " ns per kernel entry+exit");
  if (null_on.n > 1 || null_off.n > 1)
    c.assumptions.push_back("several runs per configuration: their means are averaged");
  if (entry < 0) c.assumptions.push_back("pti=on was faster than pti=off (noise): per-entry cost taken as 0");
  if (pp_on.get() && pp_off.get()) {
    const double delta = *pp_on.get() - *pp_off.get();
    const double mm = (delta - 4 * c.ns_per_entry) / 2;
    c.ns_per_mm_switch = std::max(0.0, mm);
    c.inputs.push_back("BM_Pipe_PingPong/cpus:1: " + fixed(*pp_on.get(), 1) + " - " + fixed(*pp_off.get(), 1) +
                       " ns per round trip; minus 4 entries, over 2 mm switches = " + fixed(mm, 1) +
                       " ns per mm switch");
    if (mm < 0) c.assumptions.push_back("the ping-pong's difference is below its 4 entries' share: mm switch cost taken as 0");
  } else {
    c.assumptions.push_back("no BM_Pipe_PingPong/cpus:1 pair: mm switches cost nothing extra");
  }
  if (accels.count("tcg"))
    c.assumptions.push_back("costs measured under TCG (emulated; every CR3 write empties the emulated TLB): far above "
                            "any hardware's, so the estimate is not this machine's; use a KVM or bare-metal pair");
  else
    c.assumptions.push_back("costs measured where " + std::string(source) + " was run, applied to the rates traced here");
  c.assumptions.push_back("the extra TLB refills of a large working set (BM_TLB_Sweep) are not included");
  return c;
}

IsolationCost cost_from_probe(const ArchProfile& profile, std::string_view primitive, double write_ns) {
  const std::string write(profile.pt_write), reg(profile.pt_register);
  IsolationCost c;
  c.source = "ptilab.ko probe " + std::string(primitive);
  c.ns_per_entry = 2 * write_ns;
  c.ns_per_mm_switch = 0;
  c.inputs.push_back(std::string(primitive) + ": " + fixed(write_ns, 1) + " ns per " + write + " (median); 2 per entry+exit = " +
                     fixed(c.ns_per_entry, 1) + " ns");
  c.assumptions.push_back("only the " + reg + " writes are counted: entry-code work and TLB refills after them are not");
  c.assumptions.push_back("an mm switch writes " + reg + " with or without isolation: no extra cost counted");
  return c;
}

Estimate estimate(const Derived& d, const CounterArray& total, double seconds, int nr_cpus,
                  const IsolationCost& cost) {
  Estimate e;
  e.nr_cpus = std::max(1, nr_cpus);
  e.entries_per_s = seconds > 0 ? d.kernel_entries / seconds : 0;
  e.mm_switches_per_s = rate(total[PTL_MM_SWITCHES], seconds);
  e.ns_per_s = e.entries_per_s * cost.ns_per_entry + e.mm_switches_per_s * cost.ns_per_mm_switch;
  e.percent_of_one_cpu = e.ns_per_s / 1e9 * 100;
  e.percent_of_cpus = e.percent_of_one_cpu / e.nr_cpus;
  return e;
}

std::vector<ResultRow> trace_rows(const RunInfo& run, const std::vector<TraceInterval>& intervals,
                                  const CounterSet& available, bool isolation_on,
                                  const std::vector<PidCounts>& top, double seconds) {
  std::vector<ResultRow> rows;
  ResultRow base = make_base_row(run);
  base.benchmark = "trace";
  CounterArray total{};
  for (const auto& iv : intervals)
    for (int i = 0; i < PTL_NR_COUNTERS; ++i) total[i] += iv.total[i];
  const std::size_t n = intervals.size();

  auto add = [&](const std::string& metric, const std::string& rate_metric, double count, auto per_interval) {
    std::vector<double> rates;
    for (const auto& iv : intervals)
      if (iv.seconds > 0) rates.push_back(per_interval(iv) / iv.seconds);
    rows.push_back(metric_row(base, metric, count, "count", 1, std::nullopt));
    rows.push_back(metric_row(base, rate_metric, seconds > 0 ? count / seconds : 0, "per_s", n,
                              summarize(rates).stddev));
  };
  const auto unsupported = [&](const std::string& metric, const std::string& rate_metric) {
    rows.push_back(unsupported_row(base, metric));
    rows.push_back(unsupported_row(base, rate_metric));
  };
  for (const auto& ci : counter_infos()) {
    if (!available[ci.index]) {
      unsupported(std::string(ci.metric), std::string(ci.metric) + "_per_s");
      continue;
    }
    add(std::string(ci.metric), std::string(ci.metric) + "_per_s", static_cast<double>(total[ci.index]),
        [&](const TraceInterval& iv) { return static_cast<double>(iv.total[ci.index]); });
  }
  const Derived d = derive(total, isolation_on, available);
  if (d.entries_counted)
    add("kernel_entries_derived", "kernel_entries_per_s_derived", d.kernel_entries,
        [&](const TraceInterval& iv) { return derive(iv.total, isolation_on).kernel_entries; });
  else
    unsupported("kernel_entries_derived", "kernel_entries_per_s_derived");
  if (d.cr3_counted)
    add("cr3_writes_derived", "cr3_writes_per_s_derived", d.cr3_writes,
        [&](const TraceInterval& iv) { return derive(iv.total, isolation_on).cr3_writes; });
  else
    unsupported("cr3_writes_derived", "cr3_writes_per_s_derived");
  rows.push_back(metric_row(base, "seconds", seconds, "s", n, std::nullopt));

  for (const auto& p : top) {
    ResultRow pb = base;
    pb.benchmark = "trace:" + (p.comm.empty() ? std::string("?") : p.comm) + ":" + std::to_string(p.pid);
    for (const auto& pc : pid_counter_infos()) {
      if (!available[pid_source(pc.index)]) {
        rows.push_back(unsupported_row(pb, std::string(pc.metric)));
        rows.push_back(unsupported_row(pb, std::string(pc.metric) + "_per_s"));
        continue;
      }
      const double v = static_cast<double>(p.c[pc.index]);
      rows.push_back(metric_row(pb, std::string(pc.metric), v, "count", 1, std::nullopt));
      rows.push_back(metric_row(pb, std::string(pc.metric) + "_per_s", seconds > 0 ? v / seconds : 0, "per_s", 1,
                                std::nullopt));
    }
  }
  return rows;
}

}  // namespace ptilab
