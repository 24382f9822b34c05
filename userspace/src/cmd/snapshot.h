// `ptilab snapshot`: what this machine is and why isolation is as it is --
// the module's state (or, without the module, what the kernel's own files
// say), the CPU, optionally the probe timings and the page-table audit --
// as rows of the results CSV, so that every run carries it.
//
// Everything it reads can be recorded (--record DIR) and the rows made
// again from the recording (--replay DIR): the report's fixtures are made
// that way, by this code, from recorded runs (tests/report/make-fixtures).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernel/debugfs.h"
#include "kernel/module_files.h"
#include "kernel/numa.h"
#include "kernel/probe.h"
#include "kernel/state.h"
#include "kernel/status_model.h"
#include "kernel/sysinfo.h"
#include "results/results.h"

namespace ptilab {

// benchmark "state": first "source=module" or "source=kernel" (info: where
// the keys came from), then per key in order: on/off as bool 1/0, numbers
// as count, every *_reason key as metric "<key>=<value>" (info, 1). arch
// and kernel are columns already; other values (n/a, unknown) are left
// out.
std::vector<ResultRow> state_rows(const RunInfo& run, const std::vector<std::pair<std::string, std::string>>& keys,
                                  StateOrigin origin);
std::vector<ResultRow> state_rows(const RunInfo& run, const ModuleState& state);
// benchmark "cpu": "model=<what cpuinfo says the CPU is>" and the
// profile's ids ("midr=0x410fd083", "vendor=GenuineIntel", ...), then
// "qemu_cpu=<model>" when an emulator's CPU model is known (the harness's
// PTILAB_CPU) and "qemu=<version>" (PTILAB_QEMU: emulator timings change
// with it); all info, value 1.
std::vector<ResultRow> cpu_rows(const RunInfo& run, std::string_view arch, const std::optional<std::string>& cpuinfo,
                                const std::optional<std::string>& qemu_cpu,
                                const std::optional<std::string>& qemu_version = std::nullopt);
// benchmark "probe:<name>": cycles_min/median/p99/mean and overhead_cycles
// (cycles), ns_median (ns), repetitions = iterations; unsupported ones get
// one row "supported" 0 (bool). Throws Error for a kFailed outcome.
std::vector<ResultRow> probe_rows(const RunInfo& run, const std::vector<ProbeOutcome>& outcomes);
// benchmark "ptaudit": kernel_pages, secret_pages, region.<name> (pages).
std::vector<ResultRow> audit_rows(const RunInfo& run, const PtAuditSummary& audit);
// benchmark "numa" (the module's numa file: kernel text locality): nodes
// (count: online nodes), node<N>.cpus=<list> (info); per range
// range.<name>.node (count: the node holding most of it),
// range.<name>.pages and range.<name>.node<N>_pages (pages), or
// range.<name>.unresolved=<why> (info).
std::vector<ResultRow> numa_rows(const RunInfo& run, const NumaPlacement& placement);

// Everything a snapshot reads, live or from a recording.
struct SnapshotInputs {
  SystemInfo sys;  // arch, kernel, hostname, cmdline
  std::optional<std::string> cpuinfo, meltdown;
  std::optional<std::string> qemu_cpu;      // $PTILAB_CPU: the emulated CPU model
  std::optional<std::string> qemu_version;  // $PTILAB_QEMU: the emulator's version
  std::optional<std::string> state;     // the module's state file; nullopt: no module
  std::string no_module;                // why not, when state is nullopt
  std::optional<std::string> probe_listing;
  std::vector<std::pair<std::string, ProbeRun>> probes;  // in the order run
  int iterations = kDefaultProbeIterations;
  std::optional<std::string> ptaudit;
  std::optional<std::string> numa;  // the module's numa file, read whenever the module is there
  // The run's columns as resolved when the snapshot was taken.
  std::string run_id, timestamp, boot, host, accel;
};

// Writes inputs to dir (created; files replaced atomically):
// run.txt, sys/{arch,kernel,hostname,cmdline,cpuinfo,meltdown,qemu_cpu,qemu_version},
// debugfs/{state,probe,probe.<name>,probe.<name>.errno,ptaudit,numa}, each only
// when it was read.
void record_snapshot(const SnapshotInputs& inputs, const std::filesystem::path& dir);
// Reads what record_snapshot() wrote. Throws Error naming a missing or
// malformed file.
SnapshotInputs replay_snapshot(const std::filesystem::path& dir);

// The rows of a snapshot, in the order above (state, cpu, probes, audit,
// numa).
std::vector<ResultRow> snapshot_rows(const SnapshotInputs& inputs);

struct SnapshotOptions {
  std::filesystem::path out;
  std::optional<std::string> run_id;
  std::optional<std::string> host;
  std::optional<std::string> accel;
  bool probes = false;
  int iterations = kDefaultProbeIterations;
  bool audit = false;
  std::filesystem::path debugfs = std::filesystem::path(kDebugfsDir);
  // The kernel's own files (tests inject others).
  std::filesystem::path meltdown = kMeltdownPath;
  std::filesystem::path cpuinfo = kCpuinfoPath;
  std::filesystem::path cmdline = "/proc/cmdline";
  std::optional<std::filesystem::path> record;  // also save every input there
  std::optional<std::filesystem::path> replay;  // read the inputs from there instead
};

// Everything is read (and probed) before the CSV is written, atomically.
// Without the module the state comes from the kernel's files (said on
// stderr); --probes and --audit then fail, as only the module has them.
int run_snapshot(const SnapshotOptions& options);

}  // namespace ptilab
