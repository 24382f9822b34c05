// SPDX-License-Identifier: GPL-2.0
/*
 * ptilab trace: count what page-table isolation makes expensive -- kernel
 * entries, context switches that change mm (a CR3/TTBR0 write), TLB flushes
 * -- per CPU and per process, cheaply enough to leave on.
 *
 * Cheap: BTF-typed raw tracepoints (tp_btf: no perf buffer copy, no
 * tracefs), per-CPU maps, no strings per event. The per-event path only
 * bumps a per-CPU counter; per-process numbers are the per-CPU counters'
 * growth while a process was current, attributed to it when it is switched
 * out or interrupted (so the hash map is touched per context switch or
 * interrupt, never per system call).
 *
 * Generic tracepoints live here; architecture-specific ones (interrupts,
 * page faults, TLB flushes) in trace_<arch>.bpf.h, included under
 * __TARGET_ARCH_<arch>. The loader (userspace/src/kernel/trace_bpf.cc) knows
 * what each program counts: it disables any program whose tracepoint the
 * running kernel lacks or whose perf event it cannot open, and reports
 * the counters that lost their source as not countable.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "trace.h"

char LICENSE[] SEC("license") = "GPL";

/* Count only this process (tgid); 0: everything. Set before load. */
const volatile __u32 target_tgid = 0;

/* Interrupts irq:irq_handler_entry sees that are not device interrupts,
 * as bits of their irq numbers (< 64; 0: none known): arm64's timer and
 * IPIs (trace_arm64.bpf.h). The loader finds them by their handler's name
 * in /sys/kernel/irq/<n>/actions. Unused on x86, where the timer and IPIs
 * have vectors and tracepoints of their own. */
const volatile __u64 timer_irq_mask = 0;
const volatile __u64 ipi_irq_mask = 0;

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h; stable since 2.6 */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ptl_cpu_counts);
} cpu_counts SEC(".maps");

/* The per-CPU counters' values when they were last attributed to a process. */
struct ptl_mark {
	__u64 syscalls, intr, pf_user, tlb;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ptl_mark);
} cpu_marks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PTL_MAX_PIDS);
	__type(key, __u32); /* tgid */
	__type(value, struct ptl_pid_counts);
} pid_counts SEC(".maps");

/* Written once per new tgid (the group leader's comm), never per event. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PTL_MAX_PIDS);
	__type(key, __u32);
	__type(value, char[PTL_COMM_LEN]);
} pid_comms SEC(".maps");

static __always_inline struct ptl_cpu_counts *counts(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_counts, &zero);
}

static __always_inline bool wanted_tgid(__u32 tgid)
{
	return !target_tgid || tgid == target_tgid;
}

static __always_inline bool wanted(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline bool is_user_task(struct task_struct *t)
{
	return t->pid != 0 && !(t->flags & PF_KTHREAD);
}

static struct ptl_pid_counts *pid_entry(struct task_struct *task, __u32 tgid, struct ptl_cpu_counts *cc)
{
	struct ptl_pid_counts *pc, zero = {};
	char comm[PTL_COMM_LEN];
	long err;

	pc = bpf_map_lookup_elem(&pid_counts, &tgid);
	if (pc)
		return pc;
	err = bpf_map_update_elem(&pid_counts, &tgid, &zero, BPF_NOEXIST);
	if (err == 0) {
		BPF_CORE_READ_STR_INTO(&comm, task, group_leader, comm);
		bpf_map_update_elem(&pid_comms, &tgid, &comm, BPF_ANY);
	} else if (err != -17 /* EEXIST: another CPU added it */) {
		cc->c[PTL_PID_DROPPED]++;
		return NULL;
	}
	return bpf_map_lookup_elem(&pid_counts, &tgid);
}

/* Give task what this CPU counted since the last attribution. */
static __always_inline void attribute(struct task_struct *task, struct ptl_cpu_counts *cc)
{
	struct ptl_pid_counts *pc;
	struct ptl_mark *m;
	__u32 zero = 0, tgid;
	__u64 sys, intr, pf, tlb;

	m = bpf_map_lookup_elem(&cpu_marks, &zero);
	if (!m)
		return;
	sys = cc->c[PTL_SYSCALLS] - m->syscalls;
	intr = cc->c[PTL_INTR_IN_TASK] - m->intr;
	pf = cc->c[PTL_PF_USER] - m->pf_user;
	tlb = cc->c[PTL_TLB_FLUSHES] - m->tlb;
	if (!(sys | intr | pf | tlb))
		return;
	m->syscalls = cc->c[PTL_SYSCALLS];
	m->intr = cc->c[PTL_INTR_IN_TASK];
	m->pf_user = cc->c[PTL_PF_USER];
	m->tlb = cc->c[PTL_TLB_FLUSHES];
	tgid = task->tgid;
	if (tgid == 0)
		return; /* the idle task: interrupts and flushes while idle */
	pc = pid_entry(task, tgid, cc);
	if (!pc)
		return;
	pc->c[PTL_PID_SYSCALLS] += sys;
	pc->c[PTL_PID_INTR] += intr;
	pc->c[PTL_PID_PF_USER] += pf;
	pc->c[PTL_PID_TLB_FLUSHES] += tlb;
}

/* An interrupt of kind which (PTL_IRQS, PTL_TIMER_IRQS, PTL_IPIS), or
 * PTL_NR_COUNTERS: only the entry (its kind is counted elsewhere). */
static __always_inline void count_intr(int which)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ptl_cpu_counts *cc;

	if (!wanted())
		return;
	cc = counts();
	if (!cc)
		return;
	if (which < PTL_NR_COUNTERS)
		cc->c[which]++;
	/* Hits a user task: an entry from user mode unless that task was
	 * already in the kernel -- the upper bound the derived numbers use. */
	if (is_user_task(t))
		cc->c[PTL_INTR_IN_TASK]++;
	attribute(t, cc);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct ptl_cpu_counts *cc;

	if (!wanted())
		return 0;
	cc = counts();
	if (cc)
		cc->c[PTL_SYSCALLS]++;
	return 0;
}

/* A page fault of kind which (PTL_PF_USER, PTL_PF_KERNEL). */
static __always_inline void count_fault(int which)
{
	struct ptl_cpu_counts *cc;

	if (!wanted())
		return;
	cc = counts();
	if (cc)
		cc->c[which]++;
}

/* Arguments after next differ between kernels (prev_state since 5.18);
 * only the first three are used. */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct ptl_cpu_counts *cc;
	struct ptl_pid_counts *pc;
	struct mm_struct *prev_mm, *next_mm;
	__u32 prev_tgid = prev->tgid, next_tgid = next->tgid;
	bool mm_switch;

	if (!wanted_tgid(prev_tgid) && !wanted_tgid(next_tgid))
		return 0;
	cc = counts();
	if (!cc)
		return 0;
	/* The mm the CPU runs on: a kernel thread borrows the previous one
	 * (lazy TLB), so user A -> kthread -> user A writes no CR3. */
	prev_mm = prev->active_mm;
	next_mm = next->mm;
	if (!next_mm)
		next_mm = prev_mm;
	mm_switch = next_mm != prev_mm;

	cc->c[PTL_CTX_SWITCHES]++;
	if (mm_switch)
		cc->c[PTL_MM_SWITCHES]++;

	attribute(prev, cc);
	if (prev_tgid && wanted_tgid(prev_tgid)) {
		pc = pid_entry(prev, prev_tgid, cc);
		if (pc)
			pc->c[PTL_PID_CTX_SWITCHES]++;
	}
	if (mm_switch && next_tgid && wanted_tgid(next_tgid)) {
		pc = pid_entry(next, next_tgid, cc);
		if (pc)
			pc->c[PTL_PID_MM_SWITCHES]++;
	}
	return 0;
}

#if defined(__TARGET_ARCH_x86)
#include "trace_x86.bpf.h"
#elif defined(__TARGET_ARCH_arm64)
#include "trace_arm64.bpf.h"
#endif
