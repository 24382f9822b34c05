#include "cmd/hook.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "kernel/module_files.h"
#include "util/error.h"
#include "util/process.h"

namespace ptilab {

namespace {

std::string hook_file(HookKind kind) { return "hook_" + hook_module_name(kind); }

void set_hook(const Debugfs& fs, HookKind kind, long pid, int writes) {
  const int err = fs.write(hook_file(kind), hook_command(kind, pid, writes));
  if (err == 0) return;
  if (err == EPERM) throw Error("hooks are refused: load the module with allow_hooks=1");
  const std::string what = "hook " + hook_cli_name(kind) + ": ";
  if (err == ESRCH)
    throw Error(what + "no process " + std::to_string(pid) + ", or it is exiting (" + errno_name(err) + ")");
  // The module's refusals (hooks.c, target_refusal()).
  if (err == EOPNOTSUPP)
    throw Error(what + "pid " + std::to_string(pid) + " is a kernel thread: it makes no system calls (" +
                errno_name(err) + ")");
  if (err == EACCES)
    throw Error(what + "pid " + std::to_string(pid) + " is init: refused, it would carry the hook until removed (" +
                errno_name(err) + ")");
  throw Error(what + (pid == 0 ? "cannot remove: " : "cannot install for pid " + std::to_string(pid) + ": ") +
              describe_errno(err));
}

// The signals that end a command, which ptilab must outlive to remove the
// hook: blocked while the command runs and taken with sigwaitinfo(), with
// SIGCHLD for the command's end. Restored however we leave.
class HeldSignals {
 public:
  HeldSignals() {
    ::sigemptyset(&set_);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~HeldSignals() {
    // A signal taken but not forwarded stays consumed; nothing is pending.
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  HeldSignals(const HeldSignals&) = delete;
  HeldSignals& operator=(const HeldSignals&) = delete;

  const sigset_t& set() const { return set_; }
  const sigset_t& old() const { return old_; }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

// Waits for the command, passing on what would have ended ptilab: SIGTERM
// (timeout, a CI cancel), SIGHUP (a closed terminal) and a SIGINT or
// SIGQUIT sent to ptilab alone. The terminal's own ^C and ^\ already went
// to the whole process group, the command included (si_code SI_KERNEL),
// so those are not sent twice. Returns the command's status: its exit
// code, or 128 + the signal that killed it, as shells report it.
int wait_forwarding(pid_t child, const HeldSignals& held) {
  for (;;) {
    const Waited done = try_wait(child);
    if (done.status) return done.status->shell_code();
    if (done.error) throw Error("waitpid: " + describe_errno(done.error));
    siginfo_t info{};
    const int sig = ::sigwaitinfo(&held.set(), &info);
    if (sig < 0 || sig == SIGCHLD) continue;
    const bool from_terminal = (sig == SIGINT || sig == SIGQUIT) && info.si_code == SI_KERNEL;
    if (!from_terminal) ::kill(child, sig);
  }
}

// fork; the child waits until the hook is in place, then execs the command.
int run_hooked(const Debugfs& fs, HookKind kind, int writes, const std::vector<std::string>& command) {
  fs.require();
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) throw Error("pipe: " + describe_errno(errno));
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  HeldSignals held;
  const pid_t child = ::fork();
  if (child < 0) {
    const int err = errno;
    ::close(go[0]);
    ::close(go[1]);
    throw Error("fork: " + describe_errno(err));
  }
  if (child == 0) {
    // Only async-signal-safe calls from here on. The command gets the
    // signal mask ptilab was started with (exec keeps the mask).
    ::sigprocmask(SIG_SETMASK, &held.old(), nullptr);
    ::close(go[1]);
    char c = 0;
    ssize_t n;
    do {
      n = ::read(go[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(127);  // the parent could not install the hook
    ::execvp(argv[0], argv.data());
    const int err = errno;
    const char* msg = ::strerror(err);
    const char* parts[] = {"ptilab: cannot run ", argv[0], ": ", msg, "\n"};
    for (const char* p : parts) (void)!::write(STDERR_FILENO, p, std::strlen(p));
    ::_exit(err == ENOENT ? 127 : 126);
  }
  ::close(go[0]);
  try {
    set_hook(fs, kind, child, writes);
  } catch (...) {
    ::close(go[1]);  // EOF: the child exits without running the command
    wait_for(child);  // reaped; the hook's error is the one to report
    throw;
  }
  const char c = 'g';
  ssize_t n;
  do {
    n = ::write(go[1], &c, 1);
  } while (n < 0 && errno == EINTR);
  ::close(go[1]);
  const int status = wait_forwarding(child, held);

  // The count is final once the child is gone; read it before removing.
  std::string fired = "unknown";
  try {
    const HooksReport r = parse_hooks(fs.read("hooks"), fs.file("hooks").string());
    if (const HookInfo* h = r.find(hook_module_name(kind))) fired = std::to_string(h->fired);
  } catch (const Error& e) {
    fired += " (" + std::string(e.what()) + ")";
  }
  set_hook(fs, kind, 0, 0);
  std::cerr << "ptilab: " << hook_cli_name(kind) << " hook fired " << fired << " times for pid " << child
            << "; removed\n";
  return status;
}

void print_status(const HooksReport& r, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["allow_hooks"] = r.allow_hooks;
    j["sys_enter_probe"] = r.sys_enter_probe;
    j["hooks"] = nlohmann::ordered_json::object();
    for (const auto& h : r.hooks) {
      auto& o = j["hooks"][h.name];
      o["installed"] = h.installed;
      if (h.pid_visible)
        o["pid"] = h.pid;
      else
        o["pid"] = nullptr;  // in a pid namespace this reader cannot see
      o["target_exited"] = h.target_exited;
      if (h.writes) o["writes"] = *h.writes;
      o["fired"] = h.fired;
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "allow_hooks: " << (r.allow_hooks ? "on" : "off (hooks are refused)") << "\n";
  if (!r.sys_enter_probe.empty()) std::cout << "sys_enter probe: " << r.sys_enter_probe << "\n";
  for (const auto& h : r.hooks) {
    std::cout << h.name << ": ";
    if (h.installed) {
      if (h.pid_visible)
        std::cout << "installed for pid " << h.pid;
      else
        std::cout << "installed for a process in another pid namespace";
      if (h.writes) std::cout << ", " << *h.writes << " extra CR3 writes per syscall";
    } else {
      std::cout << (h.target_exited ? "not installed (removed when its process exited)" : "not installed");
    }
    std::cout << ", fired " << h.fired << " times\n";
  }
}

}  // namespace

std::string hook_cli_name(HookKind kind) { return kind == HookKind::kExtraCr3 ? "extra-cr3" : "flush"; }
std::string hook_module_name(HookKind kind) { return kind == HookKind::kExtraCr3 ? "extra_cr3" : "flush"; }

std::string hook_command(HookKind kind, long pid, int writes) {
  std::string line = "pid=" + std::to_string(pid);
  if (kind == HookKind::kExtraCr3 && pid != 0) line += " writes=" + std::to_string(writes);
  return line + "\n";
}

int run_hook_cmd(const HookOptions& o) {
  const Debugfs fs(o.debugfs);
  switch (o.action) {
    case HookOptions::Action::kStatus:
      print_status(parse_hooks(fs.read("hooks"), fs.file("hooks").string()), o.json);
      return 0;
    case HookOptions::Action::kRemove:
      for (const HookKind k : o.kinds) set_hook(fs, k, 0, 0);
      return 0;
    case HookOptions::Action::kInstall: {
      const HookKind kind = o.kinds.at(0);
      if (!o.command.empty()) return run_hooked(fs, kind, o.writes, o.command);
      set_hook(fs, kind, *o.pid, o.writes);
      std::cout << "ptilab: " << hook_cli_name(kind) << " hook installed for pid " << *o.pid
                << " (remove it with `ptilab hook remove " << hook_cli_name(kind) << "`)\n";
      return 0;
    }
  }
  return 0;
}

}  // namespace ptilab
