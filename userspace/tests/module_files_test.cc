#include "kernel/module_files.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>

#include "cmd/hook.h"
#include "kernel/debugfs.h"
#include "util/error.h"

namespace ptilab {
namespace {

const char* const kProbeAfterRun =
    "primitive=cr3_flush\n"
    "iterations=2000\n"
    "cpu=1\n"
    "min_cycles=9958\n"
    "median_cycles=11726\n"
    "p99_cycles=14898\n"
    "max_cycles=20000\n"
    "mean_cycles=11900\n"
    "overhead_cycles=52\n"
    "counter=tsc\n"
    "counter_khz=2596147\n"
    "primitive.cr3_noflush=unsupported\n"
    "primitive.cr3_flush=supported\n"
    "primitive.invpcid_all=supported\n";

const char* const kProbeFresh =
    "primitive=none\n"
    "counter=tsc\n"
    "counter_khz=2596147\n"
    "primitive.cr3_noflush=supported\n"
    "primitive.cr3_flush=supported\n";

const char* const kHooks =
    "allow_hooks=on\n"
    "sys_enter_probe=registered\n"
    "extra_cr3.installed=yes\n"
    "extra_cr3.pid=109\n"
    "extra_cr3.writes=4\n"
    "extra_cr3.fired=31\n"
    "flush.installed=no\n"
    "flush.pid=0\n"
    "flush.fired=0\n";

const char* const kPtaudit =
    "# kernel half of the page table user mode runs on: pti_user\n"
    "# start              end                    size flags             level\n"
    "---[ cpu_entry_area ]---\n"
    "0xfffffe0000000000-0xfffffe0000001000        4K ro GLB NX pte\n"
    "... 12 more ranges\n"
    "# summary\n"
    "table=pti_user\n"
    "ranges=17\n"
    "kernel_pages=123\n"
    "secret_pages=0\n"
    "region.entry_text=4\n"
    "region.cpu_entry_area=100\n"
    "region.espfix=19\n";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ProbeFile, ParsesARun) {
  const auto r = parse_probe(kProbeAfterRun, "probe");
  EXPECT_EQ(r.primitive, "cr3_flush");
  ASSERT_TRUE(r.stats);
  EXPECT_EQ(r.stats->iterations, 2000u);
  EXPECT_EQ(r.stats->cpu, 1);
  EXPECT_EQ(r.stats->min_cycles, 9958u);
  EXPECT_EQ(r.stats->median_cycles, 11726u);
  EXPECT_EQ(r.stats->p99_cycles, 14898u);
  EXPECT_EQ(r.stats->max_cycles, 20000u);
  EXPECT_EQ(r.stats->mean_cycles, 11900u);
  EXPECT_EQ(r.stats->overhead_cycles, 52u);
  EXPECT_EQ(r.counter, "tsc");
  EXPECT_EQ(r.counter_khz, 2596147u);
  EXPECT_EQ(r.primitives, (std::vector<PrimitiveSupport>{
                              {"cr3_noflush", false}, {"cr3_flush", true}, {"invpcid_all", true}}));
  ASSERT_TRUE(r.find_primitive("cr3_noflush"));
  EXPECT_FALSE(r.find_primitive("cr3_noflush")->supported);
  EXPECT_FALSE(r.find_primitive("nonesuch"));
}

TEST(ProbeFile, BeforeAnyRunHasNoStats) {
  const auto r = parse_probe(kProbeFresh, "probe");
  EXPECT_EQ(r.primitive, "none");
  EXPECT_FALSE(r.stats);
  EXPECT_EQ(r.primitives.size(), 2u);
}

TEST(ProbeFile, StrictAboutWhatItUses) {
  EXPECT_EQ(error_of([] { parse_probe("primitive=cr3_flush\ncounter=tsc\ncounter_khz=1\nprimitive.x=supported\n", "p"); }),
            "p: no iterations= line");
  EXPECT_EQ(error_of([] { parse_probe("primitive=none\ncounter=tsc\ncounter_khz=fast\nprimitive.x=supported\n", "p"); }),
            "p:3: counter_khz must be an integer, got 'fast'");
  EXPECT_EQ(error_of([] { parse_probe("primitive=none\ncounter=tsc\ncounter_khz=1\nprimitive.x=maybe\n", "p"); }),
            "p:4: primitive.x must be supported or unsupported, got 'maybe'");
  EXPECT_EQ(error_of([] { parse_probe("primitive=none\ncounter=tsc\ncounter_khz=1\n", "p"); }),
            "p: no primitive.<name>= lines");
}

TEST(ProbeFile, CyclesToNs) {
  EXPECT_DOUBLE_EQ(*cycles_to_ns(11726, 2596147), 11726 * 1e6 / 2596147);
  EXPECT_NEAR(*cycles_to_ns(2000, 2000000), 1000.0, 1e-9);  // 2 GHz: 2 cycles per ns
  EXPECT_FALSE(cycles_to_ns(100, 0));
}

TEST(HooksFile, Parses) {
  const auto r = parse_hooks(kHooks, "hooks");
  EXPECT_TRUE(r.allow_hooks);
  EXPECT_EQ(r.sys_enter_probe, "registered");
  ASSERT_EQ(r.hooks.size(), 2u);
  EXPECT_EQ(r.hooks[0], (HookInfo{"extra_cr3", true, 109, 4u, 31}));
  EXPECT_EQ(r.hooks[1], (HookInfo{"flush", false, 0, std::nullopt, 0}));
  EXPECT_EQ(r.find("flush"), &r.hooks[1]);
  EXPECT_FALSE(r.find("extra-cr3"));
}

// As the module prints it for a reader in a child pid namespace: the
// extra_cr3 target lives outside it; the flush hook removed itself when
// its process exited, and keeps that process's count.
const char* const kHooksOtherNamespace =
    "allow_hooks=on\n"
    "sys_enter_probe=registered\n"
    "extra_cr3.installed=yes\n"
    "extra_cr3.pid=not_visible\n"
    "extra_cr3.writes=2\n"
    "extra_cr3.fired=7\n"
    "extra_cr3.pt_writes=14\n"
    "extra_cr3.target_exited=no\n"
    "flush.installed=no\n"
    "flush.pid=0\n"
    "flush.fired=5\n"
    "flush.flushes=5\n"
    "flush.target_exited=yes\n";

TEST(HooksFile, NotVisibleAndExited) {
  const auto r = parse_hooks(kHooksOtherNamespace, "hooks");
  ASSERT_EQ(r.hooks.size(), 2u);
  EXPECT_EQ(r.hooks[0], (HookInfo{"extra_cr3", true, 0, 2u, 7, false, false}));
  EXPECT_EQ(r.hooks[1], (HookInfo{"flush", false, 0, std::nullopt, 5, true, true}));
  // Without the key (older modules): visible, not exited.
  EXPECT_TRUE(parse_hooks(kHooks, "hooks").hooks[0].pid_visible);
  EXPECT_FALSE(parse_hooks(kHooks, "hooks").hooks[1].target_exited);
}

TEST(HooksFile, NotVisibleOnlyWhenInstalled) {
  EXPECT_EQ(error_of([] {
              parse_hooks("allow_hooks=on\nflush.installed=no\nflush.pid=not_visible\nflush.fired=0\n", "h");
            }),
            "h:3: flush.pid=not_visible on a hook that is not installed");
  EXPECT_EQ(error_of([] {
              parse_hooks("allow_hooks=on\nflush.installed=yes\nflush.pid=hidden\nflush.fired=0\n", "h");
            }),
            "h:3: flush.pid must be an integer, got 'hidden'");
  EXPECT_EQ(error_of([] {
              parse_hooks("allow_hooks=on\nflush.installed=no\nflush.pid=0\nflush.fired=0\nflush.target_exited=maybe\n",
                          "h");
            }),
            "h:5: flush.target_exited must be yes or no, got 'maybe'");
}

TEST(HooksFile, Strict) {
  EXPECT_EQ(error_of([] { parse_hooks("allow_hooks=maybe\n", "h"); }),
            "h:1: allow_hooks must be on or off, got 'maybe'");
  EXPECT_EQ(error_of([] { parse_hooks("allow_hooks=off\nflush.installed=no\nflush.pid=0\n", "h"); }),
            "h: no flush.fired= line");
  EXPECT_FALSE(parse_hooks("allow_hooks=off\n", "h").allow_hooks);
}

TEST(PtauditFile, ParsesTheSummaryOnly) {
  const auto s = parse_ptaudit(kPtaudit, "ptaudit");
  EXPECT_EQ(s.table, "pti_user");
  EXPECT_EQ(s.ranges, 17u);
  EXPECT_EQ(s.kernel_pages, 123u);
  EXPECT_EQ(s.secret_pages, 0u);
  EXPECT_EQ(s.regions, (std::vector<std::pair<std::string, std::uint64_t>>{
                           {"entry_text", 4}, {"cpu_entry_area", 100}, {"espfix", 19}}));
}

TEST(PtauditFile, ErrorsNameTheLine) {
  EXPECT_EQ(error_of([] { parse_ptaudit("0x0-0x1 4K\n", "a"); }), "a: no '# summary' line");
  EXPECT_EQ(error_of([] { parse_ptaudit("# x\nerror=-12\n", "a"); }),
            "a:2: the module could not audit the page table: error=-12");
  // Line numbers count from the top of the file, not of the summary.
  EXPECT_EQ(error_of([] { parse_ptaudit("# x\n# summary\ntable=kernel\nranges=x\n", "a"); }),
            "a:4: ranges must be an integer, got 'x'");
}

TEST(Debugfs, ErrnoIsNamed) {
  EXPECT_EQ(errno_name(EOPNOTSUPP), "EOPNOTSUPP");
  EXPECT_EQ(errno_name(EPERM), "EPERM");
  EXPECT_EQ(errno_name(ESRCH), "ESRCH");
  EXPECT_EQ(errno_name(4000), "errno 4000");
  EXPECT_EQ(describe_errno(EINVAL), "Invalid argument (EINVAL)");
}

TEST(Debugfs, MissingDirectorySaysHowToLoadTheModule) {
  const Debugfs fs("/nonexistent/ptilab");
  EXPECT_EQ(fs.unavailable(),
            "ptilab.ko is not loaded (no /nonexistent/ptilab): insmod ptilab.ko (and mount -t debugfs none "
            "/sys/kernel/debug)");
  EXPECT_THROW(fs.read("state"), Error);
  EXPECT_THROW(fs.write("probe", "cr3_flush iterations=1\n"), Error);
  EXPECT_FALSE(Debugfs("/").unavailable());
}

TEST(Hooks, CommandLines) {
  EXPECT_EQ(hook_command(HookKind::kExtraCr3, 109, 4), "pid=109 writes=4\n");
  EXPECT_EQ(hook_command(HookKind::kExtraCr3, 0, 4), "pid=0\n");
  EXPECT_EQ(hook_command(HookKind::kFlush, 7, 0), "pid=7\n");
  EXPECT_EQ(hook_command(HookKind::kFlush, 0, 0), "pid=0\n");
  EXPECT_EQ(hook_cli_name(HookKind::kExtraCr3), "extra-cr3");
  EXPECT_EQ(hook_module_name(HookKind::kExtraCr3), "extra_cr3");
}

}  // namespace
}  // namespace ptilab
