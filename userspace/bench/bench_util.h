// Helpers shared by the benchmark files.
#pragma once

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bench_skip.h"

namespace ptilab::bench {

// "what: strerror(errno)", for SkipWithError.
inline std::string errno_message(const std::string& what) { return what + ": " + std::strerror(errno); }

// Skip a benchmark this machine cannot run (not an error: no numbers, and
// the run goes on).
inline void skip(benchmark::State& state, const std::string& why) {
  state.SkipWithError((std::string(kSkipPrefix) + why).c_str());
}

}  // namespace ptilab::bench
