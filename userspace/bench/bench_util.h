// Helpers shared by the benchmark files.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "bench/skip.h"
#include "bench/trace.h"
#include "kernel/perf_counters.h"
#include "kernel/pinning.h"

namespace ptilab::bench {

// "what: strerror(errno)", for SkipWithError.
inline std::string errno_message(const std::string& what) { return what + ": " + std::strerror(errno); }

// Waits for pid, retrying on EINTR. Empty if it exited with status 0, else
// what happened to it ("<what> exited with status 1", "... killed by
// signal 9").
inline std::string reap(pid_t pid, const std::string& what) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r != pid) return errno_message("waitpid");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status)) return what + " exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return what + " killed by signal " + std::to_string(WTERMSIG(status));
  return what + ": wait status " + std::to_string(status);
}

// Skip a benchmark this machine cannot run (not an error: no numbers, and
// the run goes on).
inline void skip(benchmark::State& state, const std::string& why) {
  state.SkipWithError((std::string(kSkipPrefix) + why).c_str());
}

// The perf counters (ptilab bench --counters) over one benchmark's timed
// loop: constructed just before `for (auto _ : state)`, stop() right after
// it, so that set-up and tear-down stay out where they can. stop() sets
// state.counters[event] to the count per iteration of each supported
// event. What is counted: kernel and user mode, this thread and every live
// or exited thread and child the process created since the counters were
// opened (a read of an inherited counter sums them), plus a constant per
// run (the reads themselves, Google Benchmark starting and stopping its
// timer) spread over the iterations. With --trace it also sets the
// tracer's system-wide counts per iteration (bench_trace.h). Without
// either it does nothing.
class CounterScope {
 public:
  explicit CounterScope(benchmark::State& state)
      : state_(state), set_(ptilab::active_perf_counters()), tracer_(ptilab::active_bench_tracer()) {
    if (set_) error_ = set_->read(start_);
    if (tracer_) trace_start_ = tracer_->read();
  }
  CounterScope(const CounterScope&) = delete;
  CounterScope& operator=(const CounterScope&) = delete;
  ~CounterScope() { stop(); }

  void stop() {
    if (ptilab::BenchTracer* const tracer = std::exchange(tracer_, nullptr))
      for (const auto& [name, delta] : tracer->deltas(trace_start_, tracer->read()))
        state_.counters[name] = benchmark::Counter(delta, benchmark::Counter::kAvgIterations);
    ptilab::PerfCounterSet* const set = set_;
    if (!set) return;
    set_ = nullptr;
    ptilab::CounterReading end;
    if (error_.empty()) error_ = set->read(end);
    if (!error_.empty()) {
      if (!state_.error_occurred()) state_.SkipWithError(error_.c_str());
      return;
    }
    for (const auto& [name, delta] : set->deltas(start_, end))
      state_.counters[name] = benchmark::Counter(delta, benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  ptilab::PerfCounterSet* set_;
  ptilab::BenchTracer* tracer_;
  ptilab::CounterReading start_;
  ptilab::CounterArray trace_start_{};
  std::string error_;
};

// Pins the calling thread to the CPU `ptilab bench` chose for the
// single-process benchmarks (--cpu N; the last allowed CPU by default) for
// as long as it lives, then gives the thread its old mask back; children
// forked meanwhile inherit the pin. Does nothing with --no-pin. Declare it
// first in a benchmark function, then: if (!pin.ok()) return;
class PinToBenchCpu {
 public:
  explicit PinToBenchCpu(benchmark::State& state) {
    const auto cpu = ptilab::bench_cpu();
    if (!cpu) return;
    if (sched_getaffinity(0, sizeof saved_, &saved_) != 0) {
      state.SkipWithError(errno_message("sched_getaffinity").c_str());
      ok_ = false;
      return;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(*cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
      state.SkipWithError(errno_message("pinning to CPU " + std::to_string(*cpu)).c_str());
      ok_ = false;
      return;
    }
    pinned_ = true;
  }
  PinToBenchCpu(const PinToBenchCpu&) = delete;
  PinToBenchCpu& operator=(const PinToBenchCpu&) = delete;
  ~PinToBenchCpu() {
    if (pinned_) sched_setaffinity(0, sizeof saved_, &saved_);
  }
  bool ok() const { return ok_; }

 private:
  cpu_set_t saved_;
  bool ok_ = true;
  bool pinned_ = false;
};

}  // namespace ptilab::bench
