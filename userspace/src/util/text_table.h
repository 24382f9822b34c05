// Plain-text tables for the terminal (ptilab table, compare, ...).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ptilab {

// What a terminal shows: UTF-8 continuation bytes take no column ("±" is
// two bytes, one column).
std::size_t display_width(std::string_view s);

// The rows as lines of columns two spaces apart, each column as wide as its
// widest cell; columns whose `right` entry is true are right-aligned.
// Trailing spaces are dropped.
std::string align_columns(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right);

}  // namespace ptilab
