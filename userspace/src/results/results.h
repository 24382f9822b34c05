// The results CSV: one row per (run, configuration, benchmark, metric).
// Every ptilab CSV (bench output, merge output, table input) has exactly
// this header.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

// The run's columns: who measured, where, in which configuration. Every row
// of a run carries them (ResultRow is a RunInfo plus the measurement).
struct RunInfo {
  std::string run_id;
  std::string timestamp;
  std::string boot;
  std::string host;
  std::string arch;
  std::string kernel;
  std::string cmdline;
  std::string accel;
  std::string pti;
  std::string pcid;
  std::string e0pd;
  std::string kpti;

  bool operator==(const RunInfo&) const = default;
};

// Fields are kept as text so that merge copies them verbatim; the table
// parses the numbers it needs.
struct ResultRow : RunInfo {
  std::string benchmark;
  std::string metric;
  std::string value;
  std::string unit;
  std::string repetitions;
  std::string stddev;

  // Where the row was read from ("file:line"), for error messages only.
  std::string origin;

  bool operator==(const ResultRow&) const = default;
};

struct ResultColumn {
  std::string_view name;
  std::string ResultRow::*field;
};

// The schema, in header order. boot is the kernel's boot_id
// (/proc/sys/kernel/random/boot_id) of the system that measured the row:
// boots, not repetitions inside one, are what replicates a configuration
// (see stats.h); empty where it was not recorded.
inline constexpr std::array<ResultColumn, 18> kResultColumns{{
    {"run_id", &ResultRow::run_id},
    {"timestamp", &ResultRow::timestamp},
    {"boot", &ResultRow::boot},
    {"host", &ResultRow::host},
    {"arch", &ResultRow::arch},
    {"kernel", &ResultRow::kernel},
    {"cmdline", &ResultRow::cmdline},
    {"accel", &ResultRow::accel},
    {"pti", &ResultRow::pti},
    {"pcid", &ResultRow::pcid},
    {"e0pd", &ResultRow::e0pd},
    {"kpti", &ResultRow::kpti},
    {"benchmark", &ResultRow::benchmark},
    {"metric", &ResultRow::metric},
    {"value", &ResultRow::value},
    {"unit", &ResultRow::unit},
    {"repetitions", &ResultRow::repetitions},
    {"stddev", &ResultRow::stddev},
}};

inline constexpr std::string_view kMetricMean = "ns_per_op";
inline constexpr std::string_view kMetricMedian = "ns_per_op_median";
// Perf counter rows (metric: the event name as given to --counters).
inline constexpr std::string_view kUnitPerOp = "per_op";
inline constexpr std::string_view kUnitNotSupported = "not_supported";
inline constexpr std::string_view kAnyBenchmark = "*";
// Every unit a row may have (README "CSV schema").
inline constexpr std::array<std::string_view, 12> kUnits{
    "ns", "%", "cycles", "pages", "bool", "count", "info", "per_op", "not_supported", "per_s", "s", "ratio"};

// The field of a column by name; nullptr for a name that is not a column.
const std::string* result_field(const ResultRow& row, std::string_view column);

// "run_id,timestamp,...,stddev\n"
std::string results_header();

// Header plus one record per row.
std::string format_results(const std::vector<ResultRow>& rows);
// Checks the header and every record's field count; source names the
// input in errors ("source: ..." / "source:line: ..."). A file written
// before the boot column existed (its header the same without boot) is
// read with boot empty. Throws Error.
std::vector<ResultRow> parse_results(std::string_view text, std::string_view source);

std::vector<ResultRow> read_results(const std::filesystem::path& path);
// The same checks, a row at a time, keeping none: for large inputs.
void for_each_result(std::string_view text, std::string_view source, const std::function<void(ResultRow&&)>& fn);
void for_each_result(const std::filesystem::path& path, const std::function<void(ResultRow&&)>& fn);
// Atomic (see atomic_file.h).
void write_results(const std::filesystem::path& path, const std::vector<ResultRow>& rows);

// Nine significant digits in plain decimal notation (no exponent), e.g.
// "123.456789", "0.000123456789", "1500": round-trips to 5e-9 relative.
// Throws Error for NaN and infinities.
std::string format_number(double value);
// The whole string must be a finite number. nullopt otherwise.
std::optional<double> parse_number(std::string_view text);

// One benchmark's summary over its repetitions, times in ns per iteration.
struct BenchResult {
  std::string name;  // e.g. "BM_Syscall_Null"
  double mean_ns = 0;
  double median_ns = 0;
  double stddev_ns = 0;
  std::int64_t repetitions = 0;
};

// One benchmark's perf counter (ptilab bench --counters): its count per
// iteration over the repetitions. Or one of its property counters
// (bench_properties.h): a size of the process it ran in, in that
// counter's unit, with no stddev.
struct CounterResult {
  std::string benchmark;  // as BenchResult::name
  std::string event;      // the event name as given to --counters, or the property
  double mean = 0;
  std::optional<double> stddev = 0;
  std::int64_t repetitions = 0;
  std::string unit = std::string(kUnitPerOp);
};

// A row with the run's columns filled and the rest empty.
ResultRow make_base_row(const RunInfo& run);

// Two rows per benchmark: ns_per_op (mean, with stddev) and
// ns_per_op_median (stddev empty).
std::vector<ResultRow> make_result_rows(const RunInfo& run, const std::vector<BenchResult>& results);

// One row per counter: metric = the event name, value = mean per
// iteration, unit per_op, with stddev (a property: its unit, no stddev).
std::vector<ResultRow> make_counter_rows(const RunInfo& run, const std::vector<CounterResult>& counters);
// A benchmark that could not run here, and why (a server that did not
// start, a missing tool), as ResultCollector::skipped() has them.
struct Skip {
  std::string benchmark, why;
  bool operator==(const Skip&) const = default;
};
// Its row: metric "skipped=<why>" = 1 (info), so that the CSV says why a
// workload has no numbers.
inline constexpr std::string_view kMetricSkippedPrefix = "skipped=";
std::vector<ResultRow> make_skip_rows(const RunInfo& run, const std::vector<Skip>& skips);

// One row per perf counter this machine cannot count: benchmark "*",
// metric = the event name, value empty (never a zero), unit not_supported.
std::vector<ResultRow> make_unsupported_counter_rows(const RunInfo& run, const std::vector<std::string>& names);

}  // namespace ptilab
