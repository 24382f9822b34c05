#include "util/text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace ptilab {

std::string errno_string(int err) {
  char buf[256];
  // GNU strerror_r returns the message, which may or may not be buf.
  return ::strerror_r(err, buf, sizeof buf);
}

namespace {

// Returns 0 and fills out, or an errno value.
int read_all(const std::filesystem::path& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out.clear();
  char buf[8192];
  int err = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      err = errno;
      break;
    }
  }
  ::close(fd);
  return err;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  std::string text;
  if (const int err = read_all(path, text))
    throw Error("cannot read " + path.string() + ": " + errno_string(err));
  return text;
}

std::optional<std::string> try_read_text_file(const std::filesystem::path& path) {
  std::string text;
  if (read_all(path, text) != 0) return std::nullopt;
  return text;
}

}  // namespace ptilab
