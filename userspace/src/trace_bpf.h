// The loader of bpf/trace.bpf.c (through its bpftool-generated skeleton):
// open, check what the kernel can trace, load, attach, read the counters.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "trace_model.h"

namespace ptilab {

inline constexpr std::string_view kKernelBtfPath = "/sys/kernel/btf/vmlinux";

struct TraceBpfOptions {
  std::uint32_t target_tgid = 0;  // 0: every process
  // The kernel's BTF (types for CO-RE and the tracepoints' prototypes).
  std::filesystem::path btf = std::filesystem::path(kKernelBtfPath);
  bool verbose = false;  // libbpf's own messages on stderr
};

class TraceBpf {
 public:
  // Opens, loads and attaches; throws Error with one line naming the step
  // that failed ("cannot load ...: Operation not permitted (run as root)").
  explicit TraceBpf(const TraceBpfOptions& options);
  ~TraceBpf();
  TraceBpf(const TraceBpf&) = delete;
  TraceBpf& operator=(const TraceBpf&) = delete;

  const std::vector<std::string>& attached() const { return attached_; }  // tracepoint names
  const std::vector<std::string>& missing() const { return missing_; }    // absent in this kernel
  const CounterSet& available() const { return available_; }
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
  std::vector<std::string> missing_;
  CounterSet available_{};
  int nr_cpus_ = 0;
};

}  // namespace ptilab
