#include "state.h"

#include <algorithm>

#include "error.h"
#include "text_file.h"

namespace ptilab {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Only the values this program interprets are checked; others are opaque.
std::string checked_switch(const ModuleState& state, std::string_view key) {
  const ModuleState::Entry* e = state.find(key);
  if (!e) return std::string(kUnknown);
  if (e->value == kOn || e->value == kOff || e->value == kUnknown) return e->value;
  throw Error(state.source() + ":" + std::to_string(e->line) + ": " + std::string(key) +
              " must be on, off or unknown, got '" + e->value + "'");
}

}  // namespace

ModuleState ModuleState::parse(std::string_view text, std::string_view source, std::size_t first_line) {
  ModuleState state;
  state.source_ = source;
  std::size_t line_no = first_line - 1;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;

    const auto fail = [&](const std::string& what) -> Error {
      return Error(std::string(source) + ":" + std::to_string(line_no) + ": " + what);
    };
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) throw fail("expected key=value, got '" + std::string(line) + "'");
    const std::string_view key = line.substr(0, eq);
    if (key.empty()) throw fail("empty key");
    if (std::any_of(key.begin(), key.end(), is_blank)) throw fail("blank in key '" + std::string(key) + "'");
    if (const Entry* prev = state.find(key))
      throw fail("duplicate key '" + std::string(key) + "' (first on line " + std::to_string(prev->line) + ")");
    state.entries_.push_back({std::string(key), std::string(line.substr(eq + 1)), line_no});
  }
  return state;
}

ModuleState ModuleState::read(const std::filesystem::path& path) {
  return parse(read_text_file(path), path.string());
}

const ModuleState::Entry* ModuleState::find(std::string_view key) const {
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries_.end() ? nullptr : &*it;
}

std::optional<std::string> ModuleState::get(std::string_view key) const {
  const Entry* e = find(key);
  if (!e) return std::nullopt;
  return e->value;
}

bool is_x86_64(std::string_view arch) { return arch == "x86_64"; }

Isolation isolation_from_module(const ModuleState& state, std::string_view arch, std::string_view kernel) {
  Isolation iso;
  iso.source = "module state " + state.source();
  if (is_x86_64(arch)) {
    iso.pti = checked_switch(state, "pti");
    iso.pcid = checked_switch(state, "pcid");
    iso.e0pd = iso.kpti = kNotApplicable;
  } else {
    iso.kpti = checked_switch(state, "kpti");
    iso.e0pd = checked_switch(state, "e0pd");
    iso.pti = iso.pcid = kNotApplicable;
  }
  // A state file copied from elsewhere would mislabel every row.
  if (const auto a = state.get("arch"); a && *a != arch)
    iso.warnings.push_back(state.source() + " is for arch " + *a + ", this machine is " + std::string(arch));
  if (const auto k = state.get("kernel"); k && *k != kernel)
    iso.warnings.push_back(state.source() + " is for kernel " + *k + ", this one is " + std::string(kernel));
  return iso;
}

std::string_view pti_from_meltdown(std::string_view sysfs_text) {
  const std::string_view s = trim(sysfs_text);
  if (s.find("PTI") != std::string_view::npos) return kOn;
  if (s.starts_with("Not affected") || s.starts_with("Vulnerable")) return kOff;
  return kUnknown;
}

std::optional<std::set<std::string, std::less<>>> cpuinfo_flags(std::string_view text) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != "flags") continue;
    std::set<std::string, std::less<>> flags;
    std::string_view rest = line.substr(colon + 1);
    while (!(rest = trim(rest)).empty()) {
      const std::size_t end = std::min(rest.find(' '), rest.find('\t'));
      flags.emplace(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
    return flags;
  }
  return std::nullopt;
}

Isolation isolation_from_kernel(const std::optional<std::string>& meltdown_text,
                                const std::optional<std::string>& cpuinfo_text, std::string_view arch) {
  Isolation iso;
  iso.source = "kernel (no module state): meltdown sysfs file, /proc/cpuinfo";
  const std::string_view meltdown = meltdown_text ? pti_from_meltdown(*meltdown_text) : kUnknown;
  if (!is_x86_64(arch)) {
    // arm64 reports KPTI as "Mitigation: PTI" too; but it says "Not
    // affected" for a CPU that is safe from Meltdown even when KASLR forces
    // KPTI on (unmap_kernel_at_el0()), and E0PD is not visible here.
    iso.kpti = meltdown;
    if (meltdown == kOff && meltdown_text && !meltdown_text->starts_with("Vulnerable")) {
      iso.kpti = kUnknown;
      iso.warnings.push_back(
          "arm64: the meltdown sysfs file says \"Not affected\" whether or not KASLR forces KPTI on; load "
          "ptilab.ko for the real state (kpti recorded as unknown)");
    }
    iso.pti = iso.pcid = kNotApplicable;
    return iso;
  }
  iso.e0pd = iso.kpti = kNotApplicable;
  const auto flags = cpuinfo_text ? cpuinfo_flags(*cpuinfo_text) : std::nullopt;
  if (flags && flags->contains("pti"))
    iso.pti = kOn;
  else
    iso.pti = meltdown;
  if (flags) iso.pcid = flags->contains("pcid") ? kOn : kOff;
  return iso;
}

Isolation detect_isolation(const StateSources& sources, std::string_view arch, std::string_view kernel) {
  if (sources.state_file) return isolation_from_module(ModuleState::read(*sources.state_file), arch, kernel);
  if (auto text = try_read_text_file(sources.module_state))
    return isolation_from_module(ModuleState::parse(*text, sources.module_state.string()), arch, kernel);
  return isolation_from_kernel(try_read_text_file(sources.meltdown), try_read_text_file(sources.cpuinfo), arch);
}

}  // namespace ptilab
