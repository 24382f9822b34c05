// `ptilab trace` without BPF: the counters' names, per-interval deltas,
// the derived kernel-entry and CR3-write numbers, the isolation-cost
// estimate, the table and the CSV rows. The loader (trace_bpf.h) only
// fills TraceSnapshot; everything here is pure and unit-tested.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/arch_profile.h"
#include "kernel/trace_counts.h"
#include "results/results.h"

namespace ptilab {

struct CounterInfo {
  int index;
  std::string_view metric;  // CSV metric stem: "syscalls" -> syscalls, syscalls_per_s
  std::string_view column;  // interval table column
  std::string_view label;   // totals
  bool in_table = true;     // a column of the interval table (else totals only)
};

// Every counter the table and CSV show, in display order.
const std::vector<CounterInfo>& counter_infos();
const std::vector<CounterInfo>& pid_counter_infos();

// Every counter counted.
CounterSet all_counters();

// n per second over seconds (0 for an empty interval).
double rate(std::uint64_t n, double seconds);
// A process's kernel entries: its syscalls, interrupts and user page faults.
std::uint64_t entries_of(const PidCounts& p);
// The system-wide counter a per-process counter is a share of.
int pid_source(int pid_index);
// "syscalls, page_faults_user": the counters' metric names.
std::string term_list(const std::vector<int>& terms);

struct TraceInterval {
  double seconds = 0;  // length
  double end = 0;      // since the start
  std::vector<CounterArray> cpus;  // deltas per CPU
  CounterArray total{};            // summed over CPUs
  std::vector<PidCounts> pids;     // deltas, only processes with any
};

// cur - prev. A pid missing from prev counts from zero.
TraceInterval interval_between(const TraceSnapshot& prev, const TraceSnapshot& cur);

// Adds an interval's per-process deltas to running totals.
void accumulate_pids(std::map<std::uint32_t, PidCounts>& totals, const std::vector<PidCounts>& deltas);

// The N processes with the most kernel entries (syscalls + interrupts +
// user page faults), then most context switches; ties by pid.
std::vector<PidCounts> top_pids(std::vector<PidCounts> pids, std::size_t n);

// tlb:tlb_flush does not fire for PTI's CR3 switches on kernel entry and
// exit, so these are derived from counted events. A derived number one of
// whose terms could not be counted is not derived (never a sum that
// silently omits a term): its *_counted is false and its value 0.
struct Derived {
  double kernel_entries = 0;  // syscalls + user page faults + interrupts in user tasks
  double cr3_writes = 0;      // 2 x kernel_entries (isolation on) + mm switches
  bool isolation_on = true;
  bool entries_counted = true, cr3_counted = true;
};
Derived derive(const CounterArray& c, bool isolation_on);
Derived derive(const CounterArray& c, bool isolation_on, const CounterSet& available);
// The counters each derived number is a sum of; those not available.
std::vector<int> entry_terms();
std::vector<int> cr3_terms(bool isolation_on);
std::vector<int> missing_terms(const std::vector<int>& terms, const CounterSet& available);
// The counter's CSV metric stem ("page_faults_user"); "" if none.
std::string_view metric_of(int counter);
// What to tell on stderr about what was not counted: one line per reason
// with the counters it took ("not countable on this kernel: tlb_flushes,
// ... (why)"), one per derived number that is not derived and the term it
// lacks. name() spells a metric stem as the caller's rows do (ptilab
// bench: trace:<stem>_per_op). Empty when everything was counted.
std::vector<std::string> coverage_notes(const CounterSet& available, const CounterReasons& why_not, bool isolation_on,
                                        std::string (*name)(std::string_view stem));
// Whether the CR3 formula should count entry/exit writes: pti (x86) or
// kpti (arm64) "on"; "unknown" counts as on (and the caller says so).
bool isolation_assumed_on(std::string_view pti, std::string_view kpti);
std::string entries_formula();
std::string cr3_formula(bool isolation_on, const ArchProfile& profile);

// What isolation adds per transition.
struct IsolationCost {
  double ns_per_entry = 0;      // per kernel entry + exit
  double ns_per_mm_switch = 0;  // per context switch that changes mm
  std::string source;           // "ptilab.ko probe cr3_noflush" / "results.csv (pti on/off)"
  std::vector<std::string> inputs;       // the numbers it came from
  std::vector<std::string> assumptions;  // what it leaves out
};

// From a pti=on/pti=off pair in results rows: BM_Syscall_Null's ns_per_op
// difference is one entry+exit; BM_Pipe_PingPong/cpus:1 (4 entries, 2 mm
// switches per round trip) gives the mm switch after the entries' share.
// Rows of several runs per configuration are averaged. Throws Error naming
// what is missing.
IsolationCost cost_from_results(const std::vector<ResultRow>& rows, std::string_view source);
// From the module's probe of the page-table write (the profile's
// entry_write_probe): two per entry and exit.
IsolationCost cost_from_probe(const ArchProfile& profile, std::string_view primitive, double write_ns);

struct Estimate {
  double entries_per_s = 0;
  double mm_switches_per_s = 0;
  double ns_per_s = 0;          // isolation's CPU time per second of wall time
  double percent_of_cpus = 0;   // of all online CPUs
  double percent_of_one_cpu = 0;
  int nr_cpus = 1;
};
Estimate estimate(const Derived& d, const CounterArray& total, double seconds, int nr_cpus,
                  const IsolationCost& cost);

// CSV rows: benchmark "trace" (system-wide or -p), "trace:<comm>:<pid>" per
// top process. Per counter: <metric> (count, the run's total) and
// <metric>_per_s (mean rate; stddev over intervals, repetitions = intervals).
// A counter not counted, or a derived number one of whose terms was not,
// gets both rows with an empty value and unit not_supported.
std::vector<ResultRow> trace_rows(const RunInfo& run, const std::vector<TraceInterval>& intervals,
                                  const CounterSet& available, bool isolation_on,
                                  const std::vector<PidCounts>& top, double seconds);

}  // namespace ptilab
