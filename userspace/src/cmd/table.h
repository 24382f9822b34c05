// `ptilab table`: the microbenchmarks' on/off table and the macro tier
// (render/table.h draws them).
#pragma once

#include <filesystem>
#include <vector>

namespace ptilab {

struct TableOptions {
  std::vector<std::filesystem::path> inputs;
  bool macro_csv = false;  // only the macro tier, as CSV (what the report reads)
  bool map_csv = false;    // only the overhead map, as CSV (likewise)
  bool predict_csv = false;  // only the map's predictions against measurement, as CSV
  bool locality_csv = false;  // only kernel text locality (the per-node benchmarks), as CSV
};

// Notes go to stderr, the table to stdout. Throws Error.
int run_table(const TableOptions& options);

}  // namespace ptilab
