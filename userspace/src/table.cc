#include "table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include "error.h"
#include "arch_profile.h"
#include "state.h"
#include "text_table.h"

namespace ptilab {

std::string config_label(const ResultRow& row, bool with_tlb) { return profile_for(row.arch).label(row, with_tlb); }

bool intervals_overlap(const Measurement& a, const Measurement& b) {
  return std::fabs(a.mean - b.mean) <= a.stddev.value_or(0) + b.stddev.value_or(0);
}

std::optional<Ratio> isolation_ratio(const Measurement& on, const Measurement& off) {
  if (!(off.mean > 0)) return std::nullopt;
  return Ratio{on.mean / off.mean, intervals_overlap(on, off)};
}

std::string format_measurement(const Measurement& m) {
  char buf[96];
  if (m.stddev && m.mean > 0)
    std::snprintf(buf, sizeof buf, "%.1f ns ±%.1f%%", m.mean, *m.stddev / m.mean * 100);
  else
    std::snprintf(buf, sizeof buf, "%.1f ns", m.mean);
  return buf;
}

std::string format_ratio(const Ratio& r) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2fx%s", r.value, r.within_noise ? " (within noise)" : "");
  return buf;
}

namespace {

// The isolation switch the ratio is about (pti or kpti), then the other
// column of the label (pcid or e0pd, only when it distinguishes rows).
struct Config {
  std::string isolation;
  std::string other;
  std::string label;
};

// What the configuration's state and cpu rows say: why isolation is on or
// off, and on which CPU.
struct Why {
  std::vector<std::string> reasons, cpus;
};

// on before off before unknown before anything else: the table reads the
// same way every time whatever the input order.
int rank(const std::string& v) {
  if (v == kOn) return 0;
  if (v == kOff) return 1;
  if (v == kUnknown) return 2;
  return 3;
}

bool config_less(const Config& a, const Config& b) {
  return std::tuple(rank(a.isolation), a.isolation, rank(a.other), a.other) <
         std::tuple(rank(b.isolation), b.isolation, rank(b.other), b.other);
}

struct Cell {
  Measurement m;
  std::string timestamp;
};

struct Group {
  std::string arch, kernel, accel;
  std::vector<const ResultRow*> rows;
  std::vector<const ResultRow*> facts;  // state and cpu rows
};

void add_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

// "model=Arm Cortex-A72 r0p3" and "qemu_cpu=cortex-a72" -> "Arm Cortex-A72 r0p3 (QEMU -cpu cortex-a72)".
std::map<std::string, Why> facts_by_label(const Group& g, const ArchProfile& p, bool with_tlb) {
  std::map<std::string, Why> out;
  struct Cpu {
    std::string model, qemu_cpu, qemu;
  };
  std::map<std::pair<std::string, std::string>, Cpu> cpu;  // (label, run)
  const std::string reason_prefix = std::string(p.reason_key) + "=";
  for (const ResultRow* r : g.facts) {
    const std::string label = p.label(*r, with_tlb);
    if (r->benchmark == "state" && r->metric.starts_with(reason_prefix))
      add_unique(out[label].reasons, reason_sentence(p, r->metric.substr(reason_prefix.size()), p.isolation_of(*r)) +
                                         " (" + r->metric.substr(reason_prefix.size()) + ")");
    if (r->benchmark != "cpu") continue;
    Cpu& c = cpu[{label, r->run_id}];
    if (r->metric.starts_with("model=")) c.model = r->metric.substr(6);
    if (r->metric.starts_with("qemu_cpu=")) c.qemu_cpu = r->metric.substr(9);
    if (r->metric.starts_with("qemu=")) c.qemu = r->metric.substr(5);
  }
  for (const auto& [key, c] : cpu) {
    std::string emulated;
    if (!c.qemu.empty() || !c.qemu_cpu.empty())
      emulated = " (QEMU" + (c.qemu.empty() ? "" : " " + c.qemu) + (c.qemu_cpu.empty() ? "" : " -cpu " + c.qemu_cpu) + ")";
    add_unique(out[key.first].cpus, (c.model.empty() ? "?" : c.model) + emulated);
  }
  return out;
}

std::string joined(const std::vector<std::string>& v, std::string_view none) {
  if (v.empty()) return std::string(none);
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " | ") + x;
  return s;
}

double number(const ResultRow& row, const std::string& text, const char* column) {
  const auto v = parse_number(text);
  if (!v) throw Error(row.origin + ": " + column + " is not a number: '" + text + "'");
  return *v;
}

std::string render_group(const Group& g, std::size_t* superseded) {
  const ArchProfile& p = profile_for(g.arch);
  std::set<std::string> tlbs;
  for (const ResultRow* r : g.rows) tlbs.insert(p.tlb_of(*r));
  const bool with_tlb = tlbs.size() > 1;

  std::vector<Config> configs;
  std::vector<std::string> benchmarks;  // in first-seen order
  std::unordered_set<std::string> seen;  // the same, for a lookup per row
  std::map<std::pair<std::string, std::string>, Cell> cells;  // (benchmark, label)
  for (const ResultRow* r : g.rows) {
    Config c{p.isolation_of(*r), with_tlb ? p.tlb_of(*r) : "", p.label(*r, with_tlb)};
    if (std::none_of(configs.begin(), configs.end(), [&](const Config& k) { return k.label == c.label; }))
      configs.push_back(c);
    if (seen.insert(r->benchmark).second) benchmarks.push_back(r->benchmark);

    Cell cell{{number(*r, r->value, "value"), std::nullopt}, r->timestamp};
    if (!r->stddev.empty()) cell.m.stddev = number(*r, r->stddev, "stddev");
    const auto [it, inserted] = cells.try_emplace({r->benchmark, c.label}, cell);
    if (!inserted) {
      ++*superseded;
      if (cell.timestamp >= it->second.timestamp) it->second = cell;
    }
  }
  std::sort(configs.begin(), configs.end(), config_less);

  const auto has = [&](std::string_view v) {
    return std::any_of(configs.begin(), configs.end(), [&](const Config& c) { return c.isolation == v; });
  };
  const bool ratio_column = has(kOn) && has(kOff);

  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"benchmark"};
  std::vector<bool> right = {false};
  for (const auto& c : configs) {
    header.push_back(c.label);
    right.push_back(true);
  }
  if (ratio_column) {
    header.push_back("on/off");
    right.push_back(false);
  }
  table.push_back(header);

  for (const auto& b : benchmarks) {
    std::vector<std::string> line = {b};
    std::vector<const Cell*> on, off;
    for (const auto& c : configs) {
      const auto it = cells.find({b, c.label});
      if (it == cells.end()) {
        line.push_back("-");
        continue;
      }
      line.push_back(format_measurement(it->second.m));
      if (c.isolation == kOn) on.push_back(&it->second);
      if (c.isolation == kOff) off.push_back(&it->second);
    }
    if (ratio_column) {
      // Exactly one of each, or the ratio would be a guess.
      std::optional<Ratio> ratio;
      if (on.size() == 1 && off.size() == 1) ratio = isolation_ratio(on[0]->m, off[0]->m);
      line.push_back(ratio ? format_ratio(*ratio) : "-");
    }
    table.push_back(std::move(line));
  }
  // Why each configuration is what it is, and on which CPU.
  const auto facts = facts_by_label(g, p, with_tlb);
  std::vector<std::vector<std::string>> why;
  for (const auto& c : configs) {
    const auto it = facts.find(c.label);
    const Why none;
    const Why& w = it == facts.end() ? none : it->second;
    why.push_back({"  " + c.label, "why: " + joined(w.reasons, "not recorded (no state rows: ptilab snapshot)") +
                                       "; CPU: " + joined(w.cpus, "not recorded")});
  }
  return "arch=" + g.arch + " kernel=" + g.kernel + " accel=" + g.accel + "\n" + align_columns(why, {false, false}) +
         align_columns(table, right);
}

}  // namespace

bool table_uses(const ResultRow& row) {
  return row.metric == kMetricMean || row.benchmark == "state" || row.benchmark == "cpu";
}

std::string render_table(const std::vector<ResultRow>& rows, std::vector<std::string>* notes) {
  std::vector<Group> groups;
  const auto group_of = [&](const ResultRow& r) {
    return std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.arch == r.arch && g.kernel == r.kernel && g.accel == r.accel;
    });
  };
  for (const ResultRow& r : rows) {
    if (r.metric != kMetricMean) continue;
    auto it = group_of(r);
    if (it == groups.end()) it = groups.insert(groups.end(), Group{r.arch, r.kernel, r.accel, {}, {}});
    it->rows.push_back(&r);
  }
  if (groups.empty()) throw Error("no " + std::string(kMetricMean) + " rows to tabulate");
  for (const ResultRow& r : rows)
    if (r.benchmark == "state" || r.benchmark == "cpu")
      if (const auto it = group_of(r); it != groups.end()) it->facts.push_back(&r);

  std::string out;
  std::size_t superseded = 0;
  for (const auto& g : groups) {
    if (!out.empty()) out += '\n';  // a blank line between groups
    out += render_group(g, &superseded);
  }
  if (superseded && notes)
    notes->push_back(std::to_string(superseded) +
                     " ns_per_op rows repeat a configuration already seen; the latest (by timestamp) are shown");
  return out;
}

}  // namespace ptilab
