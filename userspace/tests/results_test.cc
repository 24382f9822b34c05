#include "results/results.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;
using testing::write_file;

const char* const kHeader =
    "run_id,timestamp,boot,host,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,unit,"
    "repetitions,stddev\n";
// Before the boot column.
const char* const kLegacyHeader =
    "run_id,timestamp,host,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,unit,"
    "repetitions,stddev\n";

RunInfo sample_run(const std::string& cmdline) {
  RunInfo run;
  run.run_id = "20261121-183000-builder";
  run.timestamp = "2026-11-21T18:30:00Z";
  run.boot = "5b0c7d9e-3f2a-4c1b-9e8d-7a6b5c4d3e2f";
  run.host = "builder";
  run.arch = "x86_64";
  run.kernel = "6.1.0-56-amd64";
  run.cmdline = cmdline;
  run.accel = "tcg";
  run.pti = "on";
  run.pcid = "off";
  run.e0pd = "n/a";
  run.kpti = "n/a";
  return run;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Results, HeaderIsTheSchema) { EXPECT_EQ(results_header(), kHeader); }

TEST(Results, FormatNumberIsPlainDecimalAndRoundTrips) {
  for (const double v : {123.456789012, 0.5, 1500.0, 2.0, 0.000123456789, 98765432.1, 1e-9, 3e11, 1.0 / 3}) {
    const std::string s = format_number(v);
    EXPECT_EQ(s.find_first_of("eE"), std::string::npos) << s;
    const auto back = parse_number(s);
    ASSERT_TRUE(back) << s;
    EXPECT_LE(std::fabs(*back - v) / v, 1e-8) << v << " -> " << s;
  }
  EXPECT_EQ(format_number(1500), "1500");
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(123.4567891234), "123.456789");
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_number(-0.0), "0");
}

TEST(Results, FormatNumberRejectsNonFinite) {
  EXPECT_THROW(format_number(std::nan("")), Error);
  EXPECT_THROW(format_number(INFINITY), Error);
}

TEST(Results, ParseNumberIsStrict) {
  EXPECT_EQ(parse_number("12.5"), 12.5);
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("12.5 ns"));
  EXPECT_FALSE(parse_number(" 12"));
  EXPECT_FALSE(parse_number("nan"));
  EXPECT_FALSE(parse_number("inf"));
}

TEST(Results, TwoRowsPerBenchmark) {
  const auto rows = make_result_rows(sample_run("ro"), {{"BM_A", 10.5, 10.25, 0.5, 5}, {"BM_B", 2, 2, 0, 3}});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].benchmark, "BM_A");
  EXPECT_EQ(rows[0].metric, "ns_per_op");
  EXPECT_EQ(rows[0].value, "10.5");
  EXPECT_EQ(rows[0].stddev, "0.5");
  EXPECT_EQ(rows[0].repetitions, "5");
  EXPECT_EQ(rows[0].unit, "ns");
  EXPECT_EQ(rows[1].metric, "ns_per_op_median");
  EXPECT_EQ(rows[1].value, "10.25");
  EXPECT_EQ(rows[1].stddev, "");
  EXPECT_EQ(rows[1].repetitions, "5");
  EXPECT_EQ(rows[3].benchmark, "BM_B");
  EXPECT_EQ(rows[2].pti, "on");
  EXPECT_EQ(rows[2].kpti, "n/a");
}

// A skipped benchmark's row: its name (colons in its arguments kept), the
// reason after "skipped=", commas and all (the CSV quotes them).
TEST(Results, SkipRowsCarryTheReason) {
  const auto rows = make_skip_rows(sample_run("ro"), {{"BM_Macro_RedisGet/pipeline:1", "Redis did not start in "
                                                      "configuration pti=on: FATAL, bad port | exit"}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].benchmark, "BM_Macro_RedisGet/pipeline:1");
  EXPECT_EQ(rows[0].metric, "skipped=Redis did not start in configuration pti=on: FATAL, bad port | exit");
  EXPECT_EQ(rows[0].value, "1");
  EXPECT_EQ(rows[0].unit, "info");
  EXPECT_EQ(rows[0].stddev, "");
  EXPECT_EQ(parse_results(format_results(rows), "t.csv")[0].metric, rows[0].metric);
}

TEST(Results, WriteReadRoundTripWithNastyCmdlines) {
  TempDir dir;
  std::vector<ResultRow> rows;
  for (const char* cmdline : {"BOOT_IMAGE=/vmlinuz root=/dev/vda console=ttyS0,115200 pti=on",
                              "init=\"/bin/sh -c \"\"echo, hi\"\"\" quiet", "two\nlines\r\nand \"quotes\"", ""}) {
    for (auto& r : make_result_rows(sample_run(cmdline), {{"BM_Syscall_Null", 1234.5678, 1230, 12.25, 5}}))
      rows.push_back(r);
  }
  const auto path = dir / "results.csv";
  write_results(path, rows);
  const std::string text = slurp(path);
  EXPECT_TRUE(text.starts_with(kHeader));
  EXPECT_NE(text.find("\"BOOT_IMAGE=/vmlinuz root=/dev/vda console=ttyS0,115200 pti=on\""), std::string::npos);

  auto back = read_results(path);
  ASSERT_EQ(back.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_FALSE(back[i].origin.empty());
    back[i].origin.clear();
    EXPECT_EQ(back[i], rows[i]) << "row " << i;
  }
}

TEST(Results, ReaderRejectsWrongFieldCountWithFileAndLine) {
  const std::string row_ok = "r,t,b,h,x86_64,k,c,none,on,on,n/a,n/a,BM,ns_per_op,1,ns,5,0.1\n";
  const std::string row_short = "r,t,b,h,x86_64,k,c,none,on,on,n/a,n/a,BM,ns_per_op,1,ns,5\n";
  const std::string row_long = "r,t,b,h,x86_64,k,\"c,d\",none,on,on,n/a,n/a,BM,ns_per_op,1,ns,5,0.1,extra\n";
  EXPECT_EQ(parse_results(kHeader + row_ok, "a.csv").size(), 1u);
  EXPECT_EQ(message_of([&] { parse_results(kHeader + row_ok + row_short, "a.csv"); }),
            "a.csv:3: expected 18 fields, got 17");
  EXPECT_EQ(message_of([&] { parse_results(kHeader + row_long, "a.csv"); }), "a.csv:2: expected 18 fields, got 19");
  EXPECT_EQ(message_of([&] { parse_results(kHeader + row_ok + "\n", "a.csv"); }),
            "a.csv:3: expected 18 fields, got 1");
}

TEST(Results, FilesFromBeforeTheBootColumnReadWithBootEmpty) {
  const auto rows = parse_results(std::string(kLegacyHeader) + "r,t,h,x86_64,k,c,none,on,on,n/a,n/a,BM,ns_per_op,1,ns,5,0.1\n",
                                  "old.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].boot, "");
  EXPECT_EQ(rows[0].host, "h");
  EXPECT_EQ(rows[0].stddev, "0.1");
  // Their rows have the old count; a new row in an old file is an error.
  EXPECT_EQ(message_of([&] {
              parse_results(std::string(kLegacyHeader) + "r,t,b,h,x86_64,k,c,none,on,on,n/a,n/a,BM,ns_per_op,1,ns,5,0.1\n",
                            "old.csv");
            }),
            "old.csv:2: expected 17 fields, got 18");
  // Written back, they get the current header.
  EXPECT_TRUE(format_results(rows).starts_with(kHeader));
}

TEST(Results, ReaderRejectsBadHeaders) {
  const std::string renamed =
      "run_id,timestamp,boot,hostname,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,unit,"
      "repetitions,stddev\n";
  const std::string reordered =
      "timestamp,run_id,boot,host,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,unit,"
      "repetitions,stddev\n";
  const std::string missing =
      "run_id,timestamp,boot,host,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,unit,"
      "repetitions\n";
  const std::string boot_elsewhere =
      "run_id,timestamp,host,arch,kernel,cmdline,accel,pti,pcid,e0pd,kpti,benchmark,metric,value,unit,"
      "repetitions,stddev,boot\n";
  const std::string extra = std::string(kHeader).insert(std::string(kHeader).size() - 1, ",note");
  for (const auto& header : {renamed, reordered, missing, extra, boot_elsewhere}) {
    const std::string msg = message_of([&] { parse_results(header, "b.csv"); });
    EXPECT_TRUE(msg.starts_with("b.csv: not a ptilab results file")) << msg;
  }
  EXPECT_EQ(message_of([&] { parse_results("", "b.csv"); }), "b.csv: empty file, expected the ptilab results header");
}

TEST(Results, ReadMissingFileNamesIt) {
  TempDir dir;
  const std::string msg = message_of([&] { read_results(dir / "nope.csv"); });
  EXPECT_NE(msg.find("cannot read " + (dir / "nope.csv").string()), std::string::npos) << msg;
}

}  // namespace
}  // namespace ptilab
