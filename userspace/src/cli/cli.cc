#include "cli/cli.h"

#include <regex.h>

#include <charconv>
#include <cmath>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/atomic_file.h"
#include "cmd/bench.h"
#include "model/compare.h"
#include "util/error.h"
#include "cmd/hook.h"
#include "cmd/merge.h"
#include "kernel/perf_counters.h"
#include "cmd/probe.h"
#include "cmd/query.h"
#include "results/results.h"
#include "cmd/snapshot.h"
#include "cmd/status.h"
#include "model/macro_tier.h"
#include "render/table.h"
#include "cmd/trace.h"

namespace ptilab {

const std::string_view kUsage =
    R"(usage: ptilab bench [OPTIONS] [-- GOOGLE_BENCHMARK_FLAGS...]
       ptilab merge -o OUT.csv IN.csv...
       ptilab table [--macro-csv] CSV...
       ptilab compare [--where COL=VAL] [--a-where COL=VAL] [--b-where COL=VAL]
                      [--metric NAME] [--confidence C] [--format table|csv|markdown]
                      [--out FILE] A B
       ptilab counters [EVENT...]
       ptilab status [--json] [--debugfs DIR]
       ptilab probe [NAME...] [--all] [--iterations N] [--json] [--debugfs DIR]
       ptilab hook extra-cr3 --writes N (--pid PID | -- CMD [ARG...])
       ptilab hook flush (--pid PID | -- CMD [ARG...])
       ptilab hook remove [extra-cr3|flush|all]
       ptilab hook status [--json]
       ptilab bench --replay DIR [--out DIR]
       ptilab snapshot --out FILE.csv [--run-id ID] [--host NAME] [--accel NAME]
                       [--probes] [--iterations N] [--audit] [--debugfs DIR]
                       [--record DIR]
       ptilab snapshot --out FILE.csv --replay DIR
       ptilab query CSV... [--benchmark B] [--metric M] [--where COL=VAL]...
                    [--print COL | --csv [-o FILE]]
       ptilab schema [--json]
       ptilab profiles [--json]
       ptilab trace [-p PID] [-i SEC] [-d SEC] [--csv FILE] [--top N] [--per-cpu]
                    [-q] [--estimate [--cost-from RESULTS.csv]] [--btf FILE] [-v]
       ptilab help

bench   run the benchmarks; write DIR/benchmarks.json (Google Benchmark's
        JSON, the raw output), DIR/results.csv and DIR/warnings.txt (noise:
        CPU governor, busy machine, CV over 5%; empty if none)
  --quick             3 repetitions of at least 0.1 s each, 0.02 s warm-up
                      (for emulated VMs)
  --repetitions N     repetitions per benchmark (default 5)
  --min-time SECONDS  minimum time per repetition (default 0.15; warm-up 0.1)
  --cpu N             pin the single-process benchmarks to CPU N (default:
                      the last CPU this process may use)
  --no-pin            do not pin them
  --filter REGEX      run only the benchmarks matching REGEX (names as in
                      results.csv: '^BM_Syscall_Null$' works)
  --out DIR           output directory, created if missing (default .)
  --run-id ID         run id (default YYYYmmddTHHMMSSZ-HOSTNAME, UTC)
  --host NAME         host column (default: this machine's host name)
  --accel NAME        accelerator column: kvm, tcg or none (default none)
  --state FILE        isolation state in the module's key=value format
                      (default /sys/kernel/debug/ptilab/state if readable,
                      else the kernel's meltdown sysfs file and /proc/cpuinfo)
  --name-suffix SUFFIX  append SUFFIX to every benchmark name in results.csv
                      (e.g. +extra_cr3=4); benchmarks.json stays raw
  --counters LIST     perf events to count per iteration, comma-separated:
                      any name libpfm4 knows (cycles, instructions,
                      dTLB-load-misses, context-switches, page-faults, ...),
                      kernel and user mode, ptilab and the threads and
                      children it creates; results.csv gets one row per
                      benchmark and event (unit per_op). An event this
                      machine cannot count is a warning and a not_supported
                      row, never a zero
  --trace             also count, with the eBPF tracer (ptilab trace; root,
                      kernel BTF), system calls, interrupts, page faults,
                      context and mm switches and TLB flushes per iteration,
                      system-wide (for a quiet machine: the VM), plus the
                      derived kernel entries and CR3 writes: results.csv
                      rows trace:<count>_per_op. The tracer's own cost is in
                      that run's times
  Every run also writes DIR/run.txt (the run's columns and counters), so that
  --replay DIR can make DIR's results.csv again from its benchmarks.json and
  run.txt, without running anything (into --out DIR2)
merge   concatenate results CSVs (all with the ptilab header) into OUT.csv
table   print mean ns per operation per benchmark and configuration, with
        the pti on/off ratio; then the macro tier (the build, pgbench, Redis):
        real, user and sys time off and on (+x%), kernel entries per second,
        and the geometric mean of the on/off ratios with its interval
  --macro-csv         only the macro tier, as CSV (what the report reads)
compare B against A (each a result directory holding results.csv, or a
        results CSV): per benchmark and metric the delta (B-A)/A in %, its
        confidence interval (Fieller, Welch's t) and a verdict: slower/faster
        (higher/lower for non-time units) or no significant difference.
        Default: every metric with a value, stddev and repetitions on both sides
  --where COL=VAL     keep only rows whose column COL is VAL, in A and B
  --a-where COL=VAL   the same for A only (e.g. pti=off); --b-where for B.
                      All three repeat; every filter must match
  --metric NAME       compare this metric (repeatable)
  --confidence C      confidence level, 0 < C < 1 (default 0.95)
  --format FORMAT     table (default), csv or markdown
  --out FILE          write there atomically instead of to stdout
query   print the COL column (--print COL, default value) of every row of the
        results CSVs whose benchmark and metric match (exact, or a prefix
        ending in '*': --metric 'trace:*') and every --where COL=VAL; --csv:
        the matching rows as a results CSV (to stdout, or atomically to -o)
schema  the results CSV header, one line; --json: {"columns": [...],
        "units": [...], "workload_benchmarks": [...], "workload_metrics":
        {name: unit}}: the schema every consumer checks against
profiles
        what ptilab knows of each architecture: isolation (PTI, KPTI), its
        columns and reason key, the page-table register, the probes;
        --json: everything, with every reason's sentence (the report's)
counters
        whether each perf EVENT (default: cycles, instructions,
        dTLB-load-misses, iTLB-load-misses, context-switches, page-faults,
        cpu-migrations) can be counted here, libpfm4's name for it, and why
        not; exit status 1 if libpfm4 does not know an EVENT

The commands below use the ptilab.ko module's debugfs files
(--debugfs DIR, default /sys/kernel/debug/ptilab; usually root only).

status  explain page-table isolation here: on or off and why, PCID, what a
        CR3 write costs (probed when the module is loaded and writable),
        what would change it and whether that is safe, what is unknown.
        Without the module it infers what it can from the meltdown sysfs
        file, /proc/cpuinfo and /proc/cmdline
  --json              one JSON object instead of text
probe   time the module's primitives (cr3_noflush, cr3_flush, invpcid_*,
        flush_tlb_*) in cycles; no NAME: every supported one
  --all               every supported primitive (with NAMEs: those too)
  --iterations N      samples per primitive, 1..200000 (default 10000)
  --json              a JSON array instead of the table
hook    make one process's system calls pay extra: extra-cr3 adds N CR3
        writes (0..16) per syscall, flush a TLB flush. --pid PID hooks a
        running process (until `hook remove` or its exit: the module
        drops a hook whose process is gone); -- CMD runs CMD hooked and
        removes the hook when it exits (exit status: CMD's). Needs the
        module loaded with allow_hooks=1
snapshot
        write the module's state with every *_reason, the CPU (cpuinfo's
        model; arm64: MIDR decoded; $PTILAB_CPU and $PTILAB_QEMU: the
        emulated CPU model and QEMU's version, as scripts/vm sets them),
        and with --probes every primitive's timing, with --audit the
        page-table audit summary, as results CSV rows to FILE.csv; the run
        columns as `ptilab bench` fills them. Without the module the state
        is what the kernel's files say (row state source=kernel)
  --probes            time every primitive (--iterations N, default 10000)
  --audit             add the ptaudit summary (pages per kernel region)
  --record DIR        also save every input read (sys/, debugfs/, run.txt)
  --replay DIR        make the rows again from such a recording

trace   count kernel entries, context switches (and those that change mm:
        a CR3/TTBR0 write) and TLB flushes by reason with eBPF, per CPU and
        per process, one row of rates per interval as `perf stat -I`;
        Ctrl-C (or -d, or the -p process's exit) prints totals and the
        derived kernel entries and CR3 writes per second. Needs root and
        the kernel's BTF (/sys/kernel/btf/vmlinux); no tracefs needed
  -p, --pid PID       count only this process
  -i, --interval SEC  interval (default 1)
  -d, --duration SEC  stop after SEC seconds (default: at Ctrl-C)
  --csv FILE          write totals as results CSV rows (benchmark trace,
                      trace:<comm>:<pid> for the top processes)
  --top N             processes shown per interval and in the totals
                      (default 5; 0: none)
  --per-cpu           a row per CPU too
  -q, --quiet         no interval rows, only the totals
  --estimate          estimate the CPU share isolation costs this workload:
                      measured rates x cost per entry and mm switch, from
                      --cost-from RESULTS.csv (a pti=on and a pti=off run of
                      ptilab bench) or else the module's CR3 probe
  --btf FILE          kernel BTF (default $PTILAB_BTF or /sys/kernel/btf/vmlinux)
  --state FILE, --run-id ID, --host NAME, --accel NAME   as for bench
  -v, --verbose       libbpf's messages
)";

namespace {

using Args = std::vector<std::string>;

// Reads options of the forms "--name value" and "--name=value".
class OptionReader {
 public:
  explicit OptionReader(const Args& args) : args_(args) {}

  bool done() const { return i_ >= args_.size(); }
  // The next argument; for "--name=value" only "--name".
  const std::string& next() {
    arg_ = args_[i_++];
    inline_value_.reset();
    if (arg_.starts_with("--")) {
      if (const auto eq = arg_.find('='); eq != std::string::npos) {
        inline_value_ = arg_.substr(eq + 1);
        arg_.resize(eq);
      }
    }
    return arg_;
  }
  std::string value() {
    if (inline_value_) return *std::exchange(inline_value_, std::nullopt);
    if (done() || args_[i_].starts_with("--")) throw UsageError(arg_ + " needs a value");
    return args_[i_++];
  }
  std::string nonempty_value() {
    std::string v = value();
    if (v.empty()) throw UsageError(arg_ + " needs a non-empty value");
    return v;
  }
  void no_value() const {
    if (inline_value_) throw UsageError(arg_ + " takes no value");
  }
  // Everything not read yet.
  Args rest() {
    Args r(args_.begin() + static_cast<std::ptrdiff_t>(i_), args_.end());
    i_ = args_.size();
    return r;
  }

 private:
  const Args& args_;
  std::size_t i_ = 0;
  std::string arg_;
  std::optional<std::string> inline_value_;
};

[[noreturn]] void unexpected(const std::string& arg) {
  if (arg.starts_with("-")) throw UsageError("unknown option '" + arg + "'");
  throw UsageError("unexpected argument '" + arg + "'");
}

int positive_int(const std::string& option, const std::string& text) {
  int v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 1)
    throw UsageError(option + " must be a positive integer, got '" + text + "'");
  return v;
}

int int_in_range(const std::string& option, const std::string& text, int lo, int hi) {
  int v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi)
    throw UsageError(option + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                     ", got '" + text + "'");
  return v;
}

int probe_iterations(const std::string& option, const std::string& text) {
  return int_in_range(option, text, kMinProbeIterations, kMaxProbeIterations);
}

double positive_seconds(const std::string& option, const std::string& text) {
  const auto v = parse_number(text);
  if (!v || *v <= 0) throw UsageError(option + " must be a positive number of seconds, got '" + text + "'");
  return *v;
}

// CPU numbers fit a cpu_set_t (CPU_SETSIZE).
constexpr int kMaxCpu = 1023;

BenchOptions parse_bench(const Args& args) {
  BenchOptions o;
  OptionReader r(args);
  std::optional<std::string> measuring;  // an option that only a live run takes
  while (!r.done()) {
    const std::string name = r.next();
    if (name != "--out" && name != "--replay") measuring = name;
    if (name == "--replay") {
      o.replay = r.nonempty_value();
    } else if (name == "--") {
      o.passthrough = r.rest();
    } else if (name == "--quick") {
      r.no_value();
      o.quick = true;
    } else if (name == "--out") {
      o.out_dir = r.nonempty_value();
    } else if (name == "--run-id") {
      o.run_id = r.nonempty_value();
    } else if (name == "--host") {
      o.host = r.nonempty_value();
    } else if (name == "--accel") {
      o.accel = r.nonempty_value();
    } else if (name == "--state") {
      o.state_file = r.nonempty_value();
    } else if (name == "--filter") {
      o.filter = r.nonempty_value();
      // Google Benchmark would take a bad regex as "matches nothing".
      regex_t re;
      if (const int err = ::regcomp(&re, filter_regex(*o.filter).c_str(), REG_EXTENDED | REG_NOSUB)) {
        char why[128];
        ::regerror(err, &re, why, sizeof why);
        throw UsageError("--filter '" + *o.filter + "' is not a regular expression: " + why);
      }
      ::regfree(&re);
    } else if (name == "--name-suffix") {
      o.name_suffix = r.nonempty_value();
    } else if (name == "--repetitions") {
      o.repetitions = positive_int(name, r.value());
    } else if (name == "--min-time") {
      o.min_time = positive_seconds(name, r.value());
    } else if (name == "--counters") {
      o.counters = parse_counter_list(r.value());
    } else if (name == "--trace") {
      r.no_value();
      o.trace = true;
    } else if (name == "--cpu") {
      o.cpu = int_in_range(name, r.value(), 0, kMaxCpu);
    } else if (name == "--no-pin") {
      r.no_value();
      o.pin = false;
    } else {
      unexpected(name);
    }
  }
  if (o.cpu && !o.pin) throw UsageError("--cpu and --no-pin contradict each other");
  if (o.replay && measuring)
    throw UsageError("--replay DIR makes results.csv from DIR's recording: it takes only --out, not " + *measuring);
  return o;
}

StatusOptions parse_status(const Args& args) {
  StatusOptions o;
  OptionReader r(args);
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "--json") {
      r.no_value();
      o.json = true;
    } else if (name == "--debugfs") {
      o.debugfs = r.nonempty_value();
    } else {
      unexpected(name);
    }
  }
  return o;
}

ProbeOptions parse_probe_options(const Args& args) {
  ProbeOptions o;
  OptionReader r(args);
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "--all") {
      r.no_value();
      o.all = true;
    } else if (name == "--json") {
      r.no_value();
      o.json = true;
    } else if (name == "--iterations") {
      o.iterations = probe_iterations(name, r.value());
    } else if (name == "--debugfs") {
      o.debugfs = r.nonempty_value();
    } else if (name.starts_with("-")) {
      unexpected(name);
    } else {
      o.names.push_back(name);
    }
  }
  return o;
}

HookKind hook_kind(const std::string& name) {
  if (name == "extra-cr3") return HookKind::kExtraCr3;
  if (name == "flush") return HookKind::kFlush;
  throw UsageError("unknown hook '" + name + "' (extra-cr3 or flush)");
}

HookOptions parse_hook(const Args& args) {
  if (args.empty()) throw UsageError("hook needs extra-cr3, flush, remove or status");
  const std::string& action = args.front();
  const Args rest(args.begin() + 1, args.end());
  HookOptions o;
  std::optional<int> writes;
  std::optional<std::string> which;
  OptionReader r(rest);
  if (action == "extra-cr3" || action == "flush") {
    o.action = HookOptions::Action::kInstall;
    o.kinds = {hook_kind(action)};
  } else if (action == "remove") {
    o.action = HookOptions::Action::kRemove;
  } else if (action == "status") {
    o.action = HookOptions::Action::kStatus;
  } else {
    throw UsageError("unknown hook action '" + action + "' (extra-cr3, flush, remove or status)");
  }
  const bool install = o.action == HookOptions::Action::kInstall;
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "--debugfs") {
      o.debugfs = r.nonempty_value();
    } else if (install && name == "--pid") {
      o.pid = positive_int(name, r.value());
    } else if (install && o.kinds[0] == HookKind::kExtraCr3 && name == "--writes") {
      writes = int_in_range(name, r.value(), 0, kMaxHookWrites);
    } else if (install && name == "--") {
      o.command = r.rest();
      if (o.command.empty()) throw UsageError("-- needs a command");
    } else if (o.action == HookOptions::Action::kStatus && name == "--json") {
      r.no_value();
      o.json = true;
    } else if (o.action == HookOptions::Action::kRemove && !name.starts_with("-") && !which) {
      which = name;
    } else {
      unexpected(name);
    }
  }
  if (install) {
    if (o.kinds[0] == HookKind::kExtraCr3) {
      if (!writes) throw UsageError("hook extra-cr3 needs --writes N");
      o.writes = *writes;
    }
    if (o.pid.has_value() == !o.command.empty())
      throw UsageError("hook " + action + " needs either --pid PID or -- CMD [ARG...]");
  } else if (o.action == HookOptions::Action::kRemove) {
    if (!which || *which == "all")
      o.kinds = {HookKind::kExtraCr3, HookKind::kFlush};
    else
      o.kinds = {hook_kind(*which)};
  }
  return o;
}

SnapshotOptions parse_snapshot(const Args& args) {
  SnapshotOptions o;
  bool have_out = false;
  OptionReader r(args);
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "--out") {
      o.out = r.nonempty_value();
      have_out = true;
    } else if (name == "--run-id") {
      o.run_id = r.nonempty_value();
    } else if (name == "--host") {
      o.host = r.nonempty_value();
    } else if (name == "--accel") {
      o.accel = r.nonempty_value();
    } else if (name == "--probes") {
      r.no_value();
      o.probes = true;
    } else if (name == "--iterations") {
      o.iterations = probe_iterations(name, r.value());
    } else if (name == "--audit") {
      r.no_value();
      o.audit = true;
    } else if (name == "--debugfs") {
      o.debugfs = r.nonempty_value();
    } else if (name == "--record") {
      o.record = r.nonempty_value();
    } else if (name == "--replay") {
      o.replay = r.nonempty_value();
    } else {
      unexpected(name);
    }
  }
  if (!have_out) throw UsageError("snapshot needs --out FILE.csv");
  if (o.record && o.replay) throw UsageError("snapshot takes --record or --replay, not both");
  if (o.replay && (o.run_id || o.host || o.accel || o.probes || o.audit))
    throw UsageError("snapshot --replay DIR takes the run's columns, probes and audit from DIR: only --out goes with it");
  return o;
}

int query_cmd(const Args& args) {
  QueryOptions o;
  OptionReader r(args);
  bool print_given = false;
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "--benchmark") {
      o.benchmark = r.nonempty_value();
    } else if (name == "--metric") {
      o.metric = r.nonempty_value();
    } else if (name == "--where") {
      o.where.push_back(parse_row_filter(name, r.value()));
    } else if (name == "--print") {
      o.print = r.nonempty_value();
      print_given = true;
    } else if (name == "--csv") {
      r.no_value();
      o.csv = true;
    } else if (name == "-o" || name == "--output") {
      o.out = r.nonempty_value();
    } else if (name == "--") {
      for (auto& a : r.rest()) o.inputs.emplace_back(a);
    } else if (name.starts_with("-") && name != "-") {
      unexpected(name);
    } else {
      o.inputs.emplace_back(name);
    }
  }
  if (o.inputs.empty()) throw UsageError("query needs at least one results CSV");
  if (o.csv && print_given) throw UsageError("query takes --print COL or --csv, not both");
  if (o.out && !o.csv) throw UsageError("query -o FILE goes with --csv");
  if (!result_field(ResultRow{}, o.print)) throw UsageError("--print: unknown column '" + o.print + "'");
  return run_query(o);
}

// "schema [--json]", "profiles [--json]"
bool json_only(const Args& args, const std::string& cmd) {
  bool json = false;
  for (const auto& a : args) {
    if (a != "--json") throw UsageError(cmd + " takes only --json, got '" + a + "'");
    json = true;
  }
  return json;
}

int merge_cmd(const Args& args) {
  std::optional<std::filesystem::path> out;
  std::vector<std::filesystem::path> inputs;
  OptionReader r(args);
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "-o" || name == "--output") {
      out = r.nonempty_value();
    } else if (name == "--") {
      for (auto& a : r.rest()) inputs.emplace_back(a);
    } else if (name.starts_with("-") && name != "-") {
      unexpected(name);
    } else {
      inputs.emplace_back(name);
    }
  }
  if (!out) throw UsageError("merge needs -o OUT.csv");
  if (inputs.empty()) throw UsageError("merge needs at least one input CSV");
  merge_results_files(inputs, *out);
  return 0;
}

int table_cmd(const Args& args) {
  std::vector<std::filesystem::path> inputs;
  bool macro_csv = false;
  OptionReader r(args);
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "--macro-csv") {
      macro_csv = true;
    } else if (name == "--") {
      for (auto& a : r.rest()) inputs.emplace_back(a);
    } else if (name.starts_with("-") && name != "-") {
      unexpected(name);
    } else {
      inputs.emplace_back(name);
    }
  }
  if (inputs.empty()) throw UsageError("table needs at least one results CSV");
  // Only the rows the table shows are kept: inputs can be large.
  std::vector<ResultRow> rows;
  for (const auto& in : inputs)
    for_each_result(in, [&](ResultRow&& r) {
      if (table_uses(r)) rows.push_back(std::move(r));
    });
  if (macro_csv) {
    const auto pairs = macro_tier(rows, kTableConfidence);
    if (pairs.empty()) throw Error("no macro-tier workloads with an isolation-on and an isolation-off side");
    std::cout << format_macro_csv(pairs);
    return 0;
  }
  std::vector<std::string> notes;
  const std::string table = render_table(rows, &notes);
  for (const auto& n : notes) std::cerr << "ptilab: note: " << n << "\n";
  std::cout << table;
  return 0;
}

CompareOptions parse_compare(const Args& args) {
  CompareOptions o;
  std::vector<std::string> operands;
  OptionReader r(args);
  while (!r.done()) {
    const std::string name = r.next();
    if (name == "--where") {
      const auto f = parse_row_filter(name, r.value());
      o.spec.a_where.push_back(f);
      o.spec.b_where.push_back(f);
    } else if (name == "--a-where") {
      o.spec.a_where.push_back(parse_row_filter(name, r.value()));
    } else if (name == "--b-where") {
      o.spec.b_where.push_back(parse_row_filter(name, r.value()));
    } else if (name == "--metric") {
      o.spec.metrics.push_back(r.nonempty_value());
    } else if (name == "--confidence") {
      const std::string text = r.value();
      const auto c = parse_number(text);
      if (!c || !(*c > 0 && *c < 1))
        throw UsageError("--confidence must be a number between 0 and 1 (e.g. 0.95), got '" + text + "'");
      o.spec.confidence = *c;
    } else if (name == "--format") {
      const std::string f = r.value();
      if (f == "table")
        o.format = CompareFormat::kTable;
      else if (f == "csv")
        o.format = CompareFormat::kCsv;
      else if (f == "markdown")
        o.format = CompareFormat::kMarkdown;
      else
        throw UsageError("--format must be table, csv or markdown, got '" + f + "'");
    } else if (name == "--out") {
      o.out = r.nonempty_value();
    } else if (name == "--") {
      for (auto& a : r.rest()) operands.push_back(a);
    } else if (name.starts_with("-")) {
      unexpected(name);
    } else {
      operands.push_back(name);
    }
  }
  if (operands.size() != 2)
    throw UsageError("compare needs two operands, A and B (result directories or CSVs), got " +
                     std::to_string(operands.size()));
  o.a = operands[0];
  o.b = operands[1];
  return o;
}

int counters_cmd(const Args& args) {
  std::vector<std::string> names;
  OptionReader r(args);
  while (!r.done()) {
    const std::string name = r.next();
    if (name.starts_with("-")) unexpected(name);
    if (name.empty()) throw UsageError("counters: empty event name");
    names.push_back(name);
  }
  return run_counters_cmd(names);
}

// Help anywhere before "--" wins over everything else.
bool wants_help(const Args& args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

// Messages are one line even when they quote file contents.
std::string one_line(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}

}  // namespace

int run_cli(int argc, char** argv) {
  const Args all(argv + 1, argv + argc);
  // An interrupted command leaves no temporary file behind.
  remove_temp_files_on_signals();
  try {
    if (all.empty()) throw UsageError("no subcommand given");
    const std::string& cmd = all.front();
    const Args args(all.begin() + 1, all.end());
    if (cmd == "help" || cmd == "-h" || cmd == "--help" || wants_help(args)) {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "bench") return run_bench(parse_bench(args), argc > 0 ? argv[0] : "ptilab");
    if (cmd == "merge") return merge_cmd(args);
    if (cmd == "table") return table_cmd(args);
    if (cmd == "compare") return run_compare(parse_compare(args));
    if (cmd == "counters") return counters_cmd(args);
    if (cmd == "status") return run_status(parse_status(args));
    if (cmd == "probe") return run_probe_cmd(parse_probe_options(args));
    if (cmd == "hook") return run_hook_cmd(parse_hook(args));
    if (cmd == "snapshot") return run_snapshot(parse_snapshot(args));
    if (cmd == "trace") return run_trace(parse_trace(args));
    if (cmd == "query") return query_cmd(args);
    if (cmd == "schema") return run_schema(json_only(args, cmd));
    if (cmd == "profiles") return run_profiles(json_only(args, cmd));
    throw UsageError("unknown subcommand '" + cmd + "'");
  } catch (const UsageError& e) {
    std::cerr << "ptilab: " << one_line(e.what()) << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ptilab: " << one_line(e.what()) << "\n";
    return 1;
  }
}

}  // namespace ptilab
