#include "cmd/trace.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <utility>

#include "cmd/bench.h"
#include "cmd/export.h"
#include "kernel/module_files.h"
#include "kernel/probe.h"
#include "kernel/state.h"
#include "kernel/sysinfo.h"
#include "kernel/trace_bpf.h"
#include "kernel/workload.h"
#include "model/overhead_map.h"
#include "model/trace.h"
#include "render/overhead_map.h"
#include "render/table.h"
#include "render/trace.h"
#include "results/results.h"
#include "results/stats.h"
#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

// A zombie has exited too: its parent just has not reaped it yet.
bool alive(std::uint32_t pid) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  try {
    const std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
    return stat[paren + 2] != 'Z' && stat[paren + 2] != 'X';
  } catch (const Error&) {
    return false;  // gone between the two looks
  }
}

// The process's own CPU time, user + system: the exporter's cost.
double own_cpu_seconds() {
  rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  const auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

std::string comm_of(std::uint32_t pid) {
  try {
    std::string c = read_text_file("/proc/" + std::to_string(pid) + "/comm");
    while (!c.empty() && c.back() == '\n') c.pop_back();
    return c;
  } catch (const Error&) {
    return "?";
  }
}

// What isolation adds per entry and mm switch: --cost-from, else the
// module's probe, else an error saying what to provide.
IsolationCost resolve_cost(const TraceOptions& o, const ArchProfile& profile, const Isolation& iso) {
  if (o.cost_from) return cost_from_results(read_results(*o.cost_from), o.cost_from->string());
  const Debugfs fs(o.debugfs);
  std::error_code ec;
  if (!fs.unavailable() && std::filesystem::exists(fs.file("probe"), ec)) {
    const ProbeReport report = parse_probe(fs.read("probe"), fs.file("probe").string());
    const std::string name(profile.entry_write_probe(*iso.column(profile.tlb_key)));
    const PrimitiveSupport* p = report.find_primitive(name);
    if (p && p->supported) {
      const ProbeOutcome out = run_probe(fs, name, kDefaultProbeIterations);
      if (out.kind == ProbeOutcome::Kind::kMeasured && out.median_ns)
        return cost_from_probe(profile, name, *out.median_ns);
      throw Error("trace --estimate: probe " + name + " failed: " + out.error);
    }
  }
  throw Error("trace --estimate: no isolation cost known: load ptilab.ko (its probes time a " +
              std::string(profile.pt_write) + ") or pass --cost-from results.csv holding an isolation on and off "
              "run (make vm-bench writes one)");
}

}  // namespace

int run_trace(const TraceOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto wall_start = std::chrono::system_clock::now();

  // Everything that can fail cheaply fails before tracing.
  const SystemInfo sys = read_system_info();
  StateSources sources;
  sources.state_file = o.state_file;
  sources.module_state = o.debugfs / "state";
  const Isolation iso = detect_isolation(sources, sys.arch, sys.kernel);
  for (const auto& w : iso.warnings) std::cerr << "ptilab: warning: " << w << "\n";
  const ArchProfile& profile = profile_for(sys.arch);
  const std::string& iso_state = *iso.column(profile.isolation_key);
  const bool iso_on = isolation_assumed_on(iso.pti, iso.kpti);
  const bool iso_assumed = iso_state != kOn && iso_state != kOff;
  if (o.pid && !alive(*o.pid)) throw Error("trace: no process " + std::to_string(*o.pid));
  std::optional<IsolationCost> cost;
  // --map: the map, and the pair of it this host reads, before anything
  // is traced.
  LoadedMap map;
  if (o.map)
    map = load_map(*o.map, sys.arch, sys.kernel, *iso.column(profile.tlb_key), o.accel.value_or("none"));
  else if (o.estimate)
    cost = resolve_cost(o, profile, iso);
  const MapPair* const map_pair = map.pair;
  // --prometheus: the file is written once before tracing (a path that
  // cannot be written fails here), then at every interval.
  std::optional<FleetExporter> exporter;
  if (o.prometheus) {
    FleetSources fs = fleet_sources(*o.prometheus, o);
    fs.accel = o.accel.value_or("none");
    fs.pid = o.pid;
    exporter.emplace(std::move(fs), sys);
    exporter->write(std::nullopt, false, std::nullopt);
  }

  TraceBpfOptions bo;
  bo.target_tgid = o.pid.value_or(0);
  bo.verbose = o.verbose;
  bo.btf = kernel_btf(o.btf);

  // Ctrl-C ends the wait for the next interval, not the process.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  // A shell starts background jobs with SIGINT ignored; `kill -INT` must still stop us.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);

  TraceBpf bpf(bo);
  const auto start = Clock::now();
  // Where the map needs them: the busy CPU time, and with -p the pages
  // it touches from here on.
  const std::optional<pid_t> busy_pid = o.pid ? std::optional<pid_t>(static_cast<pid_t>(*o.pid)) : std::nullopt;
  double busy_start = 0;
  if (map_pair) {
    busy_start = busy_cpu_seconds(busy_pid);
    if (o.pid && !o.ws) clear_referenced(static_cast<pid_t>(*o.pid));
  }
  std::string attached;
  for (const auto& a : bpf.attached()) attached += (attached.empty() ? "" : " ") + a;
  const std::size_t events = bpf.attached_perf_events();
  std::cerr << "ptilab: trace: attached to " << bpf.attached().size() - events << " tracepoints"
            << (events ? " and " + std::to_string(events) + " perf events" : std::string()) << " (" << attached
            << "); Ctrl-C for totals" << std::endl;
  if (!bpf.missing().empty()) {
    std::string m;
    for (const auto& a : bpf.missing()) m += (m.empty() ? "" : " ") + a;
    std::cerr << "ptilab: trace: not in this kernel, not counted: " << m << std::endl;
  }
  for (const auto& note :
       coverage_notes(bpf.available(), bpf.why_not(), iso_on, [](std::string_view stem) { return std::string(stem); }))
    std::cerr << "ptilab: trace: " << note << std::endl;

  const std::string scope =
      (o.pid ? "process " + std::to_string(*o.pid) + " (" + comm_of(*o.pid) + ")" : std::string("all processes")) +
      ", " + std::to_string(bpf.nr_cpus()) + " CPUs, " +
      profile.describe(iso);
  if (!o.quiet) std::cout << table_legend(profile, bpf.available()) << table_header(bpf.available()) << std::flush;

  auto now_s = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  TraceSnapshot prev = bpf.read();
  prev.seconds = now_s();
  // The counts start at this read, not at start: the totals' time does too.
  const double first_read = prev.seconds;
  // What the end needs, and no more, so that a trace left running (the
  // exporter) keeps a bounded footprint: the running totals; the per-
  // process totals only for a top list; each interval's totals only for
  // --csv (its rates' spread).
  CounterArray total{};
  std::size_t nr_intervals = 0;
  std::vector<TraceInterval> intervals;
  std::map<std::uint32_t, PidCounts> pid_totals;
  const bool keep_pids = !o.pid && o.top > 0;

  FleetTrace fleet;
  fleet.available = bpf.available();
  fleet.isolation_on = iso_on;
  fleet.total = total;
  // A failed rewrite keeps the last good file, and the trace going.
  auto export_now = [&] {
    if (!exporter) return;
    try {
      exporter->write(fleet, true, own_cpu_seconds());
    } catch (const Error& e) {
      std::cerr << "ptilab: trace: " << e.what() << " (the last file written stays)" << std::endl;
    }
  };
  export_now();

  auto take = [&](bool print) {
    TraceSnapshot cur = bpf.read();
    cur.seconds = now_s();
    TraceInterval iv = interval_between(prev, cur);
    if (keep_pids) accumulate_pids(pid_totals, iv.pids);
    for (int i = 0; i < PTL_NR_COUNTERS; ++i) total[i] += iv.total[i];
    ++nr_intervals;
    fleet.last = iv.total;
    fleet.last_seconds = iv.seconds;
    fleet.total = total;
    fleet.total_seconds = cur.seconds - first_read;
    export_now();
    if (print && !o.quiet) {
      std::string out = table_row(iv.end, o.pid ? "pid" : "all", iv.total, iv.seconds, bpf.available(), iso_on);
      if (o.per_cpu)
        for (std::size_t c = 0; c < iv.cpus.size(); ++c)
          out += table_row(iv.end, "cpu" + std::to_string(c), iv.cpus[c], iv.seconds, bpf.available(), iso_on);
      if (!o.pid && o.top > 0)
        for (const auto& p : top_pids(iv.pids, static_cast<std::size_t>(o.top)))
          out += pid_row(iv.end, p, iv.seconds, bpf.available());
      std::cout << out << std::flush;
    }
    // Exited processes leave the bounded map; their totals stay here.
    std::vector<std::uint32_t> gone;
    for (const auto& [pid, _] : cur.pids)
      if (!alive(pid)) gone.push_back(pid);
    bpf.forget(gone);
    for (const auto pid : gone) cur.pids.erase(pid);
    prev = std::move(cur);
    if (o.csv) {
      iv.cpus.clear();
      iv.pids.clear();
      intervals.push_back(std::move(iv));
    }
  };

  double next = o.interval;
  for (;;) {
    const double until = o.duration ? std::min(next, *o.duration) : next;
    const double wait = until - now_s();
    bool stop = false;
    if (wait > 0) {
      timespec ts;
      ts.tv_sec = static_cast<time_t>(wait);
      ts.tv_nsec = static_cast<long>((wait - static_cast<double>(ts.tv_sec)) * 1e9);
      if (sigtimedwait(&stop_signals, nullptr, &ts) > 0) stop = true;
    }
    if (stop) break;
    if (o.duration && now_s() >= *o.duration - 1e-6) break;
    take(true);
    next += o.interval;
    if (o.pid && !alive(*o.pid)) {
      std::cerr << "ptilab: trace: process " << *o.pid << " exited" << std::endl;
      break;
    }
  }
  // The last, partial interval.
  if (now_s() - prev.seconds > 1e-3 || nr_intervals == 0) take(!o.quiet);
  sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);

  const double seconds = prev.seconds - first_read;
  std::vector<PidCounts> all_pids;
  for (const auto& [_, p] : pid_totals) all_pids.push_back(p);
  // With -p the target is the only process: no list.
  const auto top = top_pids(all_pids, o.pid ? 0 : static_cast<std::size_t>(o.top));

  std::cout << format_totals(total, seconds, bpf.available(), bpf.why_not(), iso_on, iso_assumed, profile, top, scope);
  if (total[PTL_PID_DROPPED])
    std::cerr << "ptilab: warning: " << total[PTL_PID_DROPPED]
              << " per-process updates lost: more than " << PTL_MAX_PIDS << " live processes" << std::endl;
  if (cost) {
    // It needs the kernel entries and the mm switches: isolation's CR3 terms.
    const Derived d = derive(total, true, bpf.available());
    if (!d.cr3_counted) {
      std::string m;
      for (const int t : missing_terms(cr3_terms(true), bpf.available()))
        m += (m.empty() ? "" : ", ") + std::string(metric_of(t));
      std::cout << "\nestimate: not computed: " << m << " not countable on this kernel\n";
    } else {
      const Estimate e = estimate(d, total, seconds, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)), *cost);
      std::cout << "\n"
                << format_estimate(e, *cost, o.pid ? "process " + std::to_string(*o.pid) : std::string("this workload"));
    }
  }
  if (map_pair) {
    const double busy = busy_cpu_seconds(busy_pid) - busy_start;
    MapQuery q;
    q.isolation_on = iso_on;
    std::string ws_basis;
    if (o.ws) {
      q.ws = *o.ws;
      q.huge = o.thp;
      ws_basis = "--ws";
    } else if (o.pid) {
      const MemoryRollup m = read_memory_rollup(static_cast<pid_t>(*o.pid));
      q.ws = m.referenced;
      // Mostly in huge pages: the huge-page line.
      q.huge = m.anonymous > 0 && m.anon_huge * 2 >= m.anonymous;
      ws_basis = "the pages it referenced in the interval: clear_refs, then smaps_rollup Referenced; " +
                 format_bytes(m.anon_huge) + " of its " + format_bytes(m.anonymous) + " anonymous memory in huge pages";
    } else {
      ws_basis = "not measured system-wide (give -p PID or --ws SIZE): a prediction per working set of the map";
    }
    const std::uint64_t events = total[PTL_SYSCALLS] + total[PTL_CTX_SWITCHES];
    if (!bpf.available()[PTL_SYSCALLS] || !bpf.available()[PTL_CTX_SWITCHES]) {
      std::cout << "\nestimate: not computed: system calls or context switches not countable on this kernel\n";
    } else if (!(busy > 0)) {
      std::cout << "\nestimate: not computed: " << (o.pid ? "the process" : "the machine")
                << " used no CPU time in the interval\n";
    } else {
      q.rate = static_cast<double>(events) / busy;
      const std::string rate_basis = fmt::format("{} events over {:.2f} busy CPU-s, {}", events, busy,
                                                 o.pid ? "/proc/PID/stat utime + stime" : "/proc/stat");
      std::cout << "\n" << format_prediction(*map_pair, q, predict(*map_pair, q), rate_basis, ws_basis);
    }
  }
  if (exporter) std::cerr << "ptilab: trace: " << exporter->file().string() << " holds the last interval" << std::endl;
  if (o.csv) {
    const RunInfo run = make_run_info(sys, iso, wall_start, o.run_id, o.host, o.accel);
    const auto rows = trace_rows(run, intervals, bpf.available(), iso_on, top, seconds);
    write_results(*o.csv, rows);
    std::cerr << "ptilab: wrote " << o.csv->string() << " (" << rows.size() << " rows)" << std::endl;
  }
  return 0;
}

}  // namespace ptilab
