#include "cmd/compare.h"

#include <iostream>

#include "render/compare.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace ptilab {

namespace {

std::filesystem::path results_file(const std::filesystem::path& operand, const std::string& name) {
  std::error_code ec;
  const auto st = std::filesystem::status(operand, ec);
  if (!std::filesystem::exists(st)) throw Error(name + ": no such file or directory: " + operand.string());
  if (std::filesystem::is_directory(st)) {
    auto csv = operand / "results.csv";
    if (!std::filesystem::exists(csv, ec))
      throw Error(name + ": " + operand.string() + " is a directory without results.csv");
    return csv;
  }
  return operand;
}

}  // namespace

int run_compare(const CompareOptions& options) {
  const auto a_path = results_file(options.a, "A");
  const auto b_path = results_file(options.b, "B");
  const auto a_rows = read_results(a_path);
  const auto b_rows = read_results(b_path);
  CompareSpec spec = options.spec;
  spec.a_source = a_path.string();
  spec.b_source = b_path.string();
  CompareReport report = compare_results(a_rows, b_rows, spec);

  std::string text;
  switch (options.format) {
    case CompareFormat::kTable:
      text = render_compare_table(report);
      break;
    case CompareFormat::kCsv:
      text = render_compare_csv(report);
      for (const auto& n : report.notes) std::cerr << "ptilab: note: " << n << "\n";
      break;
    case CompareFormat::kMarkdown:
      text = render_compare_markdown(report);
      break;
  }
  if (options.out)
    write_file_atomic(*options.out, text);
  else
    std::cout << text << std::flush;
  return 0;
}

}  // namespace ptilab
