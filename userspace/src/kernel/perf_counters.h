// Perf counters for `ptilab bench --counters` and `ptilab counters`: event
// names resolved by libpfm4 (any name it knows, perf-tool spellings such as
// dTLB-load-misses included), counted with perf_event_open for this process
// and every thread and child it creates afterwards, in kernel and user mode.
// Google Benchmark's own libpfm support excludes the kernel, which is where
// page-table isolation costs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

// "cycles,page-faults" -> {"cycles", "page-faults"}. Throws UsageError for an
// empty list, an empty item or a name given twice.
std::vector<std::string> parse_counter_list(std::string_view list);

// Names the benchmarks' own counters use (bench/*.cc): a perf counter of the
// same name would overwrite one of them, or be overwritten.
inline constexpr std::string_view kBenchCounterNames[] = {"syscalls", "faults", "pages"};

// The events `ptilab counters` checks when given no name.
inline constexpr std::string_view kDefaultCounterNames[] = {
    "cycles", "instructions", "dTLB-load-misses", "iTLB-load-misses", "context-switches", "page-faults",
    "cpu-migrations"};

struct CounterEvent {
  std::string name;      // as the user typed it: the metric name
  std::string resolved;  // libpfm4's fully qualified spelling, e.g. perf::PERF_COUNT_SW_PAGE_FAULTS:u=1:k=1
  bool supported = false;
  std::string reason;  // why not, when not supported
};

// What libpfm4 and the kernel say about one name, without keeping anything
// open: known is false when libpfm4 does not know the name (reason says
// what libpfm4 said). Throws Error when libpfm4 cannot start or the
// process is out of file descriptors.
struct CounterCheck {
  bool known = false;
  CounterEvent event;
};
CounterCheck check_counter(const std::string& name);

// The raw counts of the supported events at one moment.
struct CounterReading {
  struct Value {
    std::uint64_t count = 0, enabled = 0, running = 0;
  };
  std::vector<Value> values;  // one per supported event, in order
};

// Open counters, one file descriptor per supported event (inherit rules out
// group reads on older kernels). A read of an inherited counter includes
// the live threads and children created after the open, and the exited
// ones (the kernel sums the child events), so open the set before any
// benchmark creates one.
class PerfCounterSet {
 public:
  // Throws UsageError for a name libpfm4 does not know (or one of
  // kBenchCounterNames), Error as check_counter does. An event the machine
  // lacks is kept, not supported, with the reason.
  explicit PerfCounterSet(const std::vector<std::string>& names);
  ~PerfCounterSet();
  PerfCounterSet(const PerfCounterSet&) = delete;
  PerfCounterSet& operator=(const PerfCounterSet&) = delete;

  const std::vector<CounterEvent>& events() const { return events_; }
  bool any_supported() const { return !fds_.empty(); }

  // Empty on success, else what failed.
  std::string read(CounterReading& out) const;
  // (name, count) of each supported event between two readings, scaled by
  // enabled/running time where the kernel multiplexed the counter; an
  // event that never ran between the two is left out (no count is known).
  std::vector<std::pair<std::string, double>> deltas(const CounterReading& from, const CounterReading& to) const;

 private:
  std::vector<CounterEvent> events_;
  std::vector<int> fds_;                  // one per supported event
  std::vector<std::string> fd_names_;     // their names
};

}  // namespace ptilab
