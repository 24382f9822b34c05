#include "cmd/bench.h"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "bench/context.h"
#include "bench/reporter.h"
#include "bench/trace.h"
#include "kernel/arch_profile.h"
#include "kernel/debugfs.h"
#include "kernel/noise.h"
#include "kernel/numa.h"
#include "kernel/perf_counters.h"
#include "kernel/pinning.h"
#include "kernel/state.h"
#include "kernel/sysinfo.h"
#include "model/overhead_map.h"
#include "results/bench_properties.h"
#include "results/results.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/process.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

// The value of the last "--name=value" (or bare "--name": "") among args.
std::optional<std::string> last_flag_value(const std::vector<std::string>& args, std::string_view name) {
  std::optional<std::string> value;
  const std::string flag = "--" + std::string(name);
  for (const auto& a : args) {
    if (a == flag)
      value = "";
    else if (a.starts_with(flag + "="))
      value = a.substr(flag.size() + 1);
  }
  return value;
}

// Google Benchmark's reading of boolean flag values.
bool truthy(std::string value) {
  if (value.empty()) return true;
  if (value.size() == 1)
    return std::isalnum(static_cast<unsigned char>(value[0])) && std::string_view("0fFnN").find(value[0]) == std::string_view::npos;
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  return value != "false" && value != "no" && value != "off";
}

// Our console reporter is built here, not by Google Benchmark, so decide
// colour the way it would: --benchmark_color, else only on a terminal.
benchmark::ConsoleReporter::OutputOptions console_options(const std::vector<std::string>& passthrough) {
  bool color = false;
  const auto flag = last_flag_value(passthrough, "benchmark_color");
  if (flag && *flag != "auto") {
    color = truthy(*flag);
  } else {
    const char* term = std::getenv("TERM");
    color = ::isatty(STDOUT_FILENO) && term && std::string_view(term) != "dumb";
  }
  return color ? benchmark::ConsoleReporter::OO_Color : benchmark::ConsoleReporter::OO_None;
}

// Google Benchmark keeps its flags and the registered benchmarks (which
// hold the run's bench::Context by reference) in globals; release them
// however we leave.
struct BenchmarkShutdown {
  ~BenchmarkShutdown() {
    benchmark::ClearRegisteredBenchmarks();
    benchmark::Shutdown();
  }
};

// The per-node benchmarks' CPUs (one per NUMA node this process may run
// on) and where the module says the kernel's text is. With one node they
// run once, and say so.
void set_numa_context(bench::Context& context, const std::vector<int>& allowed) {
  const auto nodes = read_sysfs_nodes();
  for (const auto& [node, cpu] : node_bench_cpus(nodes, allowed)) context.numa_cpus.push_back({node, cpu});
  const Debugfs fs;
  if (!fs.unavailable())
    if (const auto text = try_read_text_file(fs.file("numa"))) {
      const NumaPlacement placement = parse_numa(*text, fs.file("numa").string());
      if (const PlacedRange* r = placement.find("text"); r && r->node) context.kernel_text_node = r->node;
    }
  if (context.numa_cpus.size() == 1)
    std::cerr << "ptilab: note: one NUMA node" << (nodes ? "" : " (no NUMA in sysfs)")
              << ": the per-node benchmarks (BM_Numa_*) run once, on node " << context.numa_cpus.front().node
              << ", with no remote node to compare\n";
}

}  // namespace

std::string filter_regex(std::string_view filter) {
  std::string out;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == '\\' && i + 1 < filter.size()) {
      out += filter.substr(i, 2);
      ++i;
    } else if (filter[i] == '$') {
      out += "(/real_time|/manual_time)?$";
    } else {
      out += filter[i];
    }
  }
  return out;
}

std::vector<std::string> benchmark_flags(const BenchOptions& o, const std::filesystem::path& json_out) {
  for (const auto& a : o.passthrough)
    if (a == "--benchmark_out" || a.starts_with("--benchmark_out=") || a.starts_with("--benchmark_out_format"))
      throw UsageError("'" + a + "': ptilab bench writes benchmarks.json itself (use --out DIR)");

  const int repetitions = o.repetitions.value_or(o.quick ? kQuickRepetitions : kDefaultRepetitions);
  const double min_time = o.min_time.value_or(o.quick ? kQuickMinTime : kDefaultMinTime);
  std::vector<std::string> flags = {
      "--benchmark_repetitions=" + std::to_string(repetitions),
      // Google Benchmark 1.7 takes plain seconds (no "s" suffix).
      "--benchmark_min_time=" + format_number(min_time),
      "--benchmark_min_warmup_time=" + format_number(o.quick ? kQuickWarmupTime : kDefaultWarmupTime),
      // The console shows mean/median/stddev; benchmarks.json keeps every
      // repetition.
      "--benchmark_display_aggregates_only=true",
  };
  if (o.filter) flags.push_back("--benchmark_filter=" + filter_regex(*o.filter));
  flags.insert(flags.end(), o.passthrough.begin(), o.passthrough.end());
  flags.push_back("--benchmark_out=" + json_out.string());
  flags.push_back("--benchmark_out_format=json");
  return flags;
}

RunInfo make_run_info(const SystemInfo& sys, const Isolation& iso, std::chrono::system_clock::time_point start,
                      const std::optional<std::string>& run_id, const std::optional<std::string>& host,
                      const std::optional<std::string>& accel) {
  RunInfo run;
  run.run_id = run_id.value_or(default_run_id(start, sys.hostname));
  run.timestamp = iso8601_utc(std::chrono::system_clock::now());
  run.boot = sys.boot_id;
  run.host = host.value_or(sys.hostname);
  run.arch = sys.arch;
  run.kernel = sys.kernel;
  run.cmdline = sys.cmdline;
  run.accel = accel.value_or("none");
  run.pti = iso.pti;
  run.pcid = iso.pcid;
  run.e0pd = iso.e0pd;
  run.kpti = iso.kpti;
  return run;
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < s.size()) {
    const std::size_t comma = std::min(s.find(',', at), s.size());
    out.push_back(s.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

}  // namespace

std::string format_bench_record(const BenchRecord& r) {
  std::string s;
  const ResultRow base = make_base_row(r.run);
  for (const auto& c : kResultColumns) {
    if (c.name == "benchmark") break;  // the run's columns come first
    s += std::string(c.name) + "=" + base.*c.field + "\n";
  }
  s += "counters=" + join(r.counted) + "\nunsupported=" + join(r.unsupported) + "\nname_suffix=" + r.name_suffix +
       "\n";
  return s;
}

BenchRecord parse_bench_record(std::string_view text, std::string_view source) {
  const ModuleState kv = ModuleState::parse(text, source);
  const auto need = [&](std::string_view key) {
    const auto v = kv.get(key);
    if (!v) throw Error(std::string(source) + ": no " + std::string(key) + "= (not a ptilab bench run.txt)");
    return *v;
  };
  BenchRecord r;
  const ResultRow base = [&] {
    ResultRow row;
    for (const auto& c : kResultColumns) {
      if (c.name == "benchmark") break;
      // Recordings made before the boot column have no boot=.
      if (c.name == "boot")
        row.boot = kv.get("boot").value_or("");
      else
        row.*c.field = need(c.name);
    }
    return row;
  }();
  r.run = RunInfo{base.run_id, base.timestamp, base.boot, base.host, base.arch, base.kernel, base.cmdline,
                  base.accel,  base.pti,       base.pcid, base.e0pd, base.kpti};
  r.counted = split(need("counters"));
  r.unsupported = split(need("unsupported"));
  r.name_suffix = need("name_suffix");
  return r;
}

BenchOutput bench_rows(const BenchRecord& record, const ResultCollector& collector) {
  BenchOutput out;
  out.results = collector.results();
  if (out.results.empty()) throw Error("the benchmarks produced no results");
  // Only the CSV: benchmarks.json stays Google Benchmark's raw output.
  for (auto& r : out.results) r.name += record.name_suffix;
  auto counter_results = collector.counter_results();
  for (auto& c : counter_results) c.benchmark += record.name_suffix;
  out.rows = make_unsupported_counter_rows(record.run, record.unsupported);
  for (const auto& r : out.results) {
    for (auto& row : make_result_rows(record.run, {r})) out.rows.push_back(std::move(row));
    if (auto cv = make_cv_row(record.run, r)) out.rows.push_back(std::move(*cv));
  }
  for (auto& row : make_counter_rows(record.run, counter_results)) out.rows.push_back(std::move(row));
  std::vector<Skip> skipped = collector.skipped();
  for (Skip& s : skipped) s.benchmark += record.name_suffix;
  for (auto& row : make_skip_rows(record.run, skipped)) out.rows.push_back(std::move(row));
  return out;
}

int replay_bench(const std::filesystem::path& dir, const std::filesystem::path& out_dir) {
  const auto run_path = dir / "run.txt";
  const auto json_path = dir / "benchmarks.json";
  if (!std::filesystem::is_regular_file(run_path))
    throw Error(dir.string() + ": no run.txt, not a recorded ptilab bench run (ptilab bench --out DIR writes one)");
  const BenchRecord record = parse_bench_record(read_text_file(run_path), run_path.string());
  ResultCollector collector(record.counted);
  for (const auto& run : runs_from_json(read_text_file(json_path), json_path.string())) collector.add(run);
  const auto& errors = collector.errors();
  if (!errors.empty()) throw Error(json_path.string() + ": a benchmark failed: " + errors.front());
  const BenchOutput out = bench_rows(record, collector);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error("cannot create " + out_dir.string() + ": " + ec.message());
  write_results(out_dir / "results.csv", out.rows);
  std::cout << "ptilab: wrote " << (out_dir / "results.csv").string() << " (" << out.rows.size()
            << " rows, replayed from " << dir.string() << ")" << std::endl;
  return 0;
}

// reads_per_op of each BM_Map cell of ARCH in an earlier run's results:
// the first row of each (every boot of a vm-bench run that shared them
// has the same). Throws Error if the file has none.
std::map<std::string, std::uint64_t, std::less<>> map_reads_from(const std::filesystem::path& path,
                                                                 const std::string& arch) {
  std::map<std::string, std::uint64_t, std::less<>> reads;
  for (const ResultRow& r : read_results(path)) {
    if (r.arch != arch || r.metric != kMapReadsPerOp || !is_map_benchmark(r.benchmark)) continue;
    const auto v = parse_number(r.value);
    if (!v || !(*v >= 1)) throw Error(path.string() + ": " + r.benchmark + ": reads_per_op '" + r.value + "' is not a count");
    reads.try_emplace(r.benchmark, static_cast<std::uint64_t>(std::llround(*v)));
  }
  if (reads.empty())
    throw Error("--map-reads " + path.string() + ": no reads_per_op rows of BM_Map cells for " + arch +
                " (a results.csv of ptilab bench --map on this architecture)");
  return reads;
}

int run_bench(const BenchOptions& o, const char* argv0) {
  using std::chrono::system_clock;
  if (o.replay) return replay_bench(*o.replay, o.out_dir);
  const auto start = system_clock::now();

  // Everything that can fail cheaply fails before minutes of measuring.
  const SystemInfo sys = read_system_info();
  StateSources sources;
  sources.state_file = o.state_file;
  const Isolation iso = detect_isolation(sources, sys.arch, sys.kernel);
  std::vector<std::string> warnings;
  const auto warn = [&warnings](const NoiseReport& report) {
    for (const auto& n : report.notes) std::cerr << "ptilab: note: " << n << "\n";
    for (const auto& w : report.warnings) {
      std::cerr << "ptilab: warning: " << w << "\n";
      warnings.push_back(w);
    }
  };
  warn(NoiseReport{iso.warnings, {}});

  const std::vector<int> allowed = allowed_cpus();
  std::optional<int> pin_cpu;
  if (o.pin) {
    pin_cpu = o.cpu ? o.cpu : default_bench_cpu(allowed);
    if (o.cpu && std::find(allowed.begin(), allowed.end(), *o.cpu) == allowed.end())
      throw Error("--cpu " + std::to_string(*o.cpu) + ": not one of the CPUs this process may use (" +
                  cpu_list(allowed) + ")");
  }

  // Opened before any benchmark creates a thread or child, so that the
  // inherited counters cover them. Unknown names fail here (exit 2).
  std::optional<PerfCounterSet> counters;
  std::vector<std::string> counted, unsupported;
  if (!o.counters.empty()) {
    counters.emplace(o.counters);
    for (const auto& e : counters->events()) {
      if (e.supported) {
        counted.push_back(e.name);
      } else {
        unsupported.push_back(e.name);
        std::cerr << "ptilab: counter " << e.name << ": " << e.reason << "\n";
      }
    }
  }

  // The tracer, loaded and attached before anything is measured: it fails
  // (no root, no BTF) in one line, before any output.
  std::optional<BenchTracer> tracer;
  if (o.trace) {
    tracer.emplace(TraceBpfOptions{}, isolation_assumed_on(iso.pti, iso.kpti));
    for (auto& name : tracer->names()) counted.push_back(std::move(name));
    // What this kernel cannot count: not_supported rows (never a 0).
    for (auto& name : tracer->unsupported()) unsupported.push_back(std::move(name));
    std::cerr << "ptilab: tracing (system-wide): per-iteration counts of the tracer; its own cost is in the times\n";
  }

  // Everything the benchmarks are given, once: they read no global and
  // no environment variable themselves.
  bench::Context context = bench::context_from_process();
  context.cpu = pin_cpu;
  context.counters = counters && counters->any_supported() ? &*counters : nullptr;
  context.tracer = tracer ? &*tracer : nullptr;
  if (!o.map.empty()) {
    context.map = bench::map_grid(o.map);
    if (!context.map) throw UsageError("--map: no grid '" + o.map + "' (full or quick)");
  }
  set_numa_context(context, allowed);
  if (o.map_reads) {
    context.map_reads = map_reads_from(*o.map_reads, sys.arch);
    std::cerr << "ptilab: overhead map: reads per call of " << context.map_reads.size() << " cells from "
              << o.map_reads->string() << "\n";
  }

  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) throw Error("cannot create " + o.out_dir.string() + ": " + ec.message());
  const auto json_path = o.out_dir / "benchmarks.json";
  const auto csv_path = o.out_dir / "results.csv";
  // Google Benchmark writes the JSON itself, to the file named by a flag;
  // Initialize() may exit (--help), so the file is created only after it.
  const auto json_temp = AtomicFile::temp_name_for(json_path);

  std::vector<std::string> args = {argv0};
  const auto flags = benchmark_flags(o, json_temp);
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());

  BenchmarkShutdown shutdown;
  bench::register_benchmarks(context);
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) throw UsageError("unknown Google Benchmark flag '" + std::string(argv[1]) + "'");
  const bool list_only = truthy(last_flag_value(o.passthrough, "benchmark_list_tests").value_or("false"));

  AtomicFile json(json_path, json_temp);
  AtomicFile csv(csv_path);
  AtomicFile warnings_file(o.out_dir / "warnings.txt");
  std::cout << "ptilab: isolation from " << iso.source << ": " << profile_for(sys.arch).describe(iso) << std::endl;
  if (!list_only) {
    NoiseReport before;
    check_governors("/sys/devices/system/cpu", allowed, before);
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    sample_busy("/proc", kBusySampleSeconds, online > 0 ? static_cast<int>(online) : 1, before);
    warn(before);
  }
  std::cout << "ptilab: single-process benchmarks "
            << (pin_cpu ? "pinned to CPU " + std::to_string(*pin_cpu) : std::string("not pinned (--no-pin)"))
            << std::endl;

  RecordingReporter reporter(console_options(o.passthrough), counted);
  const std::size_t matched = benchmark::RunSpecifiedBenchmarks(&reporter);
  if (list_only) return 0;  // nothing measured, nothing written
  if (matched == 0) throw Error("no benchmark matches the filter" + (o.filter ? " '" + *o.filter + "'" : std::string()));
  const auto& errors = reporter.collector().errors();
  if (!errors.empty())
    throw Error("benchmark failed: " + errors.front() +
                (errors.size() > 1 ? " (and " + std::to_string(errors.size() - 1) + " more)" : ""));
  for (const Skip& s : reporter.collector().skipped())
    std::cerr << "ptilab: skipped " << s.benchmark << ": " << s.why << "\n";
  const RunInfo run = make_run_info(sys, iso, start, o.run_id, o.host, o.accel);
  BenchRecord record{run, counted, unsupported, o.name_suffix};
  const BenchOutput out = bench_rows(record, reporter.collector());

  NoiseReport after;
  check_cv(out.results, after);
  warn(after);

  const auto& rows = out.rows;
  AtomicFile run_file(o.out_dir / "run.txt");
  run_file.write(format_bench_record(record));
  csv.write(format_results(rows));
  warnings_file.write(format_warnings(warnings));

  // Google Benchmark does not check its writes; a full disk would leave a
  // truncated document. Its JSON always ends with the closing brace.
  const std::string raw = read_text_file(json.temp_path());
  if (raw.find_last_not_of(" \n") == std::string::npos || raw[raw.find_last_not_of(" \n")] != '}')
    throw Error("Google Benchmark wrote an incomplete " + json_path.string());

  // All four files are complete on disk before any replaces an older one.
  json.sync();
  csv.sync();
  warnings_file.sync();
  run_file.sync();
  json.commit();
  csv.commit();
  warnings_file.commit();
  run_file.commit();
  std::cout << "ptilab: wrote " << json_path.string() << ", " << csv_path.string() << ", "
            << run_file.target().string() << " and " << warnings_file.target().string() << " (" << warnings.size()
            << " warning"
            << (warnings.size() == 1 ? "" : "s") << ")" << std::endl;
  return 0;
}

}  // namespace ptilab
