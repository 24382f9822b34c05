#include "kernel/perf_counters.h"

#include <perfmon/pfmlib_perf_event.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

void init_libpfm() {
  static const int rc = pfm_initialize();
  if (rc != PFM_SUCCESS) throw Error(std::string("libpfm4 cannot start: ") + pfm_strerror(rc));
}

// perf's software events that libpfm4 (4.13) has no name for; every other
// perf-tool name (cycles, dTLB-load-misses, LLC-load-misses, cs, ...) is in
// libpfm4's "perf" PMU, case-insensitively.
struct PerfOnlyEvent {
  const char* name;
  std::uint64_t config;
};
constexpr PerfOnlyEvent kPerfOnlyEvents[] = {
    {"alignment-faults", PERF_COUNT_SW_ALIGNMENT_FAULTS},
    {"emulation-faults", PERF_COUNT_SW_EMULATION_FAULTS},
};

// libpfm4's encoding of name into attr. A bare name is looked up in the
// "perf" PMU first, so that "cycles" means perf's generic event (what the
// kernel maps it to) on every machine, not whichever CPU PMU event libpfm4
// happens to match first; names only a CPU PMU has still resolve.
int encode(const std::string& name, perf_event_attr& attr, std::string& resolved) {
  for (const auto& e : kPerfOnlyEvents) {
    if (strcasecmp(name.c_str(), e.name) == 0) {
      attr.type = PERF_TYPE_SOFTWARE;
      attr.config = e.config;
      resolved = std::string("perf_event software ") + e.name;
      return PFM_SUCCESS;
    }
  }
  const auto try_encode = [&](const std::string& spelling) {
    attr = {};
    char* fstr = nullptr;
    pfm_perf_encode_arg_t arg = {};
    arg.attr = &attr;
    arg.fstr = &fstr;
    arg.size = sizeof arg;
    // Kernel and user by default; explicit modifiers (cycles:u) still win.
    const int rc = pfm_get_os_event_encoding(spelling.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
    if (rc == PFM_SUCCESS && fstr) resolved = fstr;
    std::free(fstr);
    return rc;
  };
  if (name.find("::") == std::string::npos) {
    const int rc = try_encode("perf::" + name);
    if (rc != PFM_ERR_NOTFOUND) return rc;
  }
  return try_encode(name);
}

std::string paranoid_hint() {
  const auto text = try_read_text_file("/proc/sys/kernel/perf_event_paranoid");
  std::string level = text ? std::string(*text) : std::string("?");
  level.erase(level.find_last_not_of(" \n") + 1);
  return "kernel.perf_event_paranoid=" + level +
         "; counting the kernel needs root, CAP_PERFMON or a paranoid level of 1 or less";
}

// Resolves and opens name. Returns false if libpfm4 does not know it
// (event.reason: libpfm4's message); else fills event and, when supported,
// fd.
bool open_event(const std::string& name, CounterEvent& event, int& fd) {
  init_libpfm();
  event = {};
  event.name = name;
  fd = -1;
  perf_event_attr attr = {};
  const int rc = encode(name, attr, event.resolved);
  if (rc != PFM_SUCCESS) {
    event.reason = std::string("libpfm4: ") + pfm_strerror(rc);
    return false;
  }
  attr.size = sizeof attr;
  attr.disabled = 0;  // always counting: readings are differenced
  attr.exclude_hv = 1;
  attr.inherit = 1;  // the threads and children the benchmarks create
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  fd = perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd >= 0) {
    event.supported = true;
    return true;
  }
  const int err = errno;
  if (err == EMFILE || err == ENFILE || err == ENOMEM)
    throw Error("cannot open perf counter " + name + ": " + errno_string(err));
  if (err == EACCES || err == EPERM)
    event.reason = "not supported: not permitted (" + paranoid_hint() + "; perf_event_open: " + errno_string(err) + ")";
  else
    event.reason = "not supported on this machine (perf_event_open: " + errno_string(err) + ")";
  return true;
}

std::string unknown_message(const std::string& name, const std::string& why) {
  return "unknown perf event '" + name + "' (" + why +
         "); valid names include cycles, instructions, dTLB-load-misses, context-switches, page-faults "
         "(`ptilab counters NAME...` checks names)";
}

}  // namespace

std::vector<std::string> parse_counter_list(std::string_view list) {
  if (list.empty()) throw UsageError("--counters needs at least one event name");
  std::vector<std::string> names;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = list.find(',', start);
    // substr clamps npos - start to the end of the list.
    const std::string item(list.substr(start, comma - start));
    if (item.empty()) throw UsageError("--counters '" + std::string(list) + "': empty event name");
    if (std::find(names.begin(), names.end(), item) != names.end())
      throw UsageError("--counters '" + std::string(list) + "': '" + item + "' given twice");
    names.push_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return names;
}

CounterCheck check_counter(const std::string& name) {
  CounterCheck c;
  int fd = -1;
  c.known = open_event(name, c.event, fd);
  if (fd >= 0) ::close(fd);
  return c;
}

PerfCounterSet::PerfCounterSet(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    for (const auto reserved : kBenchCounterNames)
      if (name == reserved)
        throw UsageError("perf event name '" + name + "' is also a benchmark's own counter" +
                         (name == "faults" ? "; use page-faults" : ""));
    CounterEvent event;
    int fd = -1;
    if (!open_event(name, event, fd)) {
      for (int f : fds_) ::close(f);
      throw UsageError(unknown_message(name, event.reason));
    }
    if (fd >= 0) {
      fds_.push_back(fd);
      fd_names_.push_back(name);
    }
    events_.push_back(std::move(event));
  }
}

PerfCounterSet::~PerfCounterSet() {
  for (int fd : fds_) ::close(fd);
}

std::string PerfCounterSet::read(CounterReading& out) const {
  out.values.resize(fds_.size());
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    std::uint64_t buf[3];
    const ssize_t n = ::read(fds_[i], buf, sizeof buf);
    if (n != static_cast<ssize_t>(sizeof buf))
      return "reading perf counter " + fd_names_[i] + ": " + (n < 0 ? errno_string(errno) : "short read");
    out.values[i] = {buf[0], buf[1], buf[2]};
  }
  return {};
}

std::vector<std::pair<std::string, double>> PerfCounterSet::deltas(const CounterReading& from,
                                                                   const CounterReading& to) const {
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t i = 0; i < fds_.size() && i < from.values.size() && i < to.values.size(); ++i) {
    const auto& a = from.values[i];
    const auto& b = to.values[i];
    const double count = static_cast<double>(b.count - a.count);
    const double enabled = static_cast<double>(b.enabled - a.enabled);
    const double running = static_cast<double>(b.running - a.running);
    // A multiplexed hardware counter that got no time on the PMU has no
    // estimate (and must not read as zero).
    if (running <= 0) continue;
    out.emplace_back(fd_names_[i], running < enabled ? count * enabled / running : count);
  }
  return out;
}

}  // namespace ptilab
