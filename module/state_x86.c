// SPDX-License-Identifier: GPL-2.0
/*
 * x86 isolation state.
 *
 * The kernel decides PTI once at boot (pti_check_boottime_disable()) and
 * records the outcome as X86_FEATURE_PTI; the CPU's Meltdown exposure is
 * X86_BUG_CPU_MELTDOWN.  PCID is what keeps the two CR3 writes per kernel
 * entry cheap: with it the entry code sets CR3's NOFLUSH bit and kernel
 * and user run under different PCIDs (user = kernel | 0x800), so neither
 * switch flushes the TLB.  Report what the CPU offers (pcid, invpcid) and
 * what the kernel switched on (CR4.PCIDE, CR4.PGE).
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/cpufeature.h>
#include <asm/hypervisor.h>
#include <asm/processor-flags.h>
#include <asm/setup.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <linux/slab.h>

#include "ptilab.h"

/*
 * Why PTI is on or off, reproducing pti_check_boottime_disable(): Xen PV
 * never uses it; pti=off/nopti (the last one on the command line wins),
 * or mitigations=off while pti is left on auto, force it off; pti=on
 * forces it on; otherwise it follows the Meltdown bug.  The answer is
 * checked against what the kernel actually did; if they disagree this
 * kernel decides differently than modelled here and we say "unknown".
 */
static const char *pti_reason_model(char *tok, size_t toksz)
{
	static const char *const pti_opts[] = { "pti=", "nopti" };
	static const char *const mit_opts[] = { "mitigations=" };
	bool pti = boot_cpu_has(X86_FEATURE_PTI);
	bool bug = boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN);
	char mit[32] = "";
	bool forced;
	char *cmdline;

	if (hypervisor_is_type(X86_HYPER_XEN_PV))
		return pti ? "unknown" : "xen_pv";

	cmdline = kmalloc(COMMAND_LINE_SIZE, GFP_KERNEL);
	if (!cmdline || ptilab_read_cmdline(cmdline, COMMAND_LINE_SIZE) < 0) {
		kfree(cmdline);
		return "unknown";
	}
	forced = ptilab_cmdline_last(cmdline, pti_opts, ARRAY_SIZE(pti_opts),
				     tok, toksz);
	ptilab_cmdline_last(cmdline, mit_opts, ARRAY_SIZE(mit_opts),
			    mit, sizeof(mit));
	kfree(cmdline);
	if (forced && !strcmp(tok, "pti=auto"))
		forced = false;

	if (forced)
		return !strcmp(tok, "pti=on") == pti ? "cmdline" : "unknown";
	if (!pti && !strcmp(mit, "mitigations=off")) {
		strscpy(tok, mit, toksz);
		return "cmdline";
	}
	if (pti == bug)
		return bug ? "meltdown_bug" : "not_affected";
	return "unknown";
}

void ptilab_arch_state(struct ptilab_kv *kv)
{
	bool pcide = __read_cr4() & X86_CR4_PCIDE;
	bool pti = boot_cpu_has(X86_FEATURE_PTI);
	unsigned long pcid = __native_read_cr3() & X86_CR3_PCID_MASK;
	char tok[32] = "";

	ptilab_kv_bool(kv, "pti", pti);
	/* "cmdline:pti=on", "cmdline:nopti", "meltdown_bug", "not_affected", ... */
	ptilab_kv_reason(kv, "pti_reason", pti_reason_model(tok, sizeof(tok)), tok);
	ptilab_kv_bool(kv, "meltdown_bug",
		       boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN));
	ptilab_kv_bool(kv, "pcid", boot_cpu_has(X86_FEATURE_PCID));
	ptilab_kv_bool(kv, "invpcid", boot_cpu_has(X86_FEATURE_INVPCID));
	/*
	 * INVPCID's single-context flush is usable when PCIDE is set and the
	 * CPU has INVPCID: what setup_pcid() recorded as
	 * X86_FEATURE_INVPCID_SINGLE until 6.x dropped the flag.
	 */
	ptilab_kv_bool(kv, "invpcid_single",
		       pcide && boot_cpu_has(X86_FEATURE_INVPCID));
	/* CR4 is per CPU, but the kernel sets PCIDE identically on all. */
	ptilab_kv_bool(kv, "cr4_pcide", pcide);
	ptilab_kv_bool(kv, "pcid_enabled", pcide);
	if (pcide) {
		/* Read in kernel mode, so CR3 holds the kernel PCID. */
		ptilab_kv_u64(kv, "kernel_pcid", pcid);
		ptilab_kv_u64(kv, "user_pcid", pti ?
			      pcid | BIT(X86_CR3_PTI_PCID_USER_BIT) : pcid);
	} else {
		ptilab_kv_str(kv, "kernel_pcid", "n/a");
		ptilab_kv_str(kv, "user_pcid", "n/a");
	}
	/* CR3 bit 63 (keep this PCID's TLB entries) is only valid with PCIDE. */
	ptilab_kv_bool(kv, "cr3_noflush", pcide);
	ptilab_kv_bool(kv, "global_pages", __read_cr4() & X86_CR4_PGE);
}
