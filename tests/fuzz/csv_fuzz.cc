// libFuzzer target for the CSV reader (userspace/src/results/csv.cc csv_parse,
// csv_for_each) and the results reader on top of it (results.cc
// parse_results). For every input:
//
//  - no crash, no undefined behaviour (ASan, UBSan), and no exception but
//    ptilab::Error (what the CLI turns into one line and exit 1);
//  - csv_for_each sees exactly the records csv_parse returns, or fails
//    with the same message;
//  - a document that parses, formatted back (csv_format_record), parses to
//    the same records, and formatting that again gives the same text: the
//    writer's output is a fixed point of the reader;
//  - the same for results: parse_results, format_results, parse_results
//    gives the same rows (origin aside: it names the source and line).
//
// Any violation aborts, and libFuzzer saves the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "results/csv.h"
#include "util/error.h"
#include "results/results.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "invariant violated: %s; input (%zu bytes):", what, input.size());
  for (const unsigned char c : input) std::fprintf(stderr, " %02x", c);
  std::fprintf(stderr, "\n");
  std::abort();
}

std::string format(const std::vector<ptilab::CsvRecord>& records) {
  std::string out;
  for (const auto& r : records) out += ptilab::csv_format_record(r.fields);
  return out;
}

bool same_fields(const std::vector<ptilab::CsvRecord>& a, const std::vector<ptilab::CsvRecord>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].fields != b[i].fields) return false;
  return true;
}

void check_csv(std::string_view in) {
  std::vector<ptilab::CsvRecord> records;
  std::string error;
  try {
    records = ptilab::csv_parse(in, "fuzz");
  } catch (const ptilab::Error& e) {
    error = e.what();
  }

  std::vector<ptilab::CsvRecord> streamed;
  std::string streamed_error;
  try {
    ptilab::csv_for_each(in, "fuzz", [&](ptilab::CsvRecord&& r) { streamed.push_back(std::move(r)); });
  } catch (const ptilab::Error& e) {
    streamed_error = e.what();
  }
  if (streamed_error != error) fail("csv_for_each and csv_parse fail differently", in);
  if (!error.empty()) return;
  if (!same_fields(streamed, records)) fail("csv_for_each and csv_parse disagree", in);
  for (std::size_t i = 0; i < records.size(); ++i)
    if (records[i].line != streamed[i].line || (i && records[i].line <= records[i - 1].line))
      fail("record line numbers are not increasing", in);

  const std::string text = format(records);
  std::vector<ptilab::CsvRecord> again;
  try {
    again = ptilab::csv_parse(text, "fuzz-again");
  } catch (const ptilab::Error&) {
    fail("the formatted document does not parse", in);
  }
  if (!same_fields(again, records)) fail("the formatted document parses to other records", in);
  if (format(again) != text) fail("formatting is not a fixed point", in);
}

void check_results(std::string_view in) {
  std::vector<ptilab::ResultRow> rows;
  try {
    rows = ptilab::parse_results(in, "fuzz");
  } catch (const ptilab::Error&) {
    return;
  }
  const std::string text = ptilab::format_results(rows);
  std::vector<ptilab::ResultRow> again;
  try {
    again = ptilab::parse_results(text, "fuzz-again");
  } catch (const ptilab::Error&) {
    fail("formatted results do not parse", in);
  }
  if (again.size() != rows.size()) fail("formatted results have another row count", in);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto a = rows[i], b = again[i];
    a.origin.clear();
    b.origin.clear();
    if (!(a == b)) fail("formatted results parse to other rows", in);
  }
  if (ptilab::format_results(again) != text) fail("results formatting is not a fixed point", in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Anything but ptilab::Error escaping is a failure too: libFuzzer
  // reports the uncaught exception as a crash.
  check_csv(in);
  check_results(in);
  return 0;
}
