// /proc/cpuinfo: "key<TAB>: value" lines, one block per processor. The
// first block speaks for the machine (the kernel keeps the flags of all
// CPUs alike).
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

using FlagSet = std::set<std::string, std::less<>>;

// The value of the first line whose key is `key`, trimmed; nullopt if none.
std::optional<std::string> cpuinfo_value(std::string_view cpuinfo, std::string_view key);

// That value split at blanks.
std::optional<std::vector<std::string>> cpuinfo_words(std::string_view cpuinfo, std::string_view key);

// The words of the first "flags" line (x86's feature flags); nullopt if
// there is none (not x86, or not cpuinfo at all).
std::optional<FlagSet> cpuinfo_flags(std::string_view cpuinfo);

// How many "processor" lines.
std::size_t cpuinfo_processors(std::string_view cpuinfo);

}  // namespace ptilab
