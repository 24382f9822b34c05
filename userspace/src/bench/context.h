// What `ptilab bench` hands the benchmarks (userspace/bench/*.cc): one
// Context, built once by run_bench (cmd/bench.cc) before anything is
// measured and given to register_benchmarks(), which registers every
// benchmark with a lambda that captures it (Google Benchmark's
// RegisterBenchmark). Nothing reaches a benchmark through a global, and
// no benchmark reads the environment itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptilab {
class BenchTracer;
class PerfCounterSet;
}  // namespace ptilab

namespace ptilab::bench {

// What the benchmarks take from the environment. The variables stay the
// interface of whoever starts the servers and runs the suite
// (scripts/guest/macro, tests/vm/vm-test-macro, the tests), but are read
// once, by read_environment(), and nowhere else.
struct Environment {
  // PATH (else /usr/bin:/bin): where the macro benchmarks find their
  // tools, and their children's PATH.
  std::string path;
  // PTILAB_BUILD_SOURCE: BM_Macro_BuildLua's Lua source tree; empty: the
  // one directory under /usr/src/ptilab-build.
  std::filesystem::path build_source;
  // BM_Macro_PgbenchSelect's server.
  struct Postgres {
    std::string skip;          // PTILAB_PG_SKIP: why there is none (the benchmarks skip with it)
    std::string port;          // PTILAB_PG_PORT; empty: no server given
    std::string socket;        // PTILAB_PG_SOCKET, its socket's directory, else /run/postgresql
    std::string user;          // PTILAB_PG_USER, else postgres
    std::string db;            // PTILAB_PG_DB, else postgres
    std::optional<pid_t> pid;  // PTILAB_PG_PID: the postmaster, whose CPU time is counted
    // PTILAB_PGBENCH_TRANSACTIONS, in all, else 2000; nullopt: not a
    // positive whole number (the benchmarks fail).
    std::optional<long> transactions;
  } postgres;
  // BM_Macro_Redis{Get,Set}'s server.
  struct Redis {
    std::string skip;          // PTILAB_REDIS_SKIP
    std::string port;          // PTILAB_REDIS_PORT; empty: no server given
    std::optional<pid_t> pid;  // PTILAB_REDIS_PID
    // PTILAB_REDIS_REQUESTS, times the pipeline depth, else 20000;
    // nullopt: not a positive whole number.
    std::optional<long> requests;
  } redis;
};

Environment read_environment();

// The overhead map's cells (map_bench.cc): BM_Map/rate:R/ws:W/thp:H for
// every rate, working set and page size here.
struct MapGrid {
  std::string_view name;       // "full", "quick"
  std::vector<long> rates;     // system calls per second the reads leave room for
  std::vector<long> working_sets;  // bytes
  std::vector<bool> huge;      // 4 KiB pages, transparent huge pages
};

// "full" or "quick"; nullptr for any other name.
const MapGrid* map_grid(std::string_view name);

// One CPU of a NUMA node, for the per-node benchmarks (numa_bench.cc).
struct NodeCpu {
  int node = 0;
  int cpu = 0;
};

struct Context {
  // The CPU the single-process benchmarks pin themselves to (--cpu, else
  // the last allowed one; kernel/pinning.h); nullopt with --no-pin.
  std::optional<int> cpu;
  // --counters: the perf counters read around each timed loop
  // (bench_util.h's CounterScope); null if none asked for or supported.
  PerfCounterSet* counters = nullptr;
  // --trace: the tracer, read likewise; null without.
  BenchTracer* tracer = nullptr;
  // --map: the overhead map's grid; null: the map is not registered.
  const MapGrid* map = nullptr;
  // --map-reads: reads per call by cell name, from an earlier run; a cell
  // not in it calibrates its own.
  std::map<std::string, std::uint64_t, std::less<>> map_reads;
  // The per-node benchmarks: one CPU this process may use on each NUMA
  // node that has one, by node (cmd/bench.cc: sysfs's nodes, the last
  // allowed CPU of each); one entry, node 0, on a machine of one node.
  // Empty: they are not registered.
  std::vector<NodeCpu> numa_cpus;
  // The node that holds the kernel's text, as the module's numa file says
  // (kernel/numa.h); nullopt without the module.
  std::optional<int> kernel_text_node;
  // ptilab-fork-helper, beside the running ptilab (the *_SmallParent
  // benchmarks); empty if /proc/self/exe did not say, and then
  // fork_helper_error says why.
  std::filesystem::path fork_helper;
  std::string fork_helper_error;
  Environment env;
};

// A context with what the environment and this binary's location say
// (env, fork_helper); the caller adds the run's choices (cpu, counters,
// tracer).
Context context_from_process();

// Registers every benchmark with Google Benchmark, in the order they run
// and are reported (userspace/bench/benchmarks.cc). context must outlive
// the run; a second call registers them all again.
void register_benchmarks(const Context& context);

}  // namespace ptilab::bench
