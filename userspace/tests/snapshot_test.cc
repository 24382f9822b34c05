#include "snapshot.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "error.h"
#include "test_util.h"

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
            (std::vector<Metric>{{"state", "pti", "0", "bool", "1"}}));
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

  SnapshotOptions o;
  o.out = dir / "snap.csv";
  o.run_id = "snap-1";
  o.host = "testhost";
  o.accel = "tcg";
  o.audit = true;
  o.debugfs = fs;
  ASSERT_EQ(run_snapshot(o), 0);

  const auto rows = read_results(o.out);
  auto expected = kStateMetrics;
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
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"ptilab", "snap.csv"}));
}

TEST(Snapshot, MissingModuleFailsAndWritesNothing) {
  TempDir dir;
  SnapshotOptions o;
  o.out = dir / "snap.csv";
  o.debugfs = dir / "ptilab";
  try {
    run_snapshot(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("ptilab.ko is not loaded (no " + o.debugfs.string() + ")"))
        << e.what();
  }
  EXPECT_EQ(dir.entries(), std::set<std::string>{});
}

}  // namespace
}  // namespace ptilab
