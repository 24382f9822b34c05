#include "model/macro_tier.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "kernel/arch_profile.h"
#include "kernel/state.h"
#include "results/bench_properties.h"

namespace ptilab {

namespace {

// What the traced pass counts as kernel entries (bench_trace.h).
constexpr std::string_view kEntriesMetric = "trace:kernel_entries_derived_per_op";

// The quantities of the seed-003 table, in its order.
const std::vector<std::string>& macro_metrics() {
  static const std::vector<std::string> m = {std::string(kMetricMean), std::string(kUserNs), std::string(kSysNs)};
  return m;
}

}  // namespace

bool macro_tier_uses(const ResultRow& row) {
  return row.metric == kMetricMean || row.metric == kUserNs || row.metric == kSysNs || row.metric == kEntriesMetric ||
         row.metric.starts_with(kMetricSkippedPrefix);
}

bool is_macro_benchmark(std::string_view benchmark) {
  const std::string_view family = benchmark.substr(0, benchmark.find('/'));
  return std::find(kWorkloadBenchmarks.begin(), kWorkloadBenchmarks.end(), family) != kWorkloadBenchmarks.end();
}

std::vector<std::string> macro_benchmarks(const std::vector<ResultRow>& rows) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const ResultRow& r : rows)
    if (is_macro_benchmark(r.benchmark) && seen.insert(r.benchmark).second) out.push_back(r.benchmark);
  return out;
}

std::vector<MacroPair> macro_tier(const std::vector<ResultRow>& rows, double confidence) {
  const std::vector<std::string> order = macro_benchmarks(rows);
  const std::set<std::string> wanted(order.begin(), order.end());

  // (arch, kernel, accel) -> (isolation, tlb) -> (benchmark, metric) -> rows
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::map<std::pair<std::string, std::string>,
                         std::map<std::pair<std::string, std::string>, std::vector<const ResultRow*>>>>
      groups;
  std::vector<Key> group_order;
  for (const ResultRow& r : rows) {
    if (!wanted.contains(r.benchmark) || !macro_tier_uses(r)) continue;
    const ArchProfile& p = profile_for(r.arch);
    const Key key{r.arch, r.kernel, r.accel};
    if (!groups.contains(key)) group_order.push_back(key);
    groups[key][{p.isolation_of(r), p.tlb_of(r)}][{r.benchmark, r.metric}].push_back(&r);
  }

  std::vector<MacroPair> out;
  for (const Key& key : group_order) {
    const auto& configs = groups[key];
    const ArchProfile& p = profile_for(std::get<0>(key));
    std::set<std::string> tlbs;
    for (const auto& [side, _] : configs) tlbs.insert(side.second);
    const bool with_tlb = tlbs.size() > 1;
    for (const std::string& tlb : tlbs) {
      const auto off = configs.find({std::string(kOff), tlb}), on = configs.find({std::string(kOn), tlb});
      if (off == configs.end() || on == configs.end()) continue;
      MacroPair pair;
      std::tie(pair.arch, pair.kernel, pair.accel) = key;
      // Labels from a row of each side, as ptilab table names them.
      pair.off_label = p.label(*off->second.begin()->second.front(), with_tlb);
      pair.on_label = p.label(*on->second.begin()->second.front(), with_tlb);
      std::vector<std::pair<Summary, Summary>> ratios;
      for (const std::string& b : order) {
        MacroLine line;
        line.benchmark = b;
        const auto rows_of = [&](const auto& side, const std::string& metric) -> const std::vector<const ResultRow*>* {
          const auto it = side->second.find({b, metric});
          return it == side->second.end() ? nullptr : &it->second;
        };
        // The real time's pooled mean per side, from its cell where both
        // sides have one (entries per second divide by it).
        std::optional<double> mean_off, mean_on;
        for (const std::string& metric : macro_metrics()) {
          const auto* a = rows_of(off, metric);
          const auto* c = rows_of(on, metric);
          if (!a || !c) continue;
          MacroCell cell;
          cell.metric = metric;
          cell.off = pool_rows(*a);
          cell.on = pool_rows(*c);
          cell.contrast = contrast(cell.off, cell.on, confidence);
          pair.boots_off = std::max(pair.boots_off, cell.off.boots);
          pair.boots_on = std::max(pair.boots_on, cell.on.boots);
          if (metric == kMetricMean) {
            ratios.emplace_back(cell.contrast.a, cell.contrast.b);
            mean_off = cell.off.summary().mean;
            mean_on = cell.on.summary().mean;
          }
          line.cells.push_back(std::move(cell));
        }
        // Entries per second: the traced count per iteration over the
        // untraced mean time of the same side.
        // A side whose other has no time pools its own rows.
        const auto rate = [&](const auto& side, std::optional<double> ns) -> std::optional<double> {
          const auto* e = rows_of(side, std::string(kEntriesMetric));
          if (!e) return std::nullopt;
          if (!ns) {
            const auto* t = rows_of(side, std::string(kMetricMean));
            if (!t) return std::nullopt;
            ns = pool_rows(*t).summary().mean;
          }
          if (!(*ns > 0)) return std::nullopt;
          return pool_rows(*e).summary().mean / (*ns * 1e-9);
        };
        line.entries_per_s_off = rate(off, mean_off);
        line.entries_per_s_on = rate(on, mean_on);
        // Why a side has no time: its skips (a side that has a time was
        // skipped only elsewhere, e.g. in vm-bench's initramfs guest, which
        // has no servers).
        for (const auto& [which, side] : {std::pair{"off", off}, std::pair{"on", on}}) {
          if (rows_of(side, std::string(kMetricMean))) continue;
          for (const auto& [bm, rs] : side->second) {
            if (bm.first != b || !bm.second.starts_with(kMetricSkippedPrefix)) continue;
            std::string note = std::string(which) + ": " + bm.second.substr(kMetricSkippedPrefix.size());
            if (std::find(line.skipped.begin(), line.skipped.end(), note) == line.skipped.end())
              line.skipped.push_back(std::move(note));
          }
        }
        if (!line.cells.empty() || !line.skipped.empty()) pair.lines.push_back(std::move(line));
      }
      // A pair where nothing ran (an architecture without the Debian
      // guest: only the initramfs guest's skips) is no macro tier.
      if (std::none_of(pair.lines.begin(), pair.lines.end(), [](const MacroLine& l) { return !l.cells.empty(); }))
        continue;
      if (!ratios.empty()) pair.score = geometric_mean_ratio(ratios, confidence);
      out.push_back(std::move(pair));
    }
  }
  return out;
}

}  // namespace ptilab
