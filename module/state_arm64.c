// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 isolation state.
 *
 * arm64 decides KPTI ("unmap the kernel at EL0") once at boot in
 * unmap_kernel_at_el0() (arch/arm64/kernel/cpufeature.c) and records it
 * as the ARM64_UNMAP_KERNEL_AT_EL0 capability.  Unlike x86 it is not only
 * a Meltdown mitigation: with KASLR, kaslr_requires_kpti() forces it on
 * even on CPUs that are not vulnerable, because without it the kernel's
 * TLB entries can be probed from EL0 by timing, defeating KASLR -- unless
 * the CPU has ARMv8.5 E0PD, which makes every EL0 access to the kernel
 * half (TTBR1) fault in constant time, doing that job without a second
 * page table.  So two CPUs that are both safe from Meltdown pay very
 * differently, and the keys here say which path this machine took.
 *
 * ASIDs are what keep KPTI's table switches cheap: the kernel and user
 * halves of a process run under an even/odd ASID pair (USER_ASID_FLAG),
 * so the trampoline's TTBR1 writes never flush the TLB.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/cpufeature.h>
#include <asm/cputype.h>
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/mmu.h>
#include <asm/setup.h>
#include <asm/sysreg.h>
#include <linux/cpu.h>
#include <linux/jiffies.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ptilab.h"

/*
 * Architectural field positions (Arm ARM), spelled out here because the
 * kernel's generated names for them differ between series.
 */
#define MMFR0_ASIDBITS_SHIFT	4	/* ID_AA64MMFR0_EL1.ASIDBits: 2 = 16 bits */
#define MMFR2_CNP_SHIFT		0	/* ID_AA64MMFR2_EL1.CnP */
#define MMFR2_E0PD_SHIFT	60	/* ID_AA64MMFR2_EL1.E0PD */
#define PFR0_CSV3_SHIFT		60	/* ID_AA64PFR0_EL1.CSV3: not Meltdown-prone */
#define TCR_AS_BIT		BIT_ULL(36)	/* 16-bit ASIDs in use */
#define TCR_E0PD1_BIT		BIT_ULL(56)	/* EL0 faults on TTBR1 addresses */

static unsigned int field(u64 reg, int shift)
{
	return cpuid_feature_extract_unsigned_field(reg, shift);
}

static bool e0pd_hw(void)
{
	return field(read_sysreg_s(SYS_ID_AA64MMFR2_EL1), MMFR2_E0PD_SHIFT);
}

/*
 * The kernel's own test is kaslr_offset() > 0 (6.1) or kaslr_enabled(),
 * an offset of at least MIN_KIMG_ALIGN (6.12); neither _text nor
 * __kaslr_is_enabled is visible to modules on every series.  But any
 * exported variable of the image gives the displacement up to its link
 * offset, which is tens of MiB, while KASLR moves the image by at least
 * BIT(VA_BITS_MIN - 3) (terabytes) on both series.
 */
bool ptilab_arch_kaslr(void)
{
	return (unsigned long)&jiffies - KIMAGE_VADDR >= SZ_1G;
}

/* kpti_safe_list in unmap_kernel_at_el0(): CPUs known not to be prone. */
static const struct midr_range kpti_safe_list[] = {
	MIDR_ALL_VERSIONS(MIDR_CAVIUM_THUNDERX2),
	MIDR_ALL_VERSIONS(MIDR_BRCM_VULCAN),
	MIDR_ALL_VERSIONS(MIDR_BRAHMA_B53),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A35),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A53),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A55),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A57),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A72),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A73),
	MIDR_ALL_VERSIONS(MIDR_HISI_TSV110),
	MIDR_ALL_VERSIONS(MIDR_NVIDIA_CARMEL),
	MIDR_ALL_VERSIONS(MIDR_QCOM_KRYO_2XX_GOLD),
	MIDR_ALL_VERSIONS(MIDR_QCOM_KRYO_2XX_SILVER),
	MIDR_ALL_VERSIONS(MIDR_QCOM_KRYO_3XX_SILVER),
	MIDR_ALL_VERSIONS(MIDR_QCOM_KRYO_4XX_SILVER),
	{ /* sentinel */ }
};

/*
 * cavium_erratum_27456_cpus (cpu_errata.c, not exported): ThunderX
 * corrupts kernel text under KPTI, so the kernel never enables it there.
 */
static const struct midr_range cavium_27456_list[] = {
	MIDR_RANGE(MIDR_THUNDERX, 0, 0, 1, 1),
	MIDR_REV(MIDR_THUNDERX_81XX, 0, 0),
	{ /* sentinel */ }
};

/* Meltdown-safe as the kernel judges it: the safe list, or CSV3. */
static bool meltdown_safe(void)
{
	return is_midr_in_range_list(read_cpuid_id(), kpti_safe_list) ||
	       field(read_sysreg_s(SYS_ID_AA64PFR0_EL1), PFR0_CSV3_SHIFT);
}

/*
 * Why KPTI is on or off, reproducing unmap_kernel_at_el0() step by step
 * (arch/arm64/kernel/cpufeature.c; 6.1 and 6.12 differ only in step 3):
 *   1. kpti=<bool> forces it: parse_kpti() is an early_param(), so every
 *      kpti= up to a "--" word is applied in command-line order; one
 *      that kstrtobool() rejects changes nothing, the last valid one wins;
 *   2. a ThunderX with erratum 27456 forces it off, whatever kpti= says;
 *   3. if nothing forced it yet, KASLR forces it on unless E0PD (or that
 *      erratum) makes it unnecessary: kaslr_requires_kpti().  6.1 tests
 *      kaslr_offset() > 0 inside it, 6.12 tests kaslr_enabled() before
 *      calling it; ptilab_arch_kaslr() stands for both;
 *   4. if nothing forced it yet, mitigations=off forces it off;
 *   5. otherwise it follows the CPU: on if not Meltdown-safe.
 * "e0pd" names the case this tool exists for: KASLR is on, so step 3
 * would have forced KPTI, but E0PD does that job.  The model is checked
 * against what the kernel did; a disagreement is "unknown".
 */
static const char *kpti_reason_model(char *tok, size_t toksz)
{
	bool kpti = arm64_kernel_unmapped_at_el0();
	bool kaslr = ptilab_arch_kaslr(), e0pd = e0pd_hw();
	bool cavium = is_midr_in_range_list(read_cpuid_id(), cavium_27456_list);
	int forced = 0;		/* as __kpti_forced: >0 on, <0 off */
	const char *why = "unknown";
	struct ptilab_cmdline c;
	char *cmdline;
	bool val;

	if (!IS_ENABLED(CONFIG_UNMAP_KERNEL_AT_EL0))
		return kpti ? "unknown" : "config";

	cmdline = kmalloc(COMMAND_LINE_SIZE, GFP_KERNEL);
	if (!cmdline || ptilab_read_cmdline(cmdline, COMMAND_LINE_SIZE) < 0) {
		kfree(cmdline);
		return "unknown";
	}
	ptilab_cmdline_init(&c, cmdline, true);
	while (ptilab_cmdline_next(&c)) {
		/* parse_kpti(); kstrtobool() rejects a missing value too. */
		if (strcmp(c.param, "kpti") || kstrtobool(c.val, &val))
			continue;
		forced = val ? 1 : -1;
		why = "cmdline";
		snprintf(tok, toksz, "kpti=%s", c.val);
	}
	kfree(cmdline);

	if (cavium) {
		forced = -1;
		why = "cavium_27456";
	}
	if (!forced && kaslr && !e0pd && !cavium) {
		forced = 1;
		why = "kaslr";
	}
	if (!forced && cpu_mitigations_off()) {
		forced = -1;
		strscpy(tok, "mitigations=off", toksz);
		why = "cmdline";
	}
	if (!forced) {
		if (!meltdown_safe())
			why = "meltdown_bug";
		else if (kaslr && e0pd)
			why = "e0pd";
		else
			why = "not_affected";
		forced = meltdown_safe() ? -1 : 1;
	}
	return (forced > 0) == kpti ? why : "unknown";
}

void ptilab_arch_state(struct ptilab_kv *kv)
{
	u64 mmfr0 = read_sysreg_s(SYS_ID_AA64MMFR0_EL1);
	u64 mmfr2 = read_sysreg_s(SYS_ID_AA64MMFR2_EL1);
	u64 tcr = read_sysreg(tcr_el1);
	/* TCR_EL1.A1 is set: the current ASID lives in TTBR1. */
	u64 ttbr1 = read_sysreg(ttbr1_el1);
	bool kpti = arm64_kernel_unmapped_at_el0();
	unsigned long asid = (ttbr1 & TTBR_ASID_MASK) >> 48;
	char tok[32] = "", midr[24];

	ptilab_kv_bool(kv, "kpti", kpti);
	/* "kaslr", "e0pd", "cmdline:kpti=1", "meltdown_bug", "not_affected", ... */
	ptilab_kv_reason(kv, "kpti_reason", kpti_reason_model(tok, sizeof(tok)), tok);
	ptilab_kv_bool(kv, "meltdown_bug", !meltdown_safe());
	ptilab_kv_bool(kv, "csv3",
		       field(read_sysreg_s(SYS_ID_AA64PFR0_EL1), PFR0_CSV3_SHIFT));
	ptilab_kv_bool(kv, "e0pd_hw", field(mmfr2, MMFR2_E0PD_SHIFT));
	ptilab_kv_bool(kv, "e0pd_enabled", tcr & TCR_E0PD1_BIT);
	/* In effect: the results CSV's e0pd column. */
	ptilab_kv_bool(kv, "e0pd", tcr & TCR_E0PD1_BIT);
	/* KPTI needs non-global kernel mappings; so does early KASLR boot. */
	ptilab_kv_bool(kv, "ng_mappings", arm64_use_ng_mappings);
	snprintf(midr, sizeof(midr), "0x%08x", read_cpuid_id());
	ptilab_kv_str(kv, "midr", midr);
	ptilab_kv_u64(kv, "asid_bits",
		      field(mmfr0, MMFR0_ASIDBITS_SHIFT) == 2 ? 16 : 8);
	ptilab_kv_u64(kv, "asid_bits_used", tcr & TCR_AS_BIT ? 16 : 8);
	/*
	 * Read in kernel mode: TTBR1 holds this mm's kernel ASID.  Under KPTI
	 * the allocator hands out even ASIDs and the trampoline runs user
	 * mode under the odd partner (USER_ASID_FLAG); without it both are one.
	 */
	ptilab_kv_u64(kv, "kernel_asid", asid);
	ptilab_kv_u64(kv, "user_asid",
		      kpti ? asid | (USER_ASID_FLAG >> 48) : asid);
	ptilab_kv_bool(kv, "cnp", field(mmfr2, MMFR2_CNP_SHIFT));
	ptilab_kv_bool(kv, "cnp_enabled", ttbr1 & TTBR_CNP_BIT);
}
