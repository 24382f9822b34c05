#include "model/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "render/compare.h"
#include "results/csv.h"
#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::run_ptilab;
using testing::slurp;
using testing::TempDir;
using testing::write_file;

ResultRow row(const std::string& pti, const std::string& bench, const std::string& metric, const std::string& value,
              const std::string& stddev, const std::string& reps, const std::string& unit = "ns") {
  RunInfo run;
  run.run_id = "run-" + pti;
  run.timestamp = "2026-11-21T18:30:00Z";
  run.host = "builder";
  run.arch = "x86_64";
  run.kernel = "6.1.0-56-amd64";
  run.cmdline = "console=ttyS0,115200 pti=" + pti;
  run.accel = "kvm";
  run.pti = pti;
  run.pcid = "on";
  run.e0pd = "n/a";
  run.kpti = "n/a";
  ResultRow r = make_base_row(run);
  r.benchmark = bench;
  r.metric = metric;
  r.value = value;
  r.unit = unit;
  r.repetitions = reps;
  r.stddev = stddev;
  r.origin = "test";
  return r;
}

// The known-answer pairs of stats_test: slower, faster, no difference.
std::vector<ResultRow> two_configs() {
  return {
      row("off", "BM_Slow", "ns_per_op", "100", "10", "5"),
      row("off", "BM_Slow", "ns_per_op_median", "99", "", "5"),
      row("off", "BM_Fast", "ns_per_op", "120", "10", "5"),
      row("off", "BM_Same", "ns_per_op", "10", "2.44948974278", "6"),
      row("on", "BM_Slow", "ns_per_op", "120", "10", "5"),
      row("on", "BM_Slow", "ns_per_op_median", "119", "", "5"),
      row("on", "BM_Fast", "ns_per_op", "100", "10", "5"),
      row("on", "BM_Same", "ns_per_op", "14", "4.24264068712", "6"),
  };
}

CompareSpec pti_spec() {
  CompareSpec s;
  s.a_where = {{"pti", "off"}};
  s.b_where = {{"pti", "on"}};
  return s;
}

const CompareRow* find(const CompareReport& r, const std::string& bench, const std::string& metric = "ns_per_op") {
  for (const auto& x : r.rows)
    if (x.benchmark == bench && x.metric == metric) return &x;
  return nullptr;
}

bool has_note(const CompareReport& r, const std::string& part) {
  for (const auto& n : r.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

std::string usage_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  } catch (const Error& e) {
    return std::string("(not a usage error) ") + e.what();
  }
  return "(no error)";
}

// A data error: Error, never UsageError (exit 1 and one line, not usage).
std::string data_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return std::string("(a usage error) ") + e.what();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Compare, VerdictsAndIntervalsPerBenchmark) {
  const auto rows = two_configs();
  const auto report = compare_results(rows, rows, pti_spec());
  // The medians have no stddev: not compared by default.
  ASSERT_EQ(report.rows.size(), 3u);
  const auto* slow = find(report, "BM_Slow");
  ASSERT_TRUE(slow && slow->delta_pct && slow->ci_pct);
  EXPECT_NEAR(*slow->delta_pct, 20, 1e-9);
  EXPECT_NEAR(slow->ci_pct->low, 5.0433, 1e-3);
  EXPECT_NEAR(slow->ci_pct->high, 37.5367, 1e-3);
  // One boot per side: the verdict says its interval knows only that boot.
  EXPECT_EQ(slow->verdict, "slower (one boot)");
  EXPECT_FALSE(slow->across_boots);
  EXPECT_EQ(slow->a.n, 5);
  EXPECT_EQ(slow->b.mean, 120);
  EXPECT_EQ(find(report, "BM_Fast")->verdict, "faster (one boot)");
  EXPECT_EQ(find(report, "BM_Same")->verdict, "no significant difference (one boot)");
  EXPECT_TRUE(has_note(report, "1 benchmark/metric pair lacks a stddev")) << report.notes.size();
  EXPECT_TRUE(has_note(report, "3 intervals cover only the repetitions inside one boot"));
  EXPECT_FALSE(has_note(report, "tcg"));
}

TEST(Compare, NonTimeUnitsAreHigherOrLower) {
  const std::vector<ResultRow> a = {row("off", "BM_X", "faults", "100", "10", "5", "count"),
                                    row("off", "BM_Y", "cycles_mean", "100", "10", "5", "cycles")};
  const std::vector<ResultRow> b = {row("on", "BM_X", "faults", "120", "10", "5", "count"),
                                    row("on", "BM_Y", "cycles_mean", "120", "10", "5", "cycles")};
  const auto report = compare_results(a, b, {});
  EXPECT_EQ(find(report, "BM_X", "faults")->verdict, "higher (one boot)");
  EXPECT_EQ(find(report, "BM_Y", "cycles_mean")->verdict, "slower (one boot)");
}

TEST(Compare, SingleRepetitionAndNoSpreadAreSaidSo) {
  const std::vector<ResultRow> a = {row("off", "BM_One", "ns_per_op", "100", "0", "1"),
                                    row("off", "BM_Flat", "ns_per_op", "100", "0", "3")};
  const std::vector<ResultRow> b = {row("on", "BM_One", "ns_per_op", "120", "10", "5"),
                                    row("on", "BM_Flat", "ns_per_op", "90", "0", "3")};
  const auto report = compare_results(a, b, {});
  const auto* one = find(report, "BM_One");
  EXPECT_EQ(one->verdict, "insufficient data (n=1)");
  EXPECT_FALSE(one->ci_pct);
  EXPECT_NEAR(*one->delta_pct, 20, 1e-9);
  EXPECT_EQ(find(report, "BM_Flat")->verdict, "faster (no spread)");
}

TEST(Compare, SeveralConfigurationsInAnOperandIsADataError) {
  const auto rows = two_configs();
  CompareSpec spec = pti_spec();
  spec.a_where.clear();
  const std::string msg = data_message([&] { compare_results(rows, rows, spec); });
  EXPECT_NE(msg.find("A has 2 rows for BM_Slow ns_per_op"), std::string::npos) << msg;
  // run_id does not tell configurations apart (boots of one configuration
  // may come from several runs); pti does.
  EXPECT_NE(msg.find("different configurations: pti=off; pti=on"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--a-where"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("(a usage error)"), std::string::npos) << msg;
}

TEST(Compare, FiltersThatMatchNothingAreDataErrors) {
  const auto rows = two_configs();
  CompareSpec spec = pti_spec();
  spec.b_where = {{"pti", "maybe"}};
  EXPECT_EQ(data_message([&] { compare_results(rows, rows, spec); }), "B: no rows match pti=maybe");
  spec = pti_spec();
  spec.metrics = {"no_such_metric"};
  EXPECT_NE(usage_message([&] { compare_results(rows, rows, spec); }).find("--metric no_such_metric"),
            std::string::npos);
  EXPECT_THROW(parse_row_filter("--where", "nocolumn=1"), UsageError);
  EXPECT_THROW(parse_row_filter("--where", "pti"), UsageError);
  EXPECT_EQ(parse_row_filter("--where", "cmdline=a=b").value, "a=b");
}

// Numbers no measurement gives are refused with the row named, never an
// internal message from the statistics.
TEST(Compare, ExtremeAndNonPositiveValuesNameTheRow) {
  auto a = std::vector<ResultRow>{row("off", "BM_X", "ns_per_op", "1e308", "1e307", "5")};
  auto b = std::vector<ResultRow>{row("on", "BM_X", "ns_per_op", "1e308", "1e307", "5")};
  a[0].origin = "a.csv:2";
  b[0].origin = "b.csv:2";
  std::string msg = data_message([&] { compare_results(a, b, {}); });
  EXPECT_EQ(msg, "a.csv:2: BM_X ns_per_op: '1e308' +- '1e307' is too large to compare (over 1e150: not a measurement)");
  for (const char* v : {"0", "-5"}) {
    a[0].value = v;
    a[0].stddev = "1";
    msg = data_message([&] { compare_results(a, b, {}); });
    EXPECT_EQ(msg, std::string("a.csv:2: BM_X ns_per_op: a time must be positive, got ") + v + " ns");
  }
  // A count may be 0.
  a[0] = row("off", "BM_X", "faults", "0", "0", "5", "count");
  b[0] = row("on", "BM_X", "faults", "3", "1", "5", "count");
  EXPECT_EQ(find(compare_results(a, b, {}), "BM_X", "faults")->verdict, "higher (one boot)");
}

TEST(Compare, OneSidedBenchmarksAreNotedNotCompared) {
  auto a = two_configs();
  a.push_back(row("off", "BM_OnlyA", "ns_per_op", "5", "1", "5"));
  auto b = a;
  b.push_back(row("on", "BM_OnlyB", "ns_per_op", "5", "1", "5"));
  const auto report = compare_results(a, b, pti_spec());
  EXPECT_FALSE(find(report, "BM_OnlyA"));
  EXPECT_TRUE(has_note(report, "only in A, not compared: BM_OnlyA"));
  EXPECT_TRUE(has_note(report, "only in B, not compared: BM_OnlyB"));
}

TEST(Compare, NotSupportedAndEmptyValuesAreNeverCompared) {
  const std::vector<ResultRow> a = {row("off", "BM_Ok", "ns_per_op", "100", "10", "5"),
                                    row("off", "BM_Pmu", "cycles", "", "", "5", "cycles"),
                                    row("off", "BM_Pmu2", "cycles", "1", "0.1", "5", "not_supported")};
  const std::vector<ResultRow> b = {row("on", "BM_Ok", "ns_per_op", "120", "10", "5"),
                                    row("on", "BM_Pmu", "cycles", "12", "1", "5", "cycles"),
                                    row("on", "BM_Pmu2", "cycles", "1", "0.1", "5", "not_supported")};
  for (const auto& metrics : {std::vector<std::string>{}, std::vector<std::string>{"ns_per_op", "cycles"}}) {
    CompareSpec spec;
    spec.metrics = metrics;
    const auto report = compare_results(a, b, spec);
    ASSERT_EQ(report.rows.size(), 1u);
    EXPECT_EQ(report.rows[0].benchmark, "BM_Ok");
    EXPECT_TRUE(has_note(report, "not measured on one side")) << metrics.size();
    EXPECT_TRUE(has_note(report, "BM_Pmu cycles, BM_Pmu2 cycles")) << metrics.size();
  }
}

TEST(Compare, NamedMetricWithoutStddevIsListedAsInsufficient) {
  const auto rows = two_configs();
  CompareSpec spec = pti_spec();
  spec.metrics = {"ns_per_op_median"};
  const auto report = compare_results(rows, rows, spec);
  ASSERT_EQ(report.rows.size(), 1u);
  EXPECT_EQ(report.rows[0].verdict, "insufficient data (no stddev)");
  EXPECT_NEAR(*report.rows[0].delta_pct, 20.0 / 99 * 100, 1e-9);
}

TEST(Compare, DifferentEnvironmentsAreNoted) {
  auto a = two_configs();
  auto b = a;
  for (auto& r : b) {
    r.kernel = "6.12.9-amd64";
    r.accel = "tcg";
  }
  const auto report = compare_results(a, b, pti_spec());
  EXPECT_TRUE(has_note(report, "A and B differ in kernel: A 6.1.0-56-amd64, B 6.12.9-amd64"));
  EXPECT_TRUE(has_note(report, "B ran under tcg: emulator timings"));
}

TEST(Compare, BadNumbersInComparedRowsNameTheRow) {
  std::vector<ResultRow> a = {row("off", "BM", "ns_per_op", "1O0", "10", "5")};
  a[0].origin = "a.csv:2";
  const std::vector<ResultRow> b = {row("on", "BM", "ns_per_op", "100", "10", "5")};
  try {
    compare_results(a, b, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "a.csv:2: value is not a number: '1O0'");
  }
}

// --- the command ----------------------------------------------------------

struct Fixture {
  TempDir dir;
  std::filesystem::path both, a_dir, b_csv;
  Fixture() {
    both = dir / "both.csv";
    write_results(both, two_configs());
    a_dir = dir / "a";
    std::filesystem::create_directory(a_dir);
    std::vector<ResultRow> a, b;
    for (const auto& r : two_configs()) (r.pti == "off" ? a : b).push_back(r);
    write_results(a_dir / "results.csv", a);
    b_csv = dir / "b.csv";
    write_results(b_csv, b);
  }
};

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  for (auto& rec : csv_parse(text, "output")) out.push_back(rec.fields);
  return out;
}

TEST(CompareCli, DirectoryAndCsvGiveTheSameAsTheLibrary) {
  Fixture f;
  const auto o = run_ptilab({"compare", "--format", "csv", f.a_dir.string(), f.b_csv.string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto table = parse_csv(o.out);
  ASSERT_EQ(table.size(), 4u) << o.out;
  EXPECT_EQ(table[0],
            (std::vector<std::string>{"benchmark", "metric", "unit", "a_mean", "a_stddev", "a_n", "b_mean", "b_stddev",
                                      "b_n", "delta_pct", "ci_low_pct", "ci_high_pct", "confidence", "verdict", "basis",
                                      "a_boots", "b_boots", "a_within_sd", "b_within_sd", "a_between_sd",
                                      "b_between_sd"}));
  // Round trip: every number read back is the library's to format_number's
  // precision.
  const auto rows = two_configs();
  const auto report = compare_results(rows, rows, pti_spec());
  ASSERT_EQ(report.rows.size(), table.size() - 1);
  for (std::size_t i = 0; i < report.rows.size(); ++i) {
    const auto& want = report.rows[i];
    const auto& got = table[i + 1];
    ASSERT_EQ(got.size(), 21u);
    EXPECT_EQ(got[0], want.benchmark);
    EXPECT_EQ(got[1], want.metric);
    EXPECT_EQ(got[2], want.unit);
    const auto near = [](const std::string& text, double v) {
      const auto x = parse_number(text);
      ASSERT_TRUE(x) << text;
      EXPECT_NEAR(*x, v, 1e-8 * std::max(1.0, std::fabs(v))) << text;
    };
    near(got[3], want.a.mean);
    near(got[4], want.a.stddev);
    EXPECT_EQ(got[5], std::to_string(want.a.n));
    near(got[6], want.b.mean);
    near(got[9], *want.delta_pct);
    near(got[10], want.ci_pct->low);
    near(got[11], want.ci_pct->high);
    near(got[12], 0.95);
    EXPECT_EQ(got[13], want.verdict);
    // One boot a side: repetitions, no between-boot spread.
    EXPECT_EQ(got[14], "repetitions");
    EXPECT_EQ(got[15], "1");
    EXPECT_EQ(got[16], "1");
    near(got[17], *want.a_pool.within_sd);
    EXPECT_EQ(got[19], "");
  }
  EXPECT_EQ(table[1][13], "slower (one boot)");
  // The notes go to stderr, not into the CSV.
  EXPECT_NE(o.err.find("ptilab: note: 1 benchmark/metric pair lacks a stddev"), std::string::npos) << o.err;
}

TEST(CompareCli, OneFileWithFiltersAndTheTableFormat) {
  Fixture f;
  const auto o = run_ptilab({"compare", "--a-where", "pti=off", "--b-where=pti=on", "--where", "host=builder",
                             f.both.string(), f.both.string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("where pti=off host=builder"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("95% CI"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("100.0 ± 10.00 ns (n=5)"), std::string::npos) << o.out;
  const auto slow_at = o.out.find("BM_Slow ");
  ASSERT_NE(slow_at, std::string::npos) << o.out;
  const std::string slow = o.out.substr(slow_at, o.out.find('\n', slow_at) - slow_at);
  EXPECT_NE(slow.find(" +20.0% "), std::string::npos) << slow;
  EXPECT_NE(slow.find(" [+5.0%, +37.5%] "), std::string::npos) << slow;
  EXPECT_TRUE(slow.ends_with(" slower (one boot)")) << slow;
  EXPECT_NE(o.out.find("no significant difference"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("note: 1 benchmark/metric pair lacks a stddev"), std::string::npos) << o.out;

  // --where alone leaves both configurations in each operand.
  const auto mixed = run_ptilab({"compare", "--where", "host=builder", f.both.string(), f.both.string()});
  EXPECT_EQ(mixed.status, 1);
  EXPECT_NE(mixed.err.find("from different configurations: pti=off; pti=on"), std::string::npos) << mixed.err;
  EXPECT_EQ(std::count(mixed.err.begin(), mixed.err.end(), '\n'), 1) << mixed.err;
}

TEST(CompareCli, MarkdownAndConfidenceAndOut) {
  Fixture f;
  const auto out = f.dir / "cmp.md";
  const auto o = run_ptilab({"compare", "--format", "markdown", "--confidence", "0.8", "--metric", "ns_per_op", "--out",
                             out.string(), f.a_dir.string(), f.b_csv.string()});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(o.out.empty());
  const std::string md = slurp(out);
  EXPECT_NE(md.find("| benchmark | metric | A mean ± stddev (n) | B mean ± stddev (n) | delta | 80% CI | verdict |\n"
                    "| --- | --- | ---: | ---: | ---: | ---: | --- |\n"),
            std::string::npos)
      << md;
  // At 80% the borderline pair is significant (see stats_test).
  EXPECT_NE(md.find("| BM_Same | ns_per_op |"), std::string::npos);
  EXPECT_EQ(md.find("no significant difference"), std::string::npos) << md;
  // Nothing but the output is left in the directory.
  EXPECT_EQ(f.dir.entries(), (std::set<std::string>{"a", "b.csv", "both.csv", "cmp.md"}));
}

TEST(CompareCli, BadArgumentsExit2WithUsage) {
  Fixture f;
  const std::string a = f.a_dir.string(), b = f.b_csv.string();
  const std::vector<std::vector<std::string>> cases = {
      {"compare"},
      {"compare", a},
      {"compare", a, b, b},
      {"compare", "--bogus", a, b},
      {"compare", "--confidence", "1.5", a, b},
      {"compare", "--confidence", "0", a, b},
      {"compare", "--confidence", "high", a, b},
      {"compare", "--format", "xml", a, b},
      {"compare", "--where", "pti", a, b},
      {"compare", "--where", "colour=red", a, b},
      {"compare", "--metric", a, b},
  };
  for (const auto& args : cases) {
    const auto o = run_ptilab(args);
    std::string joined;
    for (const auto& x : args) joined += x + " ";
    EXPECT_EQ(o.status, 2) << joined << "\n" << o.err;
    EXPECT_NE(o.err.find("usage:"), std::string::npos) << joined;
    EXPECT_TRUE(o.out.empty()) << joined;
  }
}

TEST(CompareCli, UnreadableInputIsARuntimeError) {
  Fixture f;
  const auto bad = f.dir / "bad.csv";
  write_file(bad, "not,a,results,file\n");
  const auto o = run_ptilab({"compare", bad.string(), f.b_csv.string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find("not a ptilab results file"), std::string::npos) << o.err;
}

// Files and data, not arguments: one line and exit 1, as table does.
TEST(CompareCli, DataErrorsAreOneLineAndExit1) {
  Fixture f;
  const std::string a = f.a_dir.string(), b = f.b_csv.string();
  const auto header_only = f.dir / "header.csv";
  write_file(header_only, results_header());
  const std::vector<std::vector<std::string>> cases = {
      {"compare", (f.dir / "nonexistent").string(), b},
      {"compare", f.dir.path().string(), b},  // a directory without results.csv
      {"compare", "--a-where", "pti=maybe", a, b},
      {"compare", header_only.string(), b},
      {"compare", f.both.string(), f.both.string()},  // two configurations per side
  };
  for (const auto& args : cases) {
    const auto o = run_ptilab(args);
    std::string joined;
    for (const auto& x : args) joined += x + " ";
    EXPECT_EQ(o.status, 1) << joined << "\n" << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << joined << "\n" << o.err;
    EXPECT_EQ(o.err.find("usage:"), std::string::npos) << joined;
    EXPECT_TRUE(o.out.empty()) << joined;
  }
}


// A row of configuration pti measured in boot `boot`.
ResultRow boot_row(const std::string& pti, const std::string& boot, const std::string& value,
                   const std::string& stddev = "1", const std::string& reps = "3") {
  ResultRow r = row(pti, "BM_Syscall_Null", "ns_per_op", value, stddev, reps);
  r.boot = boot;
  r.run_id = "run-" + boot;  // boots from several runs are still replicates
  return r;
}

TEST(Compare, BootsAreTheReplicates) {
  // Three boots a side whose means differ far more than repetitions inside
  // any one boot (stddev 1): the interval must be the boot means' (Welch
  // with n = 3 boots, stddev 10 each), not the 9 repetitions'.
  const std::vector<ResultRow> a = {boot_row("off", "a1", "90"), boot_row("off", "a2", "100"),
                                    boot_row("off", "a3", "110")};
  const std::vector<ResultRow> b = {boot_row("on", "b1", "110"), boot_row("on", "b2", "120"),
                                    boot_row("on", "b3", "130")};
  const auto report = compare_results(a, b, {});
  const auto* r = find(report, "BM_Syscall_Null");
  ASSERT_TRUE(r && r->ci_pct);
  EXPECT_TRUE(r->across_boots);
  EXPECT_EQ(r->a.n, 3);
  EXPECT_NEAR(r->a.mean, 100, 1e-12);
  EXPECT_NEAR(r->a.stddev, 10, 1e-12);
  EXPECT_EQ(r->a_pool.boots, 3);
  EXPECT_EQ(r->a_pool.repetitions, 9);
  ASSERT_TRUE(r->a_pool.within_sd);
  EXPECT_NEAR(*r->a_pool.within_sd, 1, 1e-12);
  // The same as stats' log-ratio interval on the boot means.
  const Comparison c = compare_log_ratio({100, 10, 3}, {120, 10, 3}, 0.95);
  EXPECT_NEAR(r->ci_pct->low, c.delta_ci_pct->low, 1e-9);
  EXPECT_NEAR(r->ci_pct->high, c.delta_ci_pct->high, 1e-9);
  // +20% with an interval (t, 3.9 df) that contains 0: boots this far
  // apart cannot tell, although every boot's repetitions agree to 1%.
  EXPECT_EQ(r->verdict, "no significant difference");
  EXPECT_FALSE(has_note(report, "inside one boot"));
  const std::string csv = render_compare_csv(report);
  EXPECT_NE(csv.find(",basis,a_boots,b_boots,a_within_sd,b_within_sd,a_between_sd,b_between_sd\n"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",no significant difference,boots,3,3,1,1,10,10\n"), std::string::npos) << csv;
  EXPECT_NE(render_compare_table(report).find("(3 boots, within ±1.0%)"), std::string::npos)
      << render_compare_table(report);
}

TEST(Compare, RowsOfOneBootArePooledAndOneBootSideFallsBackToRepetitions) {
  // Two runs in boot a1 (3 repetitions each) are one boot; B has one boot:
  // the interval is the repetitions', and says so.
  const std::vector<ResultRow> a = {boot_row("off", "a1", "100", "0", "3"), boot_row("off", "a1", "110", "0", "3")};
  std::vector<ResultRow> a2 = a;
  a2[1].timestamp = "2026-11-21T18:31:00Z";
  const std::vector<ResultRow> b = {boot_row("on", "b1", "200", "5", "3")};
  const auto report = compare_results(a2, b, {});
  const auto* r = find(report, "BM_Syscall_Null");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->across_boots);
  EXPECT_EQ(r->a_pool.boots, 1);
  EXPECT_EQ(r->a.n, 6);
  EXPECT_NEAR(r->a.mean, 105, 1e-12);
  EXPECT_NEAR(r->a.stddev, std::sqrt(6 * 25.0 / 5), 1e-12);  // between the two runs only
  EXPECT_EQ(r->verdict, "slower (one boot)");
  EXPECT_TRUE(has_note(report, "1 interval covers only the repetitions inside one boot"));
  // Two boots against one: still not an interval across boots.
  const std::vector<ResultRow> a3 = {boot_row("off", "a1", "100"), boot_row("off", "a2", "104")};
  const auto report3 = compare_results(a3, b, {});
  const auto* r3 = find(report3, "BM_Syscall_Null");
  ASSERT_TRUE(r3);
  EXPECT_FALSE(r3->across_boots);
  EXPECT_EQ(r3->a.n, 6);
  EXPECT_EQ(r3->verdict, "slower (one boot)");
  EXPECT_NE(render_compare_table(report3).find("(n=6 over 2 boots)"), std::string::npos) << render_compare_table(report3);
}

TEST(Compare, RowsWithoutABootAreOneBootPerRun) {
  // Written before the boot column: a run's parts (different timestamps)
  // are one boot; two runs are two.
  std::vector<ResultRow> a = {row("off", "BM_X", "ns_per_op", "100", "1", "3"),
                              row("off", "BM_X", "ns_per_op", "102", "1", "3")};
  a[1].timestamp = "2026-11-21T18:35:00Z";
  const std::vector<ResultRow> b = {row("on", "BM_X", "ns_per_op", "200", "1", "3")};
  EXPECT_EQ(find(compare_results(a, b, {}), "BM_X")->a_pool.boots, 1);
  a[1].run_id = "another-run";
  EXPECT_EQ(find(compare_results(a, b, {}), "BM_X")->a_pool.boots, 2);
}

TEST(Compare, SameBootAndRunTwiceIsADuplicate) {
  const std::vector<ResultRow> a = {boot_row("off", "a1", "100"), boot_row("off", "a1", "101")};
  const std::vector<ResultRow> b = {boot_row("on", "b1", "200")};
  const std::string msg = data_message([&] { compare_results(a, b, {}); });
  EXPECT_NE(msg.find("from the same boot and run"), std::string::npos) << msg;
  EXPECT_NE(msg.find("remove the duplicates"), std::string::npos) << msg;
}

TEST(Compare, MediansCompareAcrossBootsWithoutAStddev) {
  // A median row has no stddev; its boot means still have a spread.
  std::vector<ResultRow> a, b;
  for (const auto& [boot, v] : {std::pair{"a1", "100"}, {"a2", "102"}, {"a3", "98"}}) {
    a.push_back(boot_row("off", boot, v, "", "3"));
    a.back().metric = "ns_per_op_median";
  }
  for (const auto& [boot, v] : {std::pair{"b1", "200"}, {"b2", "204"}, {"b3", "196"}}) {
    b.push_back(boot_row("on", boot, v, "", "3"));
    b.back().metric = "ns_per_op_median";
  }
  CompareSpec spec;
  spec.metrics = {"ns_per_op_median"};
  const auto* r = find(compare_results(a, b, spec), "BM_Syscall_Null", "ns_per_op_median");
  ASSERT_TRUE(r && r->ci_pct);
  EXPECT_TRUE(r->across_boots);
  EXPECT_FALSE(r->a_pool.within_sd);
  EXPECT_EQ(r->verdict, "slower");
}

}  // namespace
}  // namespace ptilab
