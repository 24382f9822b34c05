#include "kernel/sysinfo.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

std::string format_utc(std::chrono::system_clock::time_point t, const char* format) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace

SystemInfo read_system_info(const std::filesystem::path& cmdline_path, const std::filesystem::path& boot_id_path) {
  SystemInfo info;
  struct utsname u {};
  if (::uname(&u) != 0) throw Error("uname: " + errno_string(errno));
  info.kernel = u.release;
  info.arch = u.machine;

  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0) throw Error("gethostname: " + errno_string(errno));
  info.hostname = host;

  if (const auto text = try_read_text_file(cmdline_path)) {
    std::string_view s = *text;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    info.cmdline = s;
  } else {
    info.cmdline = "unknown";
  }
  if (const auto text = try_read_text_file(boot_id_path)) {
    std::string id = *text;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    info.boot_id = id;
  }
  return info;
}

std::string iso8601_utc(std::chrono::system_clock::time_point t) { return format_utc(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::string default_run_id(std::chrono::system_clock::time_point t, std::string_view hostname) {
  return format_utc(t, "%Y%m%dT%H%M%SZ-") + std::string(hostname);
}

}  // namespace ptilab
