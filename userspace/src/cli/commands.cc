// The command table: every subcommand, its synopsis, what it does and its
// options, bound to the options struct its cmd/ file runs with. CLI11
// generates each command's --help from this.
#include "cli/commands.h"

#include <regex.h>

#include <utility>

#include "bench/context.h"
#include "cli/binding.h"
#include "cmd/bench.h"
#include "cmd/compare.h"
#include "cmd/counters.h"
#include "cmd/export.h"
#include "cmd/hook.h"
#include "cmd/merge.h"
#include "cmd/probe.h"
#include "cmd/query.h"
#include "cmd/schema.h"
#include "cmd/snapshot.h"
#include "cmd/status.h"
#include "cmd/table.h"
#include "cmd/trace.h"
#include "kernel/perf_counters.h"
#include "results/results.h"
#include "util/error.h"

namespace ptilab::cli {

namespace {

// CPU numbers fit a cpu_set_t (CPU_SETSIZE).
constexpr long kMaxCpu = 1023;
constexpr long kMaxPid = 0x3fffffff;  // above PID_MAX_LIMIT

const char* const kDebugfsHelp = "the module's debugfs directory (default /sys/kernel/debug/ptilab)";

CLI::App* command(CLI::App& app, Command& c, const std::string& name, std::string synopsis,
                  const std::string& summary, const std::string& description) {
  CLI::App* sub = app.add_subcommand(name, summary);
  sub->set_help_flag("-h,--help", "this help");
  // The program's commands, or a command's actions (hook extra-cr3, ...).
  sub->group(app.get_parent() ? "Actions" : "Commands");
  c.app = sub;
  c.synopsis = std::move(synopsis);
  c.description = description;
  return sub;
}

// Google Benchmark would take a bad regex as "matches nothing".
void check_regex(const std::string& filter) {
  regex_t re;
  if (const int err = ::regcomp(&re, filter_regex(filter).c_str(), REG_EXTENDED | REG_NOSUB)) {
    char why[128];
    ::regerror(err, &re, why, sizeof why);
    throw UsageError("--filter '" + filter + "' is not a regular expression: " + why);
  }
  ::regfree(&re);
}

// The run columns bench, snapshot and trace share.
template <class O>
void run_columns(CLI::App* sub, O& o) {
  text(sub, "--run-id", "ID", o.run_id, "run id (default YYYYmmddTHHMMSSZ-HOSTNAME, UTC)");
  text(sub, "--host", "NAME", o.host, "host column (default: this machine's host name)");
  text(sub, "--accel", "NAME", o.accel, "accelerator column: kvm, tcg or none (default none)");
}

// What trace and export share after --map: the working set it is read
// at (--ws, --thp), the BTF the tracer loads with, the module's directory.
template <class O>
void map_reading(CLI::App* sub, O& o, CLI::Option* map, const std::string& ws_help) {
  CLI::Option* ws = text(
      sub, "--ws", "SIZE",
      [&o](const std::string& v) {
        const auto bytes = parse_size(v);
        if (!bytes) bad_value("--ws", "a size in bytes, or with K, M or G (KiB, MiB, GiB): 64M", v);
        o.ws = *bytes;
      },
      ws_help);
  ws->needs(map);
  flag(sub, "--thp", o.thp, "with --ws: the working set is in transparent huge pages")->needs(ws);
  text(sub, "--btf", "FILE", o.btf, "kernel BTF (default $PTILAB_BTF or /sys/kernel/btf/vmlinux)");
  text(sub, "--debugfs", "DIR", o.debugfs, kDebugfsHelp);
}

void add_bench(CLI::App& app, Commands& t) {
  auto& o = t.bench;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "bench",
                          "ptilab bench [OPTIONS] [-- GOOGLE_BENCHMARK_FLAGS...]\n"
                          "       ptilab bench --replay DIR [--out DIR]",
                          "run the benchmarks",
                          "Run the benchmarks; write DIR/benchmarks.json (Google Benchmark's JSON, the raw\n"
                          "output), DIR/results.csv and DIR/warnings.txt (noise: CPU governor, busy machine,\n"
                          "CV over 5%; empty if none). Every run also writes DIR/run.txt (the run's columns\n"
                          "and counters), so that --replay DIR can make DIR's results.csv again from its\n"
                          "benchmarks.json and run.txt without running anything (into --out DIR2).\n"
                          "Flags after -- go to Google Benchmark (--benchmark_*).");
  c.passthrough = true;
  flag(sub, "--quick", o.quick, "3 repetitions of at least 0.1 s each, 0.02 s warm-up (for emulated VMs)");
  integer(sub, "--repetitions", "N", 1, 1L << 30, [&o](long v) { o.repetitions = static_cast<int>(v); },
          "repetitions per benchmark (default 5)");
  seconds(sub, "--min-time", [&o](double v) { o.min_time = v; },
          "minimum time per repetition (default 0.15; warm-up 0.1)");
  integer(sub, "--cpu", "N", 0, kMaxCpu, [&o](long v) { o.cpu = static_cast<int>(v); },
          "pin the single-process benchmarks to CPU N\n(default: the last CPU this process may use)");
  flag(sub, "--no-pin", t.bench_no_pin, "do not pin them");
  text(sub, "--filter", "REGEX", o.filter,
       "run only the benchmarks matching REGEX (names as in\nresults.csv: '^BM_Syscall_Null$' works)");
  text(sub, "--out", "DIR", o.out_dir, "output directory, created if missing (default .)");
  run_columns(sub, o);
  text(sub, "--state", "FILE", o.state_file,
       "isolation state in the module's key=value format (default\n/sys/kernel/debug/ptilab/state if readable, "
       "else the kernel's\nmeltdown sysfs file and /proc/cpuinfo)");
  text(sub, "--name-suffix", "SUFFIX", o.name_suffix,
       "append SUFFIX to every benchmark name in results.csv\n(e.g. +extra_cr3=4); benchmarks.json stays raw");
  text(
      sub, "--counters", "LIST", [&o](const std::string& v) { o.counters = parse_counter_list(v); },
      "perf events to count per iteration, comma-separated: any\nname libpfm4 knows (cycles, instructions,\n"
      "dTLB-load-misses, context-switches, page-faults, ...),\nkernel and user mode, ptilab and its threads and "
      "children;\nresults.csv gets one row per benchmark and event (unit\nper_op). An event this machine cannot "
      "count is a warning\nand a not_supported row, never a zero");
  flag(sub, "--trace", o.trace,
       "also count with the eBPF tracer (ptilab trace; root, kernel\nBTF) system calls, interrupts, page faults, "
       "context and mm\nswitches and TLB flushes per iteration, system-wide, plus\nthe derived kernel entries and "
       "CR3 writes: rows\ntrace:<count>_per_op. The tracer's own cost is in the times");
  CLI::Option* map = text(
      sub, "--map", "GRID",
      [&o](const std::string& v) {
        if (!bench::map_grid(v)) bad_value("--map", "full or quick", v);
        o.map = v;
      },
      "also the overhead map: BM_Map/rate:R/ws:W/thp:H, a null\nsystem call between page reads over a W-byte working set\n"
      "sized for R calls per second, 4 KiB or huge pages (full:\n7 rates x 5 working sets x 2; quick: 3 x 2 x 1)");
  text(sub, "--map-reads", "RESULTS.csv", o.map_reads,
       "the map's page reads per call (reads_per_op rows of this\narch) from an earlier run, instead of "
       "calibrating: the same\nwork per call on both sides of an on/off pair")
      ->needs(map);
  text(sub, "--replay", "DIR", o.replay,
       "make DIR/results.csv again from DIR's benchmarks.json and\nrun.txt; takes only --out");
  c.run = [&t] {
    auto& b = t.bench;
    b.pin = !t.bench_no_pin;
    if (b.cpu && !b.pin) throw UsageError("--cpu and --no-pin contradict each other");
    if (b.filter) check_regex(*b.filter);
    if (b.replay) {
      for (const CLI::Option* opt : t.bench_app()->get_options())
        if (opt->count() > 0 && opt->get_name() != "--out" && opt->get_name() != "--replay")
          throw UsageError("--replay DIR makes results.csv from DIR's recording: it takes only --out, not " +
                           opt->get_name());
      if (!t.passthrough.empty())
        throw UsageError("--replay DIR makes results.csv from DIR's recording: it takes only --out, not --");
    }
    b.passthrough = t.passthrough;
    return run_bench(b, t.argv0.c_str());
  };
}

void add_merge(CLI::App& app, Commands& t) {
  auto& o = t.merge;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "merge", "ptilab merge -o OUT.csv IN.csv...", "concatenate results CSVs",
                          "Concatenate results CSVs (all with the ptilab header) into OUT.csv, atomically;\n"
                          "OUT.csv may be one of the inputs.");
  text(sub, "-o,--output", "OUT.csv", o.out, "the merged CSV")->required();
  sub->add_option("IN.csv", o.inputs, "results CSVs, in order")->type_name("")->required();
  c.run = [&o] { return run_merge(o); };
}

void add_table(CLI::App& app, Commands& t) {
  auto& o = t.table;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "table",
                          "ptilab table [--macro-csv | --map-csv | --predict-csv | --locality-csv] CSV...",
                          "the on/off table, the macro tier, the overhead map and kernel text locality",
                          "Print mean ns per operation per benchmark and configuration, with the pti on/off\n"
                          "ratio; then the macro tier (the build, pgbench, Redis): real, user and sys time\n"
                          "off and on (+x%), kernel entries per second, and the geometric mean of the on/off\n"
                          "ratios with its interval; then the overhead map (ptilab bench --map): the loss per\n"
                          "working set and rate, with its interval, and the rates the cells ran at; then\n"
                          "kernel text locality (BM_Numa_*/node:N): per configuration the time on each NUMA\n"
                          "node, and each node's over the node holding the kernel's text, with its interval.");
  CLI::Option* macro = flag(sub, "--macro-csv", o.macro_csv, "only the macro tier, as CSV (what the report reads)");
  CLI::Option* map = flag(sub, "--map-csv", o.map_csv, "only the overhead map, as CSV (what the report reads)");
  map->excludes(macro);
  CLI::Option* predict =
      flag(sub, "--predict-csv", o.predict_csv,
           "only the map's predictions for the traced benchmarks against\ntheir measured loss, as CSV (likewise)");
  predict->excludes(macro)->excludes(map);
  flag(sub, "--locality-csv", o.locality_csv,
       "only kernel text locality (the per-node benchmarks), as CSV\n(likewise)")
      ->excludes(macro)
      ->excludes(map)
      ->excludes(predict);
  sub->add_option("CSV", o.inputs, "results CSVs")->type_name("")->required();
  c.run = [&o] { return run_table(o); };
}

void add_compare(CLI::App& app, Commands& t) {
  auto& o = t.compare;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(
      app, c, "compare",
      "ptilab compare [--where COL=VAL] [--a-where COL=VAL] [--b-where COL=VAL]\n"
      "                      [--metric NAME] [--confidence C] [--format table|csv|markdown]\n"
      "                      [--out FILE] A B",
      "B against A, with confidence intervals",
      "Compare B against A (each a result directory holding results.csv, or a results\n"
      "CSV): per benchmark and metric the delta (B-A)/A in %, its confidence interval\n"
      "(Fieller, Welch's t) and a verdict: slower/faster (higher/lower for non-time\n"
      "units) or no significant difference. Default: every metric with a value, stddev\n"
      "and repetitions on both sides.");
  repeated(
      sub, "--where", "COL=VAL",
      [&o](const std::string& w) {
        const auto f = parse_row_filter("--where", w);
        o.spec.a_where.push_back(f);
        o.spec.b_where.push_back(f);
      },
      "keep only rows whose column COL is VAL, in A and B");
  repeated(
      sub, "--a-where", "COL=VAL",
      [&o](const std::string& w) { o.spec.a_where.push_back(parse_row_filter("--a-where", w)); },
      "the same for A only (e.g. pti=off)");
  repeated(
      sub, "--b-where", "COL=VAL",
      [&o](const std::string& w) { o.spec.b_where.push_back(parse_row_filter("--b-where", w)); },
      "the same for B only. All three repeat; every filter must match");
  repeated(sub, "--metric", "NAME", [&o](const std::string& m) { o.spec.metrics.push_back(m); },
           "compare this metric (repeatable)");
  text(
      sub, "--confidence", "C",
      [&o](const std::string& v) {
        const auto n = parse_number(v);
        if (!n || !(*n > 0 && *n < 1)) bad_value("--confidence", "a number between 0 and 1 (e.g. 0.95)", v);
        o.spec.confidence = *n;
      },
      "confidence level, 0 < C < 1 (default 0.95)");
  text(
      sub, "--format", "FORMAT",
      [&o](const std::string& v) {
        if (v == "table")
          o.format = CompareFormat::kTable;
        else if (v == "csv")
          o.format = CompareFormat::kCsv;
        else if (v == "markdown")
          o.format = CompareFormat::kMarkdown;
        else
          bad_value("--format", "table, csv or markdown", v);
      },
      "table (default), csv or markdown");
  text(sub, "--out", "FILE", o.out, "write there atomically instead of to stdout");
  sub->add_option("A", o.a, "the baseline: a result directory or a results CSV")->type_name("")->required();
  sub->add_option("B", o.b, "compared against A")->type_name("")->required();
  c.run = [&o] { return run_compare(o); };
}

void add_counters(CLI::App& app, Commands& t) {
  auto& o = t.counters;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "counters", "ptilab counters [EVENT...]", "which perf events can be counted here",
                          "Whether each perf EVENT (default: cycles, instructions, dTLB-load-misses,\n"
                          "iTLB-load-misses, context-switches, page-faults, cpu-migrations) can be counted\n"
                          "here, libpfm4's name for it, and why not; exit status 1 if libpfm4 does not know\n"
                          "an EVENT.");
  sub->add_option_function<std::vector<std::string>>(
      "EVENT",
      [&o](const std::vector<std::string>& v) {
        for (const auto& e : v) {
          if (e.empty()) throw UsageError("counters: empty event name");
          o.events.push_back(e);
        }
      },
      "perf events, as libpfm4 or perf names them")
      ->type_name("");
  c.run = [&o] { return run_counters(o); };
}

void add_query(CLI::App& app, Commands& t) {
  auto& o = t.query;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "query",
                          "ptilab query CSV... [--benchmark B] [--metric M] [--where COL=VAL]...\n"
                          "                    [--print COL | --csv [-o FILE]]",
                          "rows of results CSVs, one column or as CSV",
                          "Print the COL column (--print COL, default value) of every row of the results\n"
                          "CSVs whose benchmark and metric match (exact, or a prefix ending in '*':\n"
                          "--metric 'trace:*') and every --where COL=VAL; --csv: the matching rows as a\n"
                          "results CSV (to stdout, or atomically to -o).");
  text(sub, "--benchmark", "B", o.benchmark, "the benchmark, or a prefix ending in '*'");
  text(sub, "--metric", "M", o.metric, "the metric, or a prefix ending in '*'");
  repeated(
      sub, "--where", "COL=VAL", [&o](const std::string& w) { o.where.push_back(parse_row_filter("--where", w)); },
      "keep only rows whose column COL is VAL (repeatable)");
  CLI::Option* print = text(
      sub, "--print", "COL",
      [&o](const std::string& v) {
        if (!result_field(ResultRow{}, v)) throw UsageError("--print: unknown column '" + v + "'");
        o.print = v;
      },
      "the column printed per row (default value)");
  CLI::Option* csv = flag(sub, "--csv", o.csv, "the matching rows as a results CSV");
  csv->excludes(print);
  text(sub, "-o,--output", "FILE", o.out, "with --csv: write there atomically")->needs(csv);
  sub->add_option("CSV", o.inputs, "results CSVs")->type_name("")->required();
  c.run = [&o] { return run_query(o); };
}

void add_schema(CLI::App& app, Commands& t) {
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "schema", "ptilab schema [--json]", "the results CSV's header",
                          "The results CSV header, one line; --json: {\"columns\": [...], \"units\": [...],\n"
                          "\"workload_benchmarks\": [...], \"workload_metrics\": {name: unit}}: the schema\n"
                          "every consumer checks against.");
  flag(sub, "--json", t.schema_json, "as JSON");
  c.run = [&t] { return run_schema(t.schema_json); };
}

void add_profiles(CLI::App& app, Commands& t) {
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "profiles", "ptilab profiles [--json]", "what ptilab knows of each architecture",
                          "What ptilab knows of each architecture: isolation (PTI, KPTI), its columns and\n"
                          "reason key, the page-table register, the probes; --json: everything, with every\n"
                          "reason's sentence (the report's).");
  flag(sub, "--json", t.profiles_json, "as JSON");
  c.run = [&t] { return run_profiles(t.profiles_json); };
}

void add_status(CLI::App& app, Commands& t) {
  auto& o = t.status;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "status", "ptilab status [--json] [--debugfs DIR]",
                          "isolation here: on or off, why, and what would change it",
                          "Explain page-table isolation here: on or off and why, PCID, what a CR3 write\n"
                          "costs (probed when the module is loaded and writable), what would change it and\n"
                          "whether that is safe, what is unknown. Without the module it infers what it can\n"
                          "from the meltdown sysfs file, /proc/cpuinfo and /proc/cmdline.");
  flag(sub, "--json", o.json, "one JSON object instead of text");
  text(sub, "--debugfs", "DIR", o.debugfs, kDebugfsHelp);
  c.run = [&o] { return run_status(o); };
}

void add_probe(CLI::App& app, Commands& t) {
  auto& o = t.probe;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "probe", "ptilab probe [NAME...] [--all] [--iterations N] [--json] [--debugfs DIR]",
                          "time the module's primitives",
                          "Time the module's primitives (cr3_noflush, cr3_flush, invpcid_*, flush_tlb_*; on\n"
                          "arm64 ttbr*_isb, tlbi_*, isb) in cycles or timer ticks; no NAME: every supported\n"
                          "one. Needs ptilab.ko.");
  flag(sub, "--all", o.all, "every supported primitive (with NAMEs: those too)");
  integer(sub, "--iterations", "N", kMinProbeIterations, kMaxProbeIterations,
          [&o](long v) { o.iterations = static_cast<int>(v); }, "samples per primitive, 1..200000 (default 10000)");
  flag(sub, "--json", o.json, "a JSON array instead of the table");
  text(sub, "--debugfs", "DIR", o.debugfs, kDebugfsHelp);
  sub->add_option("NAME", o.names, "primitives to time")->type_name("");
  c.run = [&o] { return run_probe_cmd(o); };
}

void add_hook(CLI::App& app, Commands& t) {
  auto& o = t.hook;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "hook",
                          "ptilab hook extra-cr3 --writes N (--pid PID | -- CMD [ARG...])\n"
                          "       ptilab hook flush (--pid PID | -- CMD [ARG...])\n"
                          "       ptilab hook remove [extra-cr3|flush|all]\n"
                          "       ptilab hook status [--json]",
                          "make one process's system calls pay extra",
                          "Make one process's system calls pay extra: extra-cr3 adds N CR3 writes (0..16)\n"
                          "per syscall, flush a TLB flush. Needs the module loaded with allow_hooks=1.\n"
                          "ptilab hook ACTION --help: that action's options.");
  sub->require_subcommand(1);
  c.passthrough = true;

  auto install = [&](const std::string& name, HookKind kind, const std::string& synopsis,
                     const std::string& what) {
    Command& ic = t.list.emplace_back();
    CLI::App* h = command(*sub, ic, name, synopsis, what,
                          what + ". --pid PID hooks a running process (until\n"
                                 "`hook remove` or its exit: the module drops a hook whose process is gone);\n"
                                 "-- CMD runs CMD hooked and removes the hook when it exits (exit status: CMD's).");
    ic.passthrough = true;
    if (kind == HookKind::kExtraCr3)
      integer(h, "--writes", "N", 0, kMaxHookWrites, [&o](long v) { o.writes = static_cast<int>(v); },
              "extra CR3 writes per system call, 0..16")
          ->required();
    integer(h, "--pid", "PID", 1, kMaxPid, [&o](long v) { o.pid = v; }, "the process to hook");
    text(h, "--debugfs", "DIR", o.debugfs, kDebugfsHelp);
    ic.run = [&t, &o, kind, name] {
      o.action = HookOptions::Action::kInstall;
      o.kinds = {kind};
      o.command = t.passthrough;
      if (t.saw_separator && o.command.empty()) throw UsageError("-- needs a command");
      if (o.pid.has_value() == !o.command.empty())
        throw UsageError("hook " + name + " needs either --pid PID or -- CMD [ARG...]");
      return run_hook_cmd(o);
    };
  };
  install("extra-cr3", HookKind::kExtraCr3, "ptilab hook extra-cr3 --writes N (--pid PID | -- CMD [ARG...])",
          "Add N CR3 writes to every system call of one process");
  install("flush", HookKind::kFlush, "ptilab hook flush (--pid PID | -- CMD [ARG...])",
          "Flush the TLB on every system call of one process");

  Command& rc = t.list.emplace_back();
  CLI::App* remove = command(*sub, rc, "remove", "ptilab hook remove [extra-cr3|flush|all]", "remove hooks",
                             "Remove the named hook, or both (all, the default).");
  remove->add_option("HOOK", t.hook_remove, "extra-cr3, flush or all (default all)")
      ->type_name("")
      ->check(CLI::IsMember({"extra-cr3", "flush", "all"}));
  text(remove, "--debugfs", "DIR", o.debugfs, kDebugfsHelp);
  rc.run = [&t, &o] {
    o.action = HookOptions::Action::kRemove;
    if (t.hook_remove == "extra-cr3")
      o.kinds = {HookKind::kExtraCr3};
    else if (t.hook_remove == "flush")
      o.kinds = {HookKind::kFlush};
    else
      o.kinds = {HookKind::kExtraCr3, HookKind::kFlush};
    return run_hook_cmd(o);
  };

  Command& sc = t.list.emplace_back();
  CLI::App* status = command(*sub, sc, "status", "ptilab hook status [--json]", "what is hooked",
                             "The hooks: installed or not, for which process, how often they fired.");
  flag(status, "--json", o.json, "one JSON object instead of text");
  text(status, "--debugfs", "DIR", o.debugfs, kDebugfsHelp);
  sc.run = [&o] {
    o.action = HookOptions::Action::kStatus;
    return run_hook_cmd(o);
  };
}

void add_snapshot(CLI::App& app, Commands& t) {
  auto& o = t.snapshot;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "snapshot",
                          "ptilab snapshot --out FILE.csv [--run-id ID] [--host NAME] [--accel NAME]\n"
                          "                       [--probes] [--iterations N] [--audit] [--debugfs DIR]\n"
                          "                       [--record DIR]\n"
                          "       ptilab snapshot --out FILE.csv --replay DIR",
                          "the state, the CPU, probes and audit as results rows",
                          "Write the module's state with every *_reason, the CPU (cpuinfo's model; arm64:\n"
                          "MIDR decoded; $PTILAB_CPU and $PTILAB_QEMU: the emulated CPU model and QEMU's\n"
                          "version, as scripts/vm sets them), with --probes every primitive's timing, with\n"
                          "--audit the page-table audit summary, as results CSV rows to FILE.csv; the run\n"
                          "columns as `ptilab bench` fills them. Without the module the state is what the\n"
                          "kernel's files say (row state source=kernel).");
  text(sub, "--out", "FILE.csv", o.out, "where the rows go (atomically)")->required();
  run_columns(sub, o);
  flag(sub, "--probes", o.probes, "time every primitive (--iterations N, default 10000)");
  integer(sub, "--iterations", "N", kMinProbeIterations, kMaxProbeIterations,
          [&o](long v) { o.iterations = static_cast<int>(v); }, "samples per primitive, 1..200000");
  flag(sub, "--audit", o.audit, "add the ptaudit summary (pages per kernel region)");
  text(sub, "--debugfs", "DIR", o.debugfs, kDebugfsHelp);
  CLI::Option* record = text(sub, "--record", "DIR", o.record, "also save every input read (sys/, debugfs/, run.txt)");
  text(sub, "--replay", "DIR", o.replay, "make the rows again from such a recording")->excludes(record);
  c.run = [&o] {
    if (o.replay && (o.run_id || o.host || o.accel || o.probes || o.audit))
      throw UsageError(
          "snapshot --replay DIR takes the run's columns, probes and audit from DIR: only --out goes with it");
    return run_snapshot(o);
  };
}

void add_trace(CLI::App& app, Commands& t) {
  auto& o = t.trace;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "trace",
                          "ptilab trace [-p PID] [-i SEC] [-d SEC] [--csv FILE] [--prometheus FILE] [--top N]\n"
                          "                    [--per-cpu] [-q] [--estimate [--cost-from RESULTS.csv |\n"
                          "                    --map RESULTS.csv [--ws SIZE [--thp]]]] [--btf FILE] [-v]",
                          "count kernel entries, mm switches and TLB flushes with eBPF",
                          "Count kernel entries, context switches (and those that change mm: a CR3/TTBR0\n"
                          "write) and TLB flushes by reason with eBPF, per CPU and per process, one row of\n"
                          "rates per interval as `perf stat -I`; Ctrl-C (or -d, or the -p process's exit)\n"
                          "prints totals and the derived kernel entries and CR3 writes per second. Needs\n"
                          "root and the kernel's BTF (/sys/kernel/btf/vmlinux); no tracefs needed.\n"
                          "--prometheus FILE keeps FILE, for node_exporter's textfile collector, up to date\n"
                          "at every interval until stopped (SIGTERM, SIGINT): the isolation state, the\n"
                          "module's probe while it is loaded, rates and counts, the estimate.");
  integer(sub, "-p,--pid", "PID", 1, kMaxPid, [&o](long v) { o.pid = static_cast<std::uint32_t>(v); },
          "count only this process");
  seconds(
      sub, "-i,--interval",
      [&o](double v) {
        if (v < 0.01) throw UsageError("--interval must be at least 0.01 seconds");
        o.interval = v;
      },
      "interval (default 1)");
  seconds(sub, "-d,--duration", [&o](double v) { o.duration = v; }, "stop after SEC seconds (default: at Ctrl-C)");
  text(sub, "--csv", "FILE", o.csv,
       "write totals as results CSV rows (benchmark trace,\ntrace:<comm>:<pid> for the top processes)");
  text(sub, "--prometheus", "FILE", o.prometheus,
       "rewrite FILE atomically at every interval in Prometheus's\ntext format (as ptilab export does; "
       "--top 0 -q for a\nlong-running exporter)");
  integer(sub, "--top", "N", 0, 1000, [&o](long v) { o.top = static_cast<int>(v); },
          "processes shown per interval and in the totals\n(default 5; 0: none)");
  flag(sub, "--per-cpu", o.per_cpu, "a row per CPU too");
  flag(sub, "-q,--quiet", o.quiet, "no interval rows, only the totals");
  CLI::Option* estimate =
      flag(sub, "--estimate", o.estimate,
           "estimate the CPU share isolation costs this workload:\nmeasured rates x cost per entry and mm switch, "
           "from\n--cost-from RESULTS.csv (a pti=on and a pti=off run of\nptilab bench) or else the module's CR3 "
           "probe");
  CLI::Option* cost = text(sub, "--cost-from", "RESULTS.csv", o.cost_from, "the costs for --estimate")->needs(estimate);
  CLI::Option* map = text(sub, "--map", "RESULTS.csv", o.map,
                          "--estimate from the overhead map in RESULTS.csv (ptilab bench\n--map): the loss predicted "
                          "at this workload's system calls +\ncontext switches per busy CPU-second and working set")
                         ->needs(estimate)
                         ->excludes(cost);
  map_reading(sub, o, map,
              "the workload's working set for --map (default: with -p, the\npages it references in the interval; "
              "system-wide, a\nprediction per working set of the map)");
  run_columns(sub, o);
  text(sub, "--state", "FILE", o.state_file, "isolation state in the module's key=value format, as for bench");
  flag(sub, "-v,--verbose", o.verbose, "libbpf's messages");
  c.run = [&o] { return run_trace(o); };
}

void add_export(CLI::App& app, Commands& t) {
  auto& o = t.export_;
  Command& c = t.list.emplace_back();
  CLI::App* sub = command(app, c, "export",
                          "ptilab export --prometheus FILE [-i SEC] [--cost-from RESULTS.csv |\n"
                          "                     --map RESULTS.csv [--ws SIZE [--thp]]] [--btf FILE] [--debugfs DIR] [-v]",
                          "isolation's state and live cost as Prometheus metrics",
                          "Write FILE atomically in Prometheus's text exposition format, for node_exporter's\n"
                          "textfile collector: whether isolation is on and why (labels arch, kernel,\n"
                          "reason), the Meltdown bug, PCID (x86) or E0PD (arm64) and KASLR, what a\n"
                          "page-table write costs (the module's probe, when loaded), kernel entries, mm\n"
                          "switches and TLB flushes per second over -i SEC of tracing (root and BTF;\n"
                          "without them the state alone, ptilab_tracer_up 0), and the estimated share of\n"
                          "CPU isolation costs (the module's probe, --cost-from, or the overhead map).\n"
                          "ptilab trace --prometheus FILE keeps such a file up to date.");
  text(sub, "--prometheus", "FILE", o.prometheus, "the .prom file to write (atomically)")->required();
  text(
      sub, "-i,--interval", "SEC",
      [&o](const std::string& v) {
        const auto n = parse_number(v);
        if (!n || !(*n >= 0) || *n > 86400) bad_value("--interval", "seconds, 0 (no trace) to 86400", v);
        o.interval = *n;
      },
      "trace this long first (default 1; 0: the state only)");
  CLI::Option* cost = text(sub, "--cost-from", "RESULTS.csv", o.cost_from,
                           "price kernel entries and mm switches from an isolation on\nand off pair of ptilab bench "
                           "(default: the module's probe)");
  CLI::Option* map =
      text(sub, "--map", "RESULTS.csv", o.map, "also the overhead map's prediction (ptilab bench --map)")
          ->excludes(cost);
  map_reading(sub, o, map, "the working set to read the map at (default: each of its own)");
  flag(sub, "-v,--verbose", o.verbose, "libbpf's messages");
  c.run = [&o] { return run_export(o); };
}

}  // namespace

CLI::App* Commands::bench_app() const { return list.front().app; }

void add_commands(CLI::App& app, Commands& table) {
  add_bench(app, table);
  add_merge(app, table);
  add_table(app, table);
  add_compare(app, table);
  add_counters(app, table);
  add_status(app, table);
  add_probe(app, table);
  add_hook(app, table);
  add_snapshot(app, table);
  add_query(app, table);
  add_schema(app, table);
  add_profiles(app, table);
  add_trace(app, table);
  add_export(app, table);
}

}  // namespace ptilab::cli
