// Helpers shared by the benchmark files. Every benchmark is a function
// (benchmark::State&, const Context&), registered by its file's
// register_<area>_benchmarks() with the run's Context (bench/context.h).
#pragma once

#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "bench/context.h"
#include "bench/skip.h"
#include "bench/trace.h"
#include "kernel/perf_counters.h"
#include "results/bench_properties.h"
#include "util/process.h"

namespace ptilab::bench {

// Each benchmark file's registration, called by register_benchmarks()
// (benchmarks.cc) in the order the benchmarks run.
void register_syscall_benchmarks(const Context& context);
void register_pipe_benchmarks(const Context& context);
void register_process_benchmarks(const Context& context);
void register_memory_benchmarks(const Context& context);
void register_macro_benchmarks(const Context& context);
void register_workload_benchmarks(const Context& context);
void register_map_benchmarks(const Context& context);
void register_numa_benchmarks(const Context& context);

// Registers fn as the benchmark `name`, called with the context: Google
// Benchmark's RegisterBenchmark with a lambda that captures it (by
// reference: it outlives the run). Returns the benchmark, for its
// ->Arg(), ->UseRealTime() and so on.
inline benchmark::internal::Benchmark* add_benchmark(const char* name,
                                                     void (*fn)(benchmark::State&, const Context&),
                                                     const Context& context) {
  return benchmark::RegisterBenchmark(name, [fn, &context](benchmark::State& state) { fn(state, context); });
}

// "what: strerror(err)", for SkipWithError; err defaults to errno.
inline std::string errno_message(const std::string& what, int err) { return what + ": " + std::strerror(err); }
inline std::string errno_message(const std::string& what) { return errno_message(what, errno); }

// Waits for pid (ptilab::wait_for: EINTR retried). Empty if it exited with
// status 0, else what happened to it ("<what> exited with status 1", "...
// killed by signal 9").
inline std::string reap(pid_t pid, const std::string& what) {
  const Waited w = wait_for(pid);
  if (!w.status) return errno_message("waitpid", w.error);
  return w.status->failure(what);
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
// tracer's system-wide counts per iteration (bench/trace.h), the busy CPU
// time, and the pages this process referenced (its working set, for the
// overhead map's prediction) unless the work is in other processes
// (WorkIn::kOtherProcesses: fork, exec, shells, builds, servers), whose
// pages this process's smaps cannot see. Without either (none in the
// context) it does nothing.
enum class WorkIn { kThisProcess, kOtherProcesses };

class CounterScope {
 public:
  CounterScope(benchmark::State& state, const Context& context, WorkIn work = WorkIn::kThisProcess)
      : state_(state), set_(context.counters), tracer_(context.tracer) {
    if (set_) error_ = set_->read(start_);
    if (tracer_) {
      busy_start_ = tracer_->busy_seconds();
      working_set_ = work == WorkIn::kThisProcess && tracer_->start_working_set();
      trace_start_ = tracer_->read();
    }
  }
  CounterScope(const CounterScope&) = delete;
  CounterScope& operator=(const CounterScope&) = delete;
  ~CounterScope() { stop(); }

  void stop() {
    if (ptilab::BenchTracer* const tracer = std::exchange(tracer_, nullptr)) {
      for (const auto& [name, delta] : tracer->deltas(trace_start_, tracer->read()))
        state_.counters[name] = benchmark::Counter(delta, benchmark::Counter::kAvgIterations);
      if (const auto busy = tracer->busy_seconds(); busy && busy_start_)
        state_.counters[std::string(ptilab::kTraceBusyMetric)] =
            benchmark::Counter((*busy - *busy_start_) * 1e9, benchmark::Counter::kAvgIterations);
      if (const auto pages = working_set_ ? tracer->working_set_pages() : std::nullopt)
        state_.counters[std::string(ptilab::kTraceWorkingSetPages)] =
            benchmark::Counter(*pages, benchmark::Counter::kDefaults);
    }
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
  std::optional<double> busy_start_;
  bool working_set_ = false;
  std::string error_;
};

// Pins the calling thread to the CPU `ptilab bench` chose for the
// single-process benchmarks (context.cpu: --cpu N, the last allowed CPU by
// default) for as long as it lives, then gives the thread its old mask
// back; children forked meanwhile inherit the pin. Does nothing with
// --no-pin. Declare it first in a benchmark function, then: if (!pin.ok())
// return;
class PinToBenchCpu {
 public:
  PinToBenchCpu(benchmark::State& state, const Context& context) : PinToBenchCpu(state, context.cpu) {}
  // Pinned to cpu instead (nullopt: not at all): the per-node benchmarks'.
  PinToBenchCpu(benchmark::State& state, std::optional<int> cpu) {
    if (!cpu) return;
    if (!pin_.save()) {
      state.SkipWithError(errno_message("sched_getaffinity").c_str());
      ok_ = false;
      return;
    }
    if (!pin_.pin(*cpu)) {
      state.SkipWithError(errno_message("pinning to CPU " + std::to_string(*cpu)).c_str());
      ok_ = false;
    }
  }
  bool ok() const { return ok_; }

 private:
  CpuPin pin_;
  bool ok_ = true;
};

}  // namespace ptilab::bench
