#include "cmd/snapshot.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cmd/bench.h"
#include "cmd/status.h"
#include "kernel/arch_profile.h"
#include "kernel/noise.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/text_file.h"

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

ResultRow info(const ResultRow& base, const std::string& key, const std::string& value) {
  return row(base, key + "=" + value, "1", "info", "1");
}

// ---- recordings --------------------------------------------------------

std::optional<std::string> read_if(const std::filesystem::path& p) {
  if (!std::filesystem::exists(p)) return std::nullopt;
  return read_text_file(p);
}

void write_if(const std::filesystem::path& p, const std::optional<std::string>& text) {
  if (text) write_file_atomic(p, *text);
}

std::string run_txt(const SnapshotInputs& in) {
  return "run_id=" + in.run_id + "\ntimestamp=" + in.timestamp + "\nboot=" + in.boot + "\nhost=" + in.host +
         "\naccel=" + in.accel +
         "\niterations=" + std::to_string(in.iterations) + "\n";
}

// ---- the live system ---------------------------------------------------

SnapshotInputs gather(const SnapshotOptions& o) {
  SnapshotInputs in;
  in.sys = read_system_info(o.cmdline);
  in.cpuinfo = try_read_text_file(o.cpuinfo);
  in.meltdown = try_read_text_file(o.meltdown);
  if (const char* cpu = std::getenv("PTILAB_CPU"); cpu && *cpu) in.qemu_cpu = cpu;
  if (const char* qemu = std::getenv("PTILAB_QEMU"); qemu && *qemu) in.qemu_version = qemu;
  in.iterations = o.iterations;
  const Debugfs fs(o.debugfs);
  if (const auto why = fs.unavailable()) {
    in.no_module = *why;
  } else {
    in.state = fs.read("state");
    // Kernel text locality costs a walk of the image's mappings: always.
    in.numa = try_read_text_file(fs.file("numa"));
  }
  if ((o.probes || o.audit) && !in.state)
    throw Error("snapshot --probes/--audit need the module: " + in.no_module);
  if (o.probes) {
    in.probe_listing = fs.read("probe");
    const ProbeReport report = parse_probe(*in.probe_listing, fs.file("probe").string());
    for (const auto& p : report.primitives) {
      ProbeRun run;
      if (p.supported)
        run = run_probe_raw(fs, p.name, o.iterations);
      else
        run.error = EOPNOTSUPP;
      in.probes.emplace_back(p.name, std::move(run));
    }
  }
  if (o.audit) in.ptaudit = fs.read("ptaudit");
  return in;
}

}  // namespace

std::vector<ResultRow> state_rows(const RunInfo& run, const std::vector<std::pair<std::string, std::string>>& keys,
                                  StateOrigin origin) {
  ResultRow base = make_base_row(run);
  base.benchmark = "state";
  std::vector<ResultRow> rows;
  rows.push_back(info(base, "source", origin == StateOrigin::kModule ? "module" : "kernel"));
  for (const auto& [key, value] : keys) {
    if (key == "arch" || key == "kernel") continue;
    if (key.ends_with("_reason"))
      rows.push_back(info(base, key, value));
    else if (value == kOn || value == kOff)
      rows.push_back(row(base, key, value == kOn ? "1" : "0", "bool", "1"));
    else if (is_count(value))
      rows.push_back(row(base, key, value, "count", "1"));
  }
  return rows;
}

std::vector<ResultRow> state_rows(const RunInfo& run, const ModuleState& state) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& e : state.entries()) keys.emplace_back(e.key, e.value);
  return state_rows(run, keys, StateOrigin::kModule);
}

std::vector<ResultRow> cpu_rows(const RunInfo& run, std::string_view arch, const std::optional<std::string>& cpuinfo,
                                const std::optional<std::string>& qemu_cpu,
                                const std::optional<std::string>& qemu_version) {
  ResultRow base = make_base_row(run);
  base.benchmark = "cpu";
  std::vector<ResultRow> rows;
  if (cpuinfo) {
    const CpuIdentity id = profile_for(arch).cpu(*cpuinfo);
    if (!id.model.empty()) rows.push_back(info(base, "model", id.model));
    for (const auto& [k, v] : id.ids) rows.push_back(info(base, k, v));
  }
  if (qemu_cpu) rows.push_back(info(base, "qemu_cpu", *qemu_cpu));
  if (qemu_version) rows.push_back(info(base, "qemu", *qemu_version));
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

std::vector<ResultRow> numa_rows(const RunInfo& run, const NumaPlacement& placement) {
  ResultRow base = make_base_row(run);
  base.benchmark = "numa";
  std::vector<ResultRow> rows;
  rows.push_back(row(base, "nodes", std::to_string(placement.nodes.size()), "count", "1"));
  for (const auto& n : placement.nodes) rows.push_back(info(base, "node" + std::to_string(n.id) + ".cpus", cpu_list(n.cpus)));
  for (const auto& r : placement.ranges) {
    const std::string p = "range." + r.name + ".";
    if (!r.unresolved.empty()) {
      rows.push_back(info(base, p + "unresolved", r.unresolved));
      continue;
    }
    rows.push_back(row(base, p + "node", std::to_string(*r.node), "count", "1"));
    rows.push_back(row(base, p + "pages", std::to_string(r.pages), "pages", "1"));
    for (const auto& [nid, pages] : r.node_pages)
      rows.push_back(row(base, p + "node" + std::to_string(nid) + "_pages", std::to_string(pages), "pages", "1"));
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

void record_snapshot(const SnapshotInputs& in, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir / "sys", ec);
  if (!ec) std::filesystem::create_directories(dir / "debugfs", ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  write_file_atomic(dir / "sys" / "arch", in.sys.arch + "\n");
  write_file_atomic(dir / "sys" / "kernel", in.sys.kernel + "\n");
  write_file_atomic(dir / "sys" / "hostname", in.sys.hostname + "\n");
  write_file_atomic(dir / "sys" / "cmdline", in.sys.cmdline + "\n");
  write_if(dir / "sys" / "cpuinfo", in.cpuinfo);
  write_if(dir / "sys" / "meltdown", in.meltdown);
  if (in.qemu_cpu) write_file_atomic(dir / "sys" / "qemu_cpu", *in.qemu_cpu + "\n");
  if (in.qemu_version) write_file_atomic(dir / "sys" / "qemu_version", *in.qemu_version + "\n");
  write_if(dir / "debugfs" / "state", in.state);
  if (!in.state) write_file_atomic(dir / "debugfs" / "no-module", in.no_module + "\n");
  write_if(dir / "debugfs" / "probe", in.probe_listing);
  for (const auto& [name, run] : in.probes) {
    if (run.error)
      write_file_atomic(dir / "debugfs" / ("probe." + name + ".errno"), std::to_string(run.error) + "\n");
    else
      write_file_atomic(dir / "debugfs" / ("probe." + name), run.text);
  }
  write_if(dir / "debugfs" / "ptaudit", in.ptaudit);
  write_if(dir / "debugfs" / "numa", in.numa);
  // Last: a recording with run.txt is complete.
  write_file_atomic(dir / "run.txt", run_txt(in));
}

SnapshotInputs replay_snapshot(const std::filesystem::path& dir) {
  if (!std::filesystem::is_regular_file(dir / "run.txt"))
    throw Error(dir.string() + ": no run.txt, not a snapshot recording (ptilab snapshot --record DIR makes one)");
  SnapshotInputs in;
  const ModuleState run = ModuleState::read(dir / "run.txt");
  const auto need = [&](std::string_view key) {
    const auto v = run.get(key);
    if (!v) throw Error((dir / "run.txt").string() + ": no " + std::string(key) + "=");
    return *v;
  };
  in.run_id = need("run_id");
  in.timestamp = need("timestamp");
  in.boot = run.get("boot").value_or("");  // none in recordings before the boot column
  in.host = need("host");
  in.accel = need("accel");
  const std::string iters = need("iterations");
  if (std::from_chars(iters.data(), iters.data() + iters.size(), in.iterations).ec != std::errc())
    throw Error((dir / "run.txt").string() + ": iterations is not a number: '" + iters + "'");
  const auto line = [&](const char* name) {
    std::string s = read_text_file(dir / "sys" / name);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  };
  in.sys.arch = line("arch");
  in.sys.kernel = line("kernel");
  in.sys.hostname = line("hostname");
  in.sys.cmdline = line("cmdline");
  in.cpuinfo = read_if(dir / "sys" / "cpuinfo");
  in.meltdown = read_if(dir / "sys" / "meltdown");
  if (std::filesystem::exists(dir / "sys" / "qemu_cpu")) in.qemu_cpu = line("qemu_cpu");
  if (std::filesystem::exists(dir / "sys" / "qemu_version")) in.qemu_version = line("qemu_version");
  in.state = read_if(dir / "debugfs" / "state");
  if (!in.state) in.no_module = read_if(dir / "debugfs" / "no-module").value_or("no module state recorded");
  in.probe_listing = read_if(dir / "debugfs" / "probe");
  if (in.probe_listing) {
    const ProbeReport report = parse_probe(*in.probe_listing, (dir / "debugfs" / "probe").string());
    for (const auto& p : report.primitives) {
      ProbeRun r;
      const auto base = dir / "debugfs" / ("probe." + p.name);
      if (const auto err = read_if(base.string() + ".errno")) {
        r.error = std::atoi(err->c_str());
        if (r.error <= 0) throw Error(base.string() + ".errno: not an errno: '" + *err + "'");
      } else {
        r.text = read_text_file(base);
      }
      in.probes.emplace_back(p.name, std::move(r));
    }
  }
  in.ptaudit = read_if(dir / "debugfs" / "ptaudit");
  in.numa = read_if(dir / "debugfs" / "numa");
  return in;
}

std::vector<ResultRow> snapshot_rows(const SnapshotInputs& in) {
  const ArchProfile& profile = profile_for(in.sys.arch);
  std::optional<ModuleState> state;
  Isolation iso;
  KeyValues kernel;
  if (in.state) {
    state = ModuleState::parse(*in.state, "state");
    iso = isolation_from_module(*state, in.sys.arch, in.sys.kernel);
  } else {
    iso = isolation_from_kernel(in.meltdown, in.cpuinfo, in.sys.arch);
    kernel = kernel_state(in.meltdown, in.cpuinfo, in.sys.cmdline, in.sys.arch, in.sys.kernel);
  }
  RunInfo run;
  run.run_id = in.run_id;
  run.timestamp = in.timestamp;
  run.boot = in.boot;
  run.host = in.host;
  run.arch = in.sys.arch;
  run.kernel = in.sys.kernel;
  run.cmdline = in.sys.cmdline;
  run.accel = in.accel;
  run.pti = iso.pti;
  run.pcid = iso.pcid;
  run.e0pd = iso.e0pd;
  run.kpti = iso.kpti;

  std::vector<ResultRow> rows;
  if (state) {
    rows = state_rows(run, *state);
  } else {
    // The module's key order, for the keys the kernel's files gave.
    std::vector<std::pair<std::string, std::string>> keys;
    for (const auto key : profile.state_keys)
      if (const auto it = kernel.find(key); it != kernel.end()) keys.emplace_back(it->first, it->second);
    rows = state_rows(run, keys, StateOrigin::kKernel);
  }
  for (auto& r : cpu_rows(run, in.sys.arch, in.cpuinfo, in.qemu_cpu, in.qemu_version)) rows.push_back(std::move(r));
  std::vector<ProbeOutcome> outcomes;
  for (const auto& [name, r] : in.probes) outcomes.push_back(probe_outcome(name, in.iterations, r, "probe." + name));
  for (auto& r : probe_rows(run, outcomes)) rows.push_back(std::move(r));
  if (in.ptaudit)
    for (auto& r : audit_rows(run, parse_ptaudit(*in.ptaudit, "ptaudit"))) rows.push_back(std::move(r));
  if (in.numa)
    for (auto& r : numa_rows(run, parse_numa(*in.numa, "numa"))) rows.push_back(std::move(r));
  for (const auto& w : iso.warnings) std::cerr << "ptilab: warning: " << w << "\n";
  return rows;
}

int run_snapshot(const SnapshotOptions& o) {
  SnapshotInputs in;
  if (o.replay) {
    in = replay_snapshot(*o.replay);
  } else {
    const auto start = std::chrono::system_clock::now();
    in = gather(o);
    if (!in.state) std::cerr << "ptilab: snapshot: " << in.no_module << "; the state is what the kernel's files say\n";
    // The run's columns as `ptilab bench` resolves them.
    const RunInfo run = make_run_info(in.sys, Isolation{}, start, o.run_id, o.host, o.accel);
    in.run_id = run.run_id;
    in.timestamp = run.timestamp;
    in.boot = run.boot;
    in.host = run.host;
    in.accel = run.accel;
  }
  const std::vector<ResultRow> rows = snapshot_rows(in);
  if (o.record) record_snapshot(in, *o.record);
  write_results(o.out, rows);
  std::cout << "ptilab: wrote " << o.out.string() << " (" << rows.size() << " rows)"
            << (o.record ? ", recorded its inputs in " + o.record->string() : std::string()) << std::endl;
  return 0;
}

}  // namespace ptilab
