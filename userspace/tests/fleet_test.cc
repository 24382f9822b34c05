// The fleet's metrics (model/fleet.h) and their text format
// (render/prometheus.h), from the module's recorded states. The files
// themselves are checked with promtool and node_exporter in
// tests/fleet/fleet-test and tests/vm/vm-test-fleet.
#include "model/fleet.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "render/prometheus.h"
#include "util/text_file.h"

namespace ptilab {
namespace {

const std::filesystem::path kRecordings = std::filesystem::path(PTILAB_TOP) / "tests/report/recordings/vm-tcg-6.1";

// The state of a recorded configuration, as ptilab status decides it.
StatusReport recorded(const std::string& config) {
  const std::string text = read_text_file(kRecordings / config / "snapshot/debugfs/state");
  const ModuleState ms = ModuleState::parse(text, config);
  StatusReport r;
  r.origin = StateOrigin::kModule;
  for (const auto& e : ms.entries()) r.state[e.key] = e.value;
  r.verdict = decide_status(profile_for(r.state["arch"]), r.state, r.origin);
  return r;
}

const MetricFamily* family(const std::vector<MetricFamily>& fs, std::string_view name) {
  for (const auto& f : fs)
    if (f.name == name) return &f;
  return nullptr;
}

// The one sample of a family without labels, or with exactly these.
std::optional<double> value(const std::vector<MetricFamily>& fs, std::string_view name,
                            std::vector<std::pair<std::string, std::string>> labels = {}) {
  const MetricFamily* f = family(fs, name);
  if (!f) return std::nullopt;
  for (const auto& s : f->samples)
    if (labels.empty() || s.labels == labels) return s.value;
  return std::nullopt;
}

std::vector<MetricFamily> metrics_of(const StatusReport& r, std::optional<FleetTrace> trace = std::nullopt) {
  FleetInputs in;
  in.profile = &profile_for(r.state.at("arch"));
  in.status = &r;
  in.kernel = r.state.at("kernel");
  in.trace = std::move(trace);
  in.tracer_asked = in.trace.has_value();
  return fleet_metrics(in);
}

TEST(Fleet, X86StateWithItsReasonAndPcid) {
  const StatusReport r = recorded("pti-off");
  const auto m = metrics_of(r);
  const MetricFamily* on = family(m, "ptilab_isolation_enabled");
  ASSERT_NE(on, nullptr);
  ASSERT_EQ(on->samples.size(), 1u);
  EXPECT_EQ(on->samples[0].value, 0);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"arch", "x86_64"}, {"kernel", "6.1.0-57-amd64"}, {"isolation", "PTI"}, {"reason", "cmdline:pti=off"}};
  EXPECT_EQ(on->samples[0].labels, want);
  EXPECT_EQ(value(m, "ptilab_meltdown_affected"), 0);
  EXPECT_EQ(value(m, "ptilab_module_loaded"), 1);
  EXPECT_EQ(value(m, "ptilab_isolation_safe_to_disable"), 1);
  EXPECT_EQ(value(m, "ptilab_pcid_available"), 0);  // TCG has no PCID
  EXPECT_EQ(value(m, "ptilab_pcid_enabled"), 0);
  EXPECT_EQ(value(m, "ptilab_kaslr_enabled"), 1);
  EXPECT_EQ(family(m, "ptilab_e0pd_present"), nullptr);  // arm64's
  // No probe run, no trace asked: neither is there, not even as a 0.
  EXPECT_EQ(family(m, "ptilab_page_table_write_seconds"), nullptr);
  EXPECT_EQ(family(m, "ptilab_tracer_up"), nullptr);
}

TEST(Fleet, Arm64StateHasE0pdAndKaslr) {
  const auto m = metrics_of(recorded("aarch64-e0pd"));
  EXPECT_EQ(value(m, "ptilab_isolation_enabled"), 0);
  EXPECT_EQ(family(m, "ptilab_isolation_enabled")->samples[0].labels.back(),
            (std::pair<std::string, std::string>{"reason", "e0pd"}));
  EXPECT_EQ(family(m, "ptilab_isolation_enabled")->samples[0].labels[2],
            (std::pair<std::string, std::string>{"isolation", "KPTI"}));
  EXPECT_EQ(value(m, "ptilab_e0pd_present"), 1);
  EXPECT_EQ(value(m, "ptilab_e0pd_enabled"), 1);
  EXPECT_EQ(value(m, "ptilab_kaslr_enabled"), 1);
  EXPECT_EQ(family(m, "ptilab_pcid_available"), nullptr);
  const auto kpti = metrics_of(recorded("aarch64-kpti-kaslr"));
  EXPECT_EQ(value(kpti, "ptilab_isolation_enabled"), 1);
  EXPECT_EQ(value(kpti, "ptilab_e0pd_present"), 0);
}

TEST(Fleet, UnknownIsLeftOutNeverZero) {
  StatusReport r = recorded("pti-off");
  r.state.erase("pti");
  r.state.erase("kaslr");
  r.verdict = decide_status(x86_profile(), r.state, r.origin);
  const auto m = metrics_of(r);
  EXPECT_EQ(family(m, "ptilab_isolation_enabled"), nullptr);
  EXPECT_EQ(family(m, "ptilab_kaslr_enabled"), nullptr);
  EXPECT_EQ(family(m, "ptilab_isolation_safe_to_disable"), nullptr);  // cannot tell
  EXPECT_EQ(value(m, "ptilab_meltdown_affected"), 0);
}

TEST(Fleet, ProbeCostInSeconds) {
  StatusReport r = recorded("pti-off");
  ProbeOutcome p;
  p.kind = ProbeOutcome::Kind::kMeasured;
  p.primitive = "cr3_flush";
  p.median_ns = 8155.0;
  ProbeOutcome u;
  u.kind = ProbeOutcome::Kind::kUnsupported;
  u.primitive = "cr3_noflush";
  r.costs = {u, p};
  const auto m = metrics_of(r);
  EXPECT_DOUBLE_EQ(*value(m, "ptilab_page_table_write_seconds", {{"probe", "cr3_flush"}}), 8155e-9);
  EXPECT_EQ(family(m, "ptilab_page_table_write_seconds")->samples.size(), 1u);
}

CounterArray counts(std::initializer_list<std::pair<int, std::uint64_t>> values) {
  CounterArray c{};
  for (const auto& [i, v] : values) c[i] = v;
  return c;
}

TEST(Fleet, RatesOverTheIntervalCountersSinceTheStart) {
  FleetTrace t;
  t.available = all_counters();
  t.isolation_on = true;
  t.last = counts({{PTL_SYSCALLS, 1000}, {PTL_PF_USER, 100}, {PTL_INTR_IN_TASK, 100}, {PTL_MM_SWITCHES, 50},
                   {PTL_CTX_SWITCHES, 80}, {PTL_TLB_FLUSHES, 60}, {PTL_TLB_REASON0, 60}});
  t.last_seconds = 2;
  t.total = counts({{PTL_SYSCALLS, 5000}, {PTL_PF_USER, 500}, {PTL_INTR_IN_TASK, 500}, {PTL_MM_SWITCHES, 250},
                    {PTL_TLB_REASON0, 300}});
  t.total_seconds = 10;
  const auto m = metrics_of(recorded("pti-off"), t);
  EXPECT_EQ(value(m, "ptilab_tracer_up"), 1);
  EXPECT_EQ(value(m, "ptilab_syscalls_per_second"), 500);
  EXPECT_EQ(value(m, "ptilab_kernel_entries_per_second"), 600);          // (1000 + 100 + 100) / 2
  EXPECT_EQ(value(m, "ptilab_page_table_writes_per_second"), 1225);      // (2 x 1200 + 50) / 2
  EXPECT_EQ(value(m, "ptilab_kernel_entries_total"), 6000);
  EXPECT_EQ(value(m, "ptilab_page_table_writes_total"), 12250);
  EXPECT_EQ(value(m, "ptilab_tlb_flushes_total", {{"reason", "task_switch"}}), 300);
  EXPECT_EQ(value(m, "ptilab_trace_seconds_total"), 10);
  EXPECT_EQ(family(m, "ptilab_syscalls_total")->type, MetricType::kCounter);
  EXPECT_EQ(family(m, "ptilab_syscalls_per_second")->type, MetricType::kGauge);
}

TEST(Fleet, NotCountableIsLeftOutAndNotDerived) {
  FleetTrace t;
  t.available = all_counters();
  for (const int c : {PTL_TLB_FLUSHES, PTL_TLB_REASON0, PTL_TLB_REASON1, PTL_TLB_REASON2, PTL_TLB_REASON3,
                      PTL_TLB_REASON4, PTL_TLB_REASON5, PTL_TLB_REASON_OTHER, PTL_PF_USER})
    t.available[c] = false;  // arm64 counts no TLB flushes; a user fault source missing
  t.last = counts({{PTL_SYSCALLS, 10}, {PTL_TLB_FLUSHES, 7}});
  t.last_seconds = 1;
  t.total = t.last;
  const auto m = metrics_of(recorded("aarch64-kpti-kaslr"), t);
  EXPECT_EQ(family(m, "ptilab_tlb_flushes_per_second"), nullptr);
  EXPECT_EQ(family(m, "ptilab_tlb_flushes_total"), nullptr);
  EXPECT_EQ(family(m, "ptilab_kernel_entries_per_second"), nullptr);  // a term was not counted
  EXPECT_EQ(family(m, "ptilab_kernel_entries_total"), nullptr);
  EXPECT_EQ(value(m, "ptilab_page_faults_total", {{"mode", "kernel"}}), 0);
  EXPECT_EQ(family(m, "ptilab_page_faults_total")->samples.size(), 1u);
  EXPECT_EQ(value(m, "ptilab_syscalls_per_second"), 10);
}

TEST(Fleet, OneShotHasNoCountersAndATracerThatFailedSaysSo) {
  FleetTrace t;
  t.available = all_counters();
  t.last = counts({{PTL_SYSCALLS, 10}});
  t.last_seconds = 1;
  const auto m = metrics_of(recorded("pti-off"), t);
  for (const auto& f : m) EXPECT_NE(f.type, MetricType::kCounter) << f.name;
  const StatusReport r = recorded("pti-off");
  FleetInputs in;
  in.profile = &x86_profile();
  in.status = &r;
  in.kernel = "k";
  in.tracer_asked = true;
  EXPECT_EQ(value(fleet_metrics(in), "ptilab_tracer_up"), 0);
}

TEST(Fleet, MapEstimateIsTheBusyShareOfIsolation) {
  MapPrediction p;
  p.ws = 4096;
  p.loss_pct = 100;  // on takes twice the time: half of it is isolation's
  const auto on = fleet_map_estimates({p}, true, false, 3.0, 2.0, 2);
  ASSERT_EQ(on.size(), 1u);
  EXPECT_DOUBLE_EQ(on[0].cpu_ratio, 0.5 * 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(*on[0].loss_ratio, 1.0);
  const auto off = fleet_map_estimates({p}, false, true, 3.0, 2.0, 2);
  EXPECT_DOUBLE_EQ(off[0].cpu_ratio, 1.0 * 3.0 / 4.0);  // what turning it on would add
  EXPECT_TRUE(off[0].huge);
  StatusReport r = recorded("pti-on");
  FleetInputs in;
  in.profile = &x86_profile();
  in.status = &r;
  in.kernel = "k";
  in.estimates = on;
  const auto m = fleet_metrics(in);
  EXPECT_DOUBLE_EQ(*value(m, "ptilab_isolation_cpu_ratio", {{"model", "map"}, {"working_set_bytes", "4096"},
                                                             {"pages", "4k"}}),
                   0.375);
}

TEST(Prometheus, ValuesAsTheFormatSpellsThem) {
  EXPECT_EQ(prometheus_value(0), "0");
  EXPECT_EQ(prometheus_value(1), "1");
  EXPECT_EQ(prometheus_value(123456789012.0), "123456789012");
  EXPECT_EQ(prometheus_value(0.5), "0.5");
  EXPECT_EQ(prometheus_value(8.155e-06), "8.155e-06");
  EXPECT_EQ(prometheus_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(prometheus_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(prometheus_value(-std::numeric_limits<double>::infinity()), "-Inf");
  // Shortest form that reads back the same double.
  const double v = 0.1 + 0.2;
  EXPECT_EQ(std::stod(prometheus_value(v)), v);
}

TEST(Prometheus, HelpAndTypeOnceThenEscapedSamples) {
  MetricFamily f;
  f.name = "ptilab_x_total";
  f.help = "a \\ help\nover two lines";
  f.type = MetricType::kCounter;
  f.samples = {{{{"reason", "cmdline:\"pti=on\" \\ x\ny"}}, 2}, {{}, 3}};
  MetricFamily g;
  g.name = "ptilab_y";
  g.help = "y";
  g.samples = {{{{"a", "1"}, {"b", "2"}}, 0.25}};
  EXPECT_EQ(prometheus_text({f, g}),
            "# HELP ptilab_x_total a \\\\ help\\nover two lines\n"
            "# TYPE ptilab_x_total counter\n"
            "ptilab_x_total{reason=\"cmdline:\\\"pti=on\\\" \\\\ x\\ny\"} 2\n"
            "ptilab_x_total 3\n"
            "# HELP ptilab_y y\n"
            "# TYPE ptilab_y gauge\n"
            "ptilab_y{a=\"1\",b=\"2\"} 0.25\n");
}

}  // namespace
}  // namespace ptilab
