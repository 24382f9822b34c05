// Macro workloads: many short processes, as a shell script or a build pays
// isolation (every fork, exec, page fault, pipe read and write is a kernel
// entry; every switch between the processes an mm switch). They run where
// the suite runs, the minimal VM included: the shell script needs only
// /bin/sh and busybox applets; the build needs make and a C compiler and
// skips where there are none (the VM has none). Both are parallel and so
// not pinned to one CPU. Children get a minimal environment (PATH and
// LC_ALL=C: the same sort order everywhere, and no MAKEFLAGS of a make that
// runs ptilab). One iteration of each:
//
// BM_Macro_ShellScript/concurrency:N (N = 1, 8): UnixBench's "shell
//   scripts" test: N copies of its tst.sh run at once (posix_spawn of
//   `/bin/sh -c SCRIPT`), each in its own directory, and are waited for.
//   The script sorts a generated 400-line text file, dumps the result with
//   od and sorts that numerically, greps it through tee into wc, checks the
//   outputs and removes them. Per copy 8 processes: the shell plus 7 forked
//   children (sort; od | sort; grep | tee | wc; rm), each of which execs
//   its tool under dash; busybox sh (the VM's) runs its applets in the
//   forked children without an exec. Kernel entries per copy: about 760
//   syscalls with dash and Debian 12's coreutils (strace -f; 122 of them
//   posix_spawn's signal resets), plus the page faults of 8 new mms; context
//   and mm switches at every pipe hand-over and wait. Counter "processes":
//   8 N.
// BM_Macro_MakeJ4: the Xen series' parallel build, small: `make -s -j4 -B`
//   (rebuild everything) of 16 tiny C files and a main, with cc -O2. Per
//   iteration 55 processes: make, for each of the 17 objects the cc driver,
//   cc1 and as, and for the link cc, collect2 and ld; about 14,700 syscalls
//   (strace -f, gcc 12) plus the compilers' page faults, and up to 4
//   compilers competing for the CPUs. Counter "processes": 55.
#include <benchmark/benchmark.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "bench_util.h"
#include "macro_util.h"

namespace {

namespace fs = std::filesystem;
using ptilab::bench::child_env;
using ptilab::bench::Context;
using ptilab::bench::errno_message;
using ptilab::bench::find_in_path;
using ptilab::bench::reap;
using ptilab::bench::ScratchDir;
using ptilab::bench::spawn_tool;
using ptilab::bench::write_text;

// ---------------------------------------------------------------------------
// BM_Macro_ShellScript

// UnixBench's pgms/tst.sh, with fixed file names (each copy has its own
// directory, $1) and a check that the pipeline produced output. The last
// command is a builtin, so that the shell forks rm like every other tool
// rather than exec'ing it in its own place.
constexpr const char* kScript =
    "set -e\n"
    "cd \"$1\"\n"
    "sort <../input >sort.out\n"
    "od sort.out | sort -n -k 1 >od.out\n"
    "grep the sort.out | tee grep.out | wc >wc.out\n"
    "test -s od.out -a -s wc.out\n"
    "rm sort.out grep.out od.out wc.out\n"
    "test ! -e wc.out\n";
constexpr int kScriptProcesses = 8;  // sh, sort, od, sort, grep, tee, wc, rm
constexpr const char* kScriptTools[] = {"sort", "od", "grep", "tee", "wc", "rm"};

// UnixBench's sort.src is 362 lines of text; this is 400 lines of words
// from a small vocabulary ("the" among them, for grep), the same every run.
std::string script_input() {
  static constexpr const char* kWords[] = {"the", "kernel", "page", "table", "entry", "user", "mode",  "switch",
                                           "of",  "cr3",    "tlb",  "flush", "pcid",  "and",  "trampoline"};
  constexpr std::size_t kNumWords = sizeof kWords / sizeof kWords[0];
  std::uint32_t x = 12345;  // a fixed LCG: reproducible input
  std::string text;
  for (int line = 0; line < 400; ++line) {
    const int words = 3 + static_cast<int>((x >> 16) % 8);
    for (int w = 0; w < words; ++w) {
      x = x * 1103515245u + 12345u;
      if (w) text += ' ';
      text += kWords[(x >> 16) % kNumWords];
    }
    text += '\n';
  }
  return text;
}

void BM_Macro_ShellScript(benchmark::State& state, const Context& context) {
  const int copies = static_cast<int>(state.range(0));
  if (access("/bin/sh", X_OK) != 0) {
    ptilab::bench::skip(state, "no /bin/sh");
    return;
  }
  for (const char* tool : kScriptTools) {
    if (!find_in_path(context, tool)) {
      ptilab::bench::skip(state, std::string("no '") + tool + "' in PATH");
      return;
    }
  }
  ScratchDir dir;
  if (const std::string err = dir.create(); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  if (!write_text(dir.path() / "input", script_input())) {
    state.SkipWithError(errno_message("writing " + (dir.path() / "input").string()).c_str());
    return;
  }
  std::vector<std::vector<std::string>> argvs;
  for (int i = 0; i < copies; ++i) {
    const fs::path copy_dir = dir.path() / ("copy" + std::to_string(i));
    std::error_code ec;
    if (!fs::create_directory(copy_dir, ec)) {
      state.SkipWithError(("cannot create " + copy_dir.string() + ": " + ec.message()).c_str());
      return;
    }
    argvs.push_back({"sh", "-c", kScript, "sh", copy_dir.string()});
  }
  const std::vector<std::string> env = child_env(context);
  std::vector<pid_t> pids;
  pids.reserve(static_cast<std::size_t>(copies));
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    pids.clear();
    std::string err;
    for (const auto& argv : argvs) {
      pid_t pid = -1;
      err = spawn_tool("/bin/sh", argv, env, pid);
      if (!err.empty()) break;
      pids.push_back(pid);
    }
    // Every started copy is reaped, even after a failure.
    for (const pid_t pid : pids)
      if (std::string e = reap(pid, "the shell script"); err.empty()) err = std::move(e);
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      break;
    }
  }
  counters.stop();
  state.counters["processes"] = benchmark::Counter(kScriptProcesses * copies, benchmark::Counter::kDefaults);
}

// ---------------------------------------------------------------------------
// BM_Macro_MakeJ4

constexpr int kSources = 16;
constexpr int kBuildProcesses = 1 + 3 * (kSources + 1) + 3;  // make; cc, cc1, as per object; cc, collect2, ld

// 16 tiny translation units, each a small loop, and a main calling them.
bool write_project(const fs::path& dir) {
  std::string header, objects, calls;
  for (int i = 0; i < kSources; ++i) {
    char n_buf[8];
    std::snprintf(n_buf, sizeof n_buf, "%02d", i);
    const std::string n = n_buf;
    header += "int f" + n + "(int x);\n";
    objects += " f" + n + ".o";
    calls += "  s += f" + n + "(argc + " + std::to_string(i) + ");\n";
    const std::string source = "#include \"f.h\"\n"
                               "int f" + n + "(int x) {\n"
                               "  int s = " + std::to_string(i) + ";\n"
                               "  for (int i = 0; i < x * 100; ++i) s = s * 31 + (i ^ (s >> 3));\n"
                               "  return s;\n"
                               "}\n";
    if (!write_text(dir / ("f" + n + ".c"), source)) return false;
  }
  const std::string main_c = "#include \"f.h\"\nint main(int argc, char** argv) {\n  (void)argv;\n  int s = 0;\n" +
                             calls + "  return s == 42;\n}\n";
  const std::string makefile = "# Generated by ptilab's BM_Macro_MakeJ4.\nCC = cc\nCFLAGS = -O2\nOBJS =" + objects +
                               " main.o\nprog: $(OBJS)\n\t$(CC) -o prog $(OBJS)\n$(OBJS): f.h\n";
  return write_text(dir / "f.h", header) && write_text(dir / "main.c", main_c) && write_text(dir / "Makefile", makefile);
}

void BM_Macro_MakeJ4(benchmark::State& state, const Context& context) {
  const auto make = find_in_path(context, "make");
  if (!make) {
    ptilab::bench::skip(state, "no 'make' in PATH (apt-get install make)");
    return;
  }
  if (!find_in_path(context, "cc")) {
    ptilab::bench::skip(state, "no 'cc' in PATH: no C compiler (apt-get install gcc)");
    return;
  }
  ScratchDir dir;
  if (const std::string err = dir.create(); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  if (!write_project(dir.path())) {
    state.SkipWithError(errno_message("writing the project in " + dir.path().string()).c_str());
    return;
  }
  const std::vector<std::string> argv = {"make", "-s", "-j4", "-B", "-C", dir.path().string()};
  const std::vector<std::string> env = child_env(context);
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    pid_t pid = -1;
    std::string err = spawn_tool(*make, argv, env, pid);
    if (err.empty()) err = reap(pid, "make -j4");
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      break;
    }
  }
  counters.stop();
  if (state.error_occurred()) return;
  if (access((dir.path() / "prog").c_str(), X_OK) != 0) {
    state.SkipWithError("make -j4 succeeded but built no program");
    return;
  }
  state.counters["processes"] = benchmark::Counter(kBuildProcesses, benchmark::Counter::kDefaults);
}

}  // namespace

namespace ptilab::bench {

void register_macro_benchmarks(const Context& context) {
  add_benchmark("BM_Macro_ShellScript", BM_Macro_ShellScript, context)
      ->ArgName("concurrency")
      ->Arg(1)
      ->Arg(8)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  add_benchmark("BM_Macro_MakeJ4", BM_Macro_MakeJ4, context)->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace ptilab::bench
