// `ptilab merge`: several results CSVs into one.
#pragma once

#include <filesystem>
#include <vector>

namespace ptilab {

struct MergeOptions {
  std::filesystem::path out;
  std::vector<std::filesystem::path> inputs;
};

// Reads every input (each must have exactly the results header; errors name
// the file), then writes their rows, in order, to out atomically. out may be
// one of the inputs. Throws Error.
void merge_results_files(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out);

int run_merge(const MergeOptions& options);

}  // namespace ptilab
