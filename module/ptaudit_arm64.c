// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 view for the page-table audit: which table user mode runs on,
 * how to read an entry's protection, and the names of the kernel's
 * address-space regions (Documentation/arch/arm64/memory.rst).
 *
 * arm64 splits the address space between two tables: TTBR0 for user
 * addresses and TTBR1 for the kernel half, so what EL0 "sees" of the
 * kernel is whatever TTBR1 holds while it runs.  Without KPTI that is
 * swapper_pg_dir, everything (EL0 cannot access it, but its TLB entries
 * exist and, without E0PD, their timing leaks the layout).  With KPTI the
 * exit trampoline switches TTBR1 to tramp_pg_dir, which maps only the
 * trampoline vectors and their data page in the fixmap (map_entry_trampoline()).
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/fixmap.h>
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>
#include <linux/mm.h>

#include "ptilab.h"

int ptilab_arch_audit_view(struct mm_struct *mm, struct ptilab_audit_view *v)
{
	/*
	 * In kernel mode TTBR1 holds swapper_pg_dir (not exported to
	 * modules).  Its base address field, for tables below 2^48 as in
	 * the VMs here, is the physical address itself.
	 */
	u64 swapper = read_sysreg(ttbr1_el1) & ~(TTBR_ASID_MASK | TTBR_CNP_BIT);

	if (arm64_kernel_unmapped_at_el0()) {
		/* The linker places tramp_pg_dir this far below swapper. */
		v->pgd = __va(swapper - TRAMP_SWAPPER_OFFSET);
		v->table = "kpti_trampoline";
	} else {
		v->pgd = __va(swapper);
		v->table = "kernel";
	}
	v->start = _PAGE_OFFSET(vabits_actual);
	v->end = 0;
	return 0;
}

unsigned int ptilab_arch_prot_flags(u64 prot)
{
	unsigned int f = 0;

	if (!(prot & PTE_RDONLY))
		f |= PTILAB_F_RW;
	if (prot & PTE_USER)
		f |= PTILAB_F_USER;
	if (!(prot & PTE_NG))
		f |= PTILAB_F_GLOBAL;
	/* The kernel half: what matters is whether EL1 may execute it. */
	if (prot & PTE_PXN)
		f |= PTILAB_F_NX;
	return f;
}

static bool in(unsigned long addr, unsigned long start, unsigned long end)
{
	return addr >= start && addr < end;
}

/*
 * The kernel image lies inside the vmalloc range (KIMAGE_VADDR is
 * MODULES_END, where vmalloc starts, and KASLR moves it further in), so
 * it is counted as vmalloc: both are regions isolation hides.
 */
const char *ptilab_arch_region(unsigned long addr)
{
	unsigned long tramp = __fix_to_virt(FIX_ENTRY_TRAMP_TEXT1);

	if (in(addr, _PAGE_OFFSET(vabits_actual), PAGE_END))
		return "direct_map";
	if (in(addr, MODULES_VADDR, MODULES_END))
		return "modules";
	if (in(addr, VMALLOC_START, VMALLOC_END))
		return "vmalloc";
	if (in(addr, VMEMMAP_START, VMEMMAP_START + VMEMMAP_SIZE))
		return "vmemmap";
	if (in(addr, PCI_IO_START, PCI_IO_END))
		return "pci_io";
	/*
	 * Fixmap slots count down in address: TEXT1 (TRAMP_VALIAS) is the
	 * lowest page, the text goes up from it, the data page is TEXT4's.
	 */
	if (in(addr, tramp, __fix_to_virt(FIX_ENTRY_TRAMP_TEXT4) + PAGE_SIZE))
		return "trampoline";
	if (in(addr, FIXADDR_START, FIXADDR_TOP))
		return "fixmap";
	return "other";
}

/* What isolation exists to hide from user mode. */
bool ptilab_arch_region_secret(const char *region)
{
	static const char *const secret[] = {
		"direct_map", "vmalloc", "vmemmap", "modules",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(secret); i++)
		if (!strcmp(region, secret[i]))
			return true;
	return false;
}
