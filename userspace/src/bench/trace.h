// `ptilab bench --trace`: the tracer's counters (bpf/trace.bpf.c) around
// each benchmark's timed loop, per iteration, next to the time: how many
// system calls, mm switches and TLB flushes (by reason) one iteration
// really makes, and the CR3 writes derived from them. The counts are
// system-wide (a benchmark's partner processes are other tgids), so they
// are meant for a quiet machine such as the minimal VM; and the tracer
// itself costs tens of ns per system call, so traced timings are not the
// ones to quote (vm-bench keeps only the counts of its traced pass).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernel/trace_bpf.h"
#include "model/trace.h"
#include "results/bench_properties.h"

namespace ptilab {

// "trace:<stem>_per_op", the results metric of one tracer counter.
std::string trace_metric(std::string_view stem);


// The per-iteration counts between two readings: every counter the kernel
// could trace, then the derived kernel entries and CR3 writes (see
// derive()) unless a term of theirs could not be counted. Pure, for tests.
std::vector<std::pair<std::string, double>> trace_deltas(const CounterArray& from, const CounterArray& to,
                                                         const CounterSet& available, bool isolation_on);
// The metrics trace_deltas() leaves out because this kernel cannot give
// them: they belong in the results as not_supported rows (never a 0).
std::vector<std::string> trace_unsupported(const CounterSet& available, bool isolation_on);

class BenchTracer {
 public:
  // Loads and attaches the tracer (throws Error with the failing step);
  // says on stderr what it cannot count on this kernel.
  BenchTracer(const TraceBpfOptions& options, bool isolation_on);

  // Every metric deltas() can report, in order.
  std::vector<std::string> names() const;
  // The metrics it cannot report here (trace_unsupported()): the caller's
  // not_supported rows, as for perf counters this machine cannot count.
  std::vector<std::string> unsupported() const { return trace_unsupported(bpf_.available(), isolation_on_); }
  // The counters now, summed over CPUs.
  CounterArray read() const;
  // Every CPU's busy seconds so far (/proc/stat); nullopt if unreadable.
  std::optional<double> busy_seconds() const;
  // Clears this process's referenced bits; false if the kernel refused.
  bool start_working_set() const;
  // The pages this process referenced since start_working_set(); nullopt
  // if unreadable.
  std::optional<double> working_set_pages() const;
  std::vector<std::pair<std::string, double>> deltas(const CounterArray& from, const CounterArray& to) const {
    return trace_deltas(from, to, bpf_.available(), isolation_on_);
  }

 private:
  TraceBpf bpf_;
  bool isolation_on_;
};

}  // namespace ptilab
