// RFC 4180 CSV: fields containing a comma, double quote, CR or LF are
// quoted with quotes doubled; records end with LF (CRLF is accepted on
// input). The reader is strict, because a silently mis-split row would
// put numbers in the wrong columns.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

// The field as it must appear in a CSV record (quoted only when needed).
std::string csv_quote(std::string_view field);

// One record: the quoted fields joined by ',' and terminated by '\n'.
std::string csv_format_record(std::span<const std::string> fields);

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;  // 1-based line on which the record starts
};

// Parses a whole CSV document. source names it in error messages, which
// read "source:line: problem". Throws Error.
std::vector<CsvRecord> csv_parse(std::string_view text, std::string_view source);

// The same, one record at a time (nothing kept): for inputs of hundreds of
// megabytes.
void csv_for_each(std::string_view text, std::string_view source, const std::function<void(CsvRecord&&)>& fn);

}  // namespace ptilab
