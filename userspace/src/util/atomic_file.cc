#include "util/atomic_file.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "util/error.h"

namespace ptilab {

namespace {

std::filesystem::path directory_of(const std::filesystem::path& p) {
  return p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
}

// Makes the rename itself durable. Best effort: some file systems (9p,
// FUSE) cannot sync directories, and the data is already safe.
void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// The temporary files a signal handler must remove: fixed storage, so that
// the handler only reads memory and calls unlink(2), both safe there. A
// slot is claimed with a compare-and-swap and published after its path is
// written; a process holds a handful at most.
constexpr int kTempSlots = 32;
struct TempSlot {
  std::atomic<int> state{0};  // 0 free, 1 being written, 2 live
  pid_t owner = 0;            // a forked child inherits the table, not the files
  char path[PATH_MAX];
};
TempSlot temp_slots[kTempSlots];

int claim_temp_slot(const std::filesystem::path& p) {
  const std::string s = p.string();
  if (s.size() >= PATH_MAX) return -1;  // not cleaned on a signal; still by the destructor
  for (int i = 0; i < kTempSlots; ++i) {
    int expected = 0;
    if (!temp_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(temp_slots[i].path, s.c_str(), s.size() + 1);
    temp_slots[i].owner = ::getpid();
    temp_slots[i].state.store(2, std::memory_order_release);
    return i;
  }
  return -1;
}

void release_temp_slot(int& slot) {
  if (slot >= 0) temp_slots[slot].state.store(0, std::memory_order_release);
  slot = -1;
}

extern "C" void remove_temp_files_and_die(int sig) {
  const pid_t me = ::getpid();
  for (auto& slot : temp_slots)
    if (slot.state.load(std::memory_order_acquire) == 2 && slot.owner == me) ::unlink(slot.path);
  // End as the signal would have: the parent sees "killed by SIGINT".
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void remove_temp_files_on_signals() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    struct sigaction sa {};
    sa.sa_handler = remove_temp_files_and_die;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

TempFileGuard::TempFileGuard(const std::filesystem::path& temp) : slot_(claim_temp_slot(temp)) {}
TempFileGuard::~TempFileGuard() { release_temp_slot(slot_); }

std::filesystem::path AtomicFile::temp_name_for(const std::filesystem::path& target) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string suffix;
  for (int i = 0; i < 12; ++i) suffix += kHex[rd() % 16];
  // Appended piecewise: "." + std::string trips GCC 12's -Wrestrict
  // false positive (GCC bug 105329).
  std::string name = ".";
  name += target.filename().string();
  name += ".tmp-";
  name += suffix;
  return directory_of(target) / name;
}

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  if (target_.filename().empty()) throw Error("cannot write " + target_.string() + ": not a file name");
  // A clash with a stale temporary file is possible only in theory; retry.
  for (int attempt = 0;; ++attempt) {
    temp_ = temp_name_for(target_);
    slot_ = claim_temp_slot(temp_);  // before the file exists: no window without cleanup
    const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      fd_ = fd;
      return;
    }
    release_temp_slot(slot_);
    if (errno != EEXIST || attempt == 10) {
      const int err = errno;
      temp_.clear();
      throw Error("cannot write " + target_.string() + ": " + errno_string(err));
    }
  }
}

AtomicFile::AtomicFile(std::filesystem::path target, std::filesystem::path temp)
    : target_(std::move(target)), temp_(std::move(temp)) {
  slot_ = claim_temp_slot(temp_);
  // 0666 & ~umask, like any other new file.
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int err = errno;
    release_temp_slot(slot_);
    temp_.clear();
    throw Error("cannot write " + target_.string() + ": " + errno_string(err));
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
  release_temp_slot(slot_);
}

void AtomicFile::fail(const std::string& what, int err) {
  // Leave nothing behind; the destructor would too, but callers may keep
  // the object around while reporting the error.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
  release_temp_slot(slot_);
  throw Error("cannot write " + target_.string() + ": " + what + errno_string(err));
}

void AtomicFile::write(std::string_view data) {
  if (fd_ < 0) throw Error("cannot write " + target_.string() + ": file already closed");
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  synced_ = false;
}

void AtomicFile::sync() {
  if (synced_) return;
  if (fd_ < 0) throw Error("cannot write " + target_.string() + ": file already closed");
  // EINVAL: the file system cannot sync this file; nothing more to do.
  if (::fsync(fd_) != 0 && errno != EINVAL) fail("fsync: ", errno);
  synced_ = true;
}

void AtomicFile::commit() {
  sync();
  // close() can report deferred write errors (NFS, 9p).
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close: ", errno);
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("rename: ", errno);
  committed_ = true;
  release_temp_slot(slot_);
  sync_directory(directory_of(target_));
}

void write_file_atomic(const std::filesystem::path& target, std::string_view content) {
  AtomicFile file(target);
  file.write(content);
  file.commit();
}

}  // namespace ptilab
