// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 ranges for kernel text locality (numa.c).
 *
 * The kernel image is mapped at __START_KERNEL_map, apart from
 * everything else, so its runs are looked for there.  The entry code is
 * what a kernel entry fetches first: entry_SYSCALL_64, whose address
 * MSR_LSTAR holds, in the 2 MiB that PTI clones into the user copy of
 * the PGD (pti_clone_entry_text()), the same PMD the audit calls
 * entry_text.  With PTI those are the user table's pages, the ones a
 * system call from user mode runs on; without it the kernel's own.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <linux/sched.h>

#include "ptilab.h"

/* The kernel half is the same in every mm's PGD: take the reader's. */
pgd_t *ptilab_arch_kernel_pgd(void)
{
	return current->active_mm->pgd;
}

void ptilab_arch_image_bounds(unsigned long anchor, unsigned long *start,
			      unsigned long *end)
{
	*start = __START_KERNEL_map;
	*end = MODULES_VADDR;
}

int ptilab_arch_numa_entry(struct ptilab_numa_range *r, int max)
{
	u64 lstar;

	if (max < 1)
		return 0;
	rdmsrl(MSR_LSTAR, lstar);
	*r = (struct ptilab_numa_range){
		.name = "entry_text",
		.what = "entry code (the 2 MiB around entry_SYSCALL_64 in user mode's table)",
		.start = lstar & PMD_MASK,
		.end = (lstar & PMD_MASK) + PMD_SIZE,
		.kind = PTILAB_NUMA_WINDOW,
	};
	if (boot_cpu_has(X86_FEATURE_PTI)) {
		r->pgd = kernel_to_user_pgdp(current->active_mm->pgd);
		r->table = "pti_user";
	} else {
		r->pgd = current->active_mm->pgd;
		r->table = "kernel";
	}
	return 1;
}
