// The overhead map (model/overhead_map.h) as text and CSV, and a
// prediction read off it (ptilab trace --map).
#pragma once

#include <string>
#include <vector>

#include "model/overhead_map.h"

namespace ptilab {

// Per pair and page size a grid: a row per working set, a column per
// rate dial, each cell the loss with its interval ("+12.3 [+8.1, +16.9]";
// "~" after it where the interval holds 0), then the rates the cells ran
// at, the benchmarks checked against it (predicted, measured, error) and a
// legend. ptilab table ends with it.
std::string render_overhead_map(const std::vector<MapPair>& pairs, std::vector<std::string>* notes);

// ptilab table --map-csv (the report's input): a record per (pair, cell),
// header arch,kernel,accel,off,on,benchmark,rate,ws,thp,rate_off,rate_on,
// reads_off,reads_on,thp_pct_off,thp_pct_on,loss_pct,ci_low_pct,
// ci_high_pct,basis,boots_off,boots_on; then a record per skipped cell
// with its reason in a last column, note.
std::string format_map_csv(const std::vector<MapPair>& pairs);

// ptilab table --predict-csv (the report's input): a record per pair and
// benchmark checked against the map (MapPair::checks), header arch,kernel,
// accel,off,on,benchmark,rate,ws,predicted_pct,predicted_low_pct,
// predicted_high_pct,measured_pct,measured_low_pct,measured_high_pct,
// error_pts,basis,cells (cell=weight ...),note.
std::string format_predict_csv(const std::vector<MapPair>& pairs);

// What trace --map prints: the map used, the query, each prediction with
// the cells it came from and its notes.
std::string format_prediction(const MapPair& pair, const MapQuery& query, const std::vector<MapPrediction>& predictions,
                              const std::string& rate_basis, const std::string& ws_basis);

}  // namespace ptilab
