#include "cmd/snapshot.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>

#include "render/probe.h"
#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::slurp;
using testing::TempDir;
using testing::write_file;

const char* const kState =
    "arch=x86_64\n"
    "kernel=6.1.0-56-amd64\n"
    "nr_cpus=2\n"
    "kaslr=on\n"
    "pti=on\n"
    "pti_reason=cmdline:pti=on\n"
    "meltdown_bug=off\n"
    "pcid=on\n"
    "invpcid=on\n"
    "invpcid_single=on\n"
    "cr4_pcide=on\n"
    "pcid_enabled=on\n"
    "kernel_pcid=0\n"
    "user_pcid=2048\n"
    "cr3_noflush=on\n"
    "global_pages=on\n";

const char* const kProbe =
    "primitive=none\ncounter=tsc\ncounter_khz=2000000\n"
    "primitive.cr3_noflush=supported\nprimitive.invpcid_all=unsupported\n";

const char* const kHooks = "allow_hooks=off\nsys_enter_probe=unregistered\n";

const char* const kPtaudit =
    "# kernel half of the page table user mode runs on: pti_user\n"
    "0xfffffe0000000000-0xfffffe0000001000        4K ro GLB NX pte\n"
    "# summary\ntable=pti_user\nranges=3\nkernel_pages=130\nsecret_pages=0\n"
    "region.entry_text=10\nregion.cpu_entry_area=120\n";

RunInfo sample_run() {
  RunInfo run;
  run.run_id = "r1";
  run.host = "h";
  run.arch = "x86_64";
  run.kernel = "6.1.0-56-amd64";
  run.accel = "kvm";
  run.pti = "on";
  run.pcid = "on";
  run.e0pd = run.kpti = "n/a";
  return run;
}

std::string nlohmann_number(double v) { return nlohmann::json(v).dump(); }

struct Metric {
  std::string benchmark, metric, value, unit, repetitions;
  bool operator==(const Metric&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Metric& m) {
  return os << m.benchmark << "/" << m.metric << "=" << m.value << " " << m.unit << " x" << m.repetitions;
}

std::vector<Metric> metrics(const std::vector<ResultRow>& rows) {
  std::vector<Metric> out;
  for (const auto& r : rows) out.push_back({r.benchmark, r.metric, r.value, r.unit, r.repetitions});
  return out;
}

const std::vector<Metric> kStateMetrics = {
    {"state", "source=module", "1", "info", "1"},
    {"state", "nr_cpus", "2", "count", "1"},
    {"state", "kaslr", "1", "bool", "1"},
    {"state", "pti", "1", "bool", "1"},
    {"state", "pti_reason=cmdline:pti=on", "1", "info", "1"},
    {"state", "meltdown_bug", "0", "bool", "1"},
    {"state", "pcid", "1", "bool", "1"},
    {"state", "invpcid", "1", "bool", "1"},
    {"state", "invpcid_single", "1", "bool", "1"},
    {"state", "cr4_pcide", "1", "bool", "1"},
    {"state", "pcid_enabled", "1", "bool", "1"},
    {"state", "kernel_pcid", "0", "count", "1"},
    {"state", "user_pcid", "2048", "count", "1"},
    {"state", "cr3_noflush", "1", "bool", "1"},
    {"state", "global_pages", "1", "bool", "1"},
};

TEST(Snapshot, StateRows) {
  const auto rows = state_rows(sample_run(), ModuleState::parse(kState, "state"));
  EXPECT_EQ(metrics(rows), kStateMetrics);
  for (const auto& r : rows) {
    EXPECT_EQ(r.run_id, "r1");
    EXPECT_EQ(r.accel, "kvm");
    EXPECT_EQ(r.stddev, "");
  }
  // Non-numeric, non-switch values (n/a) are left out.
  EXPECT_EQ(metrics(state_rows(sample_run(), ModuleState::parse("kernel_pcid=n/a\npti=off\n", "s"))),
            (std::vector<Metric>{{"state", "source=module", "1", "info", "1"}, {"state", "pti", "0", "bool", "1"}}));
  // Every *_reason key is kept, whatever the architecture calls it.
  EXPECT_EQ(metrics(state_rows(sample_run(), ModuleState::parse("kpti=on\nkpti_reason=kaslr\nmidr=0x410fd083\n", "s"))),
            (std::vector<Metric>{{"state", "source=module", "1", "info", "1"},
                                 {"state", "kpti", "1", "bool", "1"},
                                 {"state", "kpti_reason=kaslr", "1", "info", "1"}}));
}

// The CPU: cpuinfo's model name on x86; on arm64 the MIDR rebuilt from
// cpuinfo's fields and decoded; the emulated CPU model when known.
TEST(Snapshot, CpuRows) {
  const std::string x86 =
      "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
      "model name\t: Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz\nstepping\t: 4\n";
  EXPECT_EQ(metrics(cpu_rows(sample_run(), "x86_64", x86, std::string("max"))),
            (std::vector<Metric>{{"cpu", "model=Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", "1", "info", "1"},
                                 {"cpu", "vendor=GenuineIntel", "1", "info", "1"},
                                 {"cpu", "signature=family 6 model 85 stepping 4", "1", "info", "1"},
                                 {"cpu", "qemu_cpu=max", "1", "info", "1"}}));
  const std::string a72 =
      "processor\t: 0\nBogoMIPS\t: 125.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"
      "CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n";
  EXPECT_EQ(metrics(cpu_rows(sample_run(), "aarch64", a72, std::nullopt)),
            (std::vector<Metric>{{"cpu", "model=Arm Cortex-A72 r0p3", "1", "info", "1"},
                                 {"cpu", "midr=0x410fd083", "1", "info", "1"}}));
  // QEMU's max: implementer 0 (software use), part 0x051; the module's
  // state says midr=0x000f0510 for it.
  const std::string max =
      "processor\t: 0\nCPU implementer\t: 0x00\nCPU architecture: 8\nCPU variant\t: 0x0\n"
      "CPU part\t: 0x051\nCPU revision\t: 0\n";
  EXPECT_EQ(metrics(cpu_rows(sample_run(), "aarch64", max, std::string("max"), std::string("10.0.2"))),
            (std::vector<Metric>{{"cpu", "model=software-defined (e.g. QEMU's max) part 0x051 r0p0", "1", "info", "1"},
                                 {"cpu", "midr=0x000f0510", "1", "info", "1"},
                                 {"cpu", "qemu_cpu=max", "1", "info", "1"},
                                 {"cpu", "qemu=10.0.2", "1", "info", "1"}}));
  EXPECT_TRUE(cpu_rows(sample_run(), "x86_64", std::nullopt, std::nullopt).empty());
}

TEST(Snapshot, ProbeRows) {
  ProbeOutcome measured;
  measured.kind = ProbeOutcome::Kind::kMeasured;
  measured.primitive = "cr3_flush";
  measured.stats = {10000, 1, 9958, 11726, 14898, 20000, 11900, 52};
  measured.median_ns = 5863;
  ProbeOutcome unsupported;
  unsupported.kind = ProbeOutcome::Kind::kUnsupported;
  unsupported.primitive = "invpcid_all";
  EXPECT_EQ(metrics(probe_rows(sample_run(), {measured, unsupported})),
            (std::vector<Metric>{{"probe:cr3_flush", "cycles_min", "9958", "cycles", "10000"},
                                 {"probe:cr3_flush", "cycles_median", "11726", "cycles", "10000"},
                                 {"probe:cr3_flush", "cycles_p99", "14898", "cycles", "10000"},
                                 {"probe:cr3_flush", "cycles_mean", "11900", "cycles", "10000"},
                                 {"probe:cr3_flush", "overhead_cycles", "52", "cycles", "10000"},
                                 {"probe:cr3_flush", "ns_median", "5863", "ns", "10000"},
                                 {"probe:invpcid_all", "supported", "0", "bool", "1"}}));
  ProbeOutcome failed;
  failed.primitive = "flush_tlb_all";
  failed.error = "probe flush_tlb_all: Invalid argument (EINVAL)";
  EXPECT_THROW(probe_rows(sample_run(), {measured, failed}), Error);
}

TEST(Snapshot, AuditRows) {
  const auto rows = audit_rows(sample_run(), parse_ptaudit(kPtaudit, "ptaudit"));
  EXPECT_EQ(metrics(rows), (std::vector<Metric>{{"ptaudit", "kernel_pages", "130", "pages", "1"},
                                                {"ptaudit", "secret_pages", "0", "pages", "1"},
                                                {"ptaudit", "region.entry_text", "10", "pages", "1"},
                                                {"ptaudit", "region.cpu_entry_area", "120", "pages", "1"}}));
}

TEST(ProbeOutput, TableAndJson) {
  ProbeOutcome measured;
  measured.kind = ProbeOutcome::Kind::kMeasured;
  measured.primitive = "cr3_flush";
  measured.stats = {2000, 1, 9958, 11726, 14898, 20000, 11900, 52};
  measured.counter = "tsc";
  measured.counter_khz = 2596147;
  measured.median_ns = cycles_to_ns(11726, 2596147);
  ProbeOutcome unsupported;
  unsupported.kind = ProbeOutcome::Kind::kUnsupported;
  unsupported.primitive = "invpcid_all";
  ProbeOutcome failed;
  failed.primitive = "flush_tlb_all";
  failed.error = "probe flush_tlb_all: Invalid argument (EINVAL)";
  EXPECT_EQ(format_probe_table({measured, unsupported, failed}),
            "primitive      median   min    p99   mean  median ns\n"
            "cr3_flush       11726  9958  14898  11900     4516.7\n"
            "invpcid_all    not supported on this CPU\n"
            "flush_tlb_all  failed: probe flush_tlb_all: Invalid argument (EINVAL)\n"
            "(cycles of the module's counter per operation; median ns = cycles / counter frequency)\n");
  EXPECT_EQ(format_probe_json({measured, unsupported}),
            "[\n  {\n    \"primitive\": \"cr3_flush\",\n    \"supported\": true,\n    \"iterations\": 2000,\n"
            "    \"cpu\": 1,\n    \"min_cycles\": 9958,\n    \"median_cycles\": 11726,\n    \"p99_cycles\": 14898,\n"
            "    \"max_cycles\": 20000,\n    \"mean_cycles\": 11900,\n    \"overhead_cycles\": 52,\n"
            "    \"median_ns\": " + nlohmann_number(*measured.median_ns) + ",\n    \"counter\": \"tsc\",\n"
            "    \"counter_khz\": 2596147\n  },\n  {\n    \"primitive\": \"invpcid_all\",\n"
            "    \"supported\": false\n  }\n]\n");
}

TEST(ProbeOutput, SelectPrimitives) {
  const auto report = parse_probe(kProbe, "probe");
  EXPECT_EQ(select_primitives(report, {}, false), std::vector<std::string>{"cr3_noflush"});
  EXPECT_EQ(select_primitives(report, {"invpcid_all"}, false), std::vector<std::string>{"invpcid_all"});
  EXPECT_EQ(select_primitives(report, {"invpcid_all"}, true), (std::vector<std::string>{"cr3_noflush", "invpcid_all"}));
  EXPECT_THROW(select_primitives(report, {"bogus"}, false), UsageError);
}

// From fixture files in a --debugfs directory. Without --probes nothing is
// written to the module's files.
TEST(Snapshot, FromFixtureDirectory) {
  TempDir dir;
  const auto fs = dir / "ptilab";
  std::filesystem::create_directory(fs);
  write_file(fs / "state", kState);
  write_file(fs / "probe", kProbe);
  write_file(fs / "hooks", kHooks);
  write_file(fs / "ptaudit", kPtaudit);
  const auto before = std::filesystem::last_write_time(fs / "probe");

  write_file(dir / "cpuinfo", "processor\t: 0\nmodel name\t: Test CPU\n");

  SnapshotOptions o;
  o.out = dir / "snap.csv";
  o.run_id = "snap-1";
  o.host = "testhost";
  o.accel = "tcg";
  o.audit = true;
  o.debugfs = fs;
  o.cpuinfo = dir / "cpuinfo";
  o.meltdown = dir / "meltdown";
  o.record = dir / "rec";
  ASSERT_EQ(run_snapshot(o), 0);

  const auto rows = read_results(o.out);
  auto expected = kStateMetrics;
  expected.push_back({"cpu", "model=Test CPU", "1", "info", "1"});
  if (const char* cpu = std::getenv("PTILAB_CPU"); cpu && *cpu)
    expected.push_back({"cpu", std::string("qemu_cpu=") + cpu, "1", "info", "1"});
  if (const char* qemu = std::getenv("PTILAB_QEMU"); qemu && *qemu)
    expected.push_back({"cpu", std::string("qemu=") + qemu, "1", "info", "1"});
  expected.push_back({"ptaudit", "kernel_pages", "130", "pages", "1"});
  expected.push_back({"ptaudit", "secret_pages", "0", "pages", "1"});
  expected.push_back({"ptaudit", "region.entry_text", "10", "pages", "1"});
  expected.push_back({"ptaudit", "region.cpu_entry_area", "120", "pages", "1"});
  EXPECT_EQ(metrics(rows), expected);
  for (const auto& r : rows) {
    EXPECT_EQ(r.run_id, "snap-1");
    EXPECT_EQ(r.host, "testhost");
    EXPECT_EQ(r.accel, "tcg");
    EXPECT_EQ(r.pti, "on");  // from the state file, as bench does
    EXPECT_EQ(r.pcid, "on");
    EXPECT_EQ(r.timestamp.size(), 20u);
  }
  EXPECT_EQ(slurp(fs / "probe"), kProbe);
  EXPECT_EQ(std::filesystem::last_write_time(fs / "probe"), before);
  EXPECT_EQ(testing::dir_entries(fs), (std::set<std::string>{"hooks", "probe", "ptaudit", "state"}));
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"cpuinfo", "ptilab", "rec", "snap.csv"}));

  // The recording makes the same file again, with nothing live read.
  EXPECT_EQ(testing::dir_entries(dir / "rec"), (std::set<std::string>{"debugfs", "run.txt", "sys"}));
  EXPECT_EQ(slurp(dir / "rec" / "debugfs" / "state"), kState);
  SnapshotOptions r;
  r.out = dir / "again.csv";
  r.replay = dir / "rec";
  r.debugfs = dir / "absent";
  ASSERT_EQ(run_snapshot(r), 0);
  EXPECT_EQ(slurp(r.out), slurp(o.out));
  r.replay = dir / "ptilab";
  EXPECT_THROW(run_snapshot(r), Error);
}

// Probes: every supported one is run and recorded; the unsupported ones
// come back unsupported; a replay gives the same rows.
TEST(Snapshot, ProbesRecordedAndReplayed) {
  SnapshotInputs in;
  in.sys = {"6.1.0-56-amd64", "x86_64", "h", "pti=on", "9f3c1e2a-0000-4000-8000-000000000001"};
  in.state = kState;
  in.probe_listing = kProbe;
  in.iterations = 100;
  in.probes = {{"cr3_noflush",
                {0, "primitive=cr3_noflush\niterations=100\ncpu=1\nmin_cycles=10\nmedian_cycles=12\n"
                    "p99_cycles=20\nmax_cycles=30\nmean_cycles=13\noverhead_cycles=2\ncounter=tsc\n"
                    "counter_khz=2000000\nprimitive.cr3_noflush=supported\nprimitive.invpcid_all=unsupported\n"}},
               {"invpcid_all", {EOPNOTSUPP, ""}}};
  in.run_id = "r";
  in.timestamp = "2026-12-01T00:00:00Z";
  in.boot = in.sys.boot_id;
  in.host = "h";
  in.accel = "none";
  const auto rows = snapshot_rows(in);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front().boot, "9f3c1e2a-0000-4000-8000-000000000001");
  TempDir dir;
  record_snapshot(in, dir.path());
  // The boot id travels in run.txt: the replay's rows are the same boot's.
  EXPECT_EQ(format_results(snapshot_rows(replay_snapshot(dir.path()))), format_results(rows));
  std::vector<Metric> probes;
  for (const auto& m : metrics(rows))
    if (m.benchmark.starts_with("probe:")) probes.push_back(m);
  EXPECT_EQ(probes.size(), 7u);  // 6 measured + "supported 0"
  EXPECT_EQ(probes.back(), (Metric{"probe:invpcid_all", "supported", "0", "bool", "1"}));
}

// Without the module: probes and audit fail and write nothing; the state
// is what the kernel's files say, marked source=kernel, its reason inferred.
TEST(Snapshot, WithoutTheModule) {
  TempDir dir;
  SnapshotOptions o;
  o.out = dir / "snap.csv";
  o.debugfs = dir / "ptilab";
  o.probes = true;
  try {
    run_snapshot(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("snapshot --probes/--audit need the module: ptilab.ko is not loaded (no " +
                                                  o.debugfs.string() + ")"))
        << e.what();
  }
  EXPECT_EQ(dir.entries(), std::set<std::string>{});

  SnapshotInputs in;
  in.sys = {"6.1.0-57-amd64", "x86_64", "h", "console=ttyS0 pti=on", ""};
  in.cpuinfo = "processor : 0\nflags : fpu pti pcid\nbugs : spectre_v1\n";
  in.meltdown = "Not affected\n";
  in.no_module = "ptilab.ko is not loaded";
  in.run_id = "r";
  in.timestamp = "t";
  in.host = "h";
  in.accel = "tcg";
  const auto rows = snapshot_rows(in);
  ASSERT_GE(rows.size(), 4u);
  EXPECT_EQ(metrics(rows)[0], (Metric{"state", "source=kernel", "1", "info", "1"}));
  const auto has = [&](const Metric& m) {
    const auto all = metrics(rows);
    return std::find(all.begin(), all.end(), m) != all.end();
  };
  EXPECT_TRUE(has({"state", "pti", "1", "bool", "1"}));
  EXPECT_TRUE(has({"state", "pti_reason=cmdline:pti=on", "1", "info", "1"}));
  EXPECT_TRUE(has({"state", "meltdown_bug", "0", "bool", "1"}));
  EXPECT_EQ(rows[0].pti, "on");
  EXPECT_EQ(rows[0].pcid, "on");
  EXPECT_EQ(rows[0].kpti, "n/a");
}

}  // namespace
}  // namespace ptilab
