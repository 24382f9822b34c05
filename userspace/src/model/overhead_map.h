// The overhead map (map_bench.cc: BM_Map/rate:R/ws:W/thp:H): per (arch,
// kernel, accel) and pair of an isolation-off and an isolation-on
// configuration with the same TLB setting (PCID, E0PD), as the macro tier
// pairs them, each cell's loss: spins_per_read (else ns_per_read) on
// against off, with its interval (replicates.h: across boots where both
// sides have two or more), and the system-call rate each side really ran
// at. Then a
// prediction for a workload that makes a given number of system calls and
// context switches per busy CPU-second over a given working set, read off
// the map by interpolation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "results/replicates.h"
#include "results/results.h"
#include "results/stats.h"

namespace ptilab {

// A cell's dials, from its name "BM_Map/rate:1000/ws:4096/thp:0".
struct MapDials {
  long rate = 0;  // the rate its user work leaves room for (calls per second)
  long ws = 0;    // working set, bytes
  bool huge = false;
  bool operator==(const MapDials&) const = default;
};
std::optional<MapDials> parse_map_benchmark(std::string_view benchmark);
std::string map_benchmark_name(const MapDials& dials);

// "4 KiB", "64 MiB".
std::string format_bytes(double bytes);

struct MapCell {
  MapDials dials;
  // What the loss is a ratio of: spins_per_read (time per read in units of
  // a spin timed in the same run), or ns_per_read where a side lacks it
  // (an earlier run).
  std::string_view metric;
  Pooled off, on;     // of metric
  Contrast contrast;  // on against off: its delta is the loss
  // System calls per second each side ran at (the mean of its boots).
  double rate_off = 0, rate_on = 0;
  // Page reads per system call each side calibrated, and the share of the
  // set in huge pages (%), as the rows say (means over boots).
  std::optional<double> reads_off, reads_on, thp_off, thp_on;

  std::optional<double> loss_pct() const { return contrast.comparison.delta_pct; }
  std::optional<Interval> loss_ci_pct() const { return contrast.comparison.delta_ci_pct; }
  // The rate of the side whose state a traced workload was in.
  double rate(bool isolation_on) const { return isolation_on ? rate_on : rate_off; }
};

// A traced workload, placed on the map.
struct MapQuery {
  double rate = 0;            // system calls + context switches per busy CPU-second
  std::optional<double> ws;   // bytes it touched; nullopt: one prediction per working set
  bool huge = false;          // mostly in huge pages
  bool isolation_on = true;   // the state it was traced in: which side's rates to place it by
};

struct MapPrediction {
  double ws = 0;  // the working set predicted for (the query's, or a line's)
  double loss_pct = 0;
  std::optional<Interval> ci_pct;  // the cells' intervals, interpolated alike; nullopt if one lacks one
  // The cells it was read from ("BM_Map/rate:10000/ws:1048576/thp:0")
  // with their weights, and what was clamped or substituted.
  std::vector<std::pair<std::string, double>> cells;
  std::vector<std::string> notes;
};

// The map checked against measurement: a benchmark of the same (arch,
// kernel, accel) with ns_per_op on both sides of the pair and a traced pass
// with isolation on (ptilab bench --trace: system calls and context
// switches per iteration, the machine's busy CPU time per iteration, the
// pages ptilab's process referenced), its loss predicted from the map at
// the traced rate and working set, and measured (ns_per_op on against
// off).
struct PredictedLoss {
  std::string benchmark;
  double rate = 0;           // system calls + context switches per busy CPU-second
  std::optional<double> ws;  // bytes; nullopt: not traced, the smallest line used
  MapPrediction predicted;
  Contrast measured;
  // Predicted minus measured, in points; nullopt without a measured delta.
  std::optional<double> error_pts() const {
    if (!measured.comparison.delta_pct) return std::nullopt;
    return predicted.loss_pct - *measured.comparison.delta_pct;
  }
};

struct MapPair {
  std::string arch, kernel, accel;
  std::string off_label, on_label;  // "pti=off", "kpti=on,e0pd=off"
  std::string off_tlb, on_tlb;      // the TLB column's value of each side (pcid, e0pd)
  std::vector<MapCell> cells;       // by page size, working set, rate
  int boots_off = 0, boots_on = 0;  // the most any cell has
  // The benchmarks of the same group with a traced pass, predicted from
  // this map and measured.
  std::vector<PredictedLoss> checks;
  // Cells a side skipped, and why (a kernel without huge pages).
  struct Skip {
    std::string benchmark, side, why;  // side: "off" or "on"
  };
  std::vector<Skip> skipped;
};

// Whether the row is one the map reads (its cells, and the times and
// traced counts of the benchmarks it is checked against).
bool map_uses(const ResultRow& row);
bool is_map_benchmark(std::string_view benchmark);

// Every pair with at least one cell measured on both sides; empty if none.
// Throws Error as pool_rows() does.
std::vector<MapPair> overhead_map(const std::vector<ResultRow>& rows, double confidence);

// Read in the terms a fixed cost per system call makes linear in the rate
// (with isolation off the loss, with it on loss / (1 + loss): the share of
// the time isolation takes): linear in the rate between the two cells of a
// working-set line whose rates (of the query's side) bracket the query's,
// scaled toward zero below the slowest, then linear in log(ws) between the
// two lines that bracket its working set; clamped to the fastest cell or
// the nearest line outside the map, and said so. Without a working set,
// one prediction per line. Throws Error if the pair has no cell of any page
// size.
std::vector<MapPrediction> predict(const MapPair& pair, const MapQuery& query);

// Every such benchmark but the map's own cells and the hook experiments'
// (name suffix "+..."), in first-seen order (overhead_map() fills
// MapPair::checks with it). Throws Error as pool_rows().
std::vector<PredictedLoss> predicted_vs_measured(const MapPair& pair, const std::vector<ResultRow>& rows,
                                                 double confidence);

// The pair a traced host reads: same arch; then the same kernel release,
// the same TLB setting (pcid, e0pd) and the same accel, in that order of
// preference. nullptr if none has this arch.
const MapPair* choose_pair(const std::vector<MapPair>& pairs, std::string_view arch, std::string_view kernel,
                           std::string_view tlb, std::string_view accel);

}  // namespace ptilab
