#include "kernel/arch_profile.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace ptilab {

namespace {

std::string on_off_unknown(const std::string& v) { return v == kOn || v == kOff ? v : std::string(kUnknown); }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

const std::string& column(const ResultRow& row, std::string_view name) {
  for (const auto& c : kResultColumns)
    if (c.name == name) return row.*c.field;
  throw Error("internal: no results column '" + std::string(name) + "'");
}

}  // namespace

const std::vector<const ArchProfile*>& all_profiles() {
  static const std::vector<const ArchProfile*> v = {&x86_profile(), &arm64_profile()};
  return v;
}

const ArchProfile* find_profile(std::string_view arch) {
  for (const ArchProfile* p : all_profiles())
    if (std::find(p->spellings.begin(), p->spellings.end(), arch) != p->spellings.end()) return p;
  return nullptr;
}

const ArchProfile& profile_for(std::string_view arch) {
  if (const ArchProfile* p = find_profile(arch)) return *p;
  std::string known;
  for (const ArchProfile* p : all_profiles()) known += (known.empty() ? "" : " and ") + std::string(p->arch);
  throw Error("unsupported architecture '" + std::string(arch) + "' (ptilab knows " + known + ")");
}

std::string ArchProfile::label(const ResultRow& row, bool with_tlb) const {
  std::string s = std::string(isolation_key) + "=" + isolation_of(row);
  if (with_tlb) s += "," + std::string(tlb_key) + "=" + tlb_of(row);
  return s;
}

std::string ArchProfile::describe(const Isolation& iso) const {
  return std::string(isolation_key) + "=" + *iso.column(isolation_key) + " " + std::string(tlb_key) + "=" +
         *iso.column(tlb_key);
}

const std::string& ArchProfile::isolation_of(const ResultRow& row) const { return column(row, isolation_key); }
const std::string& ArchProfile::tlb_of(const ResultRow& row) const { return column(row, tlb_key); }

std::string reason_sentence(const ArchProfile& p, std::string_view token, std::string_view state) {
  if (token.empty() || token == kUnknown) return std::string(p.unknown_reason);
  for (const auto& r : p.reasons)
    if (r.token == token) return std::string(r.sentence);
  if (token.starts_with("cmdline:")) {
    const std::string_view option = token.substr(8);
    const bool known = state == kOn || state == kOff;
    std::string s(known ? kCmdlineReasonTemplate : kCmdlineReasonTemplateUnknown);
    s = replace_all(std::move(s), "{option}", option);
    return replace_all(std::move(s), "{state}", state);
  }
  return "unrecognised reason '" + std::string(token) + "'";
}

std::string profiles_json() {
  nlohmann::ordered_json profiles = nlohmann::ordered_json::array();
  for (const ArchProfile* p : all_profiles()) {
    nlohmann::ordered_json j;
    j["name"] = p->name;
    j["arch"] = p->arch;
    j["spellings"] = p->spellings;
    j["isolation"] = p->isolation;
    j["isolation_column"] = p->isolation_key;
    j["reason_key"] = p->reason_key;
    j["tlb_column"] = p->tlb_key;
    j["tlb_name"] = p->tlb_name;
    j["pt_register"] = p->pt_register;
    j["pt_write"] = p->pt_write;
    j["probe_unit"] = p->probe_unit;
    j["write_probes"] = p->write_probes;
    j["state_keys"] = p->state_keys;
    nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
    for (const auto& r : p->reasons) reasons[std::string(r.token)] = r.sentence;
    reasons["unknown"] = p->unknown_reason;
    j["reasons"] = reasons;
    j["cmdline_reason"] = {{"known", kCmdlineReasonTemplate}, {"unknown", kCmdlineReasonTemplateUnknown}};
    j["turn_off"] = p->turn_off;
    nlohmann::ordered_json flags = nlohmann::ordered_json::array();
    for (const auto& f : p->fleet_flags) flags.push_back({{"key", f.key}, {"metric", f.metric}});
    j["fleet_flags"] = flags;
    profiles.push_back(std::move(j));
  }
  return nlohmann::ordered_json{{"profiles", profiles}}.dump(2) + "\n";
}

StatusVerdict verdict_base(const ArchProfile& p, const KeyValues& state, StateOrigin origin) {
  StatusVerdict v;
  v.isolation = p.isolation;
  v.tlb_heading = p.tlb_heading;
  v.pti = on_off_unknown(state_value(state, p.isolation_key));
  v.meltdown_bug = on_off_unknown(state_value(state, "meltdown_bug"));
  const std::string reason = state_value(state, p.reason_key);
  v.reason = reason_sentence(p, reason, v.pti);
  v.reason_inferred = origin == StateOrigin::kKernel;
  for (const auto key : p.state_keys) {
    if (key == p.reason_key) continue;
    if (state_value(state, key) == kUnknown) v.unknown.emplace_back(key);
  }
  return v;
}

std::string state_value(const KeyValues& kv, std::string_view key) {
  const auto it = kv.find(key);
  return it == kv.end() ? std::string(kUnknown) : it->second;
}

std::string yes_no(std::string_view on_off) {
  if (on_off == kOn) return "yes";
  if (on_off == kOff) return "no";
  return "unknown";
}

}  // namespace ptilab
