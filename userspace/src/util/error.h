// Error types: the CLI turns Error into one line on stderr and exit 1,
// UsageError into a message plus the usage text and exit 2.
#pragma once

#include <stdexcept>
#include <string>

namespace ptilab {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UsageError : public Error {
 public:
  using Error::Error;
};

// strerror(err) without the thread-safety caveats of strerror().
std::string errno_string(int err);

}  // namespace ptilab
