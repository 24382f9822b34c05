// A benchmark that cannot run here (too few CPUs, no helper binary) is
// skipped, not failed: Google Benchmark 1.7 has only SkipWithError, so such
// messages carry this prefix and the collector reports them as skips.
#pragma once

#include <string_view>

namespace ptilab {

inline constexpr std::string_view kSkipPrefix = "skipped: ";

}  // namespace ptilab
