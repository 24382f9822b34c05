/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 sources for trace.bpf.c (included from it, not compiled alone):
 * interrupts, IPIs, page faults by mode. Nothing here patches kernel text
 * beyond what attaching any tracepoint does (one static key per
 * tracepoint or software event; no fentry, no kprobe: under QEMU's TCG,
 * patching text while the other CPUs run is what wedges the guests).
 *
 * Not countable on arm64: TLB flushes. Its TLB maintenance (TLBI)
 * has no tracepoint; tlb:tlb_flush exists in its BTF, but only x86 fires
 * it, so no program here attaches to it (it would count a silent 0).
 */

/* The timer and the IPIs are per-CPU (devid) IRQs on arm64: every
 * interrupt, those included, passes irq_handler_entry, which makes this
 * the one place where an interrupt counts as an entry. The loader gives
 * their irq numbers (timer_irq_mask, ipi_irq_mask); an IPI counts only
 * its entry here, ipi_entry (below) counts the IPI. */
SEC("tp_btf/irq_handler_entry")
int BPF_PROG(on_irq_handler_entry_all, int irq, struct irqaction *action)
{
	__u64 bit = irq >= 0 && irq < 64 ? 1ULL << irq : 0;

	if (bit & timer_irq_mask)
		count_intr(PTL_TIMER_IRQS);
	else if (bit & ipi_irq_mask)
		count_intr(PTL_NR_COUNTERS);
	else
		count_intr(PTL_IRQS);
	return 0;
}

/* Fired by do_handle_IPI() inside the IPI's irq handler, which
 * irq_handler_entry has already counted as an entry and attributed. */
SEC("tp_btf/ipi_entry")
int BPF_PROG(on_ipi_entry, const char *reason)
{
	struct ptl_cpu_counts *cc;

	if (!wanted())
		return 0;
	cc = counts();
	if (cc)
		cc->c[PTL_IPIS]++;
	return 0;
}

/* Page faults: arm64 has no exceptions:page_fault_* tracepoints. The
 * loader runs these on the software event PERF_COUNT_SW_PAGE_FAULTS,
 * per CPU, sample period 1, once with exclude_kernel (faults whose regs
 * are user mode) and once with exclude_user. do_page_fault() raises it
 * after its early exits, so unlike x86's tracepoints it does not see
 * faults taken with page faults disabled or without an mm (which fail
 * to the fixup), nor faults on kernel addresses (do_bad_area: from user
 * mode those are segfaults). Returning 0 keeps perf from writing a
 * sample. */
SEC("perf_event")
int on_page_fault_user_sw(struct bpf_perf_event_data *ctx)
{
	count_fault(PTL_PF_USER);
	return 0;
}

SEC("perf_event")
int on_page_fault_kernel_sw(struct bpf_perf_event_data *ctx)
{
	count_fault(PTL_PF_KERNEL);
	return 0;
}
