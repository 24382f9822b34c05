#include "render/locality.h"

#include <fmt/format.h>

#include <set>

#include "render/table.h"
#include "results/csv.h"
#include "util/text_table.h"

namespace ptilab {

namespace {

std::string node_heading(const LocalityGroup& g, const LocalityCell& c) {
  std::string s = "node " + std::to_string(c.node);
  std::string in;
  if (c.cpu) in = "CPU " + std::to_string(*c.cpu);
  if (g.text_node && c.node == *g.text_node) in += std::string(in.empty() ? "" : ", ") + "text";
  return in.empty() ? s : s + " (" + in + ")";
}

const char* verdict(const Contrast& k) {
  switch (k.comparison.outcome) {
    case Outcome::kHigher: return "slower";
    case Outcome::kLower: return "faster";
    case Outcome::kInconclusive: return "within noise";
    case Outcome::kNoSpread: return "no spread";
    case Outcome::kTooFew: return "insufficient data";
  }
  return "";
}

}  // namespace

std::string locality_note(const LocalityGroup& g) {
  std::vector<std::string> parts;
  if (g.single_node()) parts.push_back("one NUMA node: run once, on node " + std::to_string(g.reference) + "; nothing remote to compare");
  else if (!g.text_node)
    parts.push_back("the kernel text's node is unknown (no module): against node " + std::to_string(g.reference));
  if (g.accel == "tcg")
    parts.push_back("under TCG every vCPU reads the same host memory: no difference between nodes is expected");
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : "; ") + p;
  return s;
}

std::string render_locality(const std::vector<LocalityGroup>& groups, std::vector<std::string>* notes) {
  std::string out;
  bool one_boot = false;
  for (const LocalityGroup& g : groups) {
    if (!out.empty()) out += '\n';
    out += fmt::format("kernel text locality: arch={} kernel={} accel={}, {} ({} {}): {}\n", g.arch, g.kernel, g.accel,
                       g.config, g.boots, g.boots == 1 ? "boot" : "boots",
                       g.text_node ? "kernel text on node " + std::to_string(*g.text_node)
                                   : std::string("kernel text's node not recorded"));
    // The nodes as columns, in order, headed by the first line's CPUs.
    std::vector<int> nodes;
    std::vector<std::string> heads;
    for (const auto& l : g.lines)
      for (const auto& c : l.cells)
        if (std::find(nodes.begin(), nodes.end(), c.node) == nodes.end()) {
          nodes.push_back(c.node);
          heads.push_back(node_heading(g, c));
        }
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> header = {"benchmark"};
    std::vector<bool> right = {false};
    for (const auto& h : heads) {
      header.push_back(h);
      right.push_back(true);
    }
    for (const int n : nodes) {
      if (n == g.reference) continue;
      header.push_back("node " + std::to_string(n) + "/node " + std::to_string(g.reference));
      right.push_back(false);
    }
    table.push_back(header);
    for (const auto& l : g.lines) {
      std::vector<std::string> row = {l.family};
      for (const int n : nodes) {
        const auto it = std::find_if(l.cells.begin(), l.cells.end(), [&](const LocalityCell& c) { return c.node == n; });
        row.push_back(it == l.cells.end() ? "-" : format_cell(it->pooled));
      }
      for (const int n : nodes) {
        if (n == g.reference) continue;
        const auto it = std::find_if(l.cells.begin(), l.cells.end(), [&](const LocalityCell& c) { return c.node == n; });
        const auto ref = std::find_if(l.cells.begin(), l.cells.end(),
                                      [&](const LocalityCell& c) { return c.node == g.reference; });
        if (it == l.cells.end() || ref == l.cells.end() || !it->vs_reference) {
          row.push_back("-");
          continue;
        }
        row.push_back(format_ratio(*it->vs_reference, it->pooled.within_sd && ref->pooled.within_sd, &one_boot));
      }
      table.push_back(std::move(row));
    }
    out += align_columns(table, right);
    if (const std::string note = locality_note(g); !note.empty()) out += "  " + note + "\n";
  }
  if (!groups.empty())
    out += fmt::format(
        "per node: mean ns per op pinned to one CPU of that node; node N/node R: its time over the node holding the "
        "kernel's text (R) [{:g}% interval]\n",
        kTableConfidence * 100);
  if (one_boot && notes)
    notes->push_back("kernel-text-locality intervals marked \"(one boot)\" cover the repetitions inside one boot only");
  return out;
}

std::string format_locality_csv(const std::vector<LocalityGroup>& groups) {
  std::vector<std::vector<std::string>> records = {{"arch", "kernel", "accel", "config", "benchmark", "node", "cpu",
                                                    "text_node", "reference", "mean_ns", "stddev_ns", "boots", "ratio",
                                                    "ci_low", "ci_high", "basis", "verdict", "note"}};
  for (const LocalityGroup& g : groups) {
    const std::string note = locality_note(g);
    for (const auto& l : g.lines) {
      for (const auto& c : l.cells) {
        const Summary& s = c.pooled.summary();
        std::vector<std::string> r = {g.arch,
                                      g.kernel,
                                      g.accel,
                                      g.config,
                                      l.family + "/node:" + std::to_string(c.node),
                                      std::to_string(c.node),
                                      c.cpu ? std::to_string(*c.cpu) : "",
                                      g.text_node ? std::to_string(*g.text_node) : "",
                                      std::to_string(g.reference),
                                      format_number(s.mean),
                                      format_number(s.stddev),
                                      std::to_string(c.pooled.boots)};
        if (c.vs_reference && c.vs_reference->a.mean > 0) {
          const Contrast& k = *c.vs_reference;
          const auto& ci = k.comparison.delta_ci_pct;
          r.insert(r.end(), {format_number(k.b.mean / k.a.mean), ci ? format_number(1 + ci->low / 100) : "",
                             ci ? format_number(1 + ci->high / 100) : "", k.across_boots ? "boots" : "repetitions",
                             verdict(k)});
        } else {
          r.insert(r.end(), {"", "", "", "", ""});
        }
        r.push_back(note);
        records.push_back(std::move(r));
      }
    }
  }
  std::string out;
  for (const auto& r : records) out += csv_format_record(r);
  return out;
}

}  // namespace ptilab
