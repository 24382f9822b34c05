#include "cmd/schema.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernel/arch_profile.h"
#include "results/bench_properties.h"
#include "results/results.h"
#include "util/text_table.h"

namespace ptilab {

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
  // The overhead map's benchmark (its own section too).
  j["map_benchmarks"] = {kMapBenchmark};
  // The per-node benchmarks of kernel text locality (likewise).
  j["locality_benchmarks"] = kLocalityBenchmarks;
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
