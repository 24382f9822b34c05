// Reading whole (small) text files, including procfs/sysfs/debugfs files
// whose st_size is 0 or meaningless.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ptilab {

// Throws Error("cannot read PATH: reason").
std::string read_text_file(const std::filesystem::path& path);

// nullopt when the file cannot be opened or read (absent, no permission).
std::optional<std::string> try_read_text_file(const std::filesystem::path& path);

}  // namespace ptilab
