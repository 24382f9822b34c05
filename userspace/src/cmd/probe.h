// `ptilab probe`: time the module's TLB/CR3 primitives (kernel/probe.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kernel/debugfs.h"
#include "kernel/probe.h"

namespace ptilab {

struct ProbeOptions {
  std::vector<std::string> names;
  bool all = false;
  int iterations = kDefaultProbeIterations;
  bool json = false;
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
};

// Exit 0 unless every requested primitive failed (unsupported is not a
// failure). Throws Error / UsageError.
int run_probe_cmd(const ProbeOptions& options);

}  // namespace ptilab
