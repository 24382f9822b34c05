#include "bench/trace.h"

#include <unistd.h>

#include <iostream>

#include "kernel/workload.h"
#include "util/error.h"

namespace ptilab {

std::string trace_metric(std::string_view stem) { return "trace:" + std::string(stem) + "_per_op"; }

std::vector<std::pair<std::string, double>> trace_deltas(const CounterArray& from, const CounterArray& to,
                                                         const CounterSet& available, bool isolation_on) {
  std::vector<std::pair<std::string, double>> out;
  CounterArray d{};
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = to[i] - from[i];
  for (const CounterInfo& ci : counter_infos())
    if (available[static_cast<std::size_t>(ci.index)])
      out.emplace_back(trace_metric(ci.metric), static_cast<double>(d[static_cast<std::size_t>(ci.index)]));
  const Derived derived = derive(d, isolation_on, available);
  if (derived.entries_counted) out.emplace_back(trace_metric("kernel_entries_derived"), derived.kernel_entries);
  if (derived.cr3_counted) out.emplace_back(trace_metric("cr3_writes_derived"), derived.cr3_writes);
  return out;
}

std::vector<std::string> trace_unsupported(const CounterSet& available, bool isolation_on) {
  std::vector<std::string> out;
  for (const CounterInfo& ci : counter_infos())
    if (!available[static_cast<std::size_t>(ci.index)]) out.push_back(trace_metric(ci.metric));
  const Derived derived = derive(CounterArray{}, isolation_on, available);
  if (!derived.entries_counted) out.push_back(trace_metric("kernel_entries_derived"));
  if (!derived.cr3_counted) out.push_back(trace_metric("cr3_writes_derived"));
  return out;
}

BenchTracer::BenchTracer(const TraceBpfOptions& options, bool isolation_on)
    : bpf_(options), isolation_on_(isolation_on) {
  for (const auto& note : coverage_notes(bpf_.available(), bpf_.why_not(), isolation_on_,
                                         [](std::string_view stem) { return trace_metric(stem); }))
    std::cerr << "ptilab: trace: " << note << "\n";
}

std::vector<std::string> BenchTracer::names() const {
  std::vector<std::string> names;
  for (const auto& [name, value] : deltas(CounterArray{}, CounterArray{})) names.push_back(name);
  names.emplace_back(kTraceBusyMetric);
  return names;
}

std::optional<double> BenchTracer::busy_seconds() const {
  try {
    return busy_cpu_seconds(std::nullopt);
  } catch (const Error&) {
    return std::nullopt;
  }
}

bool BenchTracer::start_working_set() const {
  try {
    clear_referenced(::getpid());
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::optional<double> BenchTracer::working_set_pages() const {
  try {
    return read_memory_rollup(::getpid()).referenced / static_cast<double>(::sysconf(_SC_PAGESIZE));
  } catch (const Error&) {
    return std::nullopt;
  }
}

CounterArray BenchTracer::read() const {
  CounterArray total{};
  // At every benchmark loop's edges: the per-CPU counters only.
  for (const CounterArray& cpu : bpf_.read_cpus())
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += cpu[i];
  return total;
}

}  // namespace ptilab
