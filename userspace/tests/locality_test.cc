// Kernel text locality: the module's numa file, sysfs's nodes, the CPUs
// the per-node benchmarks pin to, status's verdict, the table's per-node
// section and its CSV, and snapshot's numa rows.
#include "model/locality.h"

#include <gtest/gtest.h>

#include "cmd/snapshot.h"
#include "kernel/numa.h"
#include "kernel/pinning.h"
#include "render/locality.h"
#include "render/table.h"
#include "results/bench_properties.h"
#include "results/csv.h"
#include "test_util.h"
#include "util/error.h"

namespace ptilab {
namespace {

using testing::TempDir;
using testing::contains;
using testing::write_file;

// What the module printed in a two-node x86 guest (tests/vm/vm-test-numa).
const char* const kTwoNodes =
    "nodes=0-1\n"
    "node0.cpus=0\n"
    "node0.span=0x1000-0x1fffffff\n"
    "node1.cpus=1\n"
    "node1.span=0x20000000-0x3ffdffff\n"
    "range.text.what=kernel text (the executable run holding schedule())\n"
    "range.text.table=kernel\n"
    "range.text.phys=0x35200000-0x36001fff\n"
    "range.text.pages=3586\n"
    "range.text.node1_pages=3586\n"
    "range.text.node=1\n"
    "range.rodata.what=kernel rodata (the read-only run holding hex_asc)\n"
    "range.rodata.table=kernel\n"
    "range.rodata.phys=0x36200000-0x36aeafff\n"
    "range.rodata.pages=2283\n"
    "range.rodata.node1_pages=2283\n"
    "range.rodata.node=1\n"
    "range.entry_text.what=entry code (the 2 MiB around entry_SYSCALL_64 in user mode's table)\n"
    "range.entry_text.table=pti_user\n"
    "range.entry_text.phys=0x35e00000-0x35ffffff\n"
    "range.entry_text.pages=512\n"
    "range.entry_text.node0_pages=12\n"
    "range.entry_text.node1_pages=500\n"
    "range.entry_text.node=1\n"
    "range.kpti_trampoline.what=KPTI trampoline\n"
    "range.kpti_trampoline.unresolved=not in use: KPTI is off, so no kernel entry runs a trampoline\n";

TEST(NumaFile, ParsesNodesAndRanges) {
  const NumaPlacement p = parse_numa(kTwoNodes, "numa");
  ASSERT_EQ(p.nodes.size(), 2u);
  EXPECT_EQ(p.nodes[0], (NumaNode{0, {0}, std::pair<std::uint64_t, std::uint64_t>{0x1000, 0x1fffffff}}));
  EXPECT_EQ(p.nodes[1].cpus, std::vector<int>{1});
  ASSERT_EQ(p.ranges.size(), 4u);
  const PlacedRange* text = p.find("text");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->node, 1);
  EXPECT_EQ(text->pages, 3586u);
  EXPECT_EQ(text->table, "kernel");
  EXPECT_EQ(text->phys, "0x35200000-0x36001fff");
  EXPECT_DOUBLE_EQ(text->node_pct(), 100);
  const PlacedRange* entry = p.find("entry_text");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->node_pages, (std::map<int, std::uint64_t>{{0, 12}, {1, 500}}));
  EXPECT_NEAR(entry->node_pct(), 97.66, 0.01);
  const PlacedRange* tramp = p.find("kpti_trampoline");
  ASSERT_TRUE(tramp);
  EXPECT_FALSE(tramp->node);
  EXPECT_TRUE(tramp->unresolved.starts_with("not in use"));
}

TEST(NumaFile, RefusesWhatItCannotRead) {
  EXPECT_THROW(parse_numa("error=out of memory\n", "numa"), Error);
  EXPECT_THROW(parse_numa("node0.cpus=0\n", "numa"), Error);                      // no nodes=
  EXPECT_THROW(parse_numa("nodes=0\n", "numa"), Error);                           // no node0.cpus
  EXPECT_THROW(parse_numa("nodes=x\nnode0.cpus=0\n", "numa"), Error);
  EXPECT_THROW(parse_numa("nodes=0\nnode0.cpus=0-\n", "numa"), Error);
  EXPECT_THROW(parse_numa("nodes=0\nnode0.cpus=0\nnode0.span=12-34\n", "numa"), Error);  // not hex
  EXPECT_THROW(parse_numa("nodes=0\nnode0.cpus=0\nrange.text.what=t\nrange.text.pages=1\n", "numa"), Error);
  EXPECT_THROW(parse_numa("nodes=0\nnode0.cpus=0\nrange.text.what=t\nrange.text.node=x\n", "numa"), Error);
  EXPECT_THROW(parse_numa("nodes=0\nnode0.cpus=0\nrange.text.what=t\nrange.text.pages=-1\nrange.text.node=0\n",
                          "numa"),
               Error);
  try {
    parse_numa("nodes=0\nnode0.cpus=0\nrange.text.what=t\nrange.text.node=zero\n", "numa");
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "numa:4: range.text.node must be a node number")) << e.what();
  }
  // Keys it does not know are kept going past (later modules add some).
  EXPECT_NO_THROW(parse_numa("nodes=0\nnode0.cpus=0\nnode0.future=1\n", "numa"));
}

TEST(NumaFile, CpuLists) {
  EXPECT_EQ(parse_cpu_list("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(parse_cpu_list("\n"), std::vector<int>{});
  EXPECT_EQ(parse_cpu_list("1"), std::vector<int>{1});
  for (const char* bad : {"a", "3-1", "1,", ",1", "1--2", "-1", "1 2"}) EXPECT_FALSE(parse_cpu_list(bad)) << bad;
}

TEST(NumaSysfs, NodesAndTheirCpus) {
  TempDir dir;
  EXPECT_FALSE(read_sysfs_nodes(dir.path() / "none"));  // no NUMA in this kernel
  write_file(dir.path() / "online", "0-1\n");
  std::filesystem::create_directories(dir.path() / "node0");
  std::filesystem::create_directories(dir.path() / "node1");
  write_file(dir.path() / "node0" / "cpulist", "0-1\n");
  write_file(dir.path() / "node1" / "cpulist", "\n");  // a node of memory only
  const auto nodes = read_sysfs_nodes(dir.path());
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].cpus, (std::vector<int>{0, 1}));
  EXPECT_TRUE((*nodes)[1].cpus.empty());
  write_file(dir.path() / "node1" / "cpulist", "x\n");
  EXPECT_THROW(read_sysfs_nodes(dir.path()), Error);
}

TEST(NumaPinning, TheLastAllowedCpuOfEachNode) {
  const std::vector<NumaNode> nodes = {{1, {4, 5, 6, 7}, {}}, {0, {0, 1, 2, 3}, {}}, {2, {}, {}}};
  EXPECT_EQ(node_bench_cpus(nodes, {0, 1, 2, 3, 4, 5, 6, 7}), (std::vector<std::pair<int, int>>{{0, 3}, {1, 7}}));
  // A node none of whose CPUs may be used is left out.
  EXPECT_EQ(node_bench_cpus(nodes, {1, 2}), (std::vector<std::pair<int, int>>{{0, 2}}));
  EXPECT_EQ(node_bench_cpus(std::nullopt, {0, 1}), (std::vector<std::pair<int, int>>{{0, 1}}));
  EXPECT_TRUE(node_bench_cpus(std::nullopt, {}).empty());
}

TEST(LocalityStatus, SaysWhichCpusEnterRemoteText) {
  const auto s = locality_status(parse_numa(kTwoNodes, "numa"), std::nullopt, "");
  EXPECT_TRUE(s.from_module);
  ASSERT_EQ(s.lines.size(), 4u);
  EXPECT_EQ(s.lines[0], "text: node 1 (100%); 3586 pages at 0x35200000-0x36001fff (kernel table)");
  EXPECT_EQ(s.lines[2], "entry_text: node 1 (98%), node 0 12 pages; 512 pages at 0x35e00000-0x35ffffff (pti_user table)");
  EXPECT_EQ(s.lines[3],
            "kpti_trampoline: cannot tell (not in use: KPTI is off, so no kernel entry runs a trampoline)");
  ASSERT_EQ(s.meaning.size(), 2u);
  EXPECT_TRUE(s.meaning[0].starts_with("CPU 0 (node 0) enters a kernel whose text is on node 1: ")) << s.meaning[0];
  EXPECT_TRUE(s.meaning[1].starts_with("CPU 1 (node 1) enters a kernel whose text is local")) << s.meaning[1];
}

TEST(LocalityStatus, SeveralCpusAndEntryCodeElsewhere) {
  std::string text = kTwoNodes;
  text.replace(text.find("node0.cpus=0\n"), 13, "node0.cpus=0-3\n");
  text.replace(text.find("range.entry_text.node=1"), 23, "range.entry_text.node=0");
  const auto s = locality_status(parse_numa(text, "numa"), std::nullopt, "");
  ASSERT_EQ(s.meaning.size(), 3u);
  EXPECT_TRUE(s.meaning[0].starts_with("CPUs 0-3 (node 0) enter a kernel whose text is on node 1: every system call, "
                                       "interrupt and fault from them")) << s.meaning[0];
  EXPECT_EQ(s.meaning[2], "entry_text is on node 0, not with the text on node 1");
}

TEST(LocalityStatus, WithoutTheModuleOnlyTheNodes) {
  const std::string why = "unknown without the module";
  auto s = locality_status(std::nullopt, std::vector<NumaNode>{{0, {0, 1}, {}}}, why);
  EXPECT_FALSE(s.from_module);
  EXPECT_EQ(s.unknown, why);
  EXPECT_TRUE(s.lines.empty());
  ASSERT_EQ(s.meaning.size(), 1u);
  EXPECT_TRUE(s.meaning[0].starts_with("one NUMA node: node 0 (CPUs 0-1)")) << s.meaning[0];
  s = locality_status(std::nullopt, std::vector<NumaNode>{{0, {0}, {}}, {1, {1}, {}}}, why);
  ASSERT_EQ(s.meaning.size(), 1u);
  EXPECT_EQ(s.meaning[0], "2 NUMA nodes, but where the kernel's text is cannot be told (" + why + ")");
  s = locality_status(std::nullopt, std::nullopt, why);
  EXPECT_TRUE(s.meaning[0].starts_with("one NUMA node (this kernel has no NUMA in sysfs)"));
  // The module could not place the text: said, never guessed.
  const auto u = locality_status(
      parse_numa("nodes=0-1\nnode0.cpus=0\nnode1.cpus=1\nrange.text.what=t\nrange.text.unresolved=no mapping\n",
                 "numa"),
      std::nullopt, "");
  EXPECT_EQ(u.lines.front(), "text: cannot tell (no mapping)");
  EXPECT_EQ(u.meaning.front(), "2 NUMA nodes, but where the kernel's text is cannot be told (no mapping)");
}

ResultRow bench_row(const std::string& bench, const std::string& metric, const std::string& value,
                    const std::string& stddev, const std::string& boot, const std::string& pti = "on",
                    const std::string& accel = "tcg") {
  ResultRow r;
  r.run_id = "run";
  r.timestamp = "2026-12-08T10:00:00Z";
  r.boot = boot;
  r.host = "h";
  r.arch = "x86_64";
  r.kernel = "6.1.0-57-amd64";
  r.cmdline = "pti=" + pti;
  r.accel = accel;
  r.pti = pti;
  r.pcid = "off";
  r.e0pd = r.kpti = "n/a";
  r.benchmark = bench;
  r.metric = metric;
  r.value = value;
  r.unit = metric == "ns_per_op" ? "ns" : "count";
  r.repetitions = "3";
  r.stddev = stddev;
  r.origin = "in.csv:2";
  return r;
}

// Two nodes, text on node 1, each benchmark on both nodes, per boot.
std::vector<ResultRow> two_node_rows(const std::vector<std::string>& boots, double remote_factor) {
  std::vector<ResultRow> rows;
  int i = 0;
  for (const auto& boot : boots) {
    for (const int node : {0, 1}) {
      for (const std::string b : {"BM_Numa_SyscallNull", "BM_Numa_SocketClose"}) {
        const std::string name = b + "/node:" + std::to_string(node);
        const double base = (b == "BM_Numa_SyscallNull" ? 1000 : 40000) * (1 + 0.01 * i);
        const double v = node == 1 ? base : base * remote_factor;
        rows.push_back(bench_row(name, "ns_per_op", format_number(v), format_number(v * 0.01), boot));
        rows.push_back(bench_row(name, "numa_cpu", std::to_string(node), "", boot));
        rows.push_back(bench_row(name, "kernel_text_node", "1", "", boot));
      }
    }
    ++i;
  }
  rows.push_back(bench_row("BM_Syscall_Null", "ns_per_op", "900", "9", boots.front()));
  return rows;
}

TEST(LocalityModel, NodesOfTheBenchmarks) {
  EXPECT_EQ(locality_node("BM_Numa_SyscallNull/node:3"), 3);
  EXPECT_EQ(locality_node("BM_Numa_SocketClose/node:0"), 0);
  EXPECT_FALSE(locality_node("BM_Syscall_Null"));
  EXPECT_FALSE(locality_node("BM_Numa_SyscallNull/node:x"));
  EXPECT_FALSE(locality_node("BM_Other/node:1"));
  EXPECT_TRUE(is_locality_benchmark("BM_Numa_SocketClose/node:1"));
  EXPECT_FALSE(is_locality_benchmark("BM_Syscall_Null"));
}

TEST(LocalityModel, RemoteAgainstTheTextsNodeAcrossBoots) {
  const auto groups = kernel_text_locality(two_node_rows({"b1", "b2", "b3"}, 1.5), 0.95);
  ASSERT_EQ(groups.size(), 1u);
  const LocalityGroup& g = groups[0];
  EXPECT_EQ(g.config, "pti=on");
  EXPECT_EQ(g.text_node, 1);
  EXPECT_EQ(g.reference, 1);
  EXPECT_EQ(g.boots, 3);
  EXPECT_FALSE(g.single_node());
  ASSERT_EQ(g.lines.size(), 2u);
  EXPECT_EQ(g.lines[0].family, "BM_Numa_SyscallNull");
  ASSERT_EQ(g.lines[0].cells.size(), 2u);
  const LocalityCell& remote = g.lines[0].cells[0];
  EXPECT_EQ(remote.node, 0);
  EXPECT_EQ(remote.cpu, 0);
  ASSERT_TRUE(remote.vs_reference);
  EXPECT_TRUE(remote.vs_reference->across_boots);
  EXPECT_NEAR(remote.vs_reference->b.mean / remote.vs_reference->a.mean, 1.5, 1e-9);
  // The interval is compare's, across boots: it excludes 1 here.
  ASSERT_TRUE(remote.vs_reference->comparison.delta_ci_pct);
  EXPECT_GT(remote.vs_reference->comparison.delta_ci_pct->low, 0);
  EXPECT_FALSE(g.lines[0].cells[1].vs_reference);  // the reference itself
}

TEST(LocalityModel, OneNodeRunsOnceAndSaysSo) {
  std::vector<ResultRow> rows = {bench_row("BM_Numa_SyscallNull/node:0", "ns_per_op", "1000", "10", "b1", "on", "kvm"),
                                 bench_row("BM_Numa_SyscallNull/node:0", "numa_cpu", "1", "", "b1", "on", "kvm")};
  const auto groups = kernel_text_locality(rows, 0.95);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups[0].single_node());
  EXPECT_FALSE(groups[0].text_node);
  EXPECT_EQ(locality_note(groups[0]), "one NUMA node: run once, on node 0; nothing remote to compare");
  const std::string csv = format_locality_csv(groups);
  EXPECT_TRUE(contains(csv, "BM_Numa_SyscallNull/node:0,0,1,,0,1000,10,1,,,,,,\"one NUMA node")) << csv;
}

TEST(LocalityModel, TextNodeUnknownComparesWithTheLowest) {
  auto rows = two_node_rows({"b1"}, 1.2);
  std::erase_if(rows, [](const ResultRow& r) { return r.metric == "kernel_text_node"; });
  const auto groups = kernel_text_locality(rows, 0.95);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(groups[0].text_node);
  EXPECT_EQ(groups[0].reference, 0);
  EXPECT_TRUE(contains(locality_note(groups[0]), "the kernel text's node is unknown (no module): against node 0"));
  EXPECT_TRUE(contains(locality_note(groups[0]), "under TCG"));
}

TEST(LocalityTable, ItsOwnSectionAndCsv) {
  const auto rows = two_node_rows({"b1"}, 1.5);
  std::vector<std::string> notes;
  const std::string t = render_table(rows, &notes);
  // The per-node rows are not microbenchmark rows of the on/off table.
  EXPECT_FALSE(contains(t.substr(0, t.find("kernel text locality:")), "BM_Numa_")) << t;
  EXPECT_TRUE(contains(t, "kernel text locality: arch=x86_64 kernel=6.1.0-57-amd64 accel=tcg, pti=on (1 boot): "
                          "kernel text on node 1\n"))
      << t;
  EXPECT_TRUE(contains(t, "node 0 (CPU 0)")) << t;
  EXPECT_TRUE(contains(t, "node 1 (CPU 1, text)")) << t;
  EXPECT_TRUE(contains(t, "node 0/node 1")) << t;
  EXPECT_TRUE(contains(t, "1.50x [")) << t;
  EXPECT_TRUE(contains(t, "(one boot)")) << t;
  EXPECT_TRUE(contains(t, "under TCG every vCPU reads the same host memory")) << t;

  const auto recs = csv_parse(format_locality_csv(kernel_text_locality(rows, 0.95)), "csv");
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].fields[4], "benchmark");
  // node 0 of BM_Numa_SyscallNull: 1.5x the text node's.
  EXPECT_EQ(recs[1].fields[4], "BM_Numa_SyscallNull/node:0");
  EXPECT_EQ(recs[1].fields[7], "1");  // text_node
  EXPECT_EQ(recs[1].fields[8], "1");  // reference
  EXPECT_EQ(parse_number(recs[1].fields[12]), 1.5);
  EXPECT_EQ(recs[1].fields[15], "repetitions");
  EXPECT_EQ(recs[1].fields[16], "slower");
  EXPECT_EQ(recs[2].fields[12], "");  // the reference has no ratio
}

TEST(LocalitySnapshot, NumaRows) {
  RunInfo run;
  run.run_id = "r";
  run.arch = "x86_64";
  const auto rows = numa_rows(run, parse_numa(kTwoNodes, "numa"));
  const auto find = [&](const std::string& metric) -> const ResultRow* {
    for (const auto& r : rows)
      if (r.metric == metric) return &r;
    return nullptr;
  };
  ASSERT_TRUE(find("nodes"));
  EXPECT_EQ(find("nodes")->value, "2");
  ASSERT_TRUE(find("node1.cpus=1"));
  EXPECT_EQ(find("node1.cpus=1")->unit, "info");
  ASSERT_TRUE(find("range.text.node"));
  EXPECT_EQ(find("range.text.node")->value, "1");
  EXPECT_EQ(find("range.entry_text.node0_pages")->value, "12");
  EXPECT_EQ(find("range.entry_text.node0_pages")->unit, "pages");
  ASSERT_TRUE(find("range.kpti_trampoline.unresolved=not in use: KPTI is off, so no kernel entry runs a trampoline"));
  for (const auto& r : rows) EXPECT_EQ(r.benchmark, "numa");
}

}  // namespace
}  // namespace ptilab
