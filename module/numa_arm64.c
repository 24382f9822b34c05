// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 ranges for kernel text locality (numa.c).
 *
 * The kernel image lies inside the vmalloc range, where KASLR puts it, so
 * its runs are looked for within a gigabyte either side of the anchor
 * (the image is tens of megabytes).  A kernel entry starts at the vector
 * table VBAR_EL1 points to (in the kernel, its own vectors: the
 * trampoline switches VBAR_EL1 to them on entry); under KPTI it first
 * runs the trampoline, the only text tramp_pg_dir maps (the same fixmap
 * slots the audit calls trampoline).  Without KPTI there is no
 * trampoline, and the file says so.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/fixmap.h>
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#include "ptilab.h"

/*
 * swapper_pg_dir is not exported; in kernel mode TTBR1 holds it (see
 * ptaudit_arm64.c: its base address field is the physical address).
 */
static phys_addr_t swapper_phys(void)
{
	return read_sysreg(ttbr1_el1) & ~(TTBR_ASID_MASK | TTBR_CNP_BIT);
}

pgd_t *ptilab_arch_kernel_pgd(void)
{
	return __va(swapper_phys());
}

void ptilab_arch_image_bounds(unsigned long anchor, unsigned long *start,
			      unsigned long *end)
{
	unsigned long base = ALIGN_DOWN(anchor, SZ_1G);

	*start = max(base - SZ_1G, (unsigned long)VMALLOC_START);
	*end = min(base + 2UL * SZ_1G, (unsigned long)VMALLOC_END);
}

int ptilab_arch_numa_entry(struct ptilab_numa_range *r, int max)
{
	unsigned long vbar = read_sysreg(vbar_el1);

	if (max < 2)
		return 0;
	/*
	 * 16 vectors of 128 bytes each; the walker takes whole pages, so the
	 * page (or two) holding them.
	 */
	r[0] = (struct ptilab_numa_range){
		.name = "vectors",
		.what = "exception vectors (the page VBAR_EL1 points into in the kernel)",
		.pgd = ptilab_arch_kernel_pgd(),
		.table = "kernel",
		.start = vbar & PAGE_MASK,
		.end = PAGE_ALIGN(vbar + SZ_2K),
		.kind = PTILAB_NUMA_WINDOW,
	};
	r[1] = (struct ptilab_numa_range){
		.name = "kpti_trampoline",
		.what = "KPTI trampoline (what tramp_pg_dir maps: its text and data page)",
		.kind = PTILAB_NUMA_WINDOW,
	};
	if (arm64_kernel_unmapped_at_el0()) {
		/* The linker places tramp_pg_dir this far below swapper. */
		r[1].pgd = __va(swapper_phys() - TRAMP_SWAPPER_OFFSET);
		r[1].table = "kpti_trampoline";
		r[1].start = __fix_to_virt(FIX_ENTRY_TRAMP_TEXT1);
		r[1].end = __fix_to_virt(FIX_ENTRY_TRAMP_TEXT4) + PAGE_SIZE;
	} else {
		r[1].unresolved = "not in use: KPTI is off, so no kernel entry runs a trampoline";
	}
	return 2;
}
