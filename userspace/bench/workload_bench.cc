// The workloads people asked about when isolation shipped, run where they
// are installed (the Debian guest image, scripts/rootfs; a test host) and
// skipped elsewhere with the reason: a parallel build of a real C code base
// (the Xen XPTI series' `make -j4`, seed 003), PostgreSQL's pgbench -S and
// Redis' redis-benchmark GET and SET (2018's largest server regressions).
// The servers are started by whoever runs the suite (scripts/guest/macro in
// the guest) and found through the environment (read once, into the
// context's env: bench/context.h); one that did not start is named there,
// and its benchmarks skip with that reason.
//
// Each iteration is one run of the workload's client (make, pgbench,
// redis-benchmark); its time is the client's wall time (manual time), so
// ns_per_op compares across isolation settings like every other benchmark.
// Counters (bench_properties.h): user_ns_per_op and sys_ns_per_op, the CPU
// time of the client and what it started (getrusage of the children);
// for a server also server_user_ns_per_op and server_sys_ns_per_op (its
// /proc/PID/stat, with its reaped children), and ops_per_s.
//
// BM_Macro_BuildLua: `make -j4 linux` of Lua 5.4 from Debian's source
//   package at -O0 (34 C files and two links; `make clean` before each,
//   untimed). Source: $PTILAB_BUILD_SOURCE, else the one directory under
//   /usr/src/ptilab-build (where scripts/rootfs unpacks it); copied once
//   to a scratch directory so the tree is never written.
// BM_Macro_PgbenchSelect/clients:C/tcp:T: `pgbench -n -S -c C -j C -t N/C`
//   (select-only, N = $PTILAB_PGBENCH_TRANSACTIONS, default 2000, in
//   all), over the Unix socket (tcp:0) or loopback TCP (tcp:1); C = 1 and
//   one client per online CPU. Server: $PTILAB_PG_SOCKET (directory),
//   $PTILAB_PG_PORT, $PTILAB_PG_USER, $PTILAB_PG_DB, $PTILAB_PG_PID; or
//   $PTILAB_PG_SKIP says why there is none.
// BM_Macro_Redis{Get,Set}/pipeline:P: `redis-benchmark -t get|set -n N
//   -P P -c 8` over loopback (N = $PTILAB_REDIS_REQUESTS, default 20000,
//   times P: a pipelined request costs less). Server: $PTILAB_REDIS_PORT,
//   $PTILAB_REDIS_PID; or $PTILAB_REDIS_SKIP.
#include <benchmark/benchmark.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "bench_util.h"
#include "macro_util.h"
#include "results/bench_properties.h"

namespace {

namespace fs = std::filesystem;
using ptilab::bench::child_env;
using ptilab::bench::children_cpu;
using ptilab::bench::Context;
using ptilab::bench::CpuTimes;
using ptilab::bench::find_in_path;
using ptilab::bench::log_tail;
using ptilab::bench::process_cpu;
using ptilab::bench::reap;
using ptilab::bench::ScratchDir;
using ptilab::bench::spawn_tool;
using Clock = std::chrono::steady_clock;

// The workload counters over one benchmark's iterations.
class WorkloadTimes {
 public:
  explicit WorkloadTimes(std::optional<pid_t> server) : server_(server) {}
  // Around one timed client run.
  void begin() {
    client_ = children_cpu();
    if (server_) server_start_ = process_cpu(*server_);
    start_ = Clock::now();
  }
  // The run's wall time in seconds.
  double end() {
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const CpuTimes c = children_cpu();
    user_ns_ += c.user_ns - client_.user_ns;
    sys_ns_ += c.sys_ns - client_.sys_ns;
    if (server_start_)
      if (const auto s = process_cpu(*server_)) {
        server_user_ns_ += s->user_ns - server_start_->user_ns;
        server_sys_ns_ += s->sys_ns - server_start_->sys_ns;
        server_runs_++;
      }
    seconds_ += seconds;
    return seconds;
  }
  // ops: what one iteration did (transactions, requests), 0 for none.
  void report(benchmark::State& state, double ops) const {
    using benchmark::Counter;
    state.counters[std::string(ptilab::kUserNs)] = Counter(user_ns_, Counter::kAvgIterations);
    state.counters[std::string(ptilab::kSysNs)] = Counter(sys_ns_, Counter::kAvgIterations);
    if (server_runs_ > 0) {
      state.counters[std::string(ptilab::kServerUserNs)] = Counter(server_user_ns_ / server_runs_);
      state.counters[std::string(ptilab::kServerSysNs)] = Counter(server_sys_ns_ / server_runs_);
    }
    if (ops > 0 && seconds_ > 0)
      state.counters[std::string(ptilab::kOpsPerS)] = Counter(ops * static_cast<double>(state.iterations()) / seconds_);
  }

 private:
  std::optional<pid_t> server_;
  CpuTimes client_;
  std::optional<CpuTimes> server_start_;
  Clock::time_point start_;
  double user_ns_ = 0, sys_ns_ = 0, server_user_ns_ = 0, server_sys_ns_ = 0, seconds_ = 0;
  int server_runs_ = 0;
};

// The server's pid (from the context's env), if it names a live one.
std::optional<pid_t> server_pid(const std::optional<pid_t>& pid) {
  if (!pid || !process_cpu(*pid)) return std::nullopt;
  return pid;
}

// Runs one client to completion, timed; its output in log. Empty on
// success, else what went wrong with the tail of its output.
std::string run_client(const Context& context, const std::string& tool, const std::vector<std::string>& argv,
                       const fs::path& log, WorkloadTimes& times, double& seconds) {
  const std::vector<std::string> env = child_env(context);
  pid_t pid = -1;
  times.begin();
  std::string err = spawn_tool(tool, argv, env, pid, &log);
  if (err.empty()) err = reap(pid, argv[0]);
  seconds = times.end();
  if (!err.empty()) return err + ": " + log_tail(log);
  return {};
}

// ---------------------------------------------------------------------------
// BM_Macro_BuildLua

std::optional<fs::path> build_source(const Context& context) {
  if (!context.env.build_source.empty()) return context.env.build_source;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/src/ptilab-build", ec))
    if (e.is_directory() && fs::exists(e.path() / "src" / "Makefile")) return e.path();
  return std::nullopt;
}

// -O0 (Lua's Makefile says -O2; CFLAGS on the command line replaces it in
// the sub-make too): a quarter of the compile time (3 s against 12 s on
// this project's build machine, 215 s at -O2 under TCG), so that one
// iteration stays near a minute under TCG, and a sys share near the Xen
// build's (about 20% of user+sys, against 9% at -O2).
std::vector<std::string> build_argv(const std::string& src) {
  return {"make", "-s", "-j4", "-C", src, "linux", "CFLAGS=-O0 -DLUA_COMPAT_5_3 -DLUA_USE_LINUX"};
}

void BM_Macro_BuildLua(benchmark::State& state, const Context& context) {
  const auto make = find_in_path(context, "make");
  if (!make) return ptilab::bench::skip(state, "no 'make' in PATH (apt-get install make)");
  if (!find_in_path(context, "cc"))
    return ptilab::bench::skip(state, "no 'cc' in PATH: no C compiler (apt-get install gcc)");
  const auto source = build_source(context);
  if (!source || !fs::exists(*source / "src" / "Makefile"))
    return ptilab::bench::skip(state, "no Lua source tree (/usr/src/ptilab-build/*/src/Makefile or "
                                      "$PTILAB_BUILD_SOURCE; scripts/rootfs puts one in the Debian guest image)");
  ScratchDir dir;
  if (const std::string err = dir.create(); !err.empty()) return state.SkipWithError(err.c_str());
  const fs::path tree = dir.path() / "lua";
  std::error_code ec;
  fs::copy(*source, tree, fs::copy_options::recursive, ec);
  if (ec) return state.SkipWithError(("copying " + source->string() + ": " + ec.message()).c_str());
  const fs::path log = dir.path() / "make.log";
  const std::string src = (tree / "src").string();
  WorkloadTimes times(std::nullopt);
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    // Outside the timing: a rebuild from nothing every iteration.
    pid_t pid = -1;
    std::string err = spawn_tool(*make, {"make", "-s", "-C", src, "clean"}, child_env(context), pid, &log);
    if (err.empty()) err = reap(pid, "make clean");
    double seconds = 0;
    if (err.empty()) err = run_client(context, *make, build_argv(src), log, times, seconds);
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      break;
    }
    state.SetIterationTime(seconds);
  }
  counters.stop();
  if (state.error_occurred()) return;
  if (access((tree / "src" / "lua").c_str(), X_OK) != 0 || access((tree / "src" / "luac").c_str(), X_OK) != 0)
    return state.SkipWithError("make -j4 linux succeeded but built no lua and luac");
  times.report(state, 0);
}

// ---------------------------------------------------------------------------
// BM_Macro_PgbenchSelect

void BM_Macro_PgbenchSelect(benchmark::State& state, const Context& context) {
  const long clients = state.range(0);
  const bool tcp = state.range(1) != 0;
  const auto& pg = context.env.postgres;
  if (!pg.skip.empty()) return ptilab::bench::skip(state, pg.skip);
  const auto pgbench = find_in_path(context, "pgbench");
  if (!pgbench) return ptilab::bench::skip(state, "no 'pgbench' in PATH (apt-get install postgresql-contrib)");
  if (pg.port.empty())
    return ptilab::bench::skip(state, "no PostgreSQL server given (PTILAB_PG_PORT; scripts/guest/macro starts one)");
  const auto total = pg.transactions;
  if (!total) return state.SkipWithError("PTILAB_PGBENCH_TRANSACTIONS is not a positive whole number");
  const long per_client = std::max(1L, *total / clients);
  ScratchDir dir;
  if (const std::string err = dir.create(); !err.empty()) return state.SkipWithError(err.c_str());
  const fs::path log = dir.path() / "pgbench.log";
  const std::vector<std::string> argv = {
      "pgbench", "-n", "-S", "-c", std::to_string(clients), "-j", std::to_string(clients), "-t",
      std::to_string(per_client), "-h", tcp ? std::string("127.0.0.1") : pg.socket, "-p", pg.port, "-U", pg.user,
      pg.db};
  WorkloadTimes times(server_pid(pg.pid));
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    double seconds = 0;
    if (const std::string err = run_client(context, *pgbench, argv, log, times, seconds); !err.empty()) {
      // The server went away or refused: the other workloads go on.
      ptilab::bench::skip(state, "pgbench: " + err);
      break;
    }
    state.SetIterationTime(seconds);
  }
  counters.stop();
  if (state.error_occurred()) return;
  times.report(state, static_cast<double>(per_client * clients));
}

// Clients 1 and one per online CPU, each over the socket and TCP.
void pgbench_args(benchmark::internal::Benchmark* b) {
  const long cpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<long> clients = {1};
  if (cpus > 1) clients.push_back(cpus);
  for (const long c : clients)
    for (const long tcp : {0L, 1L}) b->Args({c, tcp});
}

// ---------------------------------------------------------------------------
// BM_Macro_RedisGet, BM_Macro_RedisSet

void redis_benchmark(benchmark::State& state, const Context& context, const char* test) {
  const long pipeline = state.range(0);
  const auto& redis = context.env.redis;
  if (!redis.skip.empty()) return ptilab::bench::skip(state, redis.skip);
  const auto tool = find_in_path(context, "redis-benchmark");
  if (!tool) return ptilab::bench::skip(state, "no 'redis-benchmark' in PATH (apt-get install redis-tools)");
  if (redis.port.empty())
    return ptilab::bench::skip(state, "no Redis server given (PTILAB_REDIS_PORT; scripts/guest/macro starts one)");
  const auto base = redis.requests;
  if (!base) return state.SkipWithError("PTILAB_REDIS_REQUESTS is not a positive whole number");
  const long requests = *base * pipeline;
  ScratchDir dir;
  if (const std::string err = dir.create(); !err.empty()) return state.SkipWithError(err.c_str());
  const fs::path log = dir.path() / "redis-benchmark.log";
  const std::vector<std::string> argv = {"redis-benchmark", "-h", "127.0.0.1", "-p", redis.port, "-t", test, "-n",
                                         std::to_string(requests), "-P", std::to_string(pipeline), "-c", "8", "-q"};
  WorkloadTimes times(server_pid(redis.pid));
  ptilab::bench::CounterScope counters(state, context, ptilab::bench::WorkIn::kOtherProcesses);
  for (auto _ : state) {
    double seconds = 0;
    std::string err = run_client(context, *tool, argv, log, times, seconds);
    // redis-benchmark exits 0 after "Could not connect": its summary line
    // is the proof that requests were answered.
    if (err.empty()) {
      std::ifstream f(log);
      const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (text.find("requests per second") == std::string::npos) err = "no result: " + log_tail(log);
    }
    if (!err.empty()) {
      ptilab::bench::skip(state, "redis-benchmark: " + err);
      break;
    }
    state.SetIterationTime(seconds);
  }
  counters.stop();
  if (state.error_occurred()) return;
  times.report(state, static_cast<double>(requests));
}

void BM_Macro_RedisGet(benchmark::State& state, const Context& context) { redis_benchmark(state, context, "get"); }
void BM_Macro_RedisSet(benchmark::State& state, const Context& context) { redis_benchmark(state, context, "set"); }

}  // namespace

namespace ptilab::bench {

void register_workload_benchmarks(const Context& context) {
  add_benchmark("BM_Macro_BuildLua", BM_Macro_BuildLua, context)->Unit(benchmark::kMillisecond)->UseManualTime();
  add_benchmark("BM_Macro_PgbenchSelect", BM_Macro_PgbenchSelect, context)
      ->ArgNames({"clients", "tcp"})
      ->Apply(pgbench_args)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime();
  add_benchmark("BM_Macro_RedisGet", BM_Macro_RedisGet, context)
      ->ArgName("pipeline")
      ->Arg(1)
      ->Arg(16)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime();
  add_benchmark("BM_Macro_RedisSet", BM_Macro_RedisSet, context)
      ->ArgName("pipeline")
      ->Arg(1)
      ->Arg(16)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime();
}

}  // namespace ptilab::bench
