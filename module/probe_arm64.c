// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 cost-probe primitives.  Each leaves TTBR0/TTBR1 exactly as it
 * found them (it writes back the value it read) and the TLB coherent (it
 * only ever drops entries, which the walker refills from unchanged
 * tables).
 *
 * The counter is the generic timer's virtual count (CNTVCT_EL0), not CPU
 * cycles: PMU cycle counters are often absent in VMs (QEMU's TCG has
 * none worth trusting) while the generic timer always exists.  Its
 * frequency is CNTFRQ_EL0, so the probe keys named *_cycles hold timer
 * ticks here and counter_khz converts them to time.  At QEMU's 62.5 MHz
 * a tick is 16 ns, coarser than one primitive on real hardware: read the
 * mean, not the median, there.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/barrier.h>
#include <asm/pgtable.h>
#include <asm/mmu.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>

#include "ptilab.h"

/* ISBs on both sides: the read neither runs early nor late. */
u64 ptilab_arch_cycles(void)
{
	u64 t;

	isb();
	t = read_sysreg(cntvct_el0);
	isb();
	return t;
}

unsigned long ptilab_arch_cycles_khz(void)
{
	return read_sysreg(cntfrq_el0) / 1000;
}

const char *ptilab_arch_cycles_name(void)
{
	return "cntvct";
}

static unsigned long read_ttbr0(void)
{
	return read_sysreg(ttbr0_el1);
}

static unsigned long read_ttbr1(void)
{
	return read_sysreg(ttbr1_el1);
}

/* TCR_EL1.A1 is set, so the current ASID sits in TTBR1[63:48]. */
static unsigned long read_asid_op(void)
{
	return read_sysreg(ttbr1_el1) & TTBR_ASID_MASK;
}

/*
 * What KPTI's trampoline does on every entry and exit (tramp_map_kernel,
 * tramp_unmap_kernel): a TTBR1 write, made visible by an ISB.
 */
static void run_write_ttbr1(unsigned long ttbr1)
{
	write_sysreg(ttbr1, ttbr1_el1);
	isb();
}

/* The user-table switch of a context switch (cpu_do_switch_mm). */
static void run_write_ttbr0(unsigned long ttbr0)
{
	write_sysreg(ttbr0, ttbr0_el1);
	isb();
}

/* The barrier alone: how much of the TTBR rows is the ISB. */
static void run_isb(unsigned long unused)
{
	isb();
}

/* flush_tlb_mm()'s broadcast for one ASID (the kernel half of the pair). */
static void run_tlbi_aside1is(unsigned long asid_op)
{
	dsb(ishst);
	__tlbi(aside1is, asid_op);
	dsb(ish);
}

/* flush_tlb_all(): every EL1&0 entry in the inner-shareable domain. */
static void run_tlbi_vmalle1is(unsigned long unused)
{
	dsb(ishst);
	__tlbi(vmalle1is);
	dsb(ish);
	isb();
}

const struct ptilab_primitive ptilab_arch_primitives[] = {
	{ "ttbr1_isb", "rewrite TTBR1_EL1 + ISB (KPTI trampoline, per entry and exit)",
	  NULL, read_ttbr1, run_write_ttbr1 },
	{ "ttbr0_isb", "rewrite TTBR0_EL1 + ISB (user table switch)",
	  NULL, read_ttbr0, run_write_ttbr0 },
	{ "isb", "ISB alone (the barrier in the rows above)",
	  NULL, NULL, run_isb },
	{ "tlbi_aside1is", "TLBI ASIDE1IS + DSB ISH: this ASID, broadcast",
	  NULL, read_asid_op, run_tlbi_aside1is },
	{ "tlbi_vmalle1is", "TLBI VMALLE1IS + DSB ISH: everything, broadcast",
	  NULL, NULL, run_tlbi_vmalle1is },
};

const size_t ptilab_arch_nr_primitives = ARRAY_SIZE(ptilab_arch_primitives);
