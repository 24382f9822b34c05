// Atomic file replacement: readers see either the previous file or the
// complete new one, never a half-written file, and a failed write leaves the
// previous file untouched and no temporary file behind.
//
// The temporary file lives in the target's directory (rename(2) is atomic
// only within one file system) and is named ".<name>.tmp-<random>".
#pragma once

#include <filesystem>
#include <string_view>

namespace ptilab {

class AtomicFile {
 public:
  // Creates the temporary file (O_EXCL). Throws Error on failure.
  explicit AtomicFile(std::filesystem::path target);
  // Same, with a temporary name chosen earlier by temp_name_for(): for
  // writers that must know the name before the file may exist.
  AtomicFile(std::filesystem::path target, std::filesystem::path temp);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();

  // A fresh random temporary name next to target (the file is not created).
  static std::filesystem::path temp_name_for(const std::filesystem::path& target);

  const std::filesystem::path& target() const { return target_; }
  const std::filesystem::path& temp_path() const { return temp_; }

  // Appends to the temporary file. Throws Error.
  void write(std::string_view data);
  // Flushes the temporary file's data to stable storage (also data written
  // through other descriptors of the same file). Idempotent. Throws Error.
  void sync();
  // sync(), then renames the temporary file over the target. Throws Error.
  void commit();

 private:
  void create_temp();
  [[noreturn]] void fail(const std::string& what, int err);

  std::filesystem::path target_;
  std::filesystem::path temp_;
  int slot_ = -1;  // in the signal-time cleanup's table
  int fd_ = -1;
  bool synced_ = false;
  bool committed_ = false;
};

// Writes content to target atomically. Throws Error.
void write_file_atomic(const std::filesystem::path& target, std::string_view content);

// From now on SIGINT, SIGTERM and SIGHUP first remove every temporary file
// an AtomicFile (or a writer given its temp_name_for() name, through
// TempFileGuard) holds, then end the process as the signal would have: an
// interrupted `ptilab bench` leaves no ".name.tmp-*" behind. A signal the
// process inherited as ignored (nohup, a shell's background job) stays
// ignored. Call once, early.
void remove_temp_files_on_signals();

// Registers a temporary file someone else creates (Google Benchmark's
// JSON, written to the name ptilab gave it) for the signal-time cleanup
// above, for as long as the guard lives.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::filesystem::path& temp);
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard();

 private:
  int slot_ = -1;
};

}  // namespace ptilab
