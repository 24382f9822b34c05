#include "results/results.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "results/csv.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

std::vector<std::string> header_fields() {
  std::vector<std::string> out;
  for (const auto& col : kResultColumns) out.emplace_back(col.name);
  return out;
}

std::string join(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ",") + f;
  return out;
}

}  // namespace

const std::string* result_field(const ResultRow& row, std::string_view column) {
  for (const auto& c : kResultColumns)
    if (c.name == column) return &(row.*c.field);
  return nullptr;
}

std::string results_header() { return csv_format_record(header_fields()); }

std::string format_results(const std::vector<ResultRow>& rows) {
  std::string out = results_header();
  std::vector<std::string> fields(kResultColumns.size());
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < kResultColumns.size(); ++i) fields[i] = row.*kResultColumns[i].field;
    out += csv_format_record(fields);
  }
  return out;
}

void for_each_result(std::string_view text, std::string_view source, const std::function<void(ResultRow&&)>& fn) {
  const std::string src(source);
  const auto expected = header_fields();
  // Before the boot column: the same header without it. Such files (older
  // runs, dashboards' archives) still read, with boot empty.
  std::vector<std::string> legacy = expected;
  std::erase(legacy, "boot");
  std::vector<std::string ResultRow::*> fields;
  csv_for_each(text, source, [&](CsvRecord&& rec) {
    if (fields.empty()) {
      if (rec.fields != expected && rec.fields != legacy)
        throw Error(src + ": not a ptilab results file: header is '" + join(rec.fields) + "', expected '" +
                    join(expected) + "'");
      for (const auto& c : kResultColumns)
        if (rec.fields == expected || c.name != "boot") fields.push_back(c.field);
      return;
    }
    if (rec.fields.size() != fields.size())
      throw Error(src + ":" + std::to_string(rec.line) + ": expected " + std::to_string(fields.size()) +
                  " fields, got " + std::to_string(rec.fields.size()));
    ResultRow row;
    for (std::size_t i = 0; i < fields.size(); ++i) row.*fields[i] = std::move(rec.fields[i]);
    row.origin = src + ":" + std::to_string(rec.line);
    fn(std::move(row));
  });
  if (fields.empty()) throw Error(src + ": empty file, expected the ptilab results header");
}

std::vector<ResultRow> parse_results(std::string_view text, std::string_view source) {
  std::vector<ResultRow> rows;
  for_each_result(text, source, [&](ResultRow&& r) { rows.push_back(std::move(r)); });
  return rows;
}

std::vector<ResultRow> read_results(const std::filesystem::path& path) {
  return parse_results(read_text_file(path), path.string());
}

void for_each_result(const std::filesystem::path& path, const std::function<void(ResultRow&&)>& fn) {
  for_each_result(read_text_file(path), path.string(), fn);
}

void write_results(const std::filesystem::path& path, const std::vector<ResultRow>& rows) {
  write_file_atomic(path, format_results(rows));
}

std::string format_number(double value) {
  if (!std::isfinite(value)) throw Error("cannot record a non-finite number");
  if (value == 0) return "0";
  // Decimals for nine significant digits; fixed notation keeps the CSV
  // readable by anything, including people.
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
  const int decimals = std::clamp(8 - magnitude, 0, 40);
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

ResultRow make_base_row(const RunInfo& run) {
  ResultRow base;
  static_cast<RunInfo&>(base) = run;
  return base;
}

std::vector<ResultRow> make_result_rows(const RunInfo& run, const std::vector<BenchResult>& results) {
  ResultRow base = make_base_row(run);
  base.unit = "ns";

  std::vector<ResultRow> rows;
  for (const auto& r : results) {
    ResultRow mean = base;
    mean.benchmark = r.name;
    mean.metric = kMetricMean;
    mean.value = format_number(r.mean_ns);
    mean.repetitions = std::to_string(r.repetitions);
    mean.stddev = format_number(r.stddev_ns);
    rows.push_back(std::move(mean));

    ResultRow median = base;
    median.benchmark = r.name;
    median.metric = kMetricMedian;
    median.value = format_number(r.median_ns);
    median.repetitions = std::to_string(r.repetitions);
    rows.push_back(std::move(median));
  }
  return rows;
}

std::vector<ResultRow> make_counter_rows(const RunInfo& run, const std::vector<CounterResult>& counters) {
  const ResultRow base = make_base_row(run);
  std::vector<ResultRow> rows;
  for (const auto& c : counters) {
    ResultRow row = base;
    row.benchmark = c.benchmark;
    row.metric = c.event;
    row.value = format_number(c.mean);
    row.unit = c.unit;
    row.repetitions = std::to_string(c.repetitions);
    if (c.stddev) row.stddev = format_number(*c.stddev);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ResultRow> make_skip_rows(const RunInfo& run, const std::vector<Skip>& skips) {
  ResultRow base = make_base_row(run);
  // Moved-in strings: assigning short literals here trips GCC 12's
  // -Wrestrict false positive.
  base.value = std::string("1");
  base.unit = std::string("info");
  base.repetitions = std::string("1");
  std::vector<ResultRow> rows;
  for (const Skip& s : skips) {
    ResultRow row = base;
    row.benchmark = s.benchmark;
    row.metric.assign(kMetricSkippedPrefix);
    row.metric += s.why;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ResultRow> make_unsupported_counter_rows(const RunInfo& run, const std::vector<std::string>& names) {
  ResultRow base = make_base_row(run);
  base.benchmark = std::string(kAnyBenchmark);  // not operator=(string_view): GCC 12 -Wrestrict false positive
  base.unit = kUnitNotSupported;
  std::vector<ResultRow> rows;
  for (const auto& name : names) {
    ResultRow row = base;
    row.metric = name;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace ptilab
