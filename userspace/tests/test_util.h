// Helpers shared by the unit tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "util/process.h"

extern char** environ;

namespace ptilab::testing {

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ptilab-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  // Names of the directory's entries (including dot files).
  std::set<std::string> entries() const;

 private:
  std::filesystem::path path_;
};

// Names of a directory's entries, dot files included.
inline std::set<std::string> dir_entries(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

inline std::set<std::string> TempDir::entries() const { return dir_entries(path_); }

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary);
  f << content;
  if (!f.flush()) throw std::runtime_error("cannot write " + p.string());
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// What a run of the real ptilab binary (PTILAB_BINARY, set by CMake) did.
struct Outcome {
  int status = -1;  // exit status, -1 if killed
  int signal = 0;   // the signal that killed it, 0 if it exited
  std::string out;
  std::string err;
};

// Runs program with args, stdin from /dev/null, and collects its output.
// env: NAME=VALUE entries that replace or add to this process's
// environment. merge_output: stderr goes where stdout goes (o.out, in the
// order written; o.err stays empty).
// signal_after: {signal, seconds}: send the signal that long after the
// start (0: none).
struct SignalAfter {
  int sig = 0;
  double seconds = 0;
};

inline Outcome run_program(const std::string& program, const std::vector<std::string>& args,
                           const std::vector<std::string>& env = {}, bool merge_output = false,
                           SignalAfter signal_after = {}) {
  TempDir io;
  const auto out_path = io / "stdout";
  const auto err_path = io / "stderr";
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env_storage = env;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry = *e;
    const auto overridden = [&](const std::string& set) {
      return entry.starts_with(std::string_view(set).substr(0, set.find('=') + 1));
    };
    if (std::none_of(env.begin(), env.end(), overridden)) env_storage.emplace_back(entry);
  }

  SpawnOptions options;
  options.env = &env_storage;
  options.in = Redirect::dev_null();
  options.out = Redirect::file(out_path);
  options.err = merge_output ? Redirect::dup(1) : Redirect::file(err_path);
  const Spawned child = spawn(program, argv, options);
  Outcome o;
  if (child.error) {
    ADD_FAILURE() << "cannot run " << program << ": " << std::strerror(child.error);
    return o;
  }
  Waited w;
  if (signal_after.sig) {
    w = wait_for(child.pid, std::chrono::duration<double>(signal_after.seconds));
    if (!w.status && !w.error) {
      kill(child.pid, signal_after.sig);
      w = wait_for(child.pid);
    }
  } else {
    w = wait_for(child.pid);
  }
  if (!w.status) {
    ADD_FAILURE() << "waitpid " << program << ": " << std::strerror(w.error);
    return o;
  }
  o.status = w.status->exited() ? w.status->exit_code() : -1;
  o.signal = w.status->killed() ? w.status->signal() : 0;
  o.out = slurp(out_path);
  if (!merge_output) o.err = slurp(err_path);
  return o;
}

#ifdef PTILAB_BINARY
// Runs ptilab with args (see run_program).
inline Outcome run_ptilab(const std::vector<std::string>& args) { return run_program(PTILAB_BINARY, args); }
#endif

}  // namespace ptilab::testing
