// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 view for the page-table audit: which table user mode runs on,
 * how to read an entry's protection, and the names of the kernel's
 * address-space regions (Documentation/arch/x86/x86_64/mm.rst).
 *
 * With PTI the user copy of the PGD is the page after the kernel's
 * (kernel_to_user_pgdp()); pti_init() fills its kernel half with the
 * entry text, the cpu_entry_area, ESPFIX stacks and, on some kernels,
 * the per-CPU TSS page that SYSCALL uses as scratch.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/cpu_entry_area.h>
#include <asm/cpufeature.h>
#include <asm/fixmap.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <linux/percpu.h>

#include "ptilab.h"

/* The 2 MiB around entry_SYSCALL_64, which PTI clones at PMD level. */
static unsigned long entry_pmd;

int ptilab_arch_audit_view(struct mm_struct *mm, struct ptilab_audit_view *v)
{
	u64 lstar;

	rdmsrl(MSR_LSTAR, lstar);
	WRITE_ONCE(entry_pmd, lstar & PMD_MASK);

	if (boot_cpu_has(X86_FEATURE_PTI)) {
		v->pgd = kernel_to_user_pgdp(mm->pgd);
		v->table = "pti_user";
	} else {
		/* No PTI: user mode runs on the kernel's own table. */
		v->pgd = mm->pgd;
		v->table = "kernel";
	}
	v->start = -(1UL << __VIRTUAL_MASK_SHIFT);
	v->end = 0;
	return 0;
}

unsigned int ptilab_arch_prot_flags(u64 prot)
{
	unsigned int f = 0;

	if (prot & _PAGE_RW)
		f |= PTILAB_F_RW;
	if (prot & _PAGE_USER)
		f |= PTILAB_F_USER;
	if (prot & _PAGE_GLOBAL)
		f |= PTILAB_F_GLOBAL;
	if (prot & _PAGE_NX)
		f |= PTILAB_F_NX;
	return f;
}

static bool in(unsigned long addr, unsigned long start, unsigned long size)
{
	return addr >= start && addr - start < size;
}

static bool is_percpu_tss(unsigned long addr)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (in(addr, (unsigned long)per_cpu_ptr(&cpu_tss_rw, cpu),
		       sizeof(struct tss_struct)))
			return true;
	return false;
}

/*
 * Ordered as the address map; the randomized bases (page_offset_base,
 * vmalloc_base, vmemmap_base) keep their order under KASLR.
 */
const char *ptilab_arch_region(unsigned long addr)
{
	if (in(addr, LDT_BASE_ADDR, LDT_END_ADDR - LDT_BASE_ADDR))
		return "ldt_remap";
	if (addr >= page_offset_base && addr < vmalloc_base)
		return is_percpu_tss(addr) ? "percpu_tss" : "direct_map";
	if (addr >= vmalloc_base && addr < vmemmap_base)
		return "vmalloc";
	if (addr >= vmemmap_base && addr < CPU_ENTRY_AREA_BASE)
		return "vmemmap";
	if (in(addr, CPU_ENTRY_AREA_BASE, CPU_ENTRY_AREA_MAP_SIZE))
		return "cpu_entry_area";
	if (in(addr, ESPFIX_BASE_ADDR, P4D_SIZE))
		return "espfix";
	if (addr >= EFI_VA_END && addr < EFI_VA_START)
		return "efi";
	if (in(addr, READ_ONCE(entry_pmd), PMD_SIZE))
		return "entry_text";
	if (addr >= __START_KERNEL_map && addr < MODULES_VADDR)
		return "kernel_image";
	if (addr >= MODULES_VADDR && addr < MODULES_END)
		return "modules";
	if (addr >= FIXADDR_START && addr < FIXADDR_TOP)
		return "fixmap";
	if (in(addr, VSYSCALL_ADDR, PAGE_SIZE))
		return "vsyscall";
	return "other";
}

/* What isolation exists to hide from user mode. */
bool ptilab_arch_region_secret(const char *region)
{
	static const char *const secret[] = {
		"direct_map", "vmalloc", "vmemmap", "kernel_image", "modules",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(secret); i++)
		if (!strcmp(region, secret[i]))
			return true;
	return false;
}

static bool first_image_leaf(void *data, unsigned long addr,
			     unsigned long size, enum ptilab_level level,
			     u64 prot)
{
	*(unsigned long *)data = addr;
	return false;
}

/*
 * kaslr_offset() needs _text, which modules cannot see.  But the
 * kernel's table maps nothing of the image region below _text
 * (cleanup_highmap() clears it), so the first mapping there is _text,
 * which sits at __START_KERNEL unless KASLR moved it.
 */
bool ptilab_arch_kaslr(void)
{
	struct mm_struct *mm = current->active_mm;
	unsigned long text = 0;

	ptilab_walk(mm->pgd, __START_KERNEL_map, MODULES_VADDR,
		    first_image_leaf, &text);
	return text && text != __START_KERNEL;
}
