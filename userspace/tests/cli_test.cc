// Runs the real ptilab binary (PTILAB_BINARY, set by CMake).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "results/results.h"
#include "test_util.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;
using testing::write_file;

using testing::Outcome;
using testing::run_ptilab;

std::size_t line_count(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, NoArgumentsIsUsageError) {
  const auto o = run_ptilab({});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("usage: ptilab bench"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty());
}

TEST(Cli, UnknownSubcommandIsUsageError) {
  const auto o = run_ptilab({"frobnicate"});
  EXPECT_EQ(o.status, 2);
  EXPECT_TRUE(o.err.starts_with("ptilab: unknown subcommand 'frobnicate'\n")) << o.err;
  EXPECT_NE(o.err.find("usage:"), std::string::npos);
}

TEST(Cli, BadOptionsAreUsageErrors) {
  TempDir dir;
  const std::string out = (dir / "out").string();
  const std::vector<std::vector<std::string>> cases = {
      {"bench", "--bogus", "--out", out},
      {"bench", "--repetitions", "zero", "--out", out},
      {"bench", "--repetitions=0", "--out", out},
      {"bench", "--repetitions", "2x", "--out", out},
      {"bench", "--min-time", "-1", "--out", out},
      {"bench", "--min-time=0.5s", "--out", out},
      {"bench", "--out", out, "--min-time"},
      {"bench", "--quick=yes", "--out", out},
      {"bench", "--host=", "--out", out},
      {"bench", "stray", "--out", out},
      {"bench", "--cpu", "-1", "--out", out},
      {"bench", "--cpu", "1024", "--out", out},
      {"bench", "--cpu", "one", "--out", out},
      {"bench", "--cpu", "0", "--no-pin", "--out", out},
      {"bench", "--no-pin=yes", "--out", out},
      {"bench", "--map-reads", "x.csv", "--out", out},
      {"bench", "--map", "huge", "--out", out},
      {"merge", "a.csv"},
      {"merge", "-o", (dir / "m.csv").string()},
      {"merge", "-o"},
      {"table"},
      {"table", "--wide", "x.csv"},
  };
  for (const auto& args : cases) {
    const auto o = run_ptilab(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(o.status, 2) << joined << "\n" << o.err;
    EXPECT_NE(o.err.find("usage:"), std::string::npos) << joined;
  }
  // Rejected before anything was created.
  EXPECT_EQ(dir.entries(), std::set<std::string>{});
}

TEST(Cli, UnknownGoogleBenchmarkFlagIsUsageErrorAndWritesNothing) {
  TempDir dir;
  const auto o = run_ptilab({"bench", "--out", dir.path().string(), "--", "--benchmark_no_such_flag=1"});
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_NE(o.err.find("--benchmark_no_such_flag=1"), std::string::npos) << o.err;
  EXPECT_EQ(dir.entries(), std::set<std::string>{});
}

TEST(Cli, HelpGoesToStdout) {
  const auto o = run_ptilab({"help"});
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.out.find("usage: ptilab bench"), std::string::npos);
  EXPECT_EQ(run_ptilab({"bench", "--help"}).status, 0);
}

// --version prints debian/changelog's newest version, the one the Debian
// packages carry (dpkg-parsechangelog reads the same line).
TEST(Cli, VersionIsTheChangelogs) {
  std::ifstream changelog(std::string(PTILAB_SCRIPTS_DIR) + "/../debian/changelog");
  std::string first;
  ASSERT_TRUE(std::getline(changelog, first)) << "no debian/changelog";
  const auto open = first.find('('), close = first.find(')');
  ASSERT_TRUE(first.starts_with("ptilab (") && close != std::string::npos) << first;
  const auto o = run_ptilab({"--version"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "ptilab " + first.substr(open + 1, close - open - 1) + "\n");
  EXPECT_TRUE(o.err.empty()) << o.err;
}

// Every command's --help is its own: its synopsis first, then an option
// only it has; `ptilab help COMMAND` prints the same.
TEST(Cli, EveryCommandHasItsOwnHelp) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"bench"}, "--repetitions N"},       {{"merge"}, "-o,--output OUT.csv"},
      {{"table"}, "--macro-csv"},            {{"compare"}, "--confidence C"},
      {{"counters"}, "EVENT"},               {{"status"}, "--debugfs DIR"},
      {{"probe"}, "--iterations N"},         {{"hook"}, "extra-cr3"},
      {{"hook", "extra-cr3"}, "--writes N"}, {{"hook", "flush"}, "--pid PID"},
      {{"hook", "remove"}, "HOOK"},          {{"hook", "status"}, "--json"},
      {{"snapshot"}, "--record DIR"},        {{"query"}, "--print COL"},
      {{"schema"}, "--json"},                {{"profiles"}, "--json"},
      {{"trace"}, "--cost-from RESULTS.csv"},
  };
  for (const auto& [command, option] : cases) {
    std::vector<std::string> args = command;
    std::string name = "ptilab";
    for (const auto& c : command) name += " " + c;
    args.push_back("--help");
    const auto o = run_ptilab(args);
    EXPECT_EQ(o.status, 0) << name << ": " << o.err;
    EXPECT_TRUE(o.out.starts_with("usage: " + name + " ")) << o.out;
    EXPECT_NE(o.out.find(option), std::string::npos) << name << " --help lacks " << option << ":\n" << o.out;
    EXPECT_TRUE(o.err.empty()) << o.err;
    if (command.size() == 1) {
      EXPECT_EQ(run_ptilab({"help", command[0]}).out, o.out) << name;
    }
  }
  // A usage error prints the help of the command it is about.
  const auto bad = run_ptilab({"probe", "--iterations", "0"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_TRUE(bad.err.starts_with("ptilab: --iterations must be an integer from 1 to 200000, got '0'\n\nusage: ptilab probe"))
      << bad.err;
  EXPECT_EQ(run_ptilab({"help", "frobnicate"}).status, 2);
}

TEST(Cli, RuntimeFailureIsOneLineAndExitOne) {
  TempDir dir;
  const auto o = run_ptilab({"table", (dir / "missing.csv").string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(o.err.starts_with("ptilab: cannot read " + (dir / "missing.csv").string())) << o.err;
  EXPECT_EQ(line_count(o.err), 1u) << o.err;
}

std::string results_csv(const std::string& pti, double mean) {
  RunInfo run;
  run.run_id = "r";
  run.arch = "x86_64";
  run.kernel = "6.1.0-56-amd64";
  run.accel = "tcg";
  run.pti = pti;
  run.pcid = "off";
  return format_results(make_result_rows(run, {{"BM_Syscall_Null", mean, mean, 1, 5}}));
}

TEST(Cli, MergeThenTable) {
  TempDir dir;
  write_file(dir / "on.csv", results_csv("on", 200));
  write_file(dir / "off.csv", results_csv("off", 100));
  auto o = run_ptilab({"merge", "-o", (dir / "all.csv").string(), (dir / "on.csv").string(), (dir / "off.csv").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(read_results(dir / "all.csv").size(), 4u);
  o = run_ptilab({"table", (dir / "all.csv").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("arch=x86_64 kernel=6.1.0-56-amd64 accel=tcg\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("2.00x"), std::string::npos) << o.out;
}

TEST(Cli, MergeHeaderMismatchNamesFile) {
  TempDir dir;
  write_file(dir / "on.csv", results_csv("on", 200));
  write_file(dir / "other.csv", "a,b,c\n1,2,3\n");
  const auto o =
      run_ptilab({"merge", "-o", (dir / "all.csv").string(), (dir / "on.csv").string(), (dir / "other.csv").string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find((dir / "other.csv").string() + ": not a ptilab results file"), std::string::npos) << o.err;
  EXPECT_EQ(line_count(o.err), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir / "all.csv"));
}

const char* const kState = "arch=x86_64\nkernel=whatever\npti=on\npcid=off\nfuture=1\n";

// A real but tiny run: both files, parseable, positive finite times.
TEST(Cli, BenchSmoke) {
  TempDir dir;
  write_file(dir / "state.txt", kState);
  const auto out = dir / "out";
  const auto o = run_ptilab({"bench", "--filter", "BM_Syscall_Null", "--repetitions", "2", "--min-time", "0.01", "--out",
                             out.string(), "--state", (dir / "state.txt").string(), "--host", "testhost", "--accel",
                             "tcg", "--run-id", "run-1"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("BM_Syscall_Null"), std::string::npos) << o.out;  // the console table
  // The four files, and no temporary file left over.
  ASSERT_EQ(testing::dir_entries(out),
            (std::set<std::string>{"benchmarks.json", "results.csv", "run.txt", "warnings.txt"}));
  // The recording gives the same rows again, without running anything.
  const auto again = dir / "again";
  const auto replayed = run_ptilab({"bench", "--replay", out.string(), "--out", again.string()});
  ASSERT_EQ(replayed.status, 0) << replayed.err;
  EXPECT_EQ(slurp(again / "results.csv"), slurp(out / "results.csv"));
  EXPECT_EQ(run_ptilab({"bench", "--replay", out.string(), "--quick"}).status, 2);
  const auto not_a_run = run_ptilab({"bench", "--replay", dir.path().string(), "--out", again.string()});
  EXPECT_EQ(not_a_run.status, 1);
  EXPECT_NE(not_a_run.err.find("no run.txt"), std::string::npos) << not_a_run.err;

  const auto rows = read_results(out / "results.csv");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.benchmark, "BM_Syscall_Null");
    EXPECT_EQ(r.run_id, "run-1");
    EXPECT_EQ(r.host, "testhost");
    EXPECT_EQ(r.accel, "tcg");
    EXPECT_EQ(r.pti, "on");  // from the state file
    EXPECT_EQ(r.pcid, "off");
    EXPECT_EQ(r.repetitions, "2");
    EXPECT_EQ(r.unit, r.metric == "ns_per_op_cv" ? "%" : "ns");
    EXPECT_EQ(r.timestamp.size(), 20u) << r.timestamp;
    const auto v = parse_number(r.value);
    ASSERT_TRUE(v) << r.value;
    EXPECT_TRUE(std::isfinite(*v) && *v > 0) << r.value;
  }
  EXPECT_EQ(rows[0].metric, "ns_per_op");
  EXPECT_TRUE(parse_number(rows[0].stddev)) << rows[0].stddev;
  EXPECT_EQ(rows[1].metric, "ns_per_op_median");
  EXPECT_EQ(rows[1].stddev, "");
  // The CV row agrees with the mean row's own numbers.
  EXPECT_EQ(rows[2].metric, "ns_per_op_cv");
  EXPECT_EQ(rows[2].stddev, "");
  EXPECT_NEAR(*parse_number(rows[2].value), 100 * *parse_number(rows[0].stddev) / *parse_number(rows[0].value), 1e-5);
  // Every warning printed is saved, one per line, and nothing else is.
  std::string printed;
  for (std::size_t at = 0; (at = o.err.find("ptilab: warning: ", at)) != std::string::npos;) {
    at += std::string_view("ptilab: warning: ").size();
    const auto end = o.err.find('\n', at);
    printed += o.err.substr(at, end - at + 1);
  }
  EXPECT_EQ(slurp(out / "warnings.txt"), printed) << o.err;
  // The single-process benchmarks say where they ran.
  EXPECT_NE(o.out.find("ptilab: single-process benchmarks pinned to CPU "), std::string::npos) << o.out;

  // The raw JSON is Google Benchmark's, complete, with every repetition.
  const auto json = nlohmann::json::parse(slurp(out / "benchmarks.json"));
  ASSERT_TRUE(json.contains("benchmarks"));
  int iterations = 0;
  double json_mean = 0;
  for (const auto& b : json["benchmarks"]) {
    if (b["run_type"] == "iteration") ++iterations;
    if (b["run_type"] == "aggregate" && b["aggregate_name"] == "mean") {
      ASSERT_EQ(b["time_unit"], "ns");
      json_mean = b["real_time"].get<double>();
    }
  }
  EXPECT_EQ(iterations, 2);
  // Collected in process, not parsed back, yet the same number.
  EXPECT_NEAR(*parse_number(rows[0].value), json_mean, json_mean * 1e-6);
}

TEST(Cli, BenchCpuOutsideTheAllowedSetFailsBeforeWriting) {
  TempDir dir;
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  int forbidden = 0;
  while (forbidden < CPU_SETSIZE && CPU_ISSET(forbidden, &set)) ++forbidden;
  ASSERT_LT(forbidden, 1024);
  const auto out = dir / "out";
  const auto o = run_ptilab({"bench", "--filter", "BM_Syscall_Null", "--cpu", std::to_string(forbidden), "--out",
                             out.string()});
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_NE(o.err.find("--cpu " + std::to_string(forbidden) + ": not one of the CPUs"), std::string::npos) << o.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cli, BenchNoPinSaysSo) {
  TempDir dir;
  const auto o = run_ptilab({"bench", "--filter", "^BM_Syscall_Null$", "--no-pin", "--repetitions", "1",
                             "--min-time", "0.01", "--out", dir.path().string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("ptilab: single-process benchmarks not pinned (--no-pin)"), std::string::npos) << o.out;
  // One repetition: no CV row (a spread of one sample means nothing).
  const auto rows = read_results(dir / "results.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].benchmark, "BM_Syscall_Null");
}

TEST(Cli, FailedBenchLeavesEarlierFilesAlone) {
  TempDir dir;
  write_file(dir / "state.txt", kState);
  write_file(dir / "results.csv", "earlier csv\n");
  write_file(dir / "benchmarks.json", "earlier json\n");
  const auto o = run_ptilab({"bench", "--filter", "BM_No_Such_Benchmark", "--repetitions", "2", "--min-time", "0.01",
                             "--out", dir.path().string(), "--state", (dir / "state.txt").string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find("ptilab: no benchmark matches the filter 'BM_No_Such_Benchmark'"), std::string::npos) << o.err;
  EXPECT_EQ(slurp(dir / "results.csv"), "earlier csv\n");
  EXPECT_EQ(slurp(dir / "benchmarks.json"), "earlier json\n");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"benchmarks.json", "results.csv", "state.txt"}));
}

// Interrupted (Ctrl-C, timeout's SIGTERM, a closed terminal's SIGHUP), a
// bench leaves none of its temporary files and dies of the signal.
TEST(Cli, InterruptedBenchLeavesNoTemporaryFiles) {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    TempDir dir;
    const auto o = testing::run_program(PTILAB_BINARY,
                                        {"bench", "--filter", "BM_Syscall_Null", "--repetitions", "50", "--min-time",
                                         "0.1", "--out", dir.path().string()},
                                        {}, false, {sig, 1.0});
    EXPECT_EQ(o.signal, sig) << o.err;
    for (const auto& e : dir.entries()) EXPECT_EQ(e.find(".tmp-"), std::string::npos) << e << " after signal " << sig;
  }
}

// A filter that is not a regular expression is a usage error, not "no match".
TEST(Cli, BadFilterRegexIsAUsageError) {
  TempDir dir;
  for (const char* f : {"BM_(Syscall", "[", "*x"}) {
    const auto o = run_ptilab({"bench", "--filter", f, "--out", dir.path().string()});
    EXPECT_EQ(o.status, 2) << f << ": " << o.err;
    EXPECT_NE(o.err.find(std::string("--filter '") + f + "' is not a regular expression"), std::string::npos) << o.err;
  }
  EXPECT_EQ(dir.entries(), std::set<std::string>{});
}

TEST(Cli, MalformedStateFileFailsWithLineNumber) {
  TempDir dir;
  write_file(dir / "state.txt", "pti=on\npcid\n");
  const auto o = run_ptilab({"bench", "--out", dir.path().string(), "--state", (dir / "state.txt").string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err, "ptilab: " + (dir / "state.txt").string() + ":2: expected key=value, got 'pcid'\n");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"state.txt"});
}

// The module's commands: argument errors are usage errors before anything
// touches debugfs.
TEST(Cli, ModuleCommandUsageErrors) {
  TempDir dir;
  const std::string fs = (dir / "ptilab").string();
  const std::vector<std::vector<std::string>> cases = {
      {"hook", "extra-cr3", "--writes", "17", "--pid", "1"},
      {"hook", "extra-cr3", "--writes", "-1", "--pid", "1"},
      {"hook", "extra-cr3", "--pid", "1"},                                // no --writes
      {"hook", "extra-cr3", "--writes", "2"},                             // no --pid nor command
      {"hook", "extra-cr3", "--writes", "2", "--pid", "1", "--", "true"},  // both
      {"hook", "flush", "--writes", "2", "--pid", "1"},
      {"hook", "flush", "--pid", "0"},
      {"hook", "flush", "--"},
      {"hook", "bogus"},
      {"hook"},
      {"hook", "remove", "bogus"},
      {"hook", "status", "--pid", "1"},
      {"probe", "--iterations", "0"},
      {"probe", "--iterations", "200001"},
      {"probe", "--bogus"},
      {"status", "extra"},
      {"status", "--json=yes"},
      {"snapshot"},
      {"snapshot", "--debugfs", fs},
      {"snapshot", "--out", (dir / "s.csv").string(), "--iterations", "0"},
      {"bench", "--name-suffix="},
  };
  for (const auto& args : cases) {
    const auto o = run_ptilab(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(o.status, 2) << joined << "\n" << o.err;
    EXPECT_NE(o.err.find("usage:"), std::string::npos) << joined;
  }
  EXPECT_EQ(dir.entries(), std::set<std::string>{});
}

TEST(Cli, ModuleNotLoadedIsOneLineWithTheInsmodHint) {
  const std::string hint =
      "ptilab: ptilab.ko is not loaded (no /nonexistent): insmod ptilab.ko (and mount -t debugfs none "
      "/sys/kernel/debug)\n";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"probe", "--debugfs", "/nonexistent"},
        std::vector<std::string>{"hook", "status", "--debugfs", "/nonexistent"},
        std::vector<std::string>{"hook", "flush", "--pid", "1", "--debugfs", "/nonexistent"},
        std::vector<std::string>{"hook", "remove", "--debugfs", "/nonexistent"}}) {
    const auto o = run_ptilab(args);
    EXPECT_EQ(o.status, 1) << args[0];
    EXPECT_EQ(o.err, hint);
  }
  // Probes and the audit only the module has; the state the kernel shows too.
  TempDir dir;
  for (const char* what : {"--probes", "--audit"}) {
    const auto o = run_ptilab({"snapshot", "--out", (dir / "s.csv").string(), what, "--debugfs", "/nonexistent"});
    EXPECT_EQ(o.status, 1) << what;
    EXPECT_EQ(o.err, "ptilab: snapshot --probes/--audit need the module: " + hint.substr(8)) << what;
    EXPECT_EQ(dir.entries(), std::set<std::string>{});
  }
  const auto o = run_ptilab({"snapshot", "--out", (dir / "s.csv").string(), "--debugfs", "/nonexistent"});
  EXPECT_EQ(o.status, 0) << o.err;
  const auto rows = read_results(dir / "s.csv");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front().benchmark, "state");
  EXPECT_EQ(rows.front().metric, "source=kernel");
}

TEST(Cli, HookWithCommandDoesNotRunItWhenTheModuleIsMissing) {
  TempDir dir;
  const auto marker = dir / "ran";
  const auto o = run_ptilab({"hook", "flush", "--debugfs", "/nonexistent", "--", "touch", marker.string()});
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Cli, StatusFallsBackToTheKernelWithoutTheModule) {
  auto o = run_ptilab({"status", "--debugfs", "/nonexistent"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("ptilab.ko is not loaded (no /nonexistent)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Page-table isolation (PTI): "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("PCID: available "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Could not know: "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("cr4_pcide"), std::string::npos) << o.out;

  o = run_ptilab({"status", "--json", "--debugfs", "/nonexistent"});
  EXPECT_EQ(o.status, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["source"], "kernel");
  EXPECT_TRUE(j["state"].is_object());
  EXPECT_TRUE(j["state"].contains("arch"));
  EXPECT_TRUE(j["reason"].is_string());
  EXPECT_TRUE(j["safe_to_disable"].is_boolean() || j["safe_to_disable"].is_null());
  EXPECT_TRUE(j["advice"].is_string());
  EXPECT_EQ(j["costs"], nlohmann::json::object());
  const auto& unknown = j["unknown"];
  for (const char* key : {"cr4_pcide", "kernel_pcid", "cost of a CR3 write"})
    EXPECT_NE(std::find(unknown.begin(), unknown.end(), key), unknown.end()) << key;
}

// Reading a fixture probe file works (writing to a regular file would not
// emulate the module, so nothing here runs a probe): unknown names are
// usage errors listing the valid ones.
TEST(Cli, ProbeUnknownNameListsTheValidOnes) {
  TempDir dir;
  std::filesystem::create_directory(dir / "ptilab");
  write_file(dir / "ptilab" / "probe",
             "primitive=none\ncounter=tsc\ncounter_khz=1000\nprimitive.cr3_flush=supported\n"
             "primitive.invpcid_all=unsupported\n");
  const auto o = run_ptilab({"probe", "cr3_flash", "--debugfs", (dir / "ptilab").string()});
  EXPECT_EQ(o.status, 2);
  EXPECT_TRUE(o.err.starts_with("ptilab: unknown primitive 'cr3_flash'; valid: cr3_flush, invpcid_all\n")) << o.err;
  // An unsupported primitive is a row, not a failure, and is not written.
  const auto u = run_ptilab({"probe", "invpcid_all", "--debugfs", (dir / "ptilab").string()});
  EXPECT_EQ(u.status, 0) << u.err;
  EXPECT_NE(u.out.find("invpcid_all  not supported on this CPU"), std::string::npos) << u.out;
}

TEST(Cli, HookStatusFromFixture) {
  TempDir dir;
  std::filesystem::create_directory(dir / "ptilab");
  write_file(dir / "ptilab" / "hooks",
             "allow_hooks=on\nsys_enter_probe=registered\nextra_cr3.installed=yes\nextra_cr3.pid=109\n"
             "extra_cr3.writes=4\nextra_cr3.fired=31\nflush.installed=no\nflush.pid=0\nflush.fired=0\n");
  auto o = run_ptilab({"hook", "status", "--debugfs", (dir / "ptilab").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("extra_cr3: installed for pid 109, 4 extra CR3 writes per syscall, fired 31 times"),
            std::string::npos)
      << o.out;
  o = run_ptilab({"hook", "status", "--json", "--debugfs", (dir / "ptilab").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["allow_hooks"], true);
  EXPECT_EQ(j["hooks"]["extra_cr3"]["fired"], 31);
  EXPECT_EQ(j["hooks"]["flush"]["installed"], false);
}

// The module's hooks file as a reader in a child pid namespace sees it
// (hook_show_locked(): the target there is "not_visible"), and after a
// target exited (the hook removed itself, its counts kept).
TEST(Cli, HookStatusOtherNamespaceAndExitedTarget) {
  TempDir dir;
  std::filesystem::create_directory(dir / "ptilab");
  write_file(dir / "ptilab" / "hooks",
             "allow_hooks=on\nsys_enter_probe=registered\nextra_cr3.installed=no\nextra_cr3.pid=0\n"
             "extra_cr3.writes=0\nextra_cr3.fired=812\nextra_cr3.pt_writes=812\nextra_cr3.target_exited=yes\n"
             "flush.installed=yes\nflush.pid=not_visible\nflush.fired=5\nflush.flushes=5\n"
             "flush.target_exited=no\n");
  auto o = run_ptilab({"hook", "status", "--debugfs", (dir / "ptilab").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("extra_cr3: not installed (removed when its process exited), fired 812 times"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("flush: installed for a process in another pid namespace, fired 5 times"), std::string::npos)
      << o.out;
  o = run_ptilab({"hook", "status", "--json", "--debugfs", (dir / "ptilab").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_TRUE(j["hooks"]["flush"]["pid"].is_null()) << o.out;
  EXPECT_EQ(j["hooks"]["extra_cr3"]["target_exited"], true);
  EXPECT_EQ(j["hooks"]["flush"]["target_exited"], false);
  // "not_visible" only ever describes an installed hook.
  write_file(dir / "ptilab" / "hooks",
             "allow_hooks=on\nextra_cr3.installed=no\nextra_cr3.pid=not_visible\nextra_cr3.fired=0\n");
  o = run_ptilab({"hook", "status", "--debugfs", (dir / "ptilab").string()});
  EXPECT_EQ(o.status, 1) << o.out;
  EXPECT_NE(o.err.find("not_visible on a hook that is not installed"), std::string::npos) << o.err;
}

// `hook ... -- CMD` killed the way timeout, a CI cancel or a closed
// terminal kill it: the signal reaches CMD, the hook is removed, and the
// exit status is CMD's (128 + the signal), promptly.
TEST(Cli, HookedCommandGetsTheSignalAndTheHookGoes) {
  for (const int sig : {SIGTERM, SIGHUP, SIGINT}) {
    TempDir dir;
    const auto fs = dir / "ptilab";
    std::filesystem::create_directory(fs);
    write_file(fs / "hook_extra_cr3", "");
    write_file(fs / "hooks",
               "allow_hooks=on\nsys_enter_probe=registered\nextra_cr3.installed=yes\nextra_cr3.pid=1\n"
               "extra_cr3.writes=1\nextra_cr3.fired=3\nflush.installed=no\nflush.pid=0\nflush.fired=0\n");
    const auto start = std::chrono::steady_clock::now();
    const auto o = testing::run_program(PTILAB_BINARY,
                                        {"hook", "extra-cr3", "--writes", "1", "--debugfs", fs.string(), "--", "sleep",
                                         "30"},
                                        {}, false, {sig, 1.0});
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(o.status, 128 + sig) << "signal " << sig << ": " << o.err;
    EXPECT_LT(took, 10) << "signal " << sig;
    EXPECT_TRUE(slurp(fs / "hook_extra_cr3").starts_with("pid=0\n")) << slurp(fs / "hook_extra_cr3");
    EXPECT_NE(o.err.find("hook fired 3 times"), std::string::npos) << o.err;
  }
}

TEST(Cli, BenchNameSuffixOnlyInTheCsv) {
  TempDir dir;
  write_file(dir / "state.txt", kState);
  const auto out = dir / "out";
  const auto o = run_ptilab({"bench", "--filter", "BM_Syscall_Null", "--repetitions", "1", "--min-time", "0.01",
                             "--out", out.string(), "--state", (dir / "state.txt").string(), "--name-suffix",
                             "+extra_cr3=4"});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto rows = read_results(out / "results.csv");
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) EXPECT_EQ(r.benchmark, "BM_Syscall_Null+extra_cr3=4");
  const auto json = nlohmann::json::parse(slurp(out / "benchmarks.json"));
  for (const auto& b : json["benchmarks"]) EXPECT_EQ(b["name"].get<std::string>().find("+extra_cr3"), std::string::npos);
}

}  // namespace
}  // namespace ptilab

namespace ptilab {
namespace {

using testing::TempDir;
using testing::write_file;

// ptilab query: what scripts use instead of parsing the CSV by position.
TEST(Cli, QueryPrintsMatchingRows) {
  TempDir dir;
  const std::string header = results_header();
  write_file(dir / "r.csv",
             header +
                 "r,t,b,h,x86_64,k,\"console=ttyS0,115200 pti=on\",tcg,on,off,n/a,n/a,BM_Syscall_Null,ns_per_op,100,ns,3,1\n"
                 "r,t,b,h,x86_64,k,c,tcg,on,off,n/a,n/a,BM_Syscall_Null,trace:syscalls_per_op,1.01,per_op,3,0\n"
                 "r,t,b,h,x86_64,k,c,tcg,off,off,n/a,n/a,BM_Syscall_Null,ns_per_op,50,ns,3,1\n"
                 "r,t,b,h,x86_64,k,c,tcg,on,off,n/a,n/a,state,pti_reason=cmdline:pti=on,1,info,1,\n"
                 "r,t,b,h,x86_64,k,c,tcg,on,off,n/a,n/a,*,cycles,,not_supported,,\n");
  const auto csv = (dir / "r.csv").string();
  auto o = run_ptilab({"query", csv, "--benchmark", "BM_Syscall_Null", "--metric", "ns_per_op"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "100\n50\n");
  o = run_ptilab({"query", csv, "--benchmark", "BM_Syscall_Null", "--metric", "ns_per_op", "--where", "pti=off",
                  "--print", "stddev"});
  EXPECT_EQ(o.out, "1\n");
  o = run_ptilab({"query", csv, "--metric", "trace:*"});
  EXPECT_EQ(o.out, "1.01\n");
  o = run_ptilab({"query", csv, "--benchmark", "state", "--metric", "pti_reason=*", "--print", "metric"});
  EXPECT_EQ(o.out, "pti_reason=cmdline:pti=on\n");
  // A comma in the command line does not shift the columns.
  o = run_ptilab({"query", csv, "--metric", "ns_per_op", "--where", "pti=on", "--print", "cmdline"});
  EXPECT_EQ(o.out, "console=ttyS0,115200 pti=on\n");
  // "*" alone is the benchmark of the not-supported rows, not a wildcard.
  o = run_ptilab({"query", csv, "--benchmark", "*", "--print", "unit"});
  EXPECT_EQ(o.out, "not_supported\n");
  o = run_ptilab({"query", csv, "--benchmark", "nothing"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out, "");
  // --csv: the matching rows as a results file, atomically to -o.
  o = run_ptilab({"query", csv, "--metric", "trace:*", "--csv", "-o", (dir / "t.csv").string()});
  EXPECT_EQ(o.status, 0) << o.err;
  const auto rows = read_results(dir / "t.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].metric, "trace:syscalls_per_op");
  // Bad arguments: usage (2); a missing file: one line (1).
  EXPECT_EQ(run_ptilab({"query", csv, "--print", "colour"}).status, 2);
  EXPECT_EQ(run_ptilab({"query", csv, "--where", "colour=red"}).status, 2);
  EXPECT_EQ(run_ptilab({"query", csv, "-o", "x.csv"}).status, 2);
  EXPECT_EQ(run_ptilab({"query"}).status, 2);
  o = run_ptilab({"query", (dir / "absent.csv").string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1);
}

TEST(Cli, SchemaIsTheHeaderAndProfilesAreJson) {
  auto o = run_ptilab({"schema"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out, results_header());
  o = run_ptilab({"schema", "--json"});
  const auto j = nlohmann::json::parse(o.out);
  ASSERT_EQ(j["columns"].size(), kResultColumns.size());
  EXPECT_EQ(j["columns"][0], "run_id");
  o = run_ptilab({"profiles", "--json"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(nlohmann::json::parse(o.out)["profiles"][1]["isolation"], "KPTI");
  EXPECT_EQ(run_ptilab({"profiles", "--yaml"}).status, 2);
}

}  // namespace
}  // namespace ptilab
