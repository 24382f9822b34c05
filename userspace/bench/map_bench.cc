// The overhead map (Brendan Gregg, "KPTI/KAISER Meltdown Initial
// Performance Regressions", 2018): isolation's cost as a function of the
// system-call rate and the working set, from one benchmark with both as
// dials. One iteration of BM_Map/rate:R/ws:W/thp:H:
//
//   one null system call (getppid), then N page-strided reads of user
//   work: one byte from each 4 KiB page of a W-byte working set in turn,
//   carrying on where the last iteration stopped (a pass over the set
//   takes W/4096 reads, spread over as many iterations as it needs).
//
// N is calibrated per cell, before the timed loop, so that the reads take
// 1/R seconds with nothing entering the kernel: R is the rate the system
// calls would have if they (and interrupts) were free, and the cell reports the rate it really had (syscalls_per_s:
// iterations per second of real time). The reads hit the TLB when W fits
// in it and nothing flushes it; a flush on kernel entry (isolation without
// PCID, and every CR3 write under TCG) makes up to min(N, W/4096) of them
// refill. H = 1 asks for transparent huge pages on the working set
// (MADV_HUGEPAGE), the tuning Gregg names: a 2 MiB entry covers 512 reads.
//
// What isolation costs is a ratio of spins_per_read, on against off: the
// iteration's time (its system call included) over its reads, in units of
// steps of a register-only spin timed in the same run, before and after
// the loop (about 2.7 steps per read under TCG, 0.6 on a host).
// Why not ns_per_read, the same time in ns: under TCG the emulator runs
// at the host CPU's speed, and on a shared host that moves by up to 1.8x
// from one minute to the next (the two CPUs of the machine this was
// written on, in turn), so that off against off in one boot differed by
// 46%; the spin, which touches no memory, divides the CPU's speed out and
// nothing else. 1 kernel entry, no context switch, no mm switch, no page
// fault per iteration (the set is touched before the loop).
//
// Counters: spins_per_read, ns_per_read and syscalls_per_s (measured, with
// their spread), reads_per_op (N) and thp_pct (how much of the set the
// kernel backed with huge pages: AnonHugePages of its mapping in
// /proc/self/smaps).
// Registered only with `ptilab bench --map quick|full` (the grids below).
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench_util.h"
#include "results/bench_properties.h"
#include "util/error.h"
#include "util/text_file.h"

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kHugePage = 2 << 20;
// Calibration windows: a quarter of a 250 Hz tick, so that most hold no
// interrupt; enough of them for a steady median (a cell's
// calibration takes about 50 ms, warm passes included, 150 ms at 64 MiB
// under TCG).
constexpr double kCalibrationSeconds = 0.001;
constexpr int kCalibrationRounds = 24;
constexpr int kCalibrationFlushEvery = 3;
constexpr std::uint64_t kCalibrationBatch = 256;
// The spin spins_per_read divides by: steps per round (about 0.1 ms under
// TCG), rounds before and after each run's loop (every run pays them, the
// sizing runs too).
constexpr int kSpinSteps = 100000;
constexpr int kSpinRounds = 7;
// A huge-page cell the kernel gave fewer huge pages than this measures
// 4 KiB pages under the wrong name: it skips instead.
constexpr double kMinThpPct = 90;

using ptilab::bench::Context;
using ptilab::bench::errno_message;

// A working set: a private anonymous mapping, resident, every page its
// own frame, and a cursor that carries the reads from one iteration to
// the next.
class WorkingSet {
 public:
  ~WorkingSet() {
    if (map_ != MAP_FAILED) munmap(map_, map_bytes_);
  }

  // Empty on success, else what failed.
  std::string map(std::size_t bytes, bool huge) {
    bytes_ = bytes;
    pages_ = bytes / kPage;
    // A huge page needs a 2 MiB-aligned 2 MiB range: map one more to
    // align within.
    map_bytes_ = huge ? round_up(bytes, kHugePage) + kHugePage : bytes;
    map_ = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map_ == MAP_FAILED) return errno_message("mmap");
    const auto addr = reinterpret_cast<std::uintptr_t>(map_);
    base_ = static_cast<char*>(map_) + (huge ? round_up(addr, kHugePage) - addr : 0);
    const std::size_t advised = huge ? round_up(bytes, kHugePage) : bytes;
    if (madvise(base_, advised, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0) {
      // Without THP in the kernel, NOHUGEPAGE is what there is anyway.
      if (huge || errno != EINVAL) return errno_message(huge ? "madvise(MADV_HUGEPAGE)" : "madvise(MADV_NOHUGEPAGE)");
    }
    // Resident before timing, and not the shared zero page.
    for (std::size_t i = 0; i < pages_; ++i) std::memset(base_ + i * kPage, static_cast<int>(i + 1), kPage);
    return {};
  }

  // N reads, one byte per page, each at another 64-byte line (as
  // BM_TLB_Sweep reads) so that they spread over the cache sets.
  unsigned read(std::uint64_t n) {
    const volatile unsigned char* const p = reinterpret_cast<unsigned char*>(base_);
    unsigned sum = 0;
    std::size_t i = cursor_;
    for (std::uint64_t k = 0; k < n; ++k) {
      sum += p[i * kPage + (i * 64) % kPage];
      if (++i == pages_) i = 0;
    }
    cursor_ = i;
    return sum;
  }

  std::size_t pages() const { return pages_; }

  // The share of the set's 2 MiB ranges backed by huge pages, in percent:
  // AnonHugePages of the mapping that holds it in /proc/self/smaps (the
  // advice split it off the padding). nullopt if smaps did not say.
  std::optional<double> thp_pct() const {
    std::string smaps;
    try {
      smaps = ptilab::read_text_file("/proc/self/smaps");
    } catch (const ptilab::Error&) {
      return std::nullopt;
    }
    const auto at = reinterpret_cast<std::uintptr_t>(base_);
    bool in_mapping = false;
    std::size_t pos = 0;
    while (pos < smaps.size()) {
      const std::size_t eol = std::min(smaps.find('\n', pos), smaps.size());
      const std::string line = smaps.substr(pos, eol - pos);
      pos = eol + 1;
      // A mapping's first line, "lo-hi perms offset dev inode [path]",
      // has no ':' before its first blank; its fields ("Size:  4 kB") do.
      if (line.find(':') > line.find(' ')) {
        char* end = nullptr;
        const std::uintptr_t lo = std::strtoull(line.c_str(), &end, 16);
        const std::uintptr_t hi = *end == '-' ? std::strtoull(end + 1, nullptr, 16) : 0;
        in_mapping = lo <= at && at < hi;
        continue;
      }
      if (in_mapping && line.starts_with("AnonHugePages:")) {
        const double kib = std::strtod(line.c_str() + 14, nullptr);
        return std::min(100.0, kib * 1024 / static_cast<double>(round_up(bytes_, kHugePage)) * 100);
      }
    }
    return std::nullopt;
  }

 private:
  static std::size_t round_up(std::size_t v, std::size_t to) { return (v + to - 1) / to * to; }

  void* map_ = MAP_FAILED;
  std::size_t map_bytes_ = 0;
  char* base_ = nullptr;
  std::size_t bytes_ = 0;
  std::size_t pages_ = 0;
  std::size_t cursor_ = 0;
};

// Makes the kernel flush this CPU's TLB for the process: it unmaps a
// touched range too long to invalidate page by page (x86:
// tlb_single_page_flush_ceiling, 33 pages; arm64: MAX_DVM_OPS, 512).
// Why: QEMU's TCG sizes its soft TLB only at a flush, from the use since
// the last one, so without flushes a cell works in the TLB the previous
// cell left (256 entries after a 4 KiB one: every read of a 4 MiB set
// misses). On hardware the flush costs a refill the warm pass pays for.
void flush_tlb() {
  constexpr std::size_t kBytes = 1024 * kPage;
  void* p = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  for (std::size_t i = 0; i < kBytes; i += kPage) static_cast<volatile char*>(p)[i] = 1;
  munmap(p, kBytes);
}

// A counter user mode reads without entering the kernel: the TSC, the
// arm64 generic timer. Why not steady_clock: a guest on the HPET (QEMU's
// TCG) reads it with a system call, which with isolation on flushes the
// TLB the window was to measure warm.
std::uint64_t user_ticks() {
#if defined(__x86_64__)
  return __rdtsc();
#elif defined(__aarch64__)
  std::uint64_t v;
  asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// A fixed amount of work that touches no memory (xorshift steps in
// registers), timed in user_ticks(): its time follows the CPU's speed (under
// TCG the host CPU's) and nothing else: no TLB, no cache, no kernel entry.
// Ticks per step, the median of kSpinRounds.
double spin_ticks() {
  std::vector<double> t;
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int round = 0; round < kSpinRounds; ++round) {
    const std::uint64_t start = user_ticks();
    for (int i = 0; i < kSpinSteps; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    benchmark::DoNotOptimize(x);
    t.push_back(static_cast<double>(user_ticks() - start) / kSpinSteps);
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

// ns per read of user work alone, with nothing entering the kernel: the
// median of many windows shorter than a timer tick (most hold none; the
// median ignores those that do, and the emulator's fast outliers), each
// after a warm pass over the set, a TLB flush every few rounds (QEMU's
// TCG grows its TLB at those); windows timed in user_ticks(), converted
// to ns by steady_clock over the whole calibration. The same on both
// sides of a pair: an interrupt that writes CR3 (isolation on) would
// otherwise make the calibration slower there and give that side fewer
// reads per call, so the two would compare different work per call.
double calibrate_ns_per_read(WorkingSet& ws) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const std::uint64_t c0 = user_ticks();
  // Warm the set and learn the tick rate roughly, for the windows' length.
  flush_tlb();
  double elapsed = 0;
  while (elapsed < kCalibrationSeconds) {
    benchmark::DoNotOptimize(ws.read(ws.pages()));
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  const double rough_ticks_per_s = static_cast<double>(user_ticks() - c0) / elapsed;
  const auto window = static_cast<std::uint64_t>(rough_ticks_per_s * kCalibrationSeconds);
  std::vector<double> per_read;  // ticks per read, a window each
  for (int round = 0; round < kCalibrationRounds; ++round) {
    if (round % kCalibrationFlushEvery == 0) flush_tlb();
    benchmark::DoNotOptimize(ws.read(ws.pages()));
    std::uint64_t reads = 0, ticks = 0;
    const std::uint64_t start = user_ticks();
    do {
      benchmark::DoNotOptimize(ws.read(kCalibrationBatch));
      reads += kCalibrationBatch;
      ticks = user_ticks() - start;
    } while (ticks < window);
    per_read.push_back(static_cast<double>(ticks) / static_cast<double>(reads));
  }
  std::nth_element(per_read.begin(), per_read.begin() + per_read.size() / 2, per_read.end());
  const double best = per_read[per_read.size() / 2];
  const double ns_per_tick =
      std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(user_ticks() - c0);
  return best * ns_per_tick;
}

// Why MADV_HUGEPAGE cannot give huge pages here; empty if it can
// ("always" or "madvise" in the kernel's switch).
std::string thp_unavailable() {
  const char* const path = "/sys/kernel/mm/transparent_hugepage/enabled";
  std::string mode;
  try {
    mode = ptilab::read_text_file(path);
  } catch (const ptilab::Error&) {
    return "transparent huge pages not in this kernel (no " + std::string(path) + ")";
  }
  if (mode.find("[never]") != std::string::npos) return "transparent huge pages are off ([never] in " + std::string(path) + ")";
  return {};
}

// A cell's calibration, made by its first run (Google Benchmark calls a
// benchmark once per trial and repetition) and kept for the rest: every
// repetition of a cell does the same work, so its spread is the
// machine's, not the calibration's.
struct Calibration {
  std::optional<std::uint64_t> reads;
};

void BM_Map(benchmark::State& state, const Context& context, Calibration& calibration) {
  ptilab::bench::PinToBenchCpu pin(state, context);
  if (!pin.ok()) return;
  if (sysconf(_SC_PAGESIZE) != static_cast<long>(kPage)) {
    ptilab::bench::skip(state, "page size is " + std::to_string(sysconf(_SC_PAGESIZE)) + ", not 4096");
    return;
  }
  const double rate = static_cast<double>(state.range(0));
  const auto bytes = static_cast<std::size_t>(state.range(1));
  const bool huge = state.range(2) != 0;
  if (huge) {
    if (const std::string why = thp_unavailable(); !why.empty()) {
      ptilab::bench::skip(state, why);
      return;
    }
  }
  WorkingSet ws;
  if (const std::string err = ws.map(bytes, huge); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  const std::optional<double> thp = ws.thp_pct();
  if (huge && (!thp || *thp < kMinThpPct)) {
    ptilab::bench::skip(state, thp ? "the kernel backed only " + std::to_string(static_cast<int>(*thp)) +
                                         "% of the working set with huge pages (transparent_hugepage/enabled, "
                                         "defrag, free memory)"
                                   : std::string("/proc/self/smaps does not say whether huge pages back the set"));
    return;
  }
  if (!calibration.reads)
    calibration.reads = static_cast<std::uint64_t>(std::max(1.0, std::round(1e9 / rate / calibrate_ns_per_read(ws))));
  const std::uint64_t reads = *calibration.reads;
  // The CPU's speed in this run, before and after the loop: what
  // spins_per_read divides by.
  const double spin_before = spin_ticks();
  ptilab::bench::CounterScope counters(state, context);
  const std::uint64_t t0 = user_ticks();
  for (auto _ : state) {
    benchmark::DoNotOptimize(syscall(SYS_getppid));
    benchmark::DoNotOptimize(ws.read(reads));
  }
  const std::uint64_t loop_ticks = user_ticks() - t0;
  counters.stop();
  const double spin = (spin_before + spin_ticks()) / 2;
  const auto n = static_cast<double>(reads);
  if (state.iterations() > 0 && spin > 0)
    state.counters[std::string(ptilab::kMapSpinsPerRead)] = benchmark::Counter(
        static_cast<double>(loop_ticks) / static_cast<double>(state.iterations()) / n / spin,
        benchmark::Counter::kDefaults);
  // Rates over the real time (UseRealTime): kInvert of reads per second
  // is seconds per read (the collector's row is in ns).
  state.counters[std::string(ptilab::kMapSecondsPerRead)] =
      benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters[std::string(ptilab::kMapSyscallsPerS)] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
  state.counters[std::string(ptilab::kMapReadsPerOp)] = benchmark::Counter(n, benchmark::Counter::kDefaults);
  state.counters[std::string(ptilab::kMapThpPct)] = benchmark::Counter(thp.value_or(0), benchmark::Counter::kDefaults);
}

// The name Google Benchmark gives a cell: "BM_Map/rate:R/ws:W/thp:H".
std::string map_name(long rate, long ws, bool huge) {
  return std::string(ptilab::kMapBenchmark) + "/rate:" + std::to_string(rate) + "/ws:" + std::to_string(ws) +
         "/thp:" + (huge ? "1" : "0");
}

}  // namespace

namespace ptilab::bench {

const MapGrid* map_grid(std::string_view name) {
  // From about 1k system calls per second to past any machine's maximum
  // (the cells above it run at the maximum), half a decade apart; working
  // sets from one page past the last-level TLB's reach with 4 KiB pages
  // (1536 entries, 6 MiB, on recent x86) and within it with 2 MiB pages.
  static const MapGrid kFull{"full",
                             {1000, 3000, 10000, 30000, 100000, 300000, 1000000},
                             {4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20},
                             {false, true}};
  // For tests: the shape (loss against rate at two working sets) in
  // seconds under TCG.
  static const MapGrid kQuick{"quick", {1000, 10000, 100000}, {4 << 10, 4 << 20}, {false}};
  for (const MapGrid* g : {&kFull, &kQuick})
    if (g->name == name) return g;
  return nullptr;
}

void register_map_benchmarks(const Context& context) {
  if (!context.map) return;
  // One registration per cell, each with its own calibration.
  for (const bool huge : context.map->huge)
    for (const long ws : context.map->working_sets)
      for (const long rate : context.map->rates) {
        auto calibration = std::make_shared<Calibration>();
        // An earlier run's reads (--map-reads): the same work per call as
        // the run this one is compared with.
        const auto given = context.map_reads.find(map_name(rate, ws, huge));
        if (given != context.map_reads.end()) calibration->reads = given->second;
        benchmark::RegisterBenchmark(std::string(kMapBenchmark).c_str(),
                                     [&context, calibration](benchmark::State& state) {
                                       BM_Map(state, context, *calibration);
                                     })
            ->ArgNames({"rate", "ws", "thp"})
            ->Args({rate, ws, huge ? 1 : 0})
            ->UseRealTime();
      }
}

}  // namespace ptilab::bench
