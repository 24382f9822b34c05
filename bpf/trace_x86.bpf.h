/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 tracepoints for trace.bpf.c (included from it, not compiled alone):
 * device interrupts, local timer and IPI vectors, page faults by mode, TLB
 * flushes by reason. arm64's are in trace_arm64.bpf.h.
 */

/* Only device interrupts reach irq_handler_entry here: the timer and
 * IPIs are system vectors with tracepoints of their own (below). */
SEC("tp_btf/irq_handler_entry")
int BPF_PROG(on_irq_handler_entry, int irq, struct irqaction *action)
{
	count_intr(PTL_IRQS);
	return 0;
}

SEC("tp_btf/local_timer_entry")
int BPF_PROG(on_local_timer_entry, int vector)
{
	count_intr(PTL_TIMER_IRQS);
	return 0;
}

SEC("tp_btf/reschedule_entry")
int BPF_PROG(on_reschedule_entry, int vector)
{
	count_intr(PTL_IPIS);
	return 0;
}

SEC("tp_btf/call_function_entry")
int BPF_PROG(on_call_function_entry, int vector)
{
	count_intr(PTL_IPIS);
	return 0;
}

SEC("tp_btf/call_function_single_entry")
int BPF_PROG(on_call_function_single_entry, int vector)
{
	count_intr(PTL_IPIS);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(on_page_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	count_fault(PTL_PF_USER);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(on_page_fault_kernel, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	count_fault(PTL_PF_KERNEL);
	return 0;
}

/* pages is TLB_FLUSH_ALL (-1UL) for a flush of everything. It does not
 * fire for the CR3 writes of PTI's kernel entry and exit. */
SEC("tp_btf/tlb_flush")
int BPF_PROG(on_tlb_flush, int reason, unsigned long pages)
{
	struct ptl_cpu_counts *cc;
	__u32 r = reason;

	if (!wanted())
		return 0;
	cc = counts();
	if (!cc)
		return 0;
	cc->c[PTL_TLB_FLUSHES]++;
	/* A switch, not c[PTL_TLB_REASON0 + r]: clang hoists that index
	 * computation above its bounds check and the verifier refuses it. */
	switch (r) {
	case 0: cc->c[PTL_TLB_REASON0]++; break;
	case 1: cc->c[PTL_TLB_REASON1]++; break;
	case 2: cc->c[PTL_TLB_REASON2]++; break;
	case 3: cc->c[PTL_TLB_REASON3]++; break;
	case 4: cc->c[PTL_TLB_REASON4]++; break;
	case 5: cc->c[PTL_TLB_REASON5]++; break;
	default: cc->c[PTL_TLB_REASON_OTHER]++; break;
	}
	if (pages == (unsigned long)-1)
		cc->c[PTL_TLB_FULL]++;
	else
		cc->c[PTL_TLB_PAGES] += pages;
	return 0;
}
