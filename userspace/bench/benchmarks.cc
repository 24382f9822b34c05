// The registration table: every benchmark file's benchmarks, in the order
// they run and appear in benchmarks.json and results.csv.
#include "bench_util.h"

namespace ptilab::bench {

void register_benchmarks(const Context& context) {
  register_syscall_benchmarks(context);
  register_numa_benchmarks(context);
  register_pipe_benchmarks(context);
  register_process_benchmarks(context);
  register_memory_benchmarks(context);
  register_macro_benchmarks(context);
  register_workload_benchmarks(context);
  register_map_benchmarks(context);
}

}  // namespace ptilab::bench
