#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

#include "error.h"

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

}  // namespace

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
    const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      fd_ = fd;
      return;
    }
    if (errno != EEXIST || attempt == 10) {
      const int err = errno;
      temp_.clear();
      throw Error("cannot write " + target_.string() + ": " + errno_string(err));
    }
  }
}

AtomicFile::AtomicFile(std::filesystem::path target, std::filesystem::path temp)
    : target_(std::move(target)), temp_(std::move(temp)) {
  // 0666 & ~umask, like any other new file.
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int err = errno;
    temp_.clear();
    throw Error("cannot write " + target_.string() + ": " + errno_string(err));
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::fail(const std::string& what, int err) {
  // Leave nothing behind; the destructor would too, but callers may keep
  // the object around while reporting the error.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
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
  sync_directory(directory_of(target_));
}

void write_file_atomic(const std::filesystem::path& target, std::string_view content) {
  AtomicFile file(target);
  file.write(content);
  file.commit();
}

}  // namespace ptilab
