// The ptilab command line (CLI11): subcommand dispatch and option parsing;
// the command table is commands.cc. Exit status: 0 success, 1 runtime
// failure (one line on stderr), 2 bad usage (message and usage on stderr).
#pragma once

#include <string>
#include <vector>

#include "cmd/trace.h"

namespace ptilab {

int run_cli(int argc, char** argv);

// The options `ptilab trace ARGS...` would run with, through the same
// command table. Throws UsageError. The unit tests call it.
TraceOptions parse_trace(const std::vector<std::string>& args);

}  // namespace ptilab
