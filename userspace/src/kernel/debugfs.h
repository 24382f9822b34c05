// The ptilab kernel module's debugfs directory: reading its files and
// writing commands to them (one write(2) per command, errno kept).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ptilab {

inline constexpr std::string_view kDebugfsDir = "/sys/kernel/debug/ptilab";

// "EOPNOTSUPP", "EPERM", ...; "errno N" for the ones not listed.
std::string errno_name(int err);
// "Invalid argument (EINVAL)"
std::string describe_errno(int err);

class Debugfs {
 public:
  explicit Debugfs(std::filesystem::path dir = std::filesystem::path(kDebugfsDir)) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file(std::string_view name) const { return dir_ / name; }

  // Why the directory cannot be used ("ptilab.ko is not loaded ..."), or
  // nullopt when it can.
  std::optional<std::string> unavailable() const;
  // Throws Error(*unavailable()).
  void require() const;

  // require(), then the whole file. Throws Error.
  std::string read(std::string_view name) const;
  // Whether this process may write the file (access(2) W_OK).
  bool writable(std::string_view name) const;
  // require(), then the whole line in a single write(2): the module acts on
  // each write as one command. Returns 0 or the errno value; a short write
  // is EIO. Throws Error only when the file cannot be opened.
  int write(std::string_view name, std::string_view line) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace ptilab
