// `ptilab trace` on the live kernel (label host): needs root and the
// kernel's BTF; skipped without them. Each test traces a child process
// with -p whose work is known, then checks the counts (wide margins:
// timings are not judged here).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "results/results.h"
#include "test_util.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;

#define SKIP_UNLESS_TRACEABLE()                                                   \
  do {                                                                            \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (BPF)";                     \
    if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0)                           \
      GTEST_SKIP() << "no /sys/kernel/btf/vmlinux (kernel without BTF)";          \
  } while (0)

void pin_to_cpu0() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  sched_setaffinity(0, sizeof set, &set);
}

// A forked child that waits for "go", runs work, reports "done", and exits
// when its go pipe closes.
class Workload {
 public:
  explicit Workload(std::function<void()> work) {
    int go[2], done[2];
    if (pipe(go) != 0 || pipe(done) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      close(go[1]);
      close(done[0]);
      char c;
      if (read(go[0], &c, 1) != 1) _exit(1);
      work();
      if (write(done[1], "x", 1) != 1) _exit(1);
      (void)!read(go[0], &c, 1);  // until the parent closes it
      _exit(0);
    }
    close(go[0]);
    close(done[1]);
    go_ = go[1];
    done_ = done[0];
  }
  ~Workload() {
    close(go_);
    close(done_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }
  // Starts the work and waits for it to finish.
  bool run() {
    char c;
    return write(go_, "g", 1) == 1 && read(done_, &c, 1) == 1;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1, done_ = -1;
};

// ptilab trace running in the background until stop().
class Tracer {
 public:
  explicit Tracer(const std::vector<std::string>& args) {
    std::vector<std::string> storage = {PTILAB_BINARY, "trace"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, PTILAB_BINARY, &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Tracer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Waits until it has attached (it says so on stderr).
  bool attached() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (slurp(dir_ / "err").find("attached") != std::string::npos) return true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Ctrl-C: totals and CSV, then exit.
  testing::Outcome stop() {
    testing::Outcome o;
    kill(pid_, SIGINT);
    int ws = 0;
    waitpid(pid_, &ws, 0);
    pid_ = -1;
    o.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    o.out = slurp(dir_ / "out");
    o.err = slurp(dir_ / "err");
    return o;
  }
  std::filesystem::path csv() const { return dir_ / "trace.csv"; }
  std::string err() const { return slurp(dir_ / "err"); }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
};

// Traces work in a child with -p; returns the "trace" rows' counts by metric.
std::map<std::string, double> trace_child(std::function<void()> work) {
  Workload w(std::move(work));
  TempDir dir;
  const auto csv = dir / "trace.csv";
  Tracer t({"-p", std::to_string(w.pid()), "-i", "0.25", "-q", "--csv", csv.string()});
  if (!t.attached()) {
    ADD_FAILURE() << "ptilab trace did not attach: " << t.err();
    return {};
  }
  EXPECT_TRUE(w.run());
  const auto o = t.stop();
  EXPECT_EQ(o.status, 0) << o.err;
  std::map<std::string, double> counts;
  for (const auto& r : read_results(csv))
    if (r.benchmark == "trace" && r.unit == "count") counts[r.metric] = *parse_number(r.value);
  return counts;
}

TEST(TraceHost, CountsTheSystemCallsOfAKnownLoop) {
  SKIP_UNLESS_TRACEABLE();
  constexpr long kCalls = 200000;
  auto counts = trace_child([] {
    for (long i = 0; i < kCalls; ++i) syscall(SYS_getppid);
  });
  // Plus the write that reports "done" and the read that follows it.
  ASSERT_TRUE(counts.count("syscalls"));
  EXPECT_NEAR(counts["syscalls"], kCalls, kCalls * 0.05);
  EXPECT_GE(counts["kernel_entries_derived"], counts["syscalls"]);
}

// Two processes on one CPU passing a token over pipes: every hand-over
// changes mm (2 per round trip involve the traced process).
TEST(TraceHost, PipePingPongBetweenProcessesSwitchesMm) {
  SKIP_UNLESS_TRACEABLE();
  constexpr int kRounds = 20000;
  auto counts = trace_child([] {
    pin_to_cpu0();
    int ab[2], ba[2];
    if (pipe(ab) != 0 || pipe(ba) != 0) _exit(1);
    const pid_t peer = fork();
    char c = 0;
    if (peer == 0) {
      for (int i = 0; i < kRounds; ++i)
        if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1) _exit(1);
      _exit(0);
    }
    for (int i = 0; i < kRounds; ++i)
      if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) _exit(1);
    waitpid(peer, nullptr, 0);
  });
  ASSERT_TRUE(counts.count("mm_switches"));
  EXPECT_GE(counts["context_switches"], kRounds);
  EXPECT_GE(counts["mm_switches"], kRounds) << "expected about 2 per round trip";
  EXPECT_LE(counts["mm_switches"], counts["context_switches"]);
}

void futex_wait(std::atomic<int>* f, int v) {
  syscall(SYS_futex, reinterpret_cast<int*>(f), FUTEX_WAIT_PRIVATE, v, nullptr, nullptr, 0);
}
void futex_wake(std::atomic<int>* f) {
  syscall(SYS_futex, reinterpret_cast<int*>(f), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// Two threads of one process on one CPU: the context switches stay in one
// mm, so almost none write CR3 (only other processes cutting in do).
TEST(TraceHost, FutexPingPongBetweenThreadsKeepsMm) {
  SKIP_UNLESS_TRACEABLE();
  constexpr int kRounds = 20000;
  auto counts = trace_child([] {
    pin_to_cpu0();
    std::atomic<int> turn{0};  // 0: main's turn, 1: the peer's
    std::thread peer([&] {
      for (int i = 0; i < kRounds; ++i) {
        while (turn.load() != 1) futex_wait(&turn, 0);
        turn.store(0);
        futex_wake(&turn);
      }
    });
    for (int i = 0; i < kRounds; ++i) {
      turn.store(1);
      futex_wake(&turn);
      while (turn.load() != 0) futex_wait(&turn, 1);
    }
    peer.join();
  });
  ASSERT_TRUE(counts.count("mm_switches"));
  EXPECT_GE(counts["context_switches"], kRounds);
  EXPECT_LT(counts["mm_switches"], counts["context_switches"] / 10);
}

// Without privileges loading fails with one line that says what to do.
TEST(TraceHost, UnprivilegedIsOneClearLine) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to nobody";
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  const auto err = dir / "err";
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    dup2(fd, 2);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
    execl(PTILAB_BINARY, PTILAB_BINARY, "trace", "-d", "1", static_cast<char*>(nullptr));
    _exit(98);
  }
  int ws = 0;
  waitpid(pid, &ws, 0);
  ASSERT_TRUE(WIFEXITED(ws));
  ASSERT_NE(WEXITSTATUS(ws), 99) << "cannot become nobody";
  ASSERT_NE(WEXITSTATUS(ws), 98) << "cannot run " << PTILAB_BINARY << " as nobody";
  EXPECT_EQ(WEXITSTATUS(ws), 1);
  const std::string text = slurp(err);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("run as root"), std::string::npos) << text;
}

}  // namespace
}  // namespace ptilab

namespace ptilab {
namespace {

// ptilab bench --trace: the tracer's counts per iteration next to the
// time. A pipe round trip between two processes on one CPU is 4 system
// calls and 2 mm switches; between two threads (futex) no mm switch. The
// counts are system-wide, so the margins leave room for the machine's
// other work.
TEST(TraceHost, BenchTraceCountsPerIteration) {
  SKIP_UNLESS_TRACEABLE();
  TempDir out;
  const auto r = testing::run_ptilab({"bench", "--trace", "--filter", "^BM_(Pipe|Futex)_PingPong/cpus:1$",
                                      "--repetitions", "1", "--min-time", "0.05", "--out", out.path().string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = read_results(out.path() / "results.csv");
  const auto value = [&](const std::string& bench, const std::string& metric) {
    for (const auto& row : rows)
      if (row.benchmark == bench && row.metric == metric) return parse_number(row.value).value_or(-1);
    return -1.0;
  };
  EXPECT_NEAR(value("BM_Pipe_PingPong/cpus:1", "trace:syscalls_per_op"), 4, 0.4);
  EXPECT_NEAR(value("BM_Pipe_PingPong/cpus:1", "trace:mm_switches_per_op"), 2, 0.3);
  EXPECT_NEAR(value("BM_Futex_PingPong/cpus:1", "trace:syscalls_per_op"), 4, 0.4);
  EXPECT_LT(value("BM_Futex_PingPong/cpus:1", "trace:mm_switches_per_op"), 0.2);
  EXPECT_GE(value("BM_Futex_PingPong/cpus:1", "trace:mm_switches_per_op"), 0);
}

}  // namespace
}  // namespace ptilab
