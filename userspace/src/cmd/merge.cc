#include "cmd/merge.h"

#include "results/results.h"

namespace ptilab {

void merge_results_files(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out) {
  std::vector<ResultRow> rows;
  for (const auto& in : inputs) {
    auto more = read_results(in);
    rows.insert(rows.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  write_results(out, rows);
}

int run_merge(const MergeOptions& o) {
  merge_results_files(o.inputs, o.out);
  return 0;
}

}  // namespace ptilab
