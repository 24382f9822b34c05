// `ptilab compare A B`: read both, compare (model/compare.h), render
// (render/compare.h).
#pragma once

#include <filesystem>
#include <optional>

#include "model/compare.h"

namespace ptilab {

enum class CompareFormat { kTable, kCsv, kMarkdown };

struct CompareOptions {
  std::filesystem::path a, b;  // result directories (with results.csv) or CSVs
  CompareSpec spec;
  CompareFormat format = CompareFormat::kTable;
  std::optional<std::filesystem::path> out;  // default stdout
};

// Reads, compares, writes (atomically with --out). CSV format: notes go to
// stderr. Returns the exit status (0).
int run_compare(const CompareOptions& options);

}  // namespace ptilab
