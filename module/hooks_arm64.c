// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 hook actions, run from the sys_enter tracepoint (preemption off,
 * kernel tables loaded).
 *
 * The hooks keep the x86 names (files hook_extra_cr3 and hook_flush, keys
 * extra_cr3.* and flush.*) so that every tool drives both architectures
 * the same way: "extra_cr3" is the architecture's page-table-base write,
 * TTBR1_EL1 here.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/barrier.h>
#include <asm/pgtable.h>
#include <asm/mmu.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>
#include <linux/irqflags.h>

#include "ptilab.h"

const char *const ptilab_arch_hook_names[PTILAB_NR_HOOKS] = {
	[PTILAB_HOOK_EXTRA_CR3] = "extra_cr3",
	[PTILAB_HOOK_FLUSH] = "flush",
};

/*
 * Write TTBR1 back with the value it holds, then ISB, exactly as KPTI's
 * trampoline does twice per system call: the experiment "what if this
 * kernel paid KPTI's table switches" on a kernel that does not.  The ASID
 * is unchanged, so no TLB entry is lost.  Returns the number of TTBR1
 * writes done.
 */
unsigned int ptilab_arch_extra_cr3(unsigned int writes)
{
	unsigned long flags;
	unsigned int i;
	u64 ttbr1;

	/* Interrupts off: nothing may switch ASIDs between read and write. */
	local_irq_save(flags);
	ttbr1 = read_sysreg(ttbr1_el1);
	for (i = 0; i < writes; i++) {
		write_sysreg(ttbr1, ttbr1_el1);
		isb();
	}
	local_irq_restore(flags);
	return i;
}

/*
 * "KPTI without ASIDs": drop this process's TLB entries on every system
 * call, both halves of its ASID pair, as flush_tlb_mm() does.  Returns
 * the number of flushes: one (of both ASIDs).
 */
unsigned int ptilab_arch_flush_nonglobal(void)
{
	u64 asid = read_sysreg(ttbr1_el1) & TTBR_ASID_MASK;

	dsb(ishst);
	__tlbi(aside1is, asid & ~USER_ASID_FLAG);
	__tlbi(aside1is, asid | USER_ASID_FLAG);
	dsb(ish);
	return 1;
}
