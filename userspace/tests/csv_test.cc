#include "results/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/error.h"

namespace ptilab {
namespace {

TEST(CsvQuote, PlainFieldIsNotQuoted) {
  EXPECT_EQ(csv_quote("BM_Syscall_Null"), "BM_Syscall_Null");
  EXPECT_EQ(csv_quote(""), "");
  EXPECT_EQ(csv_quote("a b;c'd"), "a b;c'd");
}

TEST(CsvQuote, CommaIsQuoted) { EXPECT_EQ(csv_quote("a,b"), "\"a,b\""); }

TEST(CsvQuote, QuoteIsDoubled) { EXPECT_EQ(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\""); }

TEST(CsvQuote, NewlinesAreQuoted) {
  EXPECT_EQ(csv_quote("a\nb"), "\"a\nb\"");
  EXPECT_EQ(csv_quote("a\rb"), "\"a\rb\"");
}

TEST(CsvFormat, RecordEndsWithLf) {
  const std::vector<std::string> fields = {"x", "y,z", ""};
  EXPECT_EQ(csv_format_record(fields), "x,\"y,z\",\n");
}

TEST(CsvParse, QuotedFieldsWithCommasQuotesAndNewlines) {
  const auto recs = csv_parse("a,\"b,c\",\"d\"\"e\"\n\"multi\nline\",x,\n", "t.csv");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a", "b,c", "d\"e"}));
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"multi\nline", "x", ""}));
  EXPECT_EQ(recs[1].line, 2u);
}

TEST(CsvParse, LineNumbersCountEmbeddedNewlines) {
  const auto recs = csv_parse("\"a\nb\nc\"\nnext\n", "t.csv");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].line, 4u);
}

TEST(CsvParse, AcceptsCrlfAndMissingFinalNewline) {
  const auto recs = csv_parse("a,b\r\nc,d", "t.csv");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"c", "d"}));
}

TEST(CsvParse, RoundTripsEveryNastyField) {
  const std::vector<std::string> fields = {"", ",", "\"", "\"\"", "\n", "\r\n", "a,\"b\"\nc", " lead", "trail "};
  const auto recs = csv_parse(csv_format_record(fields) + csv_format_record(fields), "t.csv");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, fields);
  EXPECT_EQ(recs[1].fields, fields);
}

void expect_error(const std::string& text, const std::string& fragment) {
  try {
    csv_parse(text, "bad.csv");
    ADD_FAILURE() << "no error for: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(CsvParse, RejectsMalformedQuoting) {
  expect_error("a,\"unterminated\nmore\n", "bad.csv:1: unterminated");
  expect_error("ok\na,\"x\"y\n", "bad.csv:2: unexpected character after a closing quote");
  expect_error("a,b\"c\n", "bad.csv:1: double quote inside an unquoted field");
  expect_error("a\rb\n", "bad.csv:1: carriage return");
}

}  // namespace
}  // namespace ptilab
