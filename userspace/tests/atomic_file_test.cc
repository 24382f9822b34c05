#include "util/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;
using testing::write_file;

TEST(AtomicFile, WritesNewFileAndLeavesNoTemp) {
  TempDir dir;
  write_file_atomic(dir / "out.csv", "hello\n");
  EXPECT_EQ(slurp(dir / "out.csv"), "hello\n");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"out.csv"});
}

TEST(AtomicFile, ReplacesExistingFile) {
  TempDir dir;
  write_file(dir / "out.csv", "old contents that are longer\n");
  write_file_atomic(dir / "out.csv", "new\n");
  EXPECT_EQ(slurp(dir / "out.csv"), "new\n");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"out.csv"});
}

TEST(AtomicFile, NewFileGetsUsualPermissions) {
  TempDir dir;
  const mode_t old = umask(022);
  write_file_atomic(dir / "out.csv", "x");
  umask(old);
  struct stat st {};
  ASSERT_EQ(stat((dir / "out.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(AtomicFile, MissingDirectoryFailsWithClearMessage) {
  TempDir dir;
  const auto target = dir / "no-such-dir" / "out.csv";
  try {
    write_file_atomic(target, "x");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot write " + target.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  }
  EXPECT_EQ(dir.entries(), std::set<std::string>{});
}

TEST(AtomicFile, UnwritableDirectoryLeavesExistingFileUntouched) {
  TempDir dir;
  write_file(dir / "out.csv", "old\n");
  ASSERT_EQ(chmod(dir.path().c_str(), 0555), 0);
  if (access(dir.path().c_str(), W_OK) == 0) {
    chmod(dir.path().c_str(), 0755);
    GTEST_SKIP() << "running with CAP_DAC_OVERRIDE (root): directory permissions do not apply; "
                    "FailedWriteLeavesExistingFileAndNoTemp covers this case";
  }
  EXPECT_THROW(write_file_atomic(dir / "out.csv", "new\n"), Error);
  chmod(dir.path().c_str(), 0755);
  EXPECT_EQ(slurp(dir / "out.csv"), "old\n");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"out.csv"});
}

// A write that fails half-way (here: EFBIG from RLIMIT_FSIZE, which
// applies to root too) must not touch the old file or leave a temp file.
TEST(AtomicFile, FailedWriteLeavesExistingFileAndNoTemp) {
  TempDir dir;
  write_file(dir / "out.csv", "old\n");
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  bool threw = false;
  try {
    write_file_atomic(dir / "out.csv", std::string(64 * 1024, 'x'));
  } catch (const Error&) {
    threw = true;
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);
  EXPECT_TRUE(threw);
  EXPECT_EQ(slurp(dir / "out.csv"), "old\n");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"out.csv"});
}

TEST(AtomicFile, UncommittedFileIsDiscarded) {
  TempDir dir;
  write_file(dir / "out.csv", "old\n");
  {
    AtomicFile f(dir / "out.csv");
    f.write("new\n");
    f.sync();
    EXPECT_TRUE(std::filesystem::exists(f.temp_path()));
    EXPECT_EQ(f.temp_path().parent_path(), dir.path());
  }
  EXPECT_EQ(slurp(dir / "out.csv"), "old\n");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"out.csv"});
}

TEST(AtomicFile, ChosenTempNameIsUsedAndMustBeFree) {
  TempDir dir;
  const auto temp = AtomicFile::temp_name_for(dir / "b.json");
  EXPECT_EQ(temp.parent_path(), dir.path());
  EXPECT_TRUE(temp.filename().string().starts_with(".b.json.tmp-"));
  EXPECT_NE(temp, AtomicFile::temp_name_for(dir / "b.json"));
  {
    AtomicFile f(dir / "b.json", temp);
    EXPECT_EQ(f.temp_path(), temp);
    // Someone else writes through the name (as Google Benchmark does).
    write_file(temp, "{}\n");
    EXPECT_THROW(AtomicFile(dir / "b.json", temp), Error);
    f.commit();
  }
  EXPECT_EQ(slurp(dir / "b.json"), "{}\n");
  EXPECT_EQ(dir.entries(), std::set<std::string>{"b.json"});
}

}  // namespace
}  // namespace ptilab
