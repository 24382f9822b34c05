// SPDX-License-Identifier: GPL-2.0
/*
 * x86 isolation state.
 *
 * The kernel decides PTI once at boot (pti_check_boottime_disable()) and
 * records the outcome as X86_FEATURE_PTI; the CPU's Meltdown exposure is
 * X86_BUG_CPU_MELTDOWN.  PCID is what keeps the two CR3 writes per kernel
 * entry cheap, so report both what the CPU offers (pcid, invpcid) and what
 * the kernel switched on (CR4.PCIDE).
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/cpufeature.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "ptilab.h"

void ptilab_arch_state_show(struct seq_file *m)
{
	seq_printf(m, "pti=%s\n", ptilab_onoff(boot_cpu_has(X86_FEATURE_PTI)));
	seq_printf(m, "pcid=%s\n", ptilab_onoff(boot_cpu_has(X86_FEATURE_PCID)));
	seq_printf(m, "invpcid=%s\n",
		   ptilab_onoff(boot_cpu_has(X86_FEATURE_INVPCID)));
	/* CR4 is per CPU, but the kernel sets PCIDE identically on all. */
	seq_printf(m, "cr4_pcide=%s\n",
		   ptilab_onoff(__read_cr4() & X86_CR4_PCIDE));
	seq_printf(m, "meltdown_bug=%s\n",
		   ptilab_onoff(boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN)));
}
