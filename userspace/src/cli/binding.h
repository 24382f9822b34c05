// Options bound to ptilab's option structs through CLI11. CLI11 reads the
// command line (names, --name=value, -h, --, what is missing or left
// over); the values are parsed here, strictly to the last byte, so that
// "--repetitions 2x" and "--quick=yes" are usage errors as they always
// were, with ptilab's own messages.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

namespace ptilab::cli {

// --name, never --name=value (CLI11 would take "--quick=yes" as true).
CLI::Option* flag(CLI::App* app, const std::string& names, bool& dest, const std::string& help);

// A text value; empty is a usage error ("--host=").
CLI::Option* text(CLI::App* app, const std::string& names, const std::string& type,
                  std::function<void(const std::string&)> set, const std::string& help);

template <class T>
CLI::Option* text(CLI::App* app, const std::string& names, const std::string& type, T& dest,
                  const std::string& help) {
  return text(app, names, type, [&dest](const std::string& v) { dest = v; }, help);
}

// A text value that may be given again: set() sees each one, in
// command-line order ("--where a=1 --where b=2").
CLI::Option* repeated(CLI::App* app, const std::string& names, const std::string& type,
                      std::function<void(const std::string&)> set, const std::string& help);

// An integer from lo to hi.
CLI::Option* integer(CLI::App* app, const std::string& names, const std::string& type, long lo, long hi,
                     std::function<void(long)> set, const std::string& help);

// A positive number of seconds.
CLI::Option* seconds(CLI::App* app, const std::string& names, std::function<void(double)> set,
                     const std::string& help);

// "4096", "64K", "64M", "1G" (binary units; "64MiB" too): a positive
// number of bytes, whole; nullopt otherwise.
std::optional<double> parse_size(const std::string& text);

// The usage error for option's value.
[[noreturn]] void bad_value(const std::string& option, const std::string& what, const std::string& text);

}  // namespace ptilab::cli
