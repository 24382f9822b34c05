// SPDX-License-Identifier: GPL-2.0
/*
 * x86 hook actions, run from the sys_enter tracepoint (preemption off,
 * kernel CR3 loaded).
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/cpufeature.h>
#include <asm/invpcid.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <linux/irqflags.h>

#include "ptilab.h"

const char *const ptilab_arch_hook_names[PTILAB_NR_HOOKS] = {
	[PTILAB_HOOK_EXTRA_CR3] = "extra_cr3",
	[PTILAB_HOOK_FLUSH] = "flush",
};

/*
 * Write CR3 back with the value it holds, NOFLUSH where PCID is on,
 * exactly as SWITCH_TO_KERNEL_CR3 writes it.  Without PCID every write
 * flushes the non-global TLB, which is what a CR3 write costs there.
 * Returns the number of CR3 writes done.
 */
unsigned int ptilab_arch_extra_cr3(unsigned int writes)
{
	unsigned long flags, cr3;
	unsigned int i;

	/* Interrupts off: no flush IPI may reload CR3 between read and write. */
	local_irq_save(flags);
	cr3 = __native_read_cr3();
	if (__read_cr4() & X86_CR4_PCIDE)
		cr3 |= X86_CR3_PCID_NOFLUSH;
	for (i = 0; i < writes; i++)
		native_write_cr3(cr3);
	local_irq_restore(flags);
	return i;
}

/*
 * "PTI without PCID" on a PCID machine: drop every non-global entry of
 * every PCID, as each CR3 write would without PCID.  INVPCID does that
 * in one go; without INVPCID a CR3 rewrite flushes the current PCID
 * (all of them when PCID is off).  Returns the number of flushes: one.
 */
unsigned int ptilab_arch_flush_nonglobal(void)
{
	unsigned long flags;

	if (boot_cpu_has(X86_FEATURE_INVPCID)) {
		invpcid_flush_all_nonglobals();
		return 1;
	}
	local_irq_save(flags);
	native_write_cr3(__native_read_cr3());
	local_irq_restore(flags);
	return 1;
}
