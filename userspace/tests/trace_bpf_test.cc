// The loader's bookkeeping without BPF: which counters the programs that
// attached (or did not) count, and the irq numbers of arm64's per-CPU
// timer and IPIs.
#include "kernel/trace_bpf.h"

#include <gtest/gtest.h>

#include "model/trace.h"  // derive(): what the coverage means
#include "test_util.h"

namespace ptilab {
namespace {

using testing::TempDir;

std::vector<SourceOutcome> attached(std::initializer_list<const char*> programs) {
  std::vector<SourceOutcome> v;
  for (const char* p : programs) v.push_back({p, true, {}});
  return v;
}

const std::initializer_list<const char*> kX86 = {
    "on_sys_enter",        "on_sched_switch",        "on_irq_handler_entry",          "on_local_timer_entry",
    "on_reschedule_entry", "on_call_function_entry", "on_call_function_single_entry", "on_page_fault_user",
    "on_page_fault_kernel", "on_tlb_flush"};
const std::initializer_list<const char*> kArm64 = {"on_sys_enter",          "on_sched_switch",
                                                   "on_irq_handler_entry_all", "on_ipi_entry",
                                                   "on_page_fault_user_sw", "on_page_fault_kernel_sw"};

IrqNumbers arm64_irqs() {
  IrqNumbers n;
  n.timer = 1ULL << 11;
  n.ipi = 0xfe;  // irqs 1-7
  return n;
}

TEST(TraceBpfCoverage, X86WithEveryTracepointCountsEverything) {
  const Coverage c = coverage_of(attached(kX86), {});
  for (int i = 0; i < PTL_NR_COUNTERS; ++i) {
    EXPECT_TRUE(c.available[i]) << i;
    EXPECT_EQ(c.why_not[i], "") << i;
  }
}

TEST(TraceBpfCoverage, Arm64CountsAllButTlbFlushes) {
  const Coverage c = coverage_of(attached(kArm64), arm64_irqs());
  for (int i : {PTL_SYSCALLS, PTL_IRQS, PTL_TIMER_IRQS, PTL_IPIS, PTL_INTR_IN_TASK, PTL_PF_USER, PTL_PF_KERNEL,
                PTL_CTX_SWITCHES, PTL_MM_SWITCHES, PTL_PID_DROPPED})
    EXPECT_TRUE(c.available[i]) << i;
  for (int i = PTL_TLB_FLUSHES; i <= PTL_TLB_FULL; ++i) {
    EXPECT_FALSE(c.available[i]) << i;
    EXPECT_EQ(c.why_not[i], "no tracepoint or event for it on this architecture; elsewhere: tlb:tlb_flush") << i;
  }
  EXPECT_TRUE(derive(CounterArray{}, true, c.available).cr3_counted);
}

// Without the timer's and the IPIs' irq numbers, irq_handler_entry's count
// mixes them with device interrupts: neither column is countable, the
// interrupts in user tasks (every interrupt) still are.
TEST(TraceBpfCoverage, Arm64WithoutIrqNumbers) {
  IrqNumbers none;
  none.timer_why = none.ipi_why = "cannot read /sys/kernel/irq: No such file or directory";
  const Coverage c = coverage_of(attached(kArm64), none);
  EXPECT_FALSE(c.available[PTL_TIMER_IRQS]);
  EXPECT_FALSE(c.available[PTL_IRQS]);
  EXPECT_NE(c.why_not[PTL_IRQS].find("sees the timer and IPIs too"), std::string::npos) << c.why_not[PTL_IRQS];
  EXPECT_NE(c.why_not[PTL_TIMER_IRQS].find("/sys/kernel/irq"), std::string::npos) << c.why_not[PTL_TIMER_IRQS];
  EXPECT_TRUE(c.available[PTL_INTR_IN_TASK]);
  EXPECT_TRUE(c.available[PTL_IPIS]);
  IrqNumbers timer_only = arm64_irqs();
  timer_only.ipi = 0;
  timer_only.ipi_why = "no irq with the handler 'IPI' in /sys/kernel/irq";
  const Coverage t = coverage_of(attached(kArm64), timer_only);
  EXPECT_TRUE(t.available[PTL_TIMER_IRQS]);
  EXPECT_FALSE(t.available[PTL_IRQS]);
  EXPECT_NE(t.why_not[PTL_IRQS].find("'IPI'"), std::string::npos) << t.why_not[PTL_IRQS];
}

// A refused perf event: its counter is not countable, with the reason, and
// so the derived numbers that need it are not derived.
TEST(TraceBpfCoverage, RefusedPerfEventLosesItsCounter) {
  auto outcomes = attached(kArm64);
  outcomes[4] = {"on_page_fault_user_sw", false, "perf_event_open page-faults:u on CPU 0: Permission denied"};
  const Coverage c = coverage_of(outcomes, arm64_irqs());
  EXPECT_FALSE(c.available[PTL_PF_USER]);
  EXPECT_EQ(c.why_not[PTL_PF_USER], outcomes[4].why);
  EXPECT_TRUE(c.available[PTL_PF_KERNEL]);
  EXPECT_FALSE(derive(CounterArray{}, true, c.available).entries_counted);
}

// One of x86's IPI tracepoints missing: the IPIs and the interrupts in
// user tasks would be short of it, so neither is countable, although the
// other tracepoints feeding them attached.
TEST(TraceBpfCoverage, PartlyFedCounterIsNotCountable) {
  auto outcomes = attached(kX86);
  outcomes[5] = {"on_call_function_entry", false, "tracepoint call_function_entry is not in this kernel"};
  const Coverage c = coverage_of(outcomes, {});
  EXPECT_FALSE(c.available[PTL_IPIS]);
  EXPECT_FALSE(c.available[PTL_INTR_IN_TASK]);
  EXPECT_EQ(c.why_not[PTL_INTR_IN_TASK], outcomes[5].why);
  EXPECT_TRUE(c.available[PTL_IRQS]);
  EXPECT_TRUE(c.available[PTL_TIMER_IRQS]);
  EXPECT_FALSE(derive(CounterArray{}, true, c.available).entries_counted);
  EXPECT_TRUE(derive(CounterArray{}, false, c.available).cr3_counted);
}

TEST(TraceBpfIrqNumbers, FindsTheTimerAndIpisByHandlerName) {
  TempDir dir;
  const auto irq = [&](int n, const std::string& actions) {
    std::filesystem::create_directories(dir / std::to_string(n));
    testing::write_file(dir / std::to_string(n) / "actions", actions);
  };
  for (int n = 1; n <= 7; ++n) irq(n, "IPI\n");
  irq(10, "\n");
  irq(11, "arch_timer\n");
  irq(13, "uart-pl011\n");
  irq(22, "virtio1-requests,IPI-lookalike\n");
  std::filesystem::create_directories(dir / "not-a-number");
  const IrqNumbers n = find_irq_numbers(dir.path(), "arch_timer", "IPI");
  EXPECT_EQ(n.timer, 1ULL << 11);
  EXPECT_EQ(n.ipi, 0xfeULL);
  EXPECT_EQ(n.timer_why, "");

  irq(70, "IPI\n");  // beyond the mask: better not countable than counted as a device irq
  const IrqNumbers high = find_irq_numbers(dir.path(), "arch_timer", "IPI");
  EXPECT_EQ(high.ipi, 0u);
  EXPECT_NE(high.ipi_why.find("irq 70"), std::string::npos) << high.ipi_why;
  EXPECT_EQ(high.timer, 1ULL << 11);

  const IrqNumbers gone = find_irq_numbers(dir / "none", "arch_timer", "IPI");
  EXPECT_EQ(gone.timer, 0u);
  EXPECT_NE(gone.timer_why.find("cannot read"), std::string::npos) << gone.timer_why;
}

}  // namespace
}  // namespace ptilab
