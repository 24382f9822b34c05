#include "bench/context.h"

#include <cstdlib>
#include <system_error>

namespace ptilab::bench {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* const v = std::getenv(name);
  return v && *v ? v : fallback;
}

// A positive whole number from the environment, or fallback if unset.
std::optional<long> env_count(const char* name, long fallback) {
  const char* const v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end || n <= 0) return std::nullopt;
  return n;
}

// A server's pid, if the variable holds one.
std::optional<pid_t> env_pid(const char* name) {
  const auto pid = env_count(name, 0);
  if (!pid || *pid <= 0) return std::nullopt;
  return static_cast<pid_t>(*pid);
}

}  // namespace

Environment read_environment() {
  Environment env;
  env.path = env_or("PATH", "/usr/bin:/bin");
  env.build_source = env_or("PTILAB_BUILD_SOURCE", "");
  auto& pg = env.postgres;
  pg.skip = env_or("PTILAB_PG_SKIP", "");
  pg.port = env_or("PTILAB_PG_PORT", "");
  pg.socket = env_or("PTILAB_PG_SOCKET", "/run/postgresql");
  pg.user = env_or("PTILAB_PG_USER", "postgres");
  pg.db = env_or("PTILAB_PG_DB", "postgres");
  pg.pid = env_pid("PTILAB_PG_PID");
  pg.transactions = env_count("PTILAB_PGBENCH_TRANSACTIONS", 2000);
  auto& redis = env.redis;
  redis.skip = env_or("PTILAB_REDIS_SKIP", "");
  redis.port = env_or("PTILAB_REDIS_PORT", "");
  redis.pid = env_pid("PTILAB_REDIS_PID");
  redis.requests = env_count("PTILAB_REDIS_REQUESTS", 20000);
  return env;
}

Context context_from_process() {
  Context context;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    context.fork_helper_error = "/proc/self/exe: " + ec.message();
  else
    context.fork_helper = exe.parent_path() / "ptilab-fork-helper";
  // Installed (the Debian package), the program is in sbin and the helper
  // in libexec; a build tree has them side by side.
  if (!context.fork_helper.empty() && !std::filesystem::exists(context.fork_helper)) {
    const std::filesystem::path installed = PTILAB_LIBEXECDIR "/ptilab-fork-helper";
    if (std::filesystem::exists(installed)) context.fork_helper = installed;
  }
  context.env = read_environment();
  return context;
}

}  // namespace ptilab::bench
