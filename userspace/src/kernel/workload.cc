#include "kernel/workload.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "kernel/noise.h"
#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

std::optional<std::uint64_t> parse_pid_stat_ticks(std::string_view text) {
  const auto paren = text.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  // After ") ": state (field 3) ... utime is field 14, stime 15.
  std::istringstream in{std::string(text.substr(paren + 1))};
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    if (!(in >> field)) return std::nullopt;
    if (i == 14 || i == 15) {
      char* end = nullptr;
      const std::uint64_t v = std::strtoull(field.c_str(), &end, 10);
      if (*end != '\0' || field.empty()) return std::nullopt;
      (i == 14 ? utime : stime) = v;
    }
  }
  return utime + stime;
}

double busy_cpu_seconds(std::optional<pid_t> pid, const std::filesystem::path& proc_root) {
  const double tick = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  if (pid) {
    const auto path = proc_root / std::to_string(*pid) / "stat";
    const auto ticks = parse_pid_stat_ticks(read_text_file(path));
    if (!ticks) throw Error(path.string() + ": no utime and stime in it");
    return static_cast<double>(*ticks) * tick;
  }
  const auto path = proc_root / "stat";
  const auto t = parse_proc_stat(read_text_file(path));
  if (!t) throw Error(path.string() + ": no aggregate cpu line in it");
  return static_cast<double>(t->total - t->idle) * tick;
}

void clear_referenced(pid_t pid, const std::filesystem::path& proc_root) {
  const auto path = proc_root / std::to_string(pid) / "clear_refs";
  std::ofstream out(path);
  if (out) out << "1\n";
  if (!out || !out.flush())
    throw Error("cannot clear the referenced bits of process " + std::to_string(pid) + " (" + path.string() +
                "): run as root or as its owner, or give its working set with --ws SIZE");
}

std::optional<MemoryRollup> parse_smaps_rollup(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  MemoryRollup m;
  bool referenced = false;
  const auto kib = [](const std::string& l) { return std::strtod(l.c_str() + l.find(':') + 1, nullptr) * 1024; };
  while (std::getline(in, line)) {
    if (line.starts_with("Referenced:")) {
      m.referenced = kib(line);
      referenced = true;
    } else if (line.starts_with("Anonymous:")) {
      m.anonymous = kib(line);
    } else if (line.starts_with("AnonHugePages:")) {
      m.anon_huge = kib(line);
    }
  }
  if (!referenced) return std::nullopt;
  return m;
}

MemoryRollup read_memory_rollup(pid_t pid, const std::filesystem::path& proc_root) {
  const auto path = proc_root / std::to_string(pid) / "smaps_rollup";
  const auto m = parse_smaps_rollup(read_text_file(path));
  if (!m) throw Error(path.string() + ": no Referenced line in it");
  return *m;
}

}  // namespace ptilab
