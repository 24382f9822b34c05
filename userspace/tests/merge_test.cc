#include "cmd/merge.h"

#include <gtest/gtest.h>

#include "results/results.h"
#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;
using testing::write_file;

std::string csv_with(const std::string& pti, const std::string& value) {
  RunInfo run;
  run.run_id = "r";
  run.arch = "x86_64";
  run.pti = pti;
  run.cmdline = "a, \"b\"\nc";
  return format_results(make_result_rows(run, {{"BM_Syscall_Null", std::stod(value), 1, 0.5, 5}}));
}

TEST(Merge, ConcatenatesRowsInInputOrder) {
  TempDir dir;
  write_file(dir / "on.csv", csv_with("on", "200"));
  write_file(dir / "off.csv", csv_with("off", "100"));
  merge_results_files({dir / "on.csv", dir / "off.csv"}, dir / "all.csv");
  const auto rows = read_results(dir / "all.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].pti, "on");
  EXPECT_EQ(rows[0].value, "200");
  EXPECT_EQ(rows[2].pti, "off");
  EXPECT_EQ(rows[3].metric, "ns_per_op_median");
  EXPECT_EQ(rows[3].cmdline, "a, \"b\"\nc");
  // One header only.
  const std::string text = slurp(dir / "all.csv");
  EXPECT_EQ(text.find("run_id,"), 0u);
  EXPECT_EQ(text.find("run_id,", 1), std::string::npos);
}

TEST(Merge, OutputMayBeAnInput) {
  TempDir dir;
  write_file(dir / "a.csv", csv_with("on", "200"));
  write_file(dir / "b.csv", csv_with("off", "100"));
  merge_results_files({dir / "a.csv", dir / "b.csv"}, dir / "a.csv");
  EXPECT_EQ(read_results(dir / "a.csv").size(), 4u);
}

TEST(Merge, HeaderMismatchIsRejectedNamingTheFile) {
  TempDir dir;
  write_file(dir / "good.csv", csv_with("on", "200"));
  std::string bad = csv_with("off", "100");
  bad.replace(0, bad.find('\n'), "run,timestamp,host");
  write_file(dir / "bad.csv", bad);
  write_file(dir / "all.csv", "previous\n");
  try {
    merge_results_files({dir / "good.csv", dir / "bad.csv"}, dir / "all.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with((dir / "bad.csv").string() + ": not a ptilab results file"))
        << e.what();
  }
  EXPECT_EQ(slurp(dir / "all.csv"), "previous\n");
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"all.csv", "bad.csv", "good.csv"}));
}

TEST(Merge, MissingInputIsAnError) {
  TempDir dir;
  write_file(dir / "good.csv", csv_with("on", "200"));
  EXPECT_THROW(merge_results_files({dir / "good.csv", dir / "missing.csv"}, dir / "all.csv"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "all.csv"));
}

}  // namespace
}  // namespace ptilab
