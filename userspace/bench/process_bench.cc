// Process creation microbenchmarks: kernel entries, context switches and mm
// switches together, as a shell or a build pays them. One iteration of each:
//
// BM_Process_ForkExitWait: fork(); the child _exit(0)s; the parent waits
//   for it. 4 syscalls (glibc 2.36): clone and wait4 in the parent,
//   set_robust_list and exit_group in the child; plus copy-on-write page
//   faults in both for the pages each writes after fork. One mm created (a
//   copy of ptilab's) and torn down. Context switches: parent -> child ->
//   parent, each an mm switch: `ptilab bench` pins these benchmarks to one
//   CPU and the child inherits the pin (with --no-pin the child may run on
//   another CPU while the parent's idles in wait4: no mm switch then).
// BM_Process_ForkExec: the same, but the child execve()s /bin/true (else
//   /usr/bin/true; the label says which) instead of exiting: 5 syscalls of
//   ours (clone, wait4, set_robust_list, execve, exit_group), a second mm
//   for the helper, and the helper's own start-up syscalls and page faults:
//   a handful for a static busybox, 28 (besides execve and exit_group) for
//   Debian 12's dynamically linked coreutils true.
// BM_Process_PosixSpawn: posix_spawn() of the same helper, then wait4.
//   glibc 2.36 spawns with clone3(CLONE_VM | CLONE_VFORK): no copy of
//   ptilab's mm and no copy-on-write faults; the parent sleeps until the
//   execve. Syscalls of ours: 4 in the parent (2 rt_sigprocmask, clone3,
//   wait4) and 125 in the child before the helper's (122 rt_sigaction
//   resetting signal dispositions, 2 rt_sigprocmask, execve); then the
//   helper as above.
// BM_Process_ForkExitWait_SmallParent, BM_Process_ForkExec_SmallParent:
//   the same two, forked from a small parent as lmbench's and UnixBench's
//   are: the fork helper, ptilab-fork-helper (fork_helper.c, C and libc
//   only; in the x86_64 guest 20 mappings and 60 resident pages, against
//   ptilab's 69 and 2,300), started before the timed loop. Per iteration
//   ptilab asks it over a socket to fork; it times clone to wait4 itself
//   (CLOCK_MONOTONIC, the vDSO: no kernel entry) and answers with the ns.
//   The same syscalls, context and mm switches as above, but the mm
//   created is a copy of the fork helper's: fewer VMAs and page-table
//   entries to copy and tear down, fewer copy-on-write faults (20 page
//   faults per fork and exit in the guest, against 43). The time is the
//   fork helper's (manual time); the request and answer around it, 4
//   syscalls (send and read in ptilab, read and write in the fork helper)
//   and 2 context switches (each an mm switch), are not in it.
//
// Every one of them records the size of the process that forks, read just
// before its timed loop: counters fork_maps (its mappings) and
// fork_rss_pages (its resident pages), one value per run, not per
// iteration (bench_properties.h).
//
// Perf counters (--counters, bench_util.h's CounterScope) include every
// child whole, from fork to exit, helper included: each is reaped inside
// its iteration. For the small-parent benchmarks they count the fork
// helper too, with the request and answer that the times leave out.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "results/bench_properties.h"

namespace {

using ptilab::bench::Context;
using ptilab::bench::errno_message;
using ptilab::bench::reap;

// The size of the process that forks, with the result (bench_properties.h):
// a property of that process, not a count per iteration.
void set_fork_counters(benchmark::State& state, double maps, double rss_pages) {
  state.counters[std::string(ptilab::kForkMaps)] = benchmark::Counter(maps, benchmark::Counter::kDefaults);
  state.counters[std::string(ptilab::kForkRssPages)] = benchmark::Counter(rss_pages, benchmark::Counter::kDefaults);
}

// This process's size, for set_fork_counters: the lines of /proc/self/maps
// and the resident pages of /proc/self/statm. False (and the benchmark
// failed) if /proc does not say.
bool record_own_size(benchmark::State& state) {
  std::ifstream maps("/proc/self/maps");
  double lines = 0;
  for (std::string line; std::getline(maps, line);) ++lines;
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  if (lines == 0 || maps.bad() || !(statm >> size >> resident)) {
    state.SkipWithError("cannot read /proc/self/maps and /proc/self/statm");
    return false;
  }
  set_fork_counters(state, lines, resident);
  return true;
}

// The helper the exec benchmarks run: the first of these that exists.
const char* find_helper() {
  for (const char* path : {"/bin/true", "/usr/bin/true"})
    if (access(path, X_OK) == 0) return path;
  return nullptr;
}

void BM_Process_ForkExitWait(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  if (!record_own_size(state)) return;
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    const pid_t pid = fork();
    if (pid < 0) {
      state.SkipWithError(errno_message("fork").c_str());
      break;
    }
    if (pid == 0) _exit(0);
    if (const std::string err = reap(pid, "child"); !err.empty()) {
      state.SkipWithError(err.c_str());
      break;
    }
  }
  counters.stop();
}

// The helper to exec, named in the label; skips the benchmark if none.
const char* helper_or_skip(benchmark::State& state) {
  const char* const helper = find_helper();
  if (!helper) {
    ptilab::bench::skip(state, "neither /bin/true nor /usr/bin/true exists");
    return nullptr;
  }
  state.SetLabel(helper);
  return helper;
}

void BM_Process_ForkExec(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  const char* const helper = helper_or_skip(state);
  if (!helper) return;
  // argv[0] is the path: busybox picks its applet from the base name.
  char* const argv[] = {const_cast<char*>(helper), nullptr};
  char* const envp[] = {nullptr};
  if (!record_own_size(state)) return;
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    const pid_t pid = fork();
    if (pid < 0) {
      state.SkipWithError(errno_message("fork").c_str());
      break;
    }
    if (pid == 0) {
      execve(helper, argv, envp);
      _exit(127);
    }
    if (const std::string err = reap(pid, "child"); !err.empty()) {
      state.SkipWithError((std::string(helper) + ": " + err).c_str());
      break;
    }
  }
  counters.stop();
}

void BM_Process_PosixSpawn(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  const char* const helper = helper_or_skip(state);
  if (!helper) return;
  char* const argv[] = {const_cast<char*>(helper), nullptr};
  char* const envp[] = {nullptr};
  if (!record_own_size(state)) return;
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    pid_t pid = -1;
    // glibc reports a failed execve here, and reaps the child itself then.
    if (const int rc = posix_spawn(&pid, helper, nullptr, nullptr, argv, envp); rc != 0) {
      state.SkipWithError((std::string("posix_spawn ") + helper + ": " + std::strerror(rc)).c_str());
      break;
    }
    if (const std::string err = reap(pid, "child"); !err.empty()) {
      state.SkipWithError((std::string(helper) + ": " + err).c_str());
      break;
    }
  }
  counters.stop();
}

// The fork helper (fork_helper.c) for one run of a *_SmallParent benchmark:
// started before the timed loop, after the pin, which it and its children
// inherit; stopped after the loop. It talks over a socket pair rather than
// pipes: ptilab's sends carry MSG_NOSIGNAL, so a helper that died is an
// error, not a SIGPIPE for ptilab.
class ForkHelper {
 public:
  // Starts ptilab-fork-helper (context.fork_helper, beside ptilab: the
  // build directory, /ptilab/bin in the guest), its children to execve
  // program (nullptr: to _exit), and records its size (set_fork_counters).
  // On failure the benchmark is failed or skipped, and ok() is false.
  ForkHelper(benchmark::State& state, const Context& context, const char* program) {
    if (context.fork_helper.empty()) {
      state.SkipWithError(context.fork_helper_error.c_str());
      return;
    }
    const std::string path = context.fork_helper.string();
    if (access(path.c_str(), X_OK) != 0) {
      ptilab::bench::skip(state, "no fork helper " + path + " (built with ptilab: make userspace)");
      return;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      state.SkipWithError(errno_message("socketpair").c_str());
      return;
    }
    // Its stdin and stdout are the socket; stderr is ours; no environment.
    std::vector<std::string> argv = {path};
    if (program) argv.emplace_back(program);
    const std::vector<std::string> no_env;
    ptilab::SpawnOptions options;
    options.env = &no_env;
    options.in = ptilab::Redirect::dup(sv[1]);
    options.out = ptilab::Redirect::dup(sv[1]);
    const ptilab::Spawned child = ptilab::spawn(path, argv, options);
    close(sv[1]);
    fd_ = sv[0];
    if (child.error) {
      state.SkipWithError(("posix_spawn " + path + ": " + std::strerror(child.error)).c_str());
      return;
    }
    pid_ = child.pid;
    // Its first line: its size, read by itself once it is ready.
    long maps = 0, rss_pages = 0;
    const auto line = read_line(state);
    if (!line) return;
    if (std::sscanf(line->c_str(), "maps %ld rss_pages %ld", &maps, &rss_pages) != 2 || maps <= 0 || rss_pages <= 0) {
      state.SkipWithError(("fork helper: cannot read its size: '" + *line + "'").c_str());
      return;
    }
    set_fork_counters(state, static_cast<double>(maps), static_cast<double>(rss_pages));
    ok_ = true;
  }
  ForkHelper(const ForkHelper&) = delete;
  ForkHelper& operator=(const ForkHelper&) = delete;
  ~ForkHelper() { stop(nullptr); }

  bool ok() const { return ok_; }

  // One fork and wait in the helper: the time it measured, in seconds, or
  // nullopt (the benchmark failed).
  std::optional<double> fork_once(benchmark::State& state) {
    ssize_t n;
    do n = send(fd_, "f", 1, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != 1) {
      state.SkipWithError(errno_message("fork helper: send").c_str());
      return std::nullopt;
    }
    const auto line = read_line(state);
    if (!line) return std::nullopt;
    long long ns = 0;
    if (std::sscanf(line->c_str(), "ns %lld", &ns) != 1 || ns <= 0) {
      state.SkipWithError(("fork helper: " + *line).c_str());
      return std::nullopt;
    }
    return static_cast<double>(ns) * 1e-9;
  }

  // Ends its input and waits for it; with state, fails the benchmark if it
  // did not exit cleanly (and nothing failed before).
  void stop(benchmark::State* state) {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (pid_ <= 0) return;
    const std::string err = reap(pid_, "fork helper");
    pid_ = -1;
    if (state && !err.empty() && !state->error_occurred()) state->SkipWithError(err.c_str());
  }

 private:
  // The helper's next line, without its newline; nullopt (the benchmark
  // failed) if it ended or the read failed.
  std::optional<std::string> read_line(benchmark::State& state) {
    for (;;) {
      if (const auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      char buf[256];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        pending_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0) {
        state.SkipWithError(errno_message("fork helper: read").c_str());
      } else {
        // It died: how it ended is the error.
        close(fd_);
        fd_ = -1;
        const std::string err = reap(pid_, "fork helper");
        pid_ = -1;
        state.SkipWithError(((err.empty() ? std::string("fork helper exited") : err) + " without answering").c_str());
      }
      return std::nullopt;
    }
  }

  int fd_ = -1;
  pid_t pid_ = -1;
  bool ok_ = false;
  std::string pending_;
};

// A fork benchmark whose forks the fork helper makes and times (manual
// time: the request's round trip over the socket is not in it).
void run_small_parent(benchmark::State& state, const Context& context, const char* program) {
  ForkHelper parent(state, context, program);
  if (!parent.ok()) return;
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    const auto seconds = parent.fork_once(state);
    if (!seconds) break;
    state.SetIterationTime(*seconds);
  }
  counters.stop();
  parent.stop(&state);
}

void BM_Process_ForkExitWait_SmallParent(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  run_small_parent(state, context, nullptr);
}

void BM_Process_ForkExec_SmallParent(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  const char* const helper = helper_or_skip(state);
  if (!helper) return;
  run_small_parent(state, context, helper);
}

}  // namespace

namespace ptilab::bench {

void register_process_benchmarks(const Context& context) {
  add_benchmark("BM_Process_ForkExitWait", BM_Process_ForkExitWait, context)->UseRealTime();
  add_benchmark("BM_Process_ForkExec", BM_Process_ForkExec, context)->UseRealTime();
  add_benchmark("BM_Process_PosixSpawn", BM_Process_PosixSpawn, context)->UseRealTime();
  add_benchmark("BM_Process_ForkExitWait_SmallParent", BM_Process_ForkExitWait_SmallParent, context)
      ->UseManualTime();
  add_benchmark("BM_Process_ForkExec_SmallParent", BM_Process_ForkExec_SmallParent, context)->UseManualTime();
}

}  // namespace ptilab::bench
