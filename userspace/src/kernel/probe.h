// The module's cost probes (its probe file): run one primitive N times and
// read back what the module measured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/debugfs.h"
#include "kernel/module_files.h"

namespace ptilab {

inline constexpr int kMinProbeIterations = 1;
inline constexpr int kMaxProbeIterations = 200000;
inline constexpr int kDefaultProbeIterations = 10000;

struct ProbeOutcome {
  enum class Kind { kMeasured, kUnsupported, kFailed };
  Kind kind = Kind::kFailed;
  std::string primitive;
  ProbeStats stats;                 // kMeasured
  std::string counter;              // kMeasured
  std::uint64_t counter_khz = 0;    // kMeasured
  std::optional<double> median_ns;  // kMeasured, when counter_khz is known
  std::string error;                // kFailed, or kUnsupported by the write's
                                    // EOPNOTSUPP: "probe NAME: why (ENAME)"
};

// What one probe run gave: the write's errno (0: it ran) and then the
// probe file's text.
struct ProbeRun {
  int error = 0;
  std::string text;
};

// Writes "<name> iterations=<N>" and reads the file back. Throws Error only
// when the module is not there.
ProbeRun run_probe_raw(const Debugfs& fs, std::string_view name, int iterations);

// A run's outcome, checking that the file shows this run: EOPNOTSUPP is
// kUnsupported; other failures are kFailed with the errno named. source
// names the text in errors. Throws Error when the text is malformed.
ProbeOutcome probe_outcome(std::string_view name, int iterations, const ProbeRun& run, std::string_view source);

// run_probe_raw() and probe_outcome().
ProbeOutcome run_probe(const Debugfs& fs, std::string_view name, int iterations);

// The primitives to run: names (checked against report's primitive.<name>
// lines: UsageError listing the valid ones), or, when names is empty or
// all is set, every supported one.
std::vector<std::string> select_primitives(const ProbeReport& report, const std::vector<std::string>& names, bool all);

}  // namespace ptilab
