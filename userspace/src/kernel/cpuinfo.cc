#include "kernel/cpuinfo.h"

namespace ptilab {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  while (!(s = trim(s)).empty()) {
    std::size_t n = 0;
    while (n < s.size() && !is_blank(s[n])) ++n;
    out.emplace_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

}  // namespace

std::optional<std::string> cpuinfo_value(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != key) continue;
    return std::string(trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> cpuinfo_words(std::string_view text, std::string_view key) {
  const auto v = cpuinfo_value(text, key);
  if (!v) return std::nullopt;
  return words(*v);
}

std::optional<FlagSet> cpuinfo_flags(std::string_view text) {
  const auto w = cpuinfo_words(text, "flags");
  if (!w) return std::nullopt;
  return FlagSet(w->begin(), w->end());
}

std::size_t cpuinfo_processors(std::string_view text) {
  std::size_t n = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && trim(line.substr(0, colon)) == "processor") ++n;
  }
  return n;
}

}  // namespace ptilab
