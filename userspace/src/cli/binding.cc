#include "cli/binding.h"

#include <charconv>
#include <utility>

#include "results/results.h"
#include "util/error.h"

namespace ptilab::cli {

namespace {

// "-p,--pid" -> "--pid": messages name the long form.
std::string long_name(const std::string& names) {
  const auto comma = names.rfind(',');
  return comma == std::string::npos ? names : names.substr(comma + 1);
}

// Values are taken as text and converted by set(): CLI11's own conversion
// would accept what ptilab rejects.
CLI::Option* value(CLI::App* app, const std::string& names, const std::string& type,
                   std::function<void(const std::string&)> set, const std::string& help) {
  return app
      ->add_option_function<std::string>(
          names, [set = std::move(set)](const std::string& v) { set(v); }, help)
      ->type_name(type)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

}  // namespace

std::optional<double> parse_size(const std::string& t) {
  struct Unit {
    const char* name;
    double bytes;
  };
  static constexpr Unit kUnits[] = {{"", 1},           {"B", 1},           {"K", 1024.0},
                                    {"KiB", 1024.0},   {"M", 1048576.0},   {"MiB", 1048576.0},
                                    {"G", 1073741824.0}, {"GiB", 1073741824.0}};
  std::size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  const std::string unit = t.substr(digits);
  for (const Unit& u : kUnits) {
    if (unit != u.name) continue;
    const double v = std::stod(t.substr(0, digits)) * u.bytes;
    if (!(v > 0)) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

void bad_value(const std::string& option, const std::string& what, const std::string& text) {
  throw UsageError(option + " must be " + what + ", got '" + text + "'");
}

CLI::Option* flag(CLI::App* app, const std::string& names, bool& dest, const std::string& help) {
  return app->add_flag(names, dest, help)->disable_flag_override();
}

CLI::Option* text(CLI::App* app, const std::string& names, const std::string& type,
                  std::function<void(const std::string&)> set, const std::string& help) {
  return value(
      app, names, type,
      [name = long_name(names), set = std::move(set)](const std::string& v) {
        if (v.empty()) throw UsageError(name + " needs a non-empty value");
        set(v);
      },
      help);
}

CLI::Option* repeated(CLI::App* app, const std::string& names, const std::string& type,
                      std::function<void(const std::string&)> set, const std::string& help) {
  // Run at each occurrence, not once after parsing with the last value.
  return text(app, names, type, std::move(set), help)->trigger_on_parse();
}

CLI::Option* integer(CLI::App* app, const std::string& names, const std::string& type, long lo, long hi,
                     std::function<void(long)> set, const std::string& help) {
  return value(
      app, names, type,
      [name = long_name(names), lo, hi, set = std::move(set)](const std::string& t) {
        long v = 0;
        const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || v < lo || v > hi)
          bad_value(name, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi), t);
        set(v);
      },
      help);
}

CLI::Option* seconds(CLI::App* app, const std::string& names, std::function<void(double)> set,
                     const std::string& help) {
  return value(
      app, names, "SECONDS",
      [name = long_name(names), set = std::move(set)](const std::string& t) {
        const auto v = parse_number(t);
        if (!v || *v <= 0) bad_value(name, "a positive number of seconds", t);
        set(*v);
      },
      help);
}

}  // namespace ptilab::cli
