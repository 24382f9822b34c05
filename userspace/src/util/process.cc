#include "util/process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <thread>

extern char** environ;

namespace ptilab {

bool ExitStatus::exited() const { return WIFEXITED(status_); }
int ExitStatus::exit_code() const { return WEXITSTATUS(status_); }
bool ExitStatus::killed() const { return WIFSIGNALED(status_); }
int ExitStatus::signal() const { return WTERMSIG(status_); }

int ExitStatus::shell_code() const { return exited() ? exit_code() : 128 + signal(); }

std::string ExitStatus::failure(const std::string& what) const {
  if (success()) return {};
  if (exited()) return what + " exited with status " + std::to_string(exit_code());
  return what + " killed by signal " + std::to_string(signal());
}

namespace {

// One waitpid, retried on EINTR; a stop or continue (only a tracer sees
// those without WUNTRACED) counts as still running.
Waited wait_once(pid_t pid, int flags) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, flags);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return {std::nullopt, errno};
    if (r == pid && (WIFEXITED(status) || WIFSIGNALED(status))) return {ExitStatus(status), 0};
    if (flags & WNOHANG) return {};
  }
}

}  // namespace

Waited wait_for(pid_t pid) { return wait_once(pid, 0); }

Waited try_wait(pid_t pid) { return wait_once(pid, WNOHANG); }

Waited wait_for(pid_t pid, std::chrono::duration<double> timeout) {
  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  for (;;) {
    Waited w = try_wait(pid);
    const auto now = Clock::now();
    if (w.status || w.error || now >= end) return w;
    // Polled rather than woken by SIGCHLD: nothing to block or install.
    std::this_thread::sleep_for(std::min<Clock::duration>(end - now, std::chrono::milliseconds(10)));
  }
}

Spawned spawn(const std::string& path, const std::vector<std::string>& argv, const SpawnOptions& options) {
  // posix_spawn takes char* const[], and changes none of them.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  if (options.env) {
    for (const auto& e : *options.env) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const Redirect* const io[] = {&options.in, &options.out, &options.err};
  int rc = 0;
  for (int fd = 0; fd < 3 && rc == 0; ++fd) {
    const Redirect& r = *io[fd];
    const int flags = fd == 0 ? O_RDONLY : O_WRONLY;
    switch (r.kind) {
      case Redirect::Kind::kInherit:
        break;
      case Redirect::Kind::kDevNull:
        rc = posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", flags, 0);
        break;
      case Redirect::Kind::kFile: {
        const int create = fd == 0 ? 0 : O_CREAT | O_TRUNC;
        rc = posix_spawn_file_actions_addopen(&actions, fd, r.path.c_str(), flags | create, 0644);
        break;
      }
      case Redirect::Kind::kDup:
        rc = posix_spawn_file_actions_adddup2(&actions, r.fd, fd);
        break;
    }
  }
  Spawned s;
  char* const* const envp = options.env ? env.data() : environ;
  if (rc == 0) rc = posix_spawn(&s.pid, path.c_str(), &actions, nullptr, args.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    s.pid = -1;
    s.error = rc;
  }
  return s;
}

namespace {

std::vector<int> cpus_in(const cpu_set_t& set) {
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

}  // namespace

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return {};
  return cpus_in(set);
}

CpuPin::~CpuPin() {
  if (pinned_) sched_setaffinity(0, sizeof saved_, &saved_);
}

bool CpuPin::save() {
  CPU_ZERO(&saved_);
  have_saved_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
  return have_saved_;
}

std::vector<int> CpuPin::saved_cpus() const { return cpus_in(saved_); }

bool CpuPin::pin(int cpu) {
  if (!have_saved_) {
    errno = EINVAL;  // nothing to give back
    return false;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) return false;
  pinned_ = true;
  return true;
}

}  // namespace ptilab
