#include "cmd/counters.h"

#include <algorithm>
#include <iostream>
#include <iterator>

#include "kernel/perf_counters.h"

namespace ptilab {

int run_counters(const CountersOptions& options) {
  std::vector<std::string> list = options.events;
  if (list.empty()) list.assign(std::begin(kDefaultCounterNames), std::end(kDefaultCounterNames));
  int status = 0;
  std::size_t width = 0;
  for (const auto& n : list) width = std::max(width, n.size());
  for (const auto& name : list) {
    const CounterCheck c = check_counter(name);
    std::string line = name + std::string(width - name.size() + 2, ' ');
    if (!c.known) {
      status = 1;
      line += "unknown: " + c.event.reason;
    } else if (c.event.supported) {
      line += "supported (" + c.event.resolved + ")";
    } else {
      line += c.event.reason + " (" + c.event.resolved + ")";
    }
    std::cout << line << "\n";
  }
  return status;
}

}  // namespace ptilab
