#include "results/csv.h"

#include "util/error.h"

namespace ptilab {

std::string csv_quote(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_format_record(std::span<const std::string> fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_quote(fields[i]);
  }
  out += '\n';
  return out;
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  void each(const std::function<void(CsvRecord&&)>& fn) {
    while (pos_ < text_.size()) fn(record());
  }

 private:
  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw Error(std::string(source_) + ":" + std::to_string(line) + ": " + what);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  // LF or CRLF at the current position; consumes it.
  bool eat_newline() {
    if (text_.compare(pos_, 1, "\n") == 0) {
      pos_ += 1;
    } else if (text_.compare(pos_, 2, "\r\n") == 0) {
      pos_ += 2;
    } else {
      return false;
    }
    ++line_;
    return true;
  }

  CsvRecord record() {
    CsvRecord rec;
    rec.line = line_;
    for (;;) {
      rec.fields.push_back(field());
      if (at_end() || eat_newline()) return rec;
      // field() stops only at a separator, a newline or the end.
      ++pos_;  // ','
    }
  }

  std::string field() {
    std::string out;
    if (!at_end() && text_[pos_] == '"') {
      const std::size_t start = line_;
      ++pos_;
      for (;;) {
        if (at_end()) fail(start, "unterminated quoted field");
        const char c = text_[pos_++];
        if (c == '"') {
          if (!at_end() && text_[pos_] == '"') {
            out += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        out += c;
      }
      if (!at_end() && text_[pos_] != ',' && text_[pos_] != '\n' &&
          text_.compare(pos_, 2, "\r\n") != 0)
        fail(line_, "unexpected character after a closing quote");
      return out;
    }
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == ',' || c == '\n' || text_.compare(pos_, 2, "\r\n") == 0) break;
      if (c == '"') fail(line_, "double quote inside an unquoted field");
      if (c == '\r') fail(line_, "carriage return inside an unquoted field");
      out += c;
      ++pos_;
    }
    return out;
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

std::vector<CsvRecord> csv_parse(std::string_view text, std::string_view source) {
  std::vector<CsvRecord> records;
  Parser(text, source).each([&](CsvRecord&& r) { records.push_back(std::move(r)); });
  return records;
}

void csv_for_each(std::string_view text, std::string_view source, const std::function<void(CsvRecord&&)>& fn) {
  Parser(text, source).each(fn);
}

}  // namespace ptilab
