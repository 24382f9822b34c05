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
#include <linux/cpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>

#include "ptilab.h"

/*
 * This kernel's major.minor as a KERNEL_VERSION(): LINUX_VERSION_CODE
 * without the sublevel, spelled out because checkpatch warns about that
 * name (code merged into one tree needs no version test; this module
 * builds against several).
 */
#define PTILAB_KERNEL	KERNEL_VERSION(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, 0)

/* pti_mode in arch/x86/mm/pti.c: what the command line asked for. */
enum pti_mode {
	PTI_AUTO = 0,
	PTI_FORCE_OFF,
	PTI_FORCE_ON
};

#if KERNEL_VERSION(6, 8, 0) > PTILAB_KERNEL
/*
 * Up to 6.7 pti_check_boottime_disable() reads the command line itself,
 * right after the Xen PV check, in this order:
 *   1. cmdline_find_option(boot_command_line, "pti", ...): the value of
 *      the last "pti=" word anywhere on the line (it scans the whole line,
 *      "--" included).  Only exactly "off", "on" and "auto" count: any
 *      other value ("pti=offx", "pti=") is as if there were no pti= at
 *      all.  "auto" goes straight to the bug check, skipping step 2.
 *   2. cmdline_find_option_bool(boot_command_line, "nopti") -- that exact
 *      word, "nopti=1" is not it -- or cpu_mitigations_off(): off.
 *   3. Otherwise X86_BUG_CPU_MELTDOWN decides.
 */
static enum pti_mode pti_mode_model(char *cmdline, const char **tok)
{
	struct ptilab_cmdline c;
	const char *arg = NULL;
	bool nopti = false;

	ptilab_cmdline_init(&c, cmdline, false);
	while (ptilab_cmdline_next(&c)) {
		if (c.val && !strcmp(c.param, "pti"))
			arg = c.val;
		else if (!c.val && !strcmp(c.param, "nopti"))
			nopti = true;
	}
	if (arg && !strcmp(arg, "off")) {
		*tok = "pti=off";
		return PTI_FORCE_OFF;
	}
	if (arg && !strcmp(arg, "on")) {
		*tok = "pti=on";
		return PTI_FORCE_ON;
	}
	if (arg && !strcmp(arg, "auto"))
		return PTI_AUTO;
	if (nopti) {
		*tok = "nopti";
		return PTI_FORCE_OFF;
	}
	if (cpu_mitigations_off()) {
		*tok = "mitigations=off";
		return PTI_FORCE_OFF;
	}
	return PTI_AUTO;
}
#else
/*
 * From 6.8 on, "x86/pti: Fix kernel warnings for pti= and nopti cmdline
 * options" made both early_param()s (DepSurf's per-release function
 * lists: pti_parse_cmdline() absent in 6.5, present in 6.8), so they
 * follow parse_early_param()'s rules: applied in command-line order up to
 * a "--" word, the last one applied wins.
 *   - pti_parse_cmdline(): "off", "on" and "auto" set the mode; any other
 *     value is -EINVAL ("Malformed early option 'pti'") and changes
 *     nothing.  (A bare "pti" would hand it a NULL it does not expect;
 *     not modelled.)
 *   - pti_parse_cmdline_nopti(): "nopti", with any value or none, sets off.
 * Then pti_check_boottime_disable(), after the Xen PV check:
 * cpu_mitigations_off() forces off over everything, pti=on included;
 * forced off is off, forced on is on, auto follows X86_BUG_CPU_MELTDOWN.
 */
static enum pti_mode pti_mode_model(char *cmdline, const char **tok)
{
	enum pti_mode mode = PTI_AUTO;
	struct ptilab_cmdline c;

	ptilab_cmdline_init(&c, cmdline, true);
	while (ptilab_cmdline_next(&c)) {
		/* do_early_param() matches with parameq(); no '-' or '_' here. */
		if (c.val && !strcmp(c.param, "pti")) {
			if (!strcmp(c.val, "off")) {
				mode = PTI_FORCE_OFF;
				*tok = "pti=off";
			} else if (!strcmp(c.val, "on")) {
				mode = PTI_FORCE_ON;
				*tok = "pti=on";
			} else if (!strcmp(c.val, "auto")) {
				mode = PTI_AUTO;
			}
		} else if (!strcmp(c.param, "nopti")) {
			mode = PTI_FORCE_OFF;
			*tok = "nopti";
		}
	}
	if (cpu_mitigations_off()) {
		mode = PTI_FORCE_OFF;
		*tok = "mitigations=off";
	}
	return mode;
}
#endif

/*
 * Why PTI is on or off: pti_check_boottime_disable() (arch/x86/mm/pti.c)
 * step by step for this kernel's version.  Xen PV never uses it; then
 * the command line's mode (pti_mode_model() above); auto follows the
 * Meltdown bug.  The answer is checked against what the kernel actually
 * did (X86_FEATURE_PTI); if they disagree this kernel decides differently
 * than modelled here and we say "unknown".  *tok names the option that
 * forced the mode (a constant: the model's copy of the line is gone by
 * the time it is printed).
 */
static const char *pti_reason_model(const char **tok)
{
	bool pti = boot_cpu_has(X86_FEATURE_PTI);
	bool bug = boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN);
	enum pti_mode mode;
	char *cmdline;

	if (hypervisor_is_type(X86_HYPER_XEN_PV))
		return pti ? "unknown" : "xen_pv";

	cmdline = kmalloc(COMMAND_LINE_SIZE, GFP_KERNEL);
	if (!cmdline || ptilab_read_cmdline(cmdline, COMMAND_LINE_SIZE) < 0) {
		kfree(cmdline);
		return "unknown";
	}
	mode = pti_mode_model(cmdline, tok);
	kfree(cmdline);

	if (mode == PTI_FORCE_OFF)
		return pti ? "unknown" : "cmdline";
	if (mode == PTI_FORCE_ON)
		return pti ? "cmdline" : "unknown";
	if (pti != bug)
		return "unknown";
	return bug ? "meltdown_bug" : "not_affected";
}

void ptilab_arch_state(struct ptilab_kv *kv)
{
	bool pcide = __read_cr4() & X86_CR4_PCIDE;
	bool pti = boot_cpu_has(X86_FEATURE_PTI);
	unsigned long pcid = __native_read_cr3() & X86_CR3_PCID_MASK;
	const char *tok = "";
	const char *why = pti_reason_model(&tok);

	ptilab_kv_bool(kv, "pti", pti);
	/* "cmdline:pti=on", "cmdline:nopti", "meltdown_bug", "not_affected", ... */
	ptilab_kv_reason(kv, "pti_reason", why, tok);
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
