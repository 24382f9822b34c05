// The loader of bpf/trace.bpf.c (through its bpftool-generated skeleton):
// open, check what the kernel can trace, load, attach, read the counters.
// What each program counts, and so which counters lost their source when
// a program could not attach, is the table in trace_bpf.cc; coverage_of()
// turns what happened into the counters' availability (pure, for tests).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/trace_counts.h"

namespace ptilab {

inline constexpr std::string_view kKernelBtfPath = "/sys/kernel/btf/vmlinux";
inline constexpr std::string_view kKernelIrqPath = "/sys/kernel/irq";

// The kernel BTF to load with: the one given (--btf), else $PTILAB_BTF,
// else kKernelBtfPath.
std::filesystem::path kernel_btf(const std::optional<std::filesystem::path>& given);

struct TraceBpfOptions {
  std::uint32_t target_tgid = 0;  // 0: every process
  // The kernel's BTF (types for CO-RE and the tracepoints' prototypes).
  std::filesystem::path btf = std::filesystem::path(kKernelBtfPath);
  // Where the irq numbers of per-CPU interrupts are found by name (arm64).
  std::filesystem::path irq_dir = std::filesystem::path(kKernelIrqPath);
  bool verbose = false;  // libbpf's own messages on stderr
};

// What became of one program of the object: attached, or why not.
struct SourceOutcome {
  std::string program;  // the BPF function's name: "on_tlb_flush"
  bool attached = false;
  std::string why;      // when not: "tracepoint tlb_flush is not in this kernel"
};

// The irq numbers (as bits, irq < 64) of the interrupts a program that
// sees every interrupt must not count as device interrupts; 0 and a
// reason when not found.
struct IrqNumbers {
  std::uint64_t timer = 0, ipi = 0;
  std::string timer_why, ipi_why;
};

// Finds the irqs whose actions (dir/<n>/actions) include timer_action and
// ipi_action ("arch_timer", "IPI").
IrqNumbers find_irq_numbers(const std::filesystem::path& dir, std::string_view timer_action,
                            std::string_view ipi_action);

// Which counters the outcomes count. A counter is countable only if some
// program feeding it attached and none that feeds it failed (x86's
// interrupts in user tasks need every interrupt tracepoint); a counter no
// program of this object feeds says what counts it elsewhere.
struct Coverage {
  CounterSet available{};
  CounterReasons why_not;  // non-empty for each counter not available
};
Coverage coverage_of(const std::vector<SourceOutcome>& outcomes, const IrqNumbers& irqs);

class TraceBpf {
 public:
  // Opens, loads and attaches; throws Error with one line naming the step
  // that failed ("cannot load ...: Operation not permitted (run as root)").
  // A tracepoint the kernel lacks or a perf event it refuses is not fatal:
  // its counters are not countable, and why_not() says why.
  explicit TraceBpf(const TraceBpfOptions& options);
  ~TraceBpf();
  TraceBpf(const TraceBpf&) = delete;
  TraceBpf& operator=(const TraceBpf&) = delete;

  // Tracepoint names ("sys_enter") and perf events ("page-faults:u").
  const std::vector<std::string>& attached() const { return attached_; }
  std::size_t attached_perf_events() const { return attached_perf_; }
  // Tracepoints absent in this kernel, perf events it refused (why_not()
  // says why, per counter).
  const std::vector<std::string>& missing() const { return missing_; }
  const CounterSet& available() const { return coverage_.available; }
  const CounterReasons& why_not() const { return coverage_.why_not; }
  int nr_cpus() const { return nr_cpus_; }

  // The counters now (monotonic since attach). seconds is left 0.
  TraceSnapshot read() const;
  // Only the per-CPU counters (no walk of the per-process maps).
  std::vector<CounterArray> read_cpus() const;
  // Drops exited processes from the per-process maps (the caller keeps
  // their totals), so that the bounded map has room for new ones.
  void forget(const std::vector<std::uint32_t>& pids);

 private:
  struct Skel;
  std::unique_ptr<Skel> skel_;
  std::vector<std::string> attached_;
  std::size_t attached_perf_ = 0;
  std::vector<std::string> missing_;
  Coverage coverage_;
  int nr_cpus_ = 0;
};

}  // namespace ptilab
