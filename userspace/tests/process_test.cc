#include "util/process.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "test_util.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;

// A forked child that sleeps `ms`, then exits with code.
pid_t child_exiting(int code, int ms = 0) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (ms) ::usleep(static_cast<useconds_t>(ms) * 1000);
    ::_exit(code);
  }
  return pid;
}

TEST(Process, ReportsAnExitCode) {
  const pid_t pid = child_exiting(3);
  ASSERT_GT(pid, 0);
  const Waited w = wait_for(pid);
  ASSERT_TRUE(w.status);
  EXPECT_EQ(w.error, 0);
  EXPECT_TRUE(w.status->exited());
  EXPECT_FALSE(w.status->killed());
  EXPECT_EQ(w.status->exit_code(), 3);
  EXPECT_FALSE(w.status->success());
  EXPECT_EQ(w.status->shell_code(), 3);
  EXPECT_EQ(w.status->failure("child"), "child exited with status 3");
}

TEST(Process, ReportsSuccess) {
  const pid_t pid = child_exiting(0);
  ASSERT_GT(pid, 0);
  const Waited w = wait_for(pid);
  ASSERT_TRUE(w.status);
  EXPECT_TRUE(w.status->success());
  EXPECT_EQ(w.status->failure("child"), "");
}

TEST(Process, ReportsTheSignalThatKilledIt) {
  const pid_t pid = child_exiting(0, 10'000);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const Waited w = wait_for(pid);
  ASSERT_TRUE(w.status);
  EXPECT_FALSE(w.status->exited());
  EXPECT_TRUE(w.status->killed());
  EXPECT_EQ(w.status->signal(), SIGKILL);
  EXPECT_EQ(w.status->shell_code(), 128 + SIGKILL);
  EXPECT_EQ(w.status->failure("child"), "child killed by signal 9");
}

TEST(Process, WaitingForANonChildIsAnError) {
  const pid_t pid = child_exiting(0);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_for(pid).status);
  const Waited again = wait_for(pid);  // reaped already
  EXPECT_FALSE(again.status);
  EXPECT_EQ(again.error, ECHILD);
  EXPECT_EQ(try_wait(pid).error, ECHILD);
}

volatile sig_atomic_t g_alarms = 0;
void on_alarm(int) { g_alarms = g_alarms + 1; }

// SIGALRM every 20 ms with a handler installed without SA_RESTART, so that
// a blocked waitpid fails with EINTR; undone at the end.
class Alarms {
 public:
  Alarms() {
    g_alarms = 0;
    struct sigaction sa = {};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART
    sigaction(SIGALRM, &sa, &old_action_);
    const itimerval every{{0, 20'000}, {0, 20'000}};
    setitimer(ITIMER_REAL, &every, &old_timer_);
  }
  ~Alarms() {
    setitimer(ITIMER_REAL, &old_timer_, nullptr);
    sigaction(SIGALRM, &old_action_, nullptr);
  }
  Alarms(const Alarms&) = delete;
  Alarms& operator=(const Alarms&) = delete;

 private:
  struct sigaction old_action_ = {};
  itimerval old_timer_{};
};

TEST(Process, WaitRetriesWhenASignalInterruptsIt) {
  Alarms alarms;
  {
    // The set-up does interrupt a plain waitpid.
    const pid_t pid = child_exiting(0, 200);
    ASSERT_GT(pid, 0);
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, 0);
    const int err = errno;
    EXPECT_EQ(r, -1);
    EXPECT_EQ(err, EINTR);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  const pid_t pid = child_exiting(7, 200);
  ASSERT_GT(pid, 0);
  const int before = g_alarms;
  const Waited w = wait_for(pid);
  ASSERT_TRUE(w.status) << w.error;
  EXPECT_EQ(w.status->exit_code(), 7);
  EXPECT_GT(g_alarms, before + 2);  // interrupted, and retried, several times
}

TEST(Process, TryWaitDoesNotWait) {
  const pid_t pid = child_exiting(0, 10'000);
  ASSERT_GT(pid, 0);
  const Waited running = try_wait(pid);
  EXPECT_FALSE(running.status);
  EXPECT_EQ(running.error, 0);
  ::kill(pid, SIGTERM);
  const Waited w = wait_for(pid);
  ASSERT_TRUE(w.status);
  EXPECT_EQ(w.status->signal(), SIGTERM);
}

TEST(Process, WaitWithATimeoutGivesUpThenAndNotBefore) {
  const pid_t pid = child_exiting(0, 10'000);
  ASSERT_GT(pid, 0);
  const auto start = std::chrono::steady_clock::now();
  const Waited timed_out = wait_for(pid, std::chrono::milliseconds(50));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(timed_out.status);
  EXPECT_EQ(timed_out.error, 0);
  EXPECT_GE(waited, std::chrono::milliseconds(50));
  EXPECT_LT(waited, std::chrono::seconds(5));
  ::kill(pid, SIGKILL);
  EXPECT_TRUE(wait_for(pid).status);

  // A child that ends within the timeout is reported at once.
  const pid_t quick = child_exiting(5, 20);
  ASSERT_GT(quick, 0);
  const Waited w = wait_for(quick, std::chrono::seconds(30));
  ASSERT_TRUE(w.status);
  EXPECT_EQ(w.status->exit_code(), 5);
}

TEST(Process, SpawnSetsTheEnvironmentAndTheDescriptors) {
  TempDir dir;
  const auto out = dir / "out";
  const std::vector<std::string> env = {"GREETING=hello"};
  SpawnOptions options;
  options.env = &env;
  options.in = Redirect::dev_null();
  options.out = Redirect::file(out);
  options.err = Redirect::dup(1);
  const std::string script = "echo \"$GREETING ${HOME:-nohome}\"; echo err >&2; read x; echo read=$?; exit 4";
  const Spawned child = spawn("/bin/sh", {"sh", "-c", script}, options);
  ASSERT_EQ(child.error, 0);
  ASSERT_GT(child.pid, 0);
  const Waited w = wait_for(child.pid);
  ASSERT_TRUE(w.status);
  EXPECT_EQ(w.status->exit_code(), 4);
  // Only the given environment; stdin at end of file; 2>&1.
  EXPECT_EQ(slurp(out), "hello nohome\nerr\nread=1\n");
}

TEST(Process, SpawnReportsAProgramThatCannotRun) {
  const Spawned child = spawn("/nonexistent/ptilab-test", {"ptilab-test"});
  EXPECT_EQ(child.error, ENOENT);
  EXPECT_EQ(child.pid, -1);
}

TEST(Process, AllowedCpusAreThisThreadsMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  const auto cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  ASSERT_EQ(static_cast<int>(cpus.size()), CPU_COUNT(&set));
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    EXPECT_GE(cpus[i], 0);
    EXPECT_LT(cpus[i], CPU_SETSIZE);
    EXPECT_TRUE(CPU_ISSET(cpus[i], &set)) << cpus[i];
    if (i) {
      EXPECT_LT(cpus[i - 1], cpus[i]);
    }
  }
}

TEST(Process, CpuPinPinsAndGivesTheMaskBack) {
  const auto before = allowed_cpus();
  ASSERT_FALSE(before.empty());
  {
    CpuPin pin;
    ASSERT_TRUE(pin.save());
    EXPECT_EQ(pin.saved_cpus(), before);
    ASSERT_TRUE(pin.pin(before.back()));
    EXPECT_EQ(allowed_cpus(), std::vector<int>{before.back()});
    EXPECT_EQ(sched_getcpu(), before.back());
  }
  EXPECT_EQ(allowed_cpus(), before);
}

TEST(Process, CpuPinNeedsASavedMask) {
  const auto before = allowed_cpus();
  ASSERT_FALSE(before.empty());
  {
    CpuPin pin;
    errno = 0;
    EXPECT_FALSE(pin.pin(before.front()));
    EXPECT_EQ(errno, EINVAL);
  }
  EXPECT_EQ(allowed_cpus(), before);
}

TEST(Process, CpuPinToACpuNotAllowedFails) {
  const auto before = allowed_cpus();
  ASSERT_FALSE(before.empty());
  if (before.back() == CPU_SETSIZE - 1) GTEST_SKIP() << "CPU " << CPU_SETSIZE - 1 << " is allowed";
  {
    CpuPin pin;
    ASSERT_TRUE(pin.save());
    errno = 0;
    EXPECT_FALSE(pin.pin(CPU_SETSIZE - 1));
    EXPECT_EQ(errno, EINVAL);
  }
  EXPECT_EQ(allowed_cpus(), before);
}

}  // namespace
}  // namespace ptilab
