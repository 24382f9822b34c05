#include "cmd/table.h"

#include <iostream>
#include <string>
#include <utility>

#include "model/locality.h"
#include "model/macro_tier.h"
#include "model/overhead_map.h"
#include "render/locality.h"
#include "render/overhead_map.h"
#include "render/table.h"
#include "results/results.h"
#include "util/error.h"

namespace ptilab {

int run_table(const TableOptions& o) {
  // Only the rows the table shows are kept: inputs can be large.
  std::vector<ResultRow> rows;
  for (const auto& in : o.inputs)
    for_each_result(in, [&](ResultRow&& r) {
      if (table_uses(r)) rows.push_back(std::move(r));
    });
  if (o.macro_csv) {
    const auto pairs = macro_tier(rows, kTableConfidence);
    if (pairs.empty()) throw Error("no macro-tier workloads with an isolation-on and an isolation-off side");
    std::cout << format_macro_csv(pairs);
    return 0;
  }
  if (o.map_csv || o.predict_csv) {
    const auto pairs = overhead_map(rows, kTableConfidence);
    if (pairs.empty()) throw Error("no overhead-map cells (BM_Map) with an isolation-on and an isolation-off side");
    std::cout << (o.map_csv ? format_map_csv(pairs) : format_predict_csv(pairs));
    return 0;
  }
  if (o.locality_csv) {
    const auto groups = kernel_text_locality(rows, kTableConfidence);
    if (groups.empty()) throw Error("no per-node benchmarks (BM_Numa_*/node:N) in the input");
    std::cout << format_locality_csv(groups);
    return 0;
  }
  std::vector<std::string> notes;
  const std::string table = render_table(rows, &notes);
  for (const auto& n : notes) std::cerr << "ptilab: note: " << n << "\n";
  std::cout << table;
  return 0;
}

}  // namespace ptilab
