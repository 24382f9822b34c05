#include "render/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include "kernel/arch_profile.h"
#include "kernel/state.h"
#include "model/locality.h"
#include "model/macro_tier.h"
#include "model/overhead_map.h"
#include "render/locality.h"
#include "render/overhead_map.h"
#include "results/bench_properties.h"
#include "results/csv.h"
#include "results/replicates.h"
#include "util/error.h"
#include "util/text_table.h"

namespace ptilab {

std::string config_label(const ResultRow& row, bool with_tlb) { return profile_for(row.arch).label(row, with_tlb); }

std::string format_rate(double v) {
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string format_measurement(const Measurement& m) {
  if (m.stddev && m.mean > 0) return fmt::format("{:.1f} ns ±{:.1f}%", m.mean, *m.stddev / m.mean * 100);
  return fmt::format("{:.1f} ns", m.mean);
}

std::string format_cell(const Pooled& p) {
  Measurement m{p.summary().mean, std::nullopt};
  if (p.between)
    m.stddev = p.between->stddev;
  else if (p.within_sd)
    m.stddev = p.all.stddev;
  std::string out = format_measurement(m);
  if (p.between && p.within_sd && m.mean > 0) out += fmt::format(" (w ±{:.1f}%)", *p.within_sd / m.mean * 100);
  return out;
}

std::string format_ratio(const Contrast& k, bool spread, bool* one_boot) {
  if (!(k.a.mean > 0)) return "-";
  std::string out = fmt::format("{:.2f}x", k.b.mean / k.a.mean);
  const Comparison& c = k.comparison;
  if (!k.across_boots && !spread) return out + " (no interval)";
  if (!c.delta_ci_pct) return out + (c.outcome == Outcome::kNoSpread ? " (no spread)" : " (no interval)");
  out += fmt::format(" [{:.2f}, {:.2f}]", 1 + c.delta_ci_pct->low / 100, 1 + c.delta_ci_pct->high / 100);
  if (c.outcome == Outcome::kInconclusive) out += " within noise";
  if (!k.across_boots) {
    out += " (one boot)";
    *one_boot = true;
  }
  return out;
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

std::string render_group(const Group& g, bool* one_boot) {
  const ArchProfile& p = profile_for(g.arch);
  std::set<std::string> tlbs;
  for (const ResultRow* r : g.rows) tlbs.insert(p.tlb_of(*r));
  const bool with_tlb = tlbs.size() > 1;

  std::vector<Config> configs;
  std::vector<std::string> benchmarks;  // in first-seen order
  std::unordered_set<std::string> seen;  // the same, for a lookup per row
  std::map<std::pair<std::string, std::string>, std::vector<const ResultRow*>> cell_rows;  // (benchmark, label)
  for (const ResultRow* r : g.rows) {
    Config c{p.isolation_of(*r), with_tlb ? p.tlb_of(*r) : "", p.label(*r, with_tlb)};
    if (std::none_of(configs.begin(), configs.end(), [&](const Config& k) { return k.label == c.label; }))
      configs.push_back(c);
    if (seen.insert(r->benchmark).second) benchmarks.push_back(r->benchmark);
    cell_rows[{r->benchmark, c.label}].push_back(r);
  }
  std::sort(configs.begin(), configs.end(), config_less);
  std::map<std::pair<std::string, std::string>, Pooled> cells;
  for (const auto& [key, rows] : cell_rows) cells[key] = pool_rows(rows);

  // A ratio per value of the other column (pcid, e0pd) where it has one
  // configuration with isolation on and one with it off; without it, the
  // one pair.
  struct Pair {
    std::string heading, on, off;
  };
  std::vector<Pair> pairs;
  std::vector<std::string> others;  // in the configurations' order: on, off, others
  for (const auto& c : configs) add_unique(others, c.other);
  for (const auto& o : others) {
    std::vector<const Config*> on, off;
    for (const auto& c : configs) {
      if (c.other != o) continue;
      if (c.isolation == kOn) on.push_back(&c);
      if (c.isolation == kOff) off.push_back(&c);
    }
    // Exactly one of each, or the ratio would be a guess.
    if (on.size() == 1 && off.size() == 1)
      pairs.push_back({with_tlb ? "on/off " + std::string(p.tlb_key) + "=" + o : "on/off", on[0]->label, off[0]->label});
  }

  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"benchmark"};
  std::vector<bool> right = {false};
  for (const auto& c : configs) {
    header.push_back(c.label);
    right.push_back(true);
  }
  for (const auto& pair : pairs) {
    header.push_back(pair.heading);
    right.push_back(false);
  }
  table.push_back(header);

  std::size_t most_boots = 0;
  for (const auto& b : benchmarks) {
    std::vector<std::string> line = {b};
    for (const auto& c : configs) {
      const auto it = cells.find({b, c.label});
      if (it == cells.end()) {
        line.push_back("-");
        continue;
      }
      most_boots = std::max(most_boots, static_cast<std::size_t>(it->second.boots));
      line.push_back(format_cell(it->second));
    }
    for (const auto& pair : pairs) {
      const auto on = cells.find({b, pair.on}), off = cells.find({b, pair.off});
      line.push_back(on == cells.end() || off == cells.end()
                         ? "-"
                         : format_ratio(contrast(off->second, on->second, kTableConfidence),
                                        on->second.within_sd && off->second.within_sd, one_boot));
    }
    table.push_back(std::move(line));
  }
  // Why each configuration is what it is, on which CPU, and in how many boots.
  const auto facts = facts_by_label(g, p, with_tlb);
  std::vector<std::vector<std::string>> why;
  for (const auto& c : configs) {
    const auto it = facts.find(c.label);
    const Why none;
    const Why& w = it == facts.end() ? none : it->second;
    std::set<std::string> boots;
    for (const ResultRow* r : g.rows)
      if (p.label(*r, with_tlb) == c.label) boots.insert(boot_of(*r));
    why.push_back({"  " + c.label, "why: " + joined(w.reasons, "not recorded (no state rows: ptilab snapshot)") +
                                       "; CPU: " + joined(w.cpus, "not recorded") + "; " +
                                       std::to_string(boots.size()) + (boots.size() == 1 ? " boot" : " boots")});
  }
  const bool boots = most_boots > 1;
  const std::string legend =
      fmt::format("{}: mean ns per op ±stddev as % of it{}; on/off: ratio of means, [{:g}% interval] ({})\n",
                  boots ? "cells over boots" : "cells", boots ? " between boots (w: within one boot)" : "",
                  kTableConfidence * 100, boots ? "across boots: log scale, Welch; one boot: Fieller" : "Fieller");
  return fmt::format("arch={} kernel={} accel={}\n{}{}{}", g.arch, g.kernel, g.accel, align_columns(why, {false, false}),
                     align_columns(table, right), legend);
}

// "41.2 s", "812.3 ms", "95.1 us", "530.0 ns": a time in the unit that
// suits it.
std::string format_duration(double ns) {
  if (ns >= 1e9) return fmt::format("{:.2f} s", ns / 1e9);
  if (ns >= 1e6) return fmt::format("{:.1f} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.1f} us", ns / 1e3);
  return fmt::format("{:.1f} ns", ns);
}

// "+38.0%", "-2.1%".
std::string format_pct(double pct) {
  return fmt::format("{:+.1f}%", pct);
}

// The on side of a cell: "44.0 s (+6.8%)", with the interval where asked
// and there is one: "44.0 s (+6.8% [+2.1%, +11.7%])".
std::string format_on(const MacroCell& c, bool with_interval) {
  const Comparison& k = c.contrast.comparison;
  std::string out = format_duration(c.on.summary().mean);
  if (!k.delta_pct) return out;
  out += " (" + format_pct(*k.delta_pct);
  if (with_interval && k.delta_ci_pct)
    out += " [" + format_pct(k.delta_ci_pct->low) + ", " + format_pct(k.delta_ci_pct->high) + "]";
  return out + ")";
}

// Whether every interval of the pair treats boots as the replicates.
bool across_boots(const MacroPair& pair) {
  return std::all_of(pair.lines.begin(), pair.lines.end(), [](const MacroLine& l) {
    return std::all_of(l.cells.begin(), l.cells.end(), [](const MacroCell& c) { return c.contrast.across_boots; });
  });
}

std::string render_macro_pair(const MacroPair& pair, bool* one_boot) {
  std::vector<std::vector<std::string>> table = {{"workload", "real " + pair.off_label, "real " + pair.on_label,
                                                  "user " + pair.off_label, "user " + pair.on_label,
                                                  "sys " + pair.off_label, "sys " + pair.on_label, "entries/s off | on"}};
  std::vector<std::string> skips;
  const bool across = across_boots(pair);
  for (const MacroLine& line : pair.lines) {
    std::vector<std::string> row = {line.benchmark};
    for (const std::string_view metric : {kMetricMean, kUserNs, kSysNs}) {
      const auto it =
          std::find_if(line.cells.begin(), line.cells.end(), [&](const MacroCell& c) { return c.metric == metric; });
      if (it == line.cells.end()) {
        row.insert(row.end(), {"-", "-"});
        continue;
      }
      row.push_back(format_duration(it->off.summary().mean));
      row.push_back(format_on(*it, metric == kMetricMean));
    }
    row.push_back(line.entries_per_s_off && line.entries_per_s_on
                      ? format_rate(*line.entries_per_s_off) + " | " + format_rate(*line.entries_per_s_on)
                      : "-");
    for (const auto& why : line.skipped) skips.push_back("  " + line.benchmark + " skipped (" + why + ")\n");
    table.push_back(std::move(row));
  }
  if (!across) *one_boot = true;
  std::string out = "macro tier: arch=" + pair.arch + " kernel=" + pair.kernel + " accel=" + pair.accel + ", " +
                    pair.off_label + " (" + std::to_string(pair.boots_off) + (pair.boots_off == 1 ? " boot" : " boots") +
                    ") | " + pair.on_label + " (" + std::to_string(pair.boots_on) +
                    (pair.boots_on == 1 ? " boot" : " boots") + ")\n";
  out += align_columns(table, {false, true, true, true, true, true, true, true});
  for (const auto& s : skips) out += s;
  if (pair.score) {
    out += fmt::format("score: geometric mean of the on/off real-time ratios over {} workloads: {:.3f}x",
                       pair.score->pairs, pair.score->ratio);
    if (pair.score->ratio_ci) {
      out += fmt::format(" [{:.3f}, {:.3f}]", pair.score->ratio_ci->low, pair.score->ratio_ci->high);
    } else {
      out += " (no interval)";
    }
    if (!across) out += " (one boot)";
    out += "\n";
  }
  return out + fmt::format(
                   "real: wall time per iteration; user, sys: CPU time of the workload's processes (getrusage of the "
                   "children); (+x%): on against off{} [{:g}% interval]\n",
                   across ? ", across boots" : "", kTableConfidence * 100);
}

}  // namespace

bool table_uses(const ResultRow& row) {
  return row.metric == kMetricMean || row.benchmark == "state" || row.benchmark == "cpu" || macro_tier_uses(row) ||
         map_uses(row) || locality_uses(row);
}

std::string render_macro_tier(const std::vector<MacroPair>& pairs, std::vector<std::string>* notes) {
  std::string out;
  bool one_boot = false;
  for (const MacroPair& pair : pairs) {
    if (!out.empty()) out += '\n';
    out += render_macro_pair(pair, &one_boot);
  }
  if (one_boot && notes)
    notes->push_back("macro-tier intervals marked \"(one boot)\" cover the repetitions inside one boot only");
  return out;
}

std::string format_macro_csv(const std::vector<MacroPair>& pairs) {
  std::vector<std::vector<std::string>> records = {
      {"arch", "kernel", "accel", "off", "on", "benchmark", "metric", "off_mean", "on_mean", "delta_pct", "ci_low_pct",
       "ci_high_pct", "basis", "boots_off", "boots_on", "entries_per_s_off", "entries_per_s_on", "note"}};
  const auto num = [](const std::optional<double>& v) { return v ? format_number(*v) : std::string(); };
  for (const MacroPair& pair : pairs) {
    const std::vector<std::string> head = {pair.arch, pair.kernel, pair.accel, pair.off_label, pair.on_label};
    for (const MacroLine& line : pair.lines) {
      for (const MacroCell& c : line.cells) {
        auto r = head;
        const Comparison& k = c.contrast.comparison;
        r.insert(r.end(), {line.benchmark, c.metric, format_number(c.off.summary().mean),
                           format_number(c.on.summary().mean), num(k.delta_pct),
                           k.delta_ci_pct ? format_number(k.delta_ci_pct->low) : "",
                           k.delta_ci_pct ? format_number(k.delta_ci_pct->high) : "",
                           c.contrast.across_boots ? "boots" : "repetitions", std::to_string(c.off.boots),
                           std::to_string(c.on.boots), c.metric == kMetricMean ? num(line.entries_per_s_off) : "",
                           c.metric == kMetricMean ? num(line.entries_per_s_on) : "", ""});
        records.push_back(std::move(r));
      }
      for (const auto& why : line.skipped) {
        auto r = head;
        r.insert(r.end(), {line.benchmark, "skipped", "", "", "", "", "", "", "", "", "", "", why});
        records.push_back(std::move(r));
      }
    }
    if (pair.score) {
      auto r = head;
      const auto& g = *pair.score;
      r.insert(r.end(), {"score", "geomean_ns_per_op", "", "", format_number((g.ratio - 1) * 100),
                         g.ratio_ci ? format_number((g.ratio_ci->low - 1) * 100) : "",
                         g.ratio_ci ? format_number((g.ratio_ci->high - 1) * 100) : "",
                         across_boots(pair) ? "boots" : "repetitions",
                         std::to_string(pair.boots_off), std::to_string(pair.boots_on), "", "",
                         std::to_string(g.pairs) + " workloads"});
      records.push_back(std::move(r));
    }
  }
  std::string out;
  for (const auto& r : records) out += csv_format_record(r);
  return out;
}

std::string render_table(const std::vector<ResultRow>& rows, std::vector<std::string>* notes) {
  std::vector<Group> groups;
  const auto group_of = [&](const ResultRow& r) {
    return std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.arch == r.arch && g.kernel == r.kernel && g.accel == r.accel;
    });
  };
  // The workloads the macro tier shows (with an off and an on side) are
  // not repeated here; one measured on one side only stays a row here.
  const std::vector<MacroPair> macro = macro_tier(rows, kTableConfidence);
  std::set<std::pair<std::string, std::string>> in_macro;  // (group key "arch kernel accel", benchmark)
  for (const MacroPair& p : macro)
    for (const MacroLine& l : p.lines) in_macro.insert({p.arch + " " + p.kernel + " " + p.accel, l.benchmark});
  for (const ResultRow& r : rows) {
    // The overhead map's cells are its grid, below; the per-node
    // benchmarks their own section.
    if (r.metric != kMetricMean || is_map_benchmark(r.benchmark) || is_locality_benchmark(r.benchmark) ||
        in_macro.contains({r.arch + " " + r.kernel + " " + r.accel, r.benchmark}))
      continue;
    auto it = group_of(r);
    if (it == groups.end()) it = groups.insert(groups.end(), Group{r.arch, r.kernel, r.accel, {}, {}});
    it->rows.push_back(&r);
  }
  const std::vector<MapPair> map = overhead_map(rows, kTableConfidence);
  const std::vector<LocalityGroup> locality = kernel_text_locality(rows, kTableConfidence);
  if (groups.empty() && macro.empty() && map.empty() && locality.empty())
    throw Error("no " + std::string(kMetricMean) + " rows to tabulate");
  for (const ResultRow& r : rows)
    if (r.benchmark == "state" || r.benchmark == "cpu")
      if (const auto it = group_of(r); it != groups.end()) it->facts.push_back(&r);

  std::string out;
  bool one_boot = false;
  for (const auto& g : groups) {
    if (!out.empty()) out += '\n';  // a blank line between groups
    out += render_group(g, &one_boot);
  }
  if (one_boot && notes)
    notes->push_back(
        "intervals marked \"(one boot)\" cover only the repetitions inside one boot: boots of one configuration "
        "differ more than that (scripts/vm-bench --boots N records several)");
  if (!macro.empty()) {
    if (!out.empty()) out += '\n';
    out += render_macro_tier(macro, notes);
  }
  if (!map.empty()) {
    if (!out.empty()) out += '\n';
    out += render_overhead_map(map, notes);
  }
  if (!locality.empty()) {
    if (!out.empty()) out += '\n';
    out += render_locality(locality, notes);
  }
  return out;
}

}  // namespace ptilab
