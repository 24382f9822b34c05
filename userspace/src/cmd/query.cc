#include "cmd/query.h"

#include <iostream>

#include "util/error.h"

namespace ptilab {

namespace {

// "*" alone is the literal benchmark "*" of the not_supported rows
// (kAnyBenchmark), not "anything": leaving the option out says that.
bool matches(const std::optional<std::string>& pattern, const std::string& s) {
  if (!pattern) return true;
  if (pattern->size() > 1 && pattern->ends_with('*'))
    return s.starts_with(std::string_view(*pattern).substr(0, pattern->size() - 1));
  return s == *pattern;
}

}  // namespace

bool query_matches(const QueryOptions& o, const ResultRow& row) {
  if (!matches(o.benchmark, row.benchmark) || !matches(o.metric, row.metric)) return false;
  for (const auto& f : o.where)
    if (*result_field(row, f.column) != f.value) return false;
  return true;
}

int run_query(const QueryOptions& o) {
  if (!result_field(ResultRow{}, o.print)) throw UsageError("--print: unknown column '" + o.print + "'");
  std::vector<ResultRow> out;
  for (const auto& in : o.inputs)
    for (auto& r : read_results(in))
      if (query_matches(o, r)) out.push_back(std::move(r));
  if (o.csv) {
    if (o.out)
      write_results(*o.out, out);
    else
      std::cout << format_results(out);
    return 0;
  }
  std::string text;
  for (const auto& r : out) text += *result_field(r, o.print) + "\n";
  std::cout << text;
  return 0;
}

}  // namespace ptilab
