// Page fault and TLB microbenchmarks: a page fault is a kernel entry like
// any other (two CR3 writes under PTI), and without PCID every kernel entry
// flushes the user TLB, which the next accesses pay for. One iteration of
// each:
//
// BM_PageFault_Touch/pages:N (N = 1, 16, 256): mmap N anonymous 4 KiB
//   pages, write one byte to each, munmap: N + 2 kernel entries (mmap, N
//   page faults, munmap; the mapping is under 2 MiB, so no huge page), no
//   context switch, no mm switch. Counter "faults": N per iteration.
// BM_TLB_Sweep/pages:W (W = 1, 2, 4, ..., 8192): one null syscall (getppid)
//   then a read of one byte from each of W resident pages (mapped and
//   touched once, outside the timed loop; huge pages disabled on them):
//   1 kernel entry, no context switch, no mm switch, no page fault. The
//   reads after the syscall are where a TLB flush on kernel entry shows:
//   up to W TLB misses (more than the TLB holds from some W on, with or
//   without a flush). Counter "pages": W.
//
// With --counters page-faults: N per iteration of BM_PageFault_Touch (the
// mapping is new every time), 0 for BM_TLB_Sweep (touched before the loop).
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "bench_util.h"

namespace {

constexpr std::size_t kPage = 4096;

using ptilab::bench::Context;
using ptilab::bench::errno_message;

// The page size these benchmarks assume (x86-64, and arm64 with 4 KiB
// pages); elsewhere they skip rather than measure something else.
bool page_size_ok(benchmark::State& state) {
  if (sysconf(_SC_PAGESIZE) == static_cast<long>(kPage)) return true;
  ptilab::bench::skip(state, "page size is " + std::to_string(sysconf(_SC_PAGESIZE)) + ", not 4096");
  return false;
}

void BM_PageFault_Touch(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  if (!page_size_ok(state)) return;
  const std::size_t pages = static_cast<std::size_t>(state.range(0));
  const std::size_t bytes = pages * kPage;
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    void* const mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      state.SkipWithError(errno_message("mmap").c_str());
      break;
    }
    volatile char* const p = static_cast<char*>(mem);
    for (std::size_t i = 0; i < pages; ++i) p[i * kPage] = 1;
    if (munmap(mem, bytes) != 0) {
      state.SkipWithError(errno_message("munmap").c_str());
      break;
    }
  }
  counters.stop();
  state.counters["faults"] =
      benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kIsIterationInvariantRate);
}

// An anonymous mapping unmapped however the benchmark leaves.
struct Mapping {
  void* mem = MAP_FAILED;
  std::size_t bytes = 0;
  ~Mapping() {
    if (mem != MAP_FAILED) munmap(mem, bytes);
  }
};

void BM_TLB_Sweep(benchmark::State& state, const Context& context) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  if (!page_size_ok(state)) return;
  const std::size_t pages = static_cast<std::size_t>(state.range(0));
  Mapping m;
  m.bytes = pages * kPage;
  m.mem = mmap(nullptr, m.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m.mem == MAP_FAILED) {
    state.SkipWithError(errno_message("mmap").c_str());
    return;
  }
  // One TLB entry per 4 KiB page, not one per 2 MiB. EINVAL: a kernel
  // without transparent huge pages, which is as good.
  if (madvise(m.mem, m.bytes, MADV_NOHUGEPAGE) != 0 && errno != EINVAL) {
    state.SkipWithError(errno_message("madvise(MADV_NOHUGEPAGE)").c_str());
    return;
  }
  char* const base = static_cast<char*>(m.mem);
  // Resident before timing (no page faults in the loop), and not the
  // shared zero page: every page its own frame.
  for (std::size_t i = 0; i < pages; ++i) std::memset(base + i * kPage, static_cast<int>(i), kPage);
  // One byte per page, at a different 64-byte line in each so the reads
  // spread over the cache sets.
  const volatile unsigned char* const p = reinterpret_cast<unsigned char*>(base);
  ptilab::bench::CounterScope counters(state, context);
  for (auto _ : state) {
    benchmark::DoNotOptimize(syscall(SYS_getppid));
    unsigned sum = 0;
    for (std::size_t i = 0; i < pages; ++i) sum += p[i * kPage + (i * 64) % kPage];
    benchmark::DoNotOptimize(sum);
  }
  counters.stop();
  state.counters["pages"] = benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kDefaults);
}

}  // namespace

namespace ptilab::bench {

void register_memory_benchmarks(const Context& context) {
  add_benchmark("BM_PageFault_Touch", BM_PageFault_Touch, context)
      ->ArgName("pages")
      ->Arg(1)
      ->Arg(16)
      ->Arg(256)
      ->UseRealTime();
  add_benchmark("BM_TLB_Sweep", BM_TLB_Sweep, context)
      ->ArgName("pages")
      ->RangeMultiplier(2)
      ->Range(1, 8192)
      ->UseRealTime();
}

}  // namespace ptilab::bench
