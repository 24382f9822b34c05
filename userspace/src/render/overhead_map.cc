#include "render/overhead_map.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "render/table.h"
#include "results/bench_properties.h"
#include "results/csv.h"
#include "util/text_table.h"

namespace ptilab {

namespace {

std::string num(const std::optional<double>& v) { return v ? format_number(*v) : std::string(); }

// "+12.3 [+8.1, +16.9]", "~" after it when the interval holds 0; "+12.3
// (no interval)".
std::string format_loss(const MapCell& c) {
  const auto loss = c.loss_pct();
  if (!loss) return "-";
  const auto ci = c.loss_ci_pct();
  if (!ci) return fmt::format("{:+.1f} (no interval)", *loss);
  return fmt::format("{:+.1f} [{:+.1f}, {:+.1f}]{}", *loss, ci->low, ci->high, ci->low <= 0 && ci->high >= 0 ? "~" : "");
}

std::string boots(int n) { return std::to_string(n) + (n == 1 ? " boot" : " boots"); }

std::string render_pair(const MapPair& pair, bool* one_boot) {
  std::string out;
  for (const bool huge : {false, true}) {
    std::set<long> rates, sets;
    std::map<std::pair<long, long>, const MapCell*> at;  // (ws, rate)
    for (const MapCell& c : pair.cells) {
      if (c.dials.huge != huge) continue;
      rates.insert(c.dials.rate);
      sets.insert(c.dials.ws);
      at[{c.dials.ws, c.dials.rate}] = &c;
      if (!c.contrast.across_boots) *one_boot = true;
    }
    if (at.empty()) continue;
    std::vector<std::string> head = {"working set"};
    for (const long r : rates) head.push_back("rate:" + format_rate(static_cast<double>(r)));
    std::vector<std::vector<std::string>> loss = {head}, ran = {head};
    for (const long ws : sets) {
      std::vector<std::string> l = {format_bytes(static_cast<double>(ws))}, r = l;
      for (const long rate : rates) {
        const auto it = at.find({ws, rate});
        l.push_back(it == at.end() ? "-" : format_loss(*it->second));
        r.push_back(it == at.end() ? "-"
                                   : format_rate(it->second->rate_off) + " | " + format_rate(it->second->rate_on));
      }
      loss.push_back(std::move(l));
      ran.push_back(std::move(r));
    }
    const std::vector<bool> right(head.size(), true);
    if (!out.empty()) out += '\n';
    out += fmt::format("overhead map: arch={} kernel={} accel={}, {} ({}) | {} ({}), {} pages\n", pair.arch, pair.kernel,
                       pair.accel, pair.off_label, boots(pair.boots_off), pair.on_label, boots(pair.boots_on),
                       huge ? "transparent huge" : "4 KiB");
    std::set<std::string_view> metrics;
    for (const auto& [_, c] : at) metrics.insert(c->metric);
    const std::string what =
        !metrics.contains(kMapNsPerRead)
            ? "time per page read of user work in units of a spin timed in the same run (spins_per_read)"
        : metrics.size() == 1 ? "time per page read of user work (ns_per_read: these runs have no spins_per_read)"
                              : "spins_per_read where both sides have it, else ns_per_read";
    out += fmt::format("loss %: {}, {} against {} [{:g}% interval]\n", what, pair.on_label, pair.off_label,
                       kTableConfidence * 100);
    out += align_columns(loss, right);
    out += fmt::format("system calls per second each cell ran at, {} | {}\n", pair.off_label, pair.on_label);
    out += align_columns(ran, right);
  }
  if (!pair.checks.empty()) {
    std::vector<std::vector<std::string>> t = {
        {"benchmark", "calls+switches/busy CPU-s", "working set", "predicted", "measured", "error"}};
    for (const PredictedLoss& l : pair.checks) {
      const auto& k = l.measured.comparison;
      std::string measured = k.delta_pct ? fmt::format("{:+.1f}%", *k.delta_pct) : "-";
      if (k.delta_ci_pct) measured += fmt::format(" [{:+.1f}, {:+.1f}]", k.delta_ci_pct->low, k.delta_ci_pct->high);
      std::string predicted = fmt::format("{:+.1f}%", l.predicted.loss_pct);
      if (l.predicted.ci_pct)
        predicted += fmt::format(" [{:+.1f}, {:+.1f}]", l.predicted.ci_pct->low, l.predicted.ci_pct->high);
      const auto err = l.error_pts();
      t.push_back({l.benchmark, format_rate(l.rate), l.ws ? format_bytes(*l.ws) : "-", predicted, measured,
                   err ? fmt::format("{:+.1f} pts", *err) : "-"});
    }
    out += fmt::format("predicted (the map at the traced rate and working set) against measured (ns_per_op), {} "
                       "against {}\n",
                       pair.on_label, pair.off_label);
    out += align_columns(t, {false, true, true, true, true, true});
  }
  for (const auto& s : pair.skipped)
    out += "  skipped " + s.benchmark + " (" + (s.side == "on" ? pair.on_label : pair.off_label) + "): " + s.why + "\n";
  return out;
}

}  // namespace

std::string render_overhead_map(const std::vector<MapPair>& pairs, std::vector<std::string>* notes) {
  std::string out;
  bool one_boot = false;
  for (const MapPair& pair : pairs) {
    if (!out.empty()) out += '\n';
    out += render_pair(pair, &one_boot);
  }
  out += "rate:R: the user work between two system calls takes 1/R s with nothing entering the kernel (calibrated "
         "once, or taken from an earlier run: --map-reads), so R is the rate "
         "free system calls would allow; ~: the interval holds 0\n";
  if (one_boot && notes)
    notes->push_back("overhead-map intervals cover the repetitions inside one boot only where a side has one boot");
  return out;
}

std::string format_map_csv(const std::vector<MapPair>& pairs) {
  std::vector<std::vector<std::string>> records = {
      {"arch", "kernel", "accel", "off", "on", "benchmark", "rate", "ws", "thp", "rate_off", "rate_on", "reads_off",
       "reads_on", "thp_pct_off", "thp_pct_on", "loss_pct", "ci_low_pct", "ci_high_pct", "basis", "boots_off",
       "boots_on", "metric", "note"}};
  for (const MapPair& pair : pairs) {
    const std::vector<std::string> head = {pair.arch, pair.kernel, pair.accel, pair.off_label, pair.on_label};
    for (const MapCell& c : pair.cells) {
      auto r = head;
      const auto ci = c.loss_ci_pct();
      r.insert(r.end(), {map_benchmark_name(c.dials), std::to_string(c.dials.rate), std::to_string(c.dials.ws),
                         c.dials.huge ? "1" : "0", format_number(c.rate_off), format_number(c.rate_on),
                         num(c.reads_off), num(c.reads_on), num(c.thp_off), num(c.thp_on), num(c.loss_pct()),
                         ci ? format_number(ci->low) : "", ci ? format_number(ci->high) : "",
                         c.contrast.across_boots ? "boots" : "repetitions", std::to_string(c.off.boots),
                         std::to_string(c.on.boots), std::string(c.metric), ""});
      records.push_back(std::move(r));
    }
    for (const auto& s : pair.skipped) {
      auto r = head;
      r.insert(r.end(), {s.benchmark, "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
                         "skipped (" + (s.side == "on" ? pair.on_label : pair.off_label) + "): " + s.why});
      records.push_back(std::move(r));
    }
  }
  std::string out;
  for (const auto& r : records) out += csv_format_record(r);
  return out;
}

std::string format_predict_csv(const std::vector<MapPair>& pairs) {
  std::vector<std::vector<std::string>> records = {
      {"arch", "kernel", "accel", "off", "on", "benchmark", "rate", "ws", "predicted_pct", "predicted_low_pct",
       "predicted_high_pct", "measured_pct", "measured_low_pct", "measured_high_pct", "error_pts", "basis", "cells",
       "note"}};
  for (const MapPair& pair : pairs)
    for (const PredictedLoss& l : pair.checks) {
      const auto& k = l.measured.comparison;
      const auto& ci = l.predicted.ci_pct;
      std::string cells, notes;
      for (const auto& [c, w] : l.predicted.cells) cells += (cells.empty() ? "" : " ") + c + "=" + format_number(w);
      for (const auto& n : l.predicted.notes) notes += (notes.empty() ? "" : "; ") + n;
      records.push_back({pair.arch, pair.kernel, pair.accel, pair.off_label, pair.on_label, l.benchmark,
                         format_number(l.rate), l.ws ? format_number(*l.ws) : "", format_number(l.predicted.loss_pct),
                         ci ? format_number(ci->low) : "", ci ? format_number(ci->high) : "", num(k.delta_pct),
                         k.delta_ci_pct ? format_number(k.delta_ci_pct->low) : "",
                         k.delta_ci_pct ? format_number(k.delta_ci_pct->high) : "", num(l.error_pts()),
                         l.measured.across_boots ? "boots" : "repetitions", cells, notes});
    }
  std::string out;
  for (const auto& r : records) out += csv_format_record(r);
  return out;
}

std::string format_prediction(const MapPair& pair, const MapQuery& q, const std::vector<MapPrediction>& predictions,
                              const std::string& rate_basis, const std::string& ws_basis) {
  const std::string side = q.isolation_on ? pair.on_label : pair.off_label;
  std::string out = fmt::format("map: arch={} kernel={} accel={}, {} | {} ({} pages)\n", pair.arch, pair.kernel,
                                pair.accel, pair.off_label, pair.on_label, q.huge ? "huge" : "4 KiB");
  out += fmt::format("  rate:        {:.0f} system calls + context switches per busy CPU-second ({})\n", q.rate,
                     rate_basis);
  out += "  working set: " + (q.ws ? format_bytes(*q.ws) + " (" + ws_basis + ")" : ws_basis) + "\n";
  out += fmt::format("  placed by the rates the map's cells ran at with {} (this host's state)\n", side);
  for (const MapPrediction& p : predictions) {
    out += fmt::format("predicted loss{}: {:+.1f}%", q.ws ? "" : " at " + format_bytes(p.ws), p.loss_pct);
    out += p.ci_pct ? fmt::format(" [{:+.1f}, {:+.1f}]", p.ci_pct->low, p.ci_pct->high) : std::string(" (no interval)");
    out += fmt::format(" of the workload's time, {} against {}\n", pair.on_label, pair.off_label);
    std::string from;
    for (const auto& [cell, w] : p.cells) from += (from.empty() ? "" : " + ") + fmt::format("{:.2f} x {}", w, cell);
    out += "  from " + from + "\n";
    for (const auto& n : p.notes) out += "  note: " + n + "\n";
  }
  if (pair.accel == "tcg")
    out += "  note: a map measured under TCG, where every CR3 write empties the whole emulated TLB: its losses are "
           "the emulator's, TLB effects dominate them\n";
  out += "  assumes: the workload's time goes to system calls and user work like the map's (page-strided reads); "
         "a fixed cost per system call (the loss, or with isolation on its share of the time, proportional to the "
         "rate); the interval is the cells' intervals interpolated alike\n";
  return out;
}

}  // namespace ptilab
