// Helpers of the macro benchmarks (macro_bench.cc, workload_bench.cc):
// finding and starting tools, scratch directories, and the CPU time a
// workload's processes used.
#pragma once

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "bench_util.h"

namespace ptilab::bench {

// Where exec would find `name` in PATH (context.env.path), or nullopt.
inline std::optional<std::string> find_in_path(const Context& context, const std::string& name) {
  const std::string& path = context.env.path;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = path.find(':', start);
    // An empty PATH element means the current directory.
    const std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) return std::nullopt;
    start = end + 1;
  }
}

// A fresh directory under TMPDIR (else /tmp), removed with its contents
// however the benchmark leaves.
class ScratchDir {
 public:
  // Empty on success, else what went wrong.
  std::string create() {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string tmpl = (base / "ptilab-macro-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return errno_message("mkdtemp in " + base.string());
    path_ = tmpl;
    return {};
  }
  ScratchDir() = default;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline bool write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  return static_cast<bool>(f.flush());
}

// The children's environment: PATH as ours, the C locale, and nothing
// else (no MAKEFLAGS of a make that runs ptilab).
inline std::vector<std::string> child_env(const Context& context) {
  return {"PATH=" + context.env.path, "LC_ALL=C"};
}

// Starts path with argv and env (child_env), stdin on /dev/null, stdout on
// /dev/null and stderr ours (a failing tool says why); with `log`, stdout
// and stderr both go to that file instead (truncated), for a tool whose
// failure is told by its last lines (log_tail). Empty on success.
inline std::string spawn_tool(const std::string& path, const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, pid_t& pid,
                              const std::filesystem::path* log = nullptr) {
  SpawnOptions options;
  options.env = &env;
  options.in = Redirect::dev_null();
  options.out = log ? Redirect::file(*log) : Redirect::dev_null();
  if (log) options.err = Redirect::dup(1);
  const Spawned child = ptilab::spawn(path, argv, options);
  if (child.error) return "posix_spawn " + path + ": " + std::strerror(child.error);
  pid = child.pid;
  return {};
}

// The last `lines` lines of a file joined with " | ": a failure's story on
// the one line a skip or error message has.
inline std::string log_tail(const std::filesystem::path& p, std::size_t lines = 3) {
  std::ifstream f(p);
  std::vector<std::string> all;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += (out.empty() ? "" : " | ") + all[i];
  return out.empty() ? "(no output)" : out;
}

// CPU time in ns, user and system.
struct CpuTimes {
  double user_ns = 0, sys_ns = 0;
};

// What the waited-for children of this process used (getrusage
// RUSAGE_CHILDREN: what `time make` reports as user and sys).
inline CpuTimes children_cpu() {
  struct rusage ru {};
  getrusage(RUSAGE_CHILDREN, &ru);
  const auto ns = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e9 + tv.tv_usec * 1e3; };
  return {ns(ru.ru_utime), ns(ru.ru_stime)};
}

// What a server used, from /proc/PID/stat: its own utime/stime plus its
// waited-for children's (cutime/cstime: PostgreSQL's backends, one per
// connection, are the postmaster's children), in clock ticks. nullopt if
// the process is gone or the file is not what proc(5) describes.
inline std::optional<CpuTimes> process_cpu(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(f, text)) return std::nullopt;
  // comm (field 2) may hold spaces and parentheses: fields resume after
  // its last ')'.
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(close + 1));
  std::string field;
  std::vector<std::string> f3;  // fields 3, 4, ...
  while (in >> field && f3.size() < 15) f3.push_back(field);
  if (f3.size() < 15) return std::nullopt;
  const double tick_ns = 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK));
  try {
    // utime 14, stime 15, cutime 16, cstime 17 (1-based): f3[11..14].
    return CpuTimes{(std::stod(f3[11]) + std::stod(f3[13])) * tick_ns, (std::stod(f3[12]) + std::stod(f3[14])) * tick_ns};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace ptilab::bench
