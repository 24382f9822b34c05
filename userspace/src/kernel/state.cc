#include "kernel/state.h"

#include <algorithm>

#include "kernel/arch_profile.h"
#include "util/error.h"
#include "util/text_file.h"

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

Isolation isolation_from_module(const ModuleState& state, std::string_view arch, std::string_view kernel) {
  const ArchProfile& p = profile_for(arch);
  Isolation iso;
  iso.source = "module state " + state.source();
  iso.pti = iso.pcid = iso.e0pd = iso.kpti = kNotApplicable;
  *iso.column(p.isolation_key) = checked_switch(state, p.isolation_key);
  *iso.column(p.tlb_key) = checked_switch(state, p.tlb_key);
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

Isolation isolation_from_kernel(const std::optional<std::string>& meltdown_text,
                                const std::optional<std::string>& cpuinfo_text, std::string_view arch) {
  const ArchProfile& p = profile_for(arch);
  KernelFiles k;
  k.arch = arch;
  k.meltdown = meltdown_text;
  k.cpuinfo = cpuinfo_text;
  return p.kernel_isolation(k);
}

std::string* Isolation::column(std::string_view name) {
  return const_cast<std::string*>(static_cast<const Isolation*>(this)->column(name));
}

const std::string* Isolation::column(std::string_view name) const {
  if (name == "pti") return &pti;
  if (name == "pcid") return &pcid;
  if (name == "e0pd") return &e0pd;
  if (name == "kpti") return &kpti;
  return nullptr;
}

Isolation detect_isolation(const StateSources& sources, std::string_view arch, std::string_view kernel) {
  if (sources.state_file) return isolation_from_module(ModuleState::read(*sources.state_file), arch, kernel);
  if (auto text = try_read_text_file(sources.module_state))
    return isolation_from_module(ModuleState::parse(*text, sources.module_state.string()), arch, kernel);
  return isolation_from_kernel(try_read_text_file(sources.meltdown), try_read_text_file(sources.cpuinfo), arch);
}

}  // namespace ptilab
