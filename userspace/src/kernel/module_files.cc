#include "kernel/module_files.h"

#include <charconv>

#include "kernel/state.h"
#include "util/error.h"

namespace ptilab {

namespace {

std::string where(const ModuleState& kv, const ModuleState::Entry& e) {
  return kv.source() + ":" + std::to_string(e.line);
}

const ModuleState::Entry& required(const ModuleState& kv, std::string_view key) {
  const ModuleState::Entry* e = kv.find(key);
  if (!e) throw Error(kv.source() + ": no " + std::string(key) + "= line");
  return *e;
}

template <typename Int>
Int to_int(const ModuleState& kv, const ModuleState::Entry& e) {
  Int v{};
  const char* end = e.value.data() + e.value.size();
  const auto [ptr, ec] = std::from_chars(e.value.data(), end, v);
  if (e.value.empty() || ec != std::errc() || ptr != end)
    throw Error(where(kv, e) + ": " + e.key + " must be an integer, got '" + e.value + "'");
  return v;
}

template <typename Int>
Int required_int(const ModuleState& kv, std::string_view key) {
  return to_int<Int>(kv, required(kv, key));
}

bool one_of(const ModuleState& kv, const ModuleState::Entry& e, std::string_view yes, std::string_view no) {
  if (e.value == yes) return true;
  if (e.value == no) return false;
  throw Error(where(kv, e) + ": " + e.key + " must be " + std::string(yes) + " or " + std::string(no) + ", got '" +
              e.value + "'");
}

}  // namespace

const PrimitiveSupport* ProbeReport::find_primitive(std::string_view name) const {
  for (const auto& p : primitives)
    if (p.name == name) return &p;
  return nullptr;
}

ProbeReport parse_probe(std::string_view text, std::string_view source) {
  const ModuleState kv = ModuleState::parse(text, source);
  ProbeReport r;
  r.primitive = required(kv, "primitive").value;
  if (r.primitive.empty()) throw Error(where(kv, required(kv, "primitive")) + ": empty primitive");
  if (r.primitive != "none") {
    ProbeStats s;
    s.iterations = required_int<std::uint64_t>(kv, "iterations");
    s.cpu = required_int<std::int64_t>(kv, "cpu");
    s.min_cycles = required_int<std::uint64_t>(kv, "min_cycles");
    s.median_cycles = required_int<std::uint64_t>(kv, "median_cycles");
    s.p99_cycles = required_int<std::uint64_t>(kv, "p99_cycles");
    s.max_cycles = required_int<std::uint64_t>(kv, "max_cycles");
    s.mean_cycles = required_int<std::uint64_t>(kv, "mean_cycles");
    s.overhead_cycles = required_int<std::uint64_t>(kv, "overhead_cycles");
    r.stats = s;
  }
  r.counter = required(kv, "counter").value;
  r.counter_khz = required_int<std::uint64_t>(kv, "counter_khz");
  for (const auto& e : kv.entries()) {
    if (!e.key.starts_with("primitive.")) continue;
    const std::string name = e.key.substr(std::string_view("primitive.").size());
    if (name.empty()) throw Error(where(kv, e) + ": empty primitive name");
    r.primitives.push_back({name, one_of(kv, e, "supported", "unsupported")});
  }
  if (r.primitives.empty()) throw Error(kv.source() + ": no primitive.<name>= lines");
  return r;
}

std::optional<double> cycles_to_ns(double cycles, std::uint64_t counter_khz) {
  if (counter_khz == 0) return std::nullopt;
  return cycles * 1e6 / static_cast<double>(counter_khz);
}

const HookInfo* HooksReport::find(std::string_view name) const {
  for (const auto& h : hooks)
    if (h.name == name) return &h;
  return nullptr;
}

HooksReport parse_hooks(std::string_view text, std::string_view source) {
  const ModuleState kv = ModuleState::parse(text, source);
  HooksReport r;
  r.allow_hooks = one_of(kv, required(kv, "allow_hooks"), "on", "off");
  if (const auto p = kv.get("sys_enter_probe")) r.sys_enter_probe = *p;
  constexpr std::string_view kInstalled = ".installed";
  for (const auto& e : kv.entries()) {
    if (!e.key.ends_with(kInstalled) || e.key.size() == kInstalled.size()) continue;
    HookInfo h;
    h.name = e.key.substr(0, e.key.size() - kInstalled.size());
    h.installed = one_of(kv, e, "yes", "no");
    const ModuleState::Entry& pid = required(kv, h.name + ".pid");
    if (pid.value == "not_visible") {
      if (!h.installed) throw Error(where(kv, pid) + ": " + pid.key + "=not_visible on a hook that is not installed");
      h.pid_visible = false;
    } else {
      h.pid = to_int<std::int64_t>(kv, pid);
    }
    if (const ModuleState::Entry* w = kv.find(h.name + ".writes")) h.writes = to_int<std::uint64_t>(kv, *w);
    h.fired = required_int<std::int64_t>(kv, h.name + ".fired");
    if (const ModuleState::Entry* x = kv.find(h.name + ".target_exited")) h.target_exited = one_of(kv, *x, "yes", "no");
    r.hooks.push_back(std::move(h));
  }
  return r;
}

PtAuditSummary parse_ptaudit(std::string_view text, std::string_view source) {
  const std::string src(source);
  std::size_t line_no = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    ++line_no;
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("error="))
      throw Error(src + ":" + std::to_string(line_no) + ": the module could not audit the page table: " +
                  std::string(line));
    if (line != "# summary") continue;

    const ModuleState kv = ModuleState::parse(rest, source, line_no + 1);
    PtAuditSummary s;
    s.table = required(kv, "table").value;
    s.ranges = required_int<std::uint64_t>(kv, "ranges");
    s.kernel_pages = required_int<std::uint64_t>(kv, "kernel_pages");
    s.secret_pages = required_int<std::uint64_t>(kv, "secret_pages");
    for (const auto& e : kv.entries()) {
      if (!e.key.starts_with("region.")) continue;
      const std::string name = e.key.substr(std::string_view("region.").size());
      if (name.empty()) throw Error(where(kv, e) + ": empty region name");
      s.regions.emplace_back(name, to_int<std::uint64_t>(kv, e));
    }
    return s;
  }
  throw Error(src + ": no '# summary' line");
}

}  // namespace ptilab
