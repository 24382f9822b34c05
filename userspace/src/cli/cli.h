// The ptilab command line: subcommand dispatch and option parsing.
// Exit status: 0 success, 1 runtime failure (one line on stderr),
// 2 bad usage (message and usage on stderr).
#pragma once

#include <string_view>

namespace ptilab {

extern const std::string_view kUsage;

int run_cli(int argc, char** argv);

}  // namespace ptilab
