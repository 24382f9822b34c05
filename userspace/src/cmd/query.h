// `ptilab query`, `ptilab schema`, `ptilab profiles`: the results schema
// and the architecture profiles for scripts and the report, so that no
// consumer keeps its own copy of the columns or parses the CSV by
// position.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/compare.h"  // RowFilter
#include "results/results.h"

namespace ptilab {

struct QueryOptions {
  std::vector<std::filesystem::path> inputs;
  // Exact, or a prefix when it ends in '*' ("trace:*"); "*" alone is the
  // literal "*" (the benchmark of not_supported rows).
  std::optional<std::string> benchmark, metric;
  std::vector<RowFilter> where;
  std::string print = "value";  // the column printed per matching row
  bool csv = false;             // the matching rows as a results CSV instead
  std::optional<std::filesystem::path> out;  // with csv: write there atomically
};

// Whether row matches the options' benchmark, metric and where filters.
bool query_matches(const QueryOptions& options, const ResultRow& row);

// Prints the print column of every matching row, one per line (nothing and
// exit 0 when none matches), or with csv the header and the matching rows.
int run_query(const QueryOptions& options);

}  // namespace ptilab
