/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between bpf/trace.bpf.c and the loader (userspace/src/kernel/trace_bpf.cc):
 * the counters `ptilab trace` keeps. Everything is a monotonic u64; user
 * space computes per-interval deltas, so the BPF side never resets anything
 * and needs no locks (per-CPU maps, one writer per slot).
 */
#ifndef PTILAB_TRACE_H
#define PTILAB_TRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Per-CPU counters (index into struct ptl_cpu_counts.c). */
enum ptl_counter {
	PTL_SYSCALLS,          /* raw_syscalls:sys_enter */
	PTL_IRQS,              /* irq:irq_handler_entry (device interrupt handlers) */
	PTL_TIMER_IRQS,        /* x86 irq_vectors:local_timer_entry; arm64 the arch_timer irq */
	PTL_IPIS,              /* x86 irq_vectors: reschedule, call_function(_single); arm64 ipi:ipi_entry */
	PTL_INTR_IN_TASK,      /* any of the three above while a user task was current */
	PTL_PF_USER,           /* x86 exceptions:page_fault_user; arm64 perf page-faults:u */
	PTL_PF_KERNEL,         /* x86 exceptions:page_fault_kernel; arm64 perf page-faults:k */
	PTL_CTX_SWITCHES,      /* sched:sched_switch */
	PTL_MM_SWITCHES,       /* ... whose next task runs on another mm (CR3/TTBR0 write) */
	PTL_TLB_FLUSHES,       /* x86 tlb:tlb_flush, any reason (arm64: none) */
	PTL_TLB_REASON0,       /* ... by reason: TLB_FLUSH_ON_TASK_SWITCH */
	PTL_TLB_REASON1,       /* TLB_REMOTE_SHOOTDOWN */
	PTL_TLB_REASON2,       /* TLB_LOCAL_SHOOTDOWN */
	PTL_TLB_REASON3,       /* TLB_LOCAL_MM_SHOOTDOWN */
	PTL_TLB_REASON4,       /* TLB_REMOTE_SEND_IPI */
	PTL_TLB_REASON5,       /* TLB_REMOTE_WRONG_CPU (newer kernels) */
	PTL_TLB_REASON_OTHER,  /* reasons this program does not know */
	PTL_TLB_PAGES,         /* pages flushed by ranged flushes */
	PTL_TLB_FULL,          /* flushes of everything (pages == TLB_FLUSH_ALL) */
	PTL_PID_DROPPED,       /* events not attributed: the pid map was full */
	PTL_NR_COUNTERS
};

#define PTL_TLB_NR_REASONS 6

struct ptl_cpu_counts {
	__u64 c[PTL_NR_COUNTERS];
};

/* Per process (tgid), summed over its threads. */
enum ptl_pid_counter {
	PTL_PID_SYSCALLS,
	PTL_PID_INTR,
	PTL_PID_PF_USER,
	PTL_PID_TLB_FLUSHES,
	PTL_PID_CTX_SWITCHES,  /* switched out */
	PTL_PID_MM_SWITCHES,   /* switched into its mm from another */
	PTL_PID_NR_COUNTERS
};

struct ptl_pid_counts {
	__u64 c[PTL_PID_NR_COUNTERS];
};

#define PTL_COMM_LEN 16
#define PTL_MAX_PIDS 8192

#endif /* PTILAB_TRACE_H */
