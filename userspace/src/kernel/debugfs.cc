#include "kernel/debugfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

std::string errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAGAIN: return "EAGAIN";
    default: return "errno " + std::to_string(err);
  }
}

std::string describe_errno(int err) { return errno_string(err) + " (" + errno_name(err) + ")"; }

std::optional<std::string> Debugfs::unavailable() const {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return std::nullopt;
    return dir_.string() + " is not a directory";
  }
  const int err = errno;
  if (err == ENOENT || err == ENOTDIR)
    return "ptilab.ko is not loaded (no " + dir_.string() +
           "): insmod ptilab.ko (and mount -t debugfs none /sys/kernel/debug)";
  // debugfs is root's (mode 0700): say so rather than "not loaded".
  return "cannot access " + dir_.string() + ": " + describe_errno(err) + (err == EACCES ? ": run as root" : "");
}

void Debugfs::require() const {
  if (auto why = unavailable()) throw Error(*why);
}

std::string Debugfs::read(std::string_view name) const {
  require();
  return read_text_file(file(name));
}

bool Debugfs::writable(std::string_view name) const { return ::access(file(name).c_str(), W_OK) == 0; }

int Debugfs::write(std::string_view name, std::string_view line) const {
  require();
  const auto path = file(name);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open " + path.string() + " for writing: " + describe_errno(errno));
  ssize_t n = 0;
  do {
    n = ::write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  const int err = n < 0 ? errno : (static_cast<std::size_t>(n) == line.size() ? 0 : EIO);
  ::close(fd);
  return err;
}

}  // namespace ptilab
