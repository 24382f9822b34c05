#include "cmd/query.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "kernel/arch_profile.h"
#include "util/atomic_file.h"
#include "results/bench_properties.h"
#include "util/error.h"
#include "util/text_table.h"

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

int run_schema(bool json) {
  if (!json) {
    std::cout << results_header();
    return 0;
  }
  nlohmann::ordered_json j;
  j["columns"] = nlohmann::ordered_json::array();
  for (const auto& c : kResultColumns) j["columns"].push_back(c.name);
  j["units"] = kUnits;
  // The macro tier's benchmarks (shown apart from the microbenchmarks) and
  // the metrics of their CPU times.
  j["workload_benchmarks"] = kWorkloadBenchmarks;
  j["workload_metrics"] = nlohmann::ordered_json::object();
  for (const auto& w : kWorkloadCounters) j["workload_metrics"][std::string(w.name)] = w.unit;
  std::cout << j.dump(2) << "\n";
  return 0;
}

int run_profiles(bool json) {
  if (json) {
    std::cout << profiles_json();
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"profile", "arch", "isolation", "columns", "reason key", "page-table register", "probes (unit)"}};
  for (const ArchProfile* p : all_profiles()) {
    std::string probes;
    for (const auto w : p->write_probes) probes += (probes.empty() ? "" : ", ") + std::string(w);
    rows.push_back({std::string(p->name), std::string(p->arch), std::string(p->isolation),
                    std::string(p->isolation_key) + ", " + std::string(p->tlb_key), std::string(p->reason_key),
                    std::string(p->pt_register), probes + " (" + std::string(p->probe_unit) + ")"});
  }
  std::cout << align_columns(rows, std::vector<bool>(rows.front().size(), false));
  return 0;
}

}  // namespace ptilab
