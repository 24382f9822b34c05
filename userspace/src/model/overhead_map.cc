#include "model/overhead_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "kernel/arch_profile.h"
#include "kernel/state.h"
#include "results/bench_properties.h"
#include "util/error.h"

namespace ptilab {

namespace {

// mm switches per event (system calls + context switches) from which a
// check says the map overstates: one in ten.
constexpr double kMapMmSwitchShare = 0.1;

// "rate:1000" -> 1000 under the name "rate"; nullopt otherwise.
std::optional<long> arg_value(std::string_view part, std::string_view name) {
  if (!part.starts_with(name) || part.size() <= name.size() + 1 || part[name.size()] != ':') return std::nullopt;
  const std::string_view digits = part.substr(name.size() + 1);
  long v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<double> pooled_mean(const std::vector<const ResultRow*>* rows) {
  if (!rows || rows->empty()) return std::nullopt;
  return pool_rows(*rows).summary().mean;
}

}  // namespace

std::optional<MapDials> parse_map_benchmark(std::string_view b) {
  const std::string prefix = std::string(kMapBenchmark) + "/";
  if (!b.starts_with(prefix)) return std::nullopt;
  b.remove_prefix(prefix.size());
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0;;) {
    const std::size_t slash = b.find('/', pos);
    parts.push_back(b.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (parts.size() != 3) return std::nullopt;
  const auto rate = arg_value(parts[0], "rate"), ws = arg_value(parts[1], "ws"), thp = arg_value(parts[2], "thp");
  if (!rate || !ws || !thp || *rate == 0 || *ws == 0 || *thp > 1) return std::nullopt;
  return MapDials{*rate, *ws, *thp == 1};
}

std::string map_benchmark_name(const MapDials& d) {
  return fmt::format("{}/rate:{}/ws:{}/thp:{}", kMapBenchmark, d.rate, d.ws, d.huge ? 1 : 0);
}

std::string format_bytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  // Three figures, so that a set just past a map's edge (4.02 MiB) does
  // not print as the edge itself.
  if (std::fabs(bytes - std::round(bytes)) < 0.005) return fmt::format("{:.0f} {}", bytes, kUnits[u]);
  return fmt::format("{:.3g} {}", bytes, kUnits[u]);
}

bool is_map_benchmark(std::string_view benchmark) {
  return benchmark.substr(0, benchmark.find('/')) == kMapBenchmark;
}

bool map_uses(const ResultRow& row) {
  if (row.metric == "trace:syscalls_per_op" || row.metric == "trace:context_switches_per_op" ||
      row.metric == "trace:mm_switches_per_op" ||
      row.metric == kTraceBusyMetric || row.metric == kTraceWorkingSetPages || row.metric == kMetricMean)
    return true;
  if (!is_map_benchmark(row.benchmark)) return false;
  return row.metric == kMapSpinsPerRead || row.metric == kMapNsPerRead || row.metric == kMapSyscallsPerS ||
         row.metric == kMapReadsPerOp || row.metric == kMapThpPct || row.metric.starts_with(kMetricSkippedPrefix);
}

std::vector<MapPair> overhead_map(const std::vector<ResultRow>& rows, double confidence) {
  // (arch, kernel, accel) -> (isolation, tlb) -> (benchmark, metric) -> rows
  using Key = std::tuple<std::string, std::string, std::string>;
  using Side = std::map<std::pair<std::string, std::string>, std::vector<const ResultRow*>>;
  std::map<Key, std::map<std::pair<std::string, std::string>, Side>> groups;
  std::vector<Key> group_order;
  std::map<std::string, MapDials> dials;
  for (const ResultRow& r : rows) {
    if (!map_uses(r) || !is_map_benchmark(r.benchmark)) continue;
    const auto d = parse_map_benchmark(r.benchmark);
    if (!d) continue;
    dials.emplace(r.benchmark, *d);
    const ArchProfile& p = profile_for(r.arch);
    const Key key{r.arch, r.kernel, r.accel};
    if (!groups.contains(key)) group_order.push_back(key);
    groups[key][{p.isolation_of(r), p.tlb_of(r)}][{r.benchmark, r.metric}].push_back(&r);
  }
  // Cells in dial order: page size, working set, rate.
  std::vector<std::pair<MapDials, std::string>> order;
  for (const auto& [name, d] : dials) order.emplace_back(d, name);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tuple(a.first.huge, a.first.ws, a.first.rate) < std::tuple(b.first.huge, b.first.ws, b.first.rate);
  });

  std::vector<MapPair> out;
  for (const Key& key : group_order) {
    const auto& configs = groups[key];
    const ArchProfile& p = profile_for(std::get<0>(key));
    std::set<std::string> tlbs;
    for (const auto& [side, _] : configs) tlbs.insert(side.second);
    const bool with_tlb = tlbs.size() > 1;
    for (const std::string& tlb : tlbs) {
      const auto off = configs.find({std::string(kOff), tlb}), on = configs.find({std::string(kOn), tlb});
      if (off == configs.end() || on == configs.end()) continue;
      MapPair pair;
      std::tie(pair.arch, pair.kernel, pair.accel) = key;
      pair.off_label = p.label(*off->second.begin()->second.front(), with_tlb);
      pair.on_label = p.label(*on->second.begin()->second.front(), with_tlb);
      pair.off_tlb = pair.on_tlb = tlb;
      const auto rows_of = [](const Side& side, const std::string& b,
                              std::string_view metric) -> const std::vector<const ResultRow*>* {
        const auto it = side.find({b, std::string(metric)});
        return it == side.end() ? nullptr : &it->second;
      };
      for (const auto& [d, name] : order) {
        for (const auto& [which, side] : {std::pair{"off", &off->second}, std::pair{"on", &on->second}})
          for (const auto& [bm, _] : *side)
            if (bm.first == name && bm.second.starts_with(kMetricSkippedPrefix))
              pair.skipped.push_back({name, which, bm.second.substr(kMetricSkippedPrefix.size())});
        // spins_per_read where both sides have it (runs before 2026-12-06 do
        // not): the host's speed divided out.
        std::string_view metric = kMapSpinsPerRead;
        const auto* a = rows_of(off->second, name, metric);
        const auto* b = rows_of(on->second, name, metric);
        if (!a || !b) {
          metric = kMapNsPerRead;
          a = rows_of(off->second, name, metric);
          b = rows_of(on->second, name, metric);
        }
        const auto rate_off = pooled_mean(rows_of(off->second, name, kMapSyscallsPerS));
        const auto rate_on = pooled_mean(rows_of(on->second, name, kMapSyscallsPerS));
        if (!a || !b || !rate_off || !rate_on) continue;
        MapCell cell;
        cell.dials = d;
        cell.metric = metric;
        cell.off = pool_rows(*a);
        cell.on = pool_rows(*b);
        cell.contrast = contrast(cell.off, cell.on, confidence);
        cell.rate_off = *rate_off;
        cell.rate_on = *rate_on;
        cell.reads_off = pooled_mean(rows_of(off->second, name, kMapReadsPerOp));
        cell.reads_on = pooled_mean(rows_of(on->second, name, kMapReadsPerOp));
        cell.thp_off = pooled_mean(rows_of(off->second, name, kMapThpPct));
        cell.thp_on = pooled_mean(rows_of(on->second, name, kMapThpPct));
        pair.boots_off = std::max(pair.boots_off, cell.off.boots);
        pair.boots_on = std::max(pair.boots_on, cell.on.boots);
        pair.cells.push_back(std::move(cell));
      }
      if (pair.cells.empty()) continue;
      pair.checks = predicted_vs_measured(pair, rows, confidence);
      out.push_back(std::move(pair));
    }
  }
  return out;
}

namespace {

// Why the map is read in these coordinates: a cell adds a fixed cost c to
// each system call (the entry's CR3 writes and, without PCID, the TLB
// refills after them) on top of T_off, the time per call with isolation
// off. Its loss is c / T_off = c x (the off rate), and loss / (1 + loss) =
// c / (T_off + c) = c x (the on rate): each is proportional to the rate of
// its side, and to c, which a line fixes. Linear interpolation in those
// terms is exact where c is constant; linear in the loss against log rate
// is not, and where c is large the on rates crowd together near 1 / c (a
// 4 MiB set under TCG: the cells made for 10k and 100k calls/s run at
// 3.8k and 4.2k/s with pti=on), so a rate 5% above one cell was read an
// eighth of the way to the next (CI, 2026-12-05: +305% predicted, +163%
// measured, the next cell +1332%).
double to_linear(double loss_pct, bool on) {
  // A ratio of positive times is above -100%; an interval's end may not be.
  const double l = std::max(loss_pct / 100, -0.999);
  return on ? l / (1 + l) : l;
}
double from_linear(double g, bool on) { return 100 * (on ? g / (1 - g) : g); }

// One working-set line of the map at one rate, in to_linear()'s terms.
struct LinePoint {
  double g = 0;
  std::optional<Interval> ci;
  std::vector<std::pair<std::string, double>> cells;
};

// t in [0, 1] between two points; the intervals likewise, if both have one.
LinePoint mix(const LinePoint& a, const LinePoint& b, double t) {
  LinePoint m;
  m.g = a.g + (b.g - a.g) * t;
  if (a.ci && b.ci) m.ci = Interval{a.ci->low + (b.ci->low - a.ci->low) * t, a.ci->high + (b.ci->high - a.ci->high) * t};
  for (const auto& [c, w] : a.cells) m.cells.emplace_back(c, w * (1 - t));
  for (const auto& [c, w] : b.cells) m.cells.emplace_back(c, w * t);
  std::erase_if(m.cells, [](const auto& c) { return c.second <= 0; });
  return m;
}

// A point scaled by k (toward no loss at no calls).
LinePoint scale(LinePoint p, double k) {
  p.g *= k;
  if (p.ci) p.ci = Interval{p.ci->low * k, p.ci->high * k};
  for (auto& c : p.cells) c.second *= k;
  return p;
}

// Where x falls between sorted xs: (lower index, weight of the upper),
// clamped to the ends (clamped set).
std::pair<std::size_t, double> bracket(const std::vector<double>& xs, double x, bool* clamped) {
  if (xs.size() == 1 || x <= xs.front()) {
    *clamped = xs.size() > 1 ? x < xs.front() : x != xs.front();
    return {0, 0};
  }
  if (x >= xs.back()) {
    *clamped = x > xs.back();
    return {xs.size() - 2, 1};
  }
  std::size_t i = 0;
  while (xs[i + 1] < x) ++i;
  const double t = (x - xs[i]) / (xs[i + 1] - xs[i]);
  return {i, t};
}

LinePoint read_line(const std::vector<const MapCell*>& line, const MapQuery& q, std::vector<std::string>* notes) {
  // By the rate the query's side ran at: that is the rate the traced
  // workload had.
  const bool on = q.isolation_on;
  std::vector<const MapCell*> cells = line;
  std::sort(cells.begin(), cells.end(),
            [&](const MapCell* a, const MapCell* b) { return a->rate(on) < b->rate(on); });
  std::vector<double> xs;
  std::vector<LinePoint> points;
  for (const MapCell* c : cells) {
    if (!c->loss_pct() || !(c->rate(on) > 0)) continue;
    // Two cells above the machine's maximum run at the same rate: keep the
    // first.
    const double x = c->rate(on);
    if (!xs.empty() && x <= xs.back()) continue;
    xs.push_back(x);
    LinePoint p{to_linear(*c->loss_pct(), on), std::nullopt, {{map_benchmark_name(c->dials), 1.0}}};
    if (const auto ci = c->loss_ci_pct()) p.ci = Interval{to_linear(ci->low, on), to_linear(ci->high, on)};
    points.push_back(std::move(p));
  }
  const std::string name = format_bytes(static_cast<double>(line.front()->dials.ws));
  if (points.empty()) throw Error("the map's " + name + " line has no cell with a loss");
  const double rate = std::max(q.rate, 0.0);
  // Below the slowest cell: scaled toward no loss at no system calls, as
  // a fixed cost per call implies.
  if (rate < xs.front()) return scale(points.front(), rate / xs.front());
  bool clamped = false;
  const auto [i, t] = bracket(xs, rate, &clamped);
  if (clamped)
    notes->push_back(fmt::format("{:.0f} calls/s is above the {} line's rates ({:.0f} to {:.0f}/s): the fastest cell",
                                 q.rate, name, xs.front(), xs.back()));
  if (points.size() == 1) return points.front();
  return mix(points[i], points[i + 1], t);
}

}  // namespace

std::vector<MapPrediction> predict(const MapPair& pair, const MapQuery& q) {
  std::vector<std::string> notes;
  bool huge = q.huge;
  const auto has = [&](bool h) {
    return std::any_of(pair.cells.begin(), pair.cells.end(), [&](const MapCell& c) { return c.dials.huge == h; });
  };
  if (!has(huge)) {
    if (!has(!huge)) throw Error("the map has no cells");
    notes.push_back(std::string("the map has no ") + (huge ? "huge-page" : "4 KiB-page") + " cells: the " +
                    (huge ? "4 KiB-page" : "huge-page") + " ones instead");
    huge = !huge;
  }
  std::map<long, std::vector<const MapCell*>> lines;
  for (const MapCell& c : pair.cells)
    if (c.dials.huge == huge) lines[c.dials.ws].push_back(&c);

  std::vector<MapPrediction> out;
  const auto finish = [&](double ws, LinePoint p, std::vector<std::string> n) {
    MapPrediction m;
    m.ws = ws;
    m.loss_pct = from_linear(p.g, q.isolation_on);
    if (p.ci) m.ci_pct = Interval{from_linear(p.ci->low, q.isolation_on), from_linear(p.ci->high, q.isolation_on)};
    m.cells = std::move(p.cells);
    m.notes = std::move(n);
    out.push_back(std::move(m));
  };
  if (!q.ws) {
    for (const auto& [ws, line] : lines) {
      std::vector<std::string> n = notes;
      LinePoint p = read_line(line, q, &n);
      finish(static_cast<double>(ws), std::move(p), std::move(n));
    }
    return out;
  }
  std::vector<double> xs;
  std::vector<const std::vector<const MapCell*>*> by_ws;
  for (const auto& [ws, line] : lines) {
    xs.push_back(std::log(static_cast<double>(ws)));
    by_ws.push_back(&line);
  }
  bool clamped = false;
  const auto [i, t] = bracket(xs, std::log(std::max(*q.ws, 1.0)), &clamped);
  if (clamped)
    notes.push_back(fmt::format("a {} working set is outside the map's ({} to {}): the nearest line",
                                format_bytes(*q.ws), format_bytes(std::exp(xs.front())), format_bytes(std::exp(xs.back()))));
  LinePoint p;
  if (xs.size() == 1 || t <= 0)
    p = read_line(*by_ws[i], q, &notes);
  else if (t >= 1)
    p = read_line(*by_ws[i + 1], q, &notes);
  else
    p = mix(read_line(*by_ws[i], q, &notes), read_line(*by_ws[i + 1], q, &notes), t);
  finish(*q.ws, std::move(p), std::move(notes));
  return out;
}

std::vector<PredictedLoss> predicted_vs_measured(const MapPair& pair, const std::vector<ResultRow>& rows,
                                                 double confidence) {
  const std::string syscalls = "trace:syscalls_per_op", switches = "trace:context_switches_per_op",
                    mm_switches = "trace:mm_switches_per_op";
  const std::string busy = std::string(kTraceBusyMetric), pages = std::string(kTraceWorkingSetPages);
  // benchmark -> (side, metric) -> rows, for this pair's group and TLB setting.
  std::map<std::string, std::map<std::pair<bool, std::string>, std::vector<const ResultRow*>>> by;
  std::vector<std::string> order;
  for (const ResultRow& r : rows) {
    if (r.arch != pair.arch || r.kernel != pair.kernel || r.accel != pair.accel) continue;
    if (is_map_benchmark(r.benchmark) || r.benchmark.find('+') != std::string::npos ||
        !r.benchmark.starts_with("BM_"))
      continue;
    if (r.metric != kMetricMean && r.metric != syscalls && r.metric != switches && r.metric != mm_switches &&
        r.metric != busy && r.metric != pages)
      continue;
    const ArchProfile& p = profile_for(r.arch);
    if (p.tlb_of(r) != pair.on_tlb) continue;
    const std::string& iso = p.isolation_of(r);
    if (iso != kOn && iso != kOff) continue;
    if (!by.contains(r.benchmark)) order.push_back(r.benchmark);
    by[r.benchmark][{iso == kOn, r.metric}].push_back(&r);
  }
  std::vector<PredictedLoss> out;
  for (const std::string& b : order) {
    auto& m = by[b];
    const auto get = [&](bool on, const std::string& metric) -> const std::vector<const ResultRow*>* {
      const auto it = m.find({on, metric});
      return it == m.end() ? nullptr : &it->second;
    };
    const auto* off_t = get(false, std::string(kMetricMean));
    const auto* on_t = get(true, std::string(kMetricMean));
    const auto calls = pooled_mean(get(true, syscalls)), sw = pooled_mean(get(true, switches));
    const auto busy_ns = pooled_mean(get(true, busy));
    if (!off_t || !on_t || !calls || !sw || !busy_ns || !(*busy_ns > 0)) continue;
    PredictedLoss l;
    l.benchmark = b;
    l.rate = (*calls + *sw) / (*busy_ns * 1e-9);
    if (const auto pg = pooled_mean(get(true, pages))) l.ws = *pg * 4096;
    MapQuery q;
    q.rate = l.rate;
    q.ws = l.ws;
    auto predictions = predict(pair, q);
    l.predicted = std::move(predictions.front());  // without a working set: the smallest line
    // The map's cells switch no mm. A workload that does writes CR3 with
    // isolation off too, and without PCID that flushes the TLB there as
    // well: isolation adds the entries' cost, not the refills the map
    // charges for them.
    if (const auto mm = pooled_mean(get(true, mm_switches)); mm && *mm >= kMapMmSwitchShare * (*calls + *sw))
      l.predicted.notes.push_back(fmt::format(
          "{:.2g} mm switches per system call: with isolation off they write CR3 too (a flush without PCID), so "
          "the map, whose cells switch none, overstates the refills",
          *mm / std::max(*calls, 1e-9)));
    if (!l.ws) l.predicted.notes.push_back(
        "working set not traced (its work is in other processes): the smallest working set's line, a lower "
        "bound where TLB refills dominate");
    l.measured = contrast(pool_rows(*off_t), pool_rows(*on_t), confidence);
    out.push_back(std::move(l));
  }
  return out;
}

const MapPair* choose_pair(const std::vector<MapPair>& pairs, std::string_view arch, std::string_view kernel,
                           std::string_view tlb, std::string_view accel) {
  const MapPair* best = nullptr;
  int best_score = -1;
  for (const MapPair& p : pairs) {
    if (p.arch != arch) continue;
    const int score = (p.kernel == kernel ? 4 : 0) + (p.on_tlb == tlb ? 2 : 0) + (p.accel == accel ? 1 : 0);
    if (score > best_score) {
      best = &p;
      best_score = score;
    }
  }
  return best;
}

}  // namespace ptilab
