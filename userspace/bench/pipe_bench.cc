// Pipe and futex microbenchmarks: kernel entries without and with context
// switches, and context switches with and without an mm switch. One
// iteration of each:
//
// BM_Pipe_ByteRoundTrip: write 1 byte to a pipe and read it back, in one
//   thread: 2 syscalls (write, read), no context switch, no mm switch.
// BM_Pipe_PingPong/cpus:1: UnixBench "context1": the parent writes a counter
//   to pipe A, a forked child reads it and writes it back on pipe B, the
//   parent reads and checks it. Both processes pinned to one CPU (that of
//   `ptilab bench --cpu`, else the first allowed one): 4 syscalls (2 write,
//   2 read) and 2 context switches (parent -> child -> parent), each an mm
//   switch (CR3 write).
// BM_Pipe_PingPong/cpus:2: the same with the two processes pinned to two
//   different CPUs: 4 syscalls; each process sleeps and is woken on its own
//   CPU, so (normally) each CPU switches to its idle task and back once: 4
//   context switches and no mm switch (idle keeps the last mm loaded), plus
//   2 cross-CPU wake-ups.
// BM_Futex_PingPong/cpus:1: the same protocol between two threads of one
//   process, on a shared word with futex wake and wait (each side always
//   makes both calls): 4 syscalls (2 FUTEX_WAKE, 2 FUTEX_WAIT) and 2 context
//   switches (thread -> thread -> thread), no mm switch.
// BM_Futex_PingPong/cpus:2: the threads on two CPUs: 4 syscalls, (normally)
//   4 context switches to and from idle, no mm switch, 2 cross-CPU wake-ups.
//
// Perf counters (--counters, bench_util.h's CounterScope) cover the timed
// loop of both sides: the forked child and the partner thread inherit the
// counters and are read while they run. Their start-up before the loop and
// their exit after it are not counted. context-switches counts switches
// away from these tasks only: 2 per round trip on one CPU and on two (the
// switches back from idle belong to the idle task).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace {

using ptilab::bench::Context;
using ptilab::bench::errno_message;

// A pipe whose ends are closed however the benchmark leaves.
struct Pipe {
  int fd[2] = {-1, -1};
  bool open() { return pipe2(fd, O_CLOEXEC) == 0; }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
};

// The whole of a small read or write, retried on EINTR. False on error or
// end of file (errno 0 then).
bool read_all(int fd, void* buf, std::size_t n) {
  for (;;) {
    const ssize_t r = read(fd, buf, n);
    if (r == static_cast<ssize_t>(n)) return true;
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0) errno = 0;  // end of file, or a short read we never expect
    return false;
  }
}

bool write_all(int fd, const void* buf, std::size_t n) {
  for (;;) {
    const ssize_t r = write(fd, buf, n);
    if (r == static_cast<ssize_t>(n)) return true;
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0) errno = 0;
    return false;
  }
}

cpu_set_t only_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return set;
}

// Pins the calling thread to one CPU, and gives it its old mask back on
// destruction.
class PinSelf {
 public:
  // Empty on success, else what went wrong. cpus: the CPUs to use (those
  // this thread may run on now), the first for this thread.
  std::string pin(int ncpus, std::vector<int>& cpus, const Context& context) {
    if (!pin_.save()) return errno_message("sched_getaffinity");
    cpus = pin_.saved_cpus();
    // The benchmark thread on the CPU the single-process benchmarks use
    // (ptilab bench --cpu), the partner (cpus:2) on another.
    if (const auto first = context.cpu) {
      const auto it = std::find(cpus.begin(), cpus.end(), *first);
      if (it != cpus.end()) std::rotate(cpus.begin(), it, it + 1);
    }
    if (static_cast<int>(cpus.size()) < ncpus)
      return std::string(ptilab::kSkipPrefix) + "needs " + std::to_string(ncpus) + " CPUs, only " +
             std::to_string(cpus.size()) + " allowed";
    if (!pin_.pin(cpus[0])) return errno_message("sched_setaffinity");
    return {};
  }

 private:
  ptilab::CpuPin pin_;
};

// SIGPIPE ignored while it lives: a write to a pipe whose reader died
// fails with EPIPE rather than killing ptilab.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    active_ = sigaction(SIGPIPE, &ignore, &saved_) == 0;
  }
  ~IgnoreSigpipe() {
    if (active_) sigaction(SIGPIPE, &saved_, nullptr);
  }

 private:
  struct sigaction saved_ = {};
  bool active_ = false;
};

void BM_Pipe_ByteRoundTrip(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  Pipe p;
  if (!p.open()) {
    state.SkipWithError(errno_message("pipe2").c_str());
    return;
  }
  char byte = 'x';
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    if (!write_all(p.fd[1], &byte, 1) || !read_all(p.fd[0], &byte, 1)) {
      state.SkipWithError(errno_message("pipe write/read").c_str());
      break;
    }
  }
  counters.stop();
  state.counters["syscalls"] = benchmark::Counter(2, benchmark::Counter::kIsIterationInvariantRate);
}

// The child of BM_Pipe_PingPong: echoes every counter from `in` to `out`
// until end of file. Async-signal-safe calls only (the parent may have
// threads).
[[noreturn]] void echo_child(int in, int out) {
  std::uint64_t value = 0;
  for (;;) {
    ssize_t r;
    do r = read(in, &value, sizeof value);
    while (r < 0 && errno == EINTR);
    if (r == 0) _exit(0);  // the parent closed pipe A: the benchmark ended
    if (r != static_cast<ssize_t>(sizeof value)) _exit(1);
    do r = write(out, &value, sizeof value);
    while (r < 0 && errno == EINTR);
    if (r != static_cast<ssize_t>(sizeof value)) _exit(1);
  }
}

// The forked child: on destruction its end of the protocol is closed (it
// exits on end of file) and it is reaped; if anything went wrong it is
// killed first, so that reaping can never wait on it.
class EchoChild {
 public:
  EchoChild(Pipe& to_child, Pipe& from_child) : to_(to_child), from_(from_child) {}
  std::string start() {
    pid_ = fork();
    if (pid_ < 0) return errno_message("fork");
    if (pid_ == 0) {
      ::close(to_.fd[1]);
      ::close(from_.fd[0]);
      echo_child(to_.fd[0], from_.fd[1]);
    }
    // The parent keeps only its own ends, so the child's exit is end of file.
    to_.close_end(0);
    from_.close_end(1);
    return {};
  }
  pid_t pid() const { return pid_; }
  void kill_on_exit() { kill_ = true; }
  // Ends and reaps the child; empty if it exited cleanly.
  std::string finish() {
    if (pid_ <= 0) return {};
    if (kill_) kill(pid_, SIGKILL);
    to_.close_end(1);
    from_.close_end(0);
    const ptilab::Waited w = ptilab::wait_for(pid_);
    pid_ = -1;
    if (!w.status) return errno_message("waitpid", w.error);
    if (kill_ || w.status->success()) return {};
    return "echo child failed (wait status " + std::to_string(w.status->wait_status()) + ")";
  }
  ~EchoChild() { finish(); }

 private:
  Pipe& to_;
  Pipe& from_;
  pid_t pid_ = -1;
  bool kill_ = false;
};

void BM_Pipe_PingPong(benchmark::State& state, const Context& context) {
  const int ncpus = static_cast<int>(state.range(0));
  IgnoreSigpipe ignore_sigpipe;
  PinSelf pin;
  std::vector<int> cpus;
  if (const std::string err = pin.pin(ncpus, cpus, context); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  Pipe to_child, from_child;
  if (!to_child.open() || !from_child.open()) {
    state.SkipWithError(errno_message("pipe2").c_str());
    return;
  }
  // Declared after the pipes: destroyed (ended and reaped) before them.
  EchoChild child(to_child, from_child);
  // The child inherits this thread's single-CPU mask.
  if (const std::string err = child.start(); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  if (ncpus == 2) {
    const cpu_set_t other = only_cpu(cpus[1]);
    if (sched_setaffinity(child.pid(), sizeof other, &other) != 0) {
      child.kill_on_exit();
      state.SkipWithError(errno_message("sched_setaffinity(child)").c_str());
      return;
    }
  }
  std::uint64_t counter = 0;
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    ++counter;
    std::uint64_t echoed = 0;
    if (!write_all(to_child.fd[1], &counter, sizeof counter) || !read_all(from_child.fd[0], &echoed, sizeof echoed)) {
      child.kill_on_exit();
      state.SkipWithError(errno ? errno_message("ping-pong").c_str() : "ping-pong: the child went away");
      break;
    }
    if (echoed != counter) {
      child.kill_on_exit();
      state.SkipWithError("ping-pong: the child echoed a wrong counter");
      break;
    }
  }
  counters.stop();
  if (state.error_occurred()) return;  // child killed and reaped on return
  if (const std::string err = child.finish(); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  state.counters["syscalls"] = benchmark::Counter(4, benchmark::Counter::kIsIterationInvariantRate);
}

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "futex word must be a plain 32-bit word");

std::uint32_t* futex_word(std::atomic<std::uint32_t>& a) { return reinterpret_cast<std::uint32_t*>(&a); }

// Sleeps while *word == expected, or returns at once (EAGAIN) if it no
// longer is: one syscall either way, barring signals and spurious wake-ups.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// The futex ping-pong's shared state. seq counts half round trips: odd
// values are the partner's turn, even values the benchmark thread's;
// kStop tells the partner to return.
struct FutexPingPong {
  static constexpr std::uint32_t kStop = 0xffffffffu;
  std::atomic<std::uint32_t> seq{0};
  std::atomic<bool> failed{false};

  // The partner thread: answers every odd value with the next even one.
  void partner() {
    std::uint32_t last = 0;  // the last value this side wrote
    for (;;) {
      // Always one wait, so that each side makes exactly two syscalls per
      // round trip, whoever happens to be first.
      std::uint32_t v;
      do {
        futex_wait(seq, last);
        v = seq.load(std::memory_order_acquire);
      } while (v == last);
      if (v == kStop) return;
      if (v != last + 1) {
        failed.store(true);
        seq.store(kStop, std::memory_order_release);
        futex_wake(seq);
        return;
      }
      last = v + 1;
      seq.store(last, std::memory_order_release);
      futex_wake(seq);
    }
  }
};

void BM_Futex_PingPong(benchmark::State& state, const Context& context) {
  const int ncpus = static_cast<int>(state.range(0));
  PinSelf pin;
  std::vector<int> cpus;
  if (const std::string err = pin.pin(ncpus, cpus, context); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  FutexPingPong pp;
  std::thread partner;
  try {
    // The new thread inherits this thread's single-CPU mask.
    partner = std::thread([&pp] { pp.partner(); });
  } catch (const std::system_error& e) {
    state.SkipWithError((std::string("std::thread: ") + e.what()).c_str());
    return;
  }
  // Stops and joins the partner however this function returns.
  struct Joiner {
    FutexPingPong& pp;
    std::thread& t;
    ~Joiner() {
      pp.seq.store(FutexPingPong::kStop, std::memory_order_release);
      futex_wake(pp.seq);
      t.join();
    }
  } joiner{pp, partner};

  if (ncpus == 2) {
    const cpu_set_t other = only_cpu(cpus[1]);
    if (const int rc = pthread_setaffinity_np(partner.native_handle(), sizeof other, &other); rc != 0) {
      state.SkipWithError(("pthread_setaffinity_np: " + std::string(std::strerror(rc))).c_str());
      return;
    }
  }
  std::uint32_t mine = 0;  // the last value this side saw or wrote
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    // 2^31 round trips take far longer than any run: seq never reaches kStop.
    pp.seq.store(mine + 1, std::memory_order_release);
    futex_wake(pp.seq);
    std::uint32_t v;
    do {
      futex_wait(pp.seq, mine + 1);
      v = pp.seq.load(std::memory_order_acquire);
    } while (v == mine + 1);
    if (v != mine + 2) {
      state.SkipWithError(pp.failed.load() ? "futex ping-pong: the partner saw a wrong value"
                                           : "futex ping-pong: wrong value");
      break;
    }
    mine = v;
  }
  counters.stop();
  if (state.error_occurred()) return;
  state.counters["syscalls"] = benchmark::Counter(4, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

namespace ptilab::bench {

void register_pipe_benchmarks(const Context& context) {
  add_benchmark("BM_Pipe_ByteRoundTrip", BM_Pipe_ByteRoundTrip, context)->UseRealTime();
  add_benchmark("BM_Pipe_PingPong", BM_Pipe_PingPong, context)->ArgName("cpus")->Arg(1)->Arg(2)->UseRealTime();
  add_benchmark("BM_Futex_PingPong", BM_Futex_PingPong, context)->ArgName("cpus")->Arg(1)->Arg(2)->UseRealTime();
}

}  // namespace ptilab::bench
