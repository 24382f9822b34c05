// Child processes and CPU masks, for the program, the benchmarks and the
// tests alike: starting a program (posix_spawn), waiting for a child with
// EINTR retried, what its end means, and the CPUs a thread may use.
// Nothing here throws or prints: errors come back as errno values, so that
// each caller says them its own way (an Error in src, a SkipWithError
// message in a benchmark, a failure in a test).
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ptilab {

// How a child ended: waitpid's status word for a child that exited or was
// killed (the waits below never report a stop).
class ExitStatus {
 public:
  explicit ExitStatus(int wait_status) : status_(wait_status) {}

  bool exited() const;    // by exit() or returning from main
  int exit_code() const;  // if exited()
  bool killed() const;    // by a signal
  int signal() const;     // if killed()
  bool success() const { return exited() && exit_code() == 0; }
  // The exit code, or 128 + the signal, as shells report it.
  int shell_code() const;
  // Empty for success(), else "<what> exited with status 1" or "<what>
  // killed by signal 9".
  std::string failure(const std::string& what) const;
  int wait_status() const { return status_; }

 private:
  int status_;
};

// What a wait found: the child's status if it has ended, else nothing
// (still running: only the waits that do not block), or error, the errno
// of a failed waitpid (ECHILD: not a child of this process, or reaped).
struct Waited {
  std::optional<ExitStatus> status;
  int error = 0;
};

// Waits until pid ends, retrying waitpid when a signal interrupts it.
Waited wait_for(pid_t pid);
// The same for at most timeout (polled): no status and no error if pid
// still runs then.
Waited wait_for(pid_t pid, std::chrono::duration<double> timeout);
// Does not wait: pid's status if it has ended.
Waited try_wait(pid_t pid);

// Where a spawned child's descriptor 0, 1 or 2 goes.
struct Redirect {
  enum class Kind { kInherit, kDevNull, kFile, kDup };
  Kind kind = Kind::kInherit;
  std::filesystem::path path;  // kFile: read (0), else created or truncated
  int fd = -1;                 // kDup: a descriptor of ours, dup2'd

  static Redirect inherit() { return {}; }
  static Redirect dev_null() { return {Kind::kDevNull, {}, -1}; }
  static Redirect file(std::filesystem::path p) { return {Kind::kFile, std::move(p), -1}; }
  static Redirect dup(int fd) { return {Kind::kDup, {}, fd}; }
};

struct SpawnOptions {
  // The child's whole environment, NAME=VALUE each; nullptr: this
  // process's. Borrowed for the call.
  const std::vector<std::string>* env = nullptr;
  // Set up in this order, so err = Redirect::dup(1) is 2>&1.
  Redirect in, out, err;
};

// The started child, or posix_spawn's error number (glibc reports a failed
// exec there, ENOENT or EACCES, and reaps the child itself).
struct Spawned {
  pid_t pid = -1;
  int error = 0;
};

// Starts path (no PATH search) with argv, argv[0] first, by posix_spawn:
// no copy of this process's memory, so it is cheap from a big process and
// safe from one with threads.
Spawned spawn(const std::string& path, const std::vector<std::string>& argv, const SpawnOptions& options = {});

// The CPUs the calling thread may run on, lowest first (empty if unknown).
std::vector<int> allowed_cpus();

// Pins the calling thread to one CPU, and gives it back the mask it had
// when this goes out of scope (on the same thread); children forked
// meanwhile keep the pin.
class CpuPin {
 public:
  CpuPin() = default;
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;
  ~CpuPin();

  // Saves the thread's mask: false, errno saying why, if
  // sched_getaffinity failed.
  bool save();
  // The saved mask's CPUs, lowest first.
  std::vector<int> saved_cpus() const;
  // Pins the thread to cpu, after a save() that succeeded: false, errno
  // saying why, if sched_setaffinity failed (EINVAL without a save).
  bool pin(int cpu);

 private:
  cpu_set_t saved_{};
  bool have_saved_ = false;
  bool pinned_ = false;
};

}  // namespace ptilab
