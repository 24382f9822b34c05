// SPDX-License-Identifier: GPL-2.0
/*
 * x86 cost-probe primitives.  Each leaves CR3 exactly as it found it (it
 * writes back the value it read) and the TLB coherent (it only ever
 * drops entries, which the hardware refills from unchanged page tables).
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/cpufeature.h>
#include <asm/invpcid.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>

#include "ptilab.h"

u64 ptilab_arch_cycles(void)
{
	return rdtsc_ordered();
}

unsigned long ptilab_arch_cycles_khz(void)
{
	return tsc_khz;
}

const char *ptilab_arch_cycles_name(void)
{
	return "tsc";
}

/* CR3's NOFLUSH bit is only defined with CR4.PCIDE set. */
static bool have_pcide(void)
{
	return boot_cpu_has(X86_FEATURE_PCID) && (__read_cr4() & X86_CR4_PCIDE);
}

static bool have_invpcid(void)
{
	return boot_cpu_has(X86_FEATURE_INVPCID);
}

static unsigned long read_cr3(void)
{
	return __native_read_cr3();
}

static unsigned long read_cr3_noflush(void)
{
	return __native_read_cr3() | X86_CR3_PCID_NOFLUSH;
}

static unsigned long read_pcid(void)
{
	return __native_read_cr3() & X86_CR3_PCID_MASK;
}

/* The entry code's mov-to-CR3 with PCID: switch, keep the TLB. */
static void run_write_cr3(unsigned long cr3)
{
	native_write_cr3(cr3);
}

/* What the kernel's flush_tlb_local() does to the current PCID. */
static void run_flush_tlb_local(unsigned long unused)
{
	native_write_cr3(__native_read_cr3());
}

/* Everything, global kernel entries included. */
static void run_flush_tlb_all(unsigned long unused)
{
	__flush_tlb_all();
}

static void run_invpcid_addr(unsigned long pcid)
{
	/* Any kernel address will do; this one is certainly mapped. */
	invpcid_flush_one(pcid, (unsigned long)ptilab_arch_primitives);
}

static void run_invpcid_single(unsigned long pcid)
{
	invpcid_flush_single_context(pcid);
}

static void run_invpcid_all_nonglobal(unsigned long unused)
{
	invpcid_flush_all_nonglobals();
}

static void run_invpcid_all(unsigned long unused)
{
	invpcid_flush_all();
}

const struct ptilab_primitive ptilab_arch_primitives[] = {
	{ "cr3_noflush", "write CR3 with NOFLUSH (PCID kept)",
	  have_pcide, read_cr3_noflush, run_write_cr3 },
	{ "cr3_flush", "write CR3 (flushes this PCID's non-global entries)",
	  NULL, read_cr3, run_write_cr3 },
	{ "invpcid_addr", "INVPCID type 0: one address in this PCID",
	  have_invpcid, read_pcid, run_invpcid_addr },
	{ "invpcid_single", "INVPCID type 1: this PCID",
	  have_invpcid, read_pcid, run_invpcid_single },
	{ "invpcid_all_nonglobal", "INVPCID type 3: all PCIDs, non-global",
	  have_invpcid, NULL, run_invpcid_all_nonglobal },
	{ "invpcid_all", "INVPCID type 2: all PCIDs, global too",
	  have_invpcid, NULL, run_invpcid_all },
	{ "flush_tlb_local", "read and rewrite CR3, as flush_tlb_local()",
	  NULL, NULL, run_flush_tlb_local },
	{ "flush_tlb_all", "__flush_tlb_all(): global entries too",
	  NULL, NULL, run_flush_tlb_all },
};

const size_t ptilab_arch_nr_primitives = ARRAY_SIZE(ptilab_arch_primitives);
