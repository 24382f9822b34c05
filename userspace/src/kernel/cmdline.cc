#include "kernel/cmdline.h"

#include <charconv>

namespace ptilab {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

// next_arg() (lib/cmdline.c): one parameter off the front of s.
CmdlineParam next_arg(std::string_view& s) {
  bool in_quote = false, quoted = false;
  std::string_view args = s;
  if (!args.empty() && args.front() == '"') {
    args.remove_prefix(1);
    in_quote = quoted = true;
  }
  std::size_t i = 0, equals = 0;
  for (; i < args.size(); ++i) {
    if (is_space(args[i]) && !in_quote) break;
    if (equals == 0 && args[i] == '=') equals = i;
    if (args[i] == '"') in_quote = !in_quote;
  }
  std::string_view word = args.substr(0, i);
  CmdlineParam p;
  p.word = std::string(s.substr(0, (quoted ? 1 : 0) + i));
  // The closing quote of a quoted word or value is dropped, as the kernel
  // overwrites it with a NUL.
  const bool strip_last = i > 0 && args[i - 1] == '"';
  if (!equals) {
    p.name = std::string(quoted && strip_last ? word.substr(0, i - 1) : word);
  } else {
    p.name = std::string(word.substr(0, equals));
    std::string_view val = word.substr(equals + 1);
    if (!val.empty() && val.front() == '"') {
      val.remove_prefix(1);
      if (strip_last && !val.empty()) val.remove_suffix(1);
    } else if (quoted && strip_last && !val.empty()) {
      val.remove_suffix(1);
    }
    p.value = std::string(val);
  }
  s = skip_spaces(args.substr(i));
  return p;
}

}  // namespace

std::vector<CmdlineParam> early_params(std::string_view cmdline) {
  std::vector<CmdlineParam> out;
  std::string_view s = skip_spaces(cmdline);
  while (!s.empty()) {
    CmdlineParam p = next_arg(s);
    if (!p.value && p.name == "--") break;  // parse_args(): "Stop at --"
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> cmdline_words(std::string_view cmdline) {
  std::vector<std::string> out;
  std::string_view s = skip_spaces(cmdline);
  while (!s.empty()) {
    std::size_t n = 0;
    while (n < s.size() && !is_space(s[n])) ++n;
    out.emplace_back(s.substr(0, n));
    s = skip_spaces(s.substr(n));
  }
  return out;
}

std::optional<bool> kernel_strtobool(std::string_view s) {
  if (s.empty()) return std::nullopt;
  switch (s[0]) {
    case 'y': case 'Y': case 't': case 'T': case '1':
      return true;
    case 'n': case 'N': case 'f': case 'F': case '0':
      return false;
    case 'o': case 'O':
      if (s.size() > 1 && (s[1] == 'n' || s[1] == 'N')) return true;
      if (s.size() > 1 && (s[1] == 'f' || s[1] == 'F')) return false;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

bool cmdline_mitigations_off(std::string_view cmdline) {
  bool off = false;
  for (const auto& p : early_params(cmdline)) {
    if (p.name != "mitigations" || !p.value) continue;
    if (*p.value == "off") off = true;
    if (*p.value == "auto" || *p.value == "auto,nosmt") off = false;
  }
  return off;
}

std::optional<std::pair<int, int>> kernel_version(std::string_view release) {
  int major = 0, minor = 0;
  const char* const end = release.data() + release.size();
  auto r = std::from_chars(release.data(), end, major);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.') return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, minor);
  if (r.ec != std::errc()) return std::nullopt;
  return std::pair{major, minor};
}

}  // namespace ptilab
