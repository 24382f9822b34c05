// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table isolation audit: which kernel memory does the page table
 * that user mode runs on still map?  With isolation on, that is the
 * user copy and should hold only what entering the kernel needs (entry
 * text, the per-CPU entry area, ...); with it off, it is the kernel's
 * own table and maps everything.
 *
 * The report is a range table in the style of the kernel's ptdump
 * (arch/x86/mm/dump_pagetables.c), then key=value summary lines that
 * programs read: pages mapped per region, and how many of them lie in
 * regions isolation exists to hide.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "ptilab.h"

#define PTILAB_MAX_REGIONS	24
/*
 * Lines per region before the rest is summarised, as ptdump does for
 * ESPFIX: it maps the same few pages 65536 times, and vmalloc without
 * isolation is thousands of ranges.  The summary still counts them all.
 */
#define PTILAB_REGION_LINES	32

struct audit_range {
	unsigned long start, end;
	enum ptilab_level level;
	unsigned int flags;
	const char *region;
};

struct audit {
	struct seq_file *m;
	struct audit_range cur;
	bool have_cur;
	const char *last_region;
	unsigned long region_lines, skipped;
	unsigned long ranges, pages, secret_pages;
	struct {
		const char *name;
		unsigned long pages;
	} regions[PTILAB_MAX_REGIONS];
};

static const char *const level_names[] = {
	[PTILAB_PTE] = "pte", [PTILAB_PMD] = "pmd", [PTILAB_PUD] = "pud",
	[PTILAB_P4D] = "p4d", [PTILAB_PGD] = "pgd",
};

static void print_size(struct seq_file *m, unsigned long size)
{
	static const char units[] = "KMGTPE";
	int i = 0;

	size >>= 10;
	while (!(size & 1023) && size && i < 5) {
		size >>= 10;
		i++;
	}
	seq_printf(m, "%9lu%c", size, units[i]);
}

static void flush_skipped(struct audit *a)
{
	if (a->skipped)
		seq_printf(a->m, "... %lu more ranges\n", a->skipped);
	a->skipped = 0;
}

static void flush_range(struct audit *a)
{
	struct audit_range *r = &a->cur;
	struct seq_file *m = a->m;

	if (!a->have_cur)
		return;
	a->have_cur = false;
	a->ranges++;
	if (r->region != a->last_region) {
		flush_skipped(a);
		seq_printf(m, "---[ %s ]---\n", r->region);
		a->last_region = r->region;
		a->region_lines = 0;
	}
	if (++a->region_lines > PTILAB_REGION_LINES) {
		a->skipped++;
		return;
	}
	seq_printf(m, "0x%016lx-0x%016lx", r->start, r->end);
	print_size(m, r->end - r->start);
	seq_printf(m, " %s %s %s %s %s\n",
		   r->flags & PTILAB_F_RW ? "RW" : "ro",
		   r->flags & PTILAB_F_USER ? "USR" : "   ",
		   r->flags & PTILAB_F_GLOBAL ? "GLB" : "   ",
		   r->flags & PTILAB_F_NX ? "NX" : "x ",
		   level_names[r->level]);
}

static void count_region(struct audit *a, const char *region,
			 unsigned long pages)
{
	int i;

	for (i = 0; i < PTILAB_MAX_REGIONS; i++) {
		if (!a->regions[i].name)
			a->regions[i].name = region;
		if (a->regions[i].name == region) {
			a->regions[i].pages += pages;
			return;
		}
	}
}

static bool audit_leaf(void *data, unsigned long addr, unsigned long size,
		       enum ptilab_level level, u64 prot)
{
	struct audit *a = data;
	unsigned int flags = ptilab_arch_prot_flags(prot);
	const char *region = ptilab_arch_region(addr);
	struct audit_range *r = &a->cur;

	if (!(a->have_cur && r->end == addr && r->level == level &&
	      r->flags == flags && r->region == region)) {
		flush_range(a);
		*r = (struct audit_range){ addr, addr, level, flags, region };
		a->have_cur = true;
	}
	r->end = addr + size;
	a->pages += size >> PAGE_SHIFT;
	if (ptilab_arch_region_secret(region))
		a->secret_pages += size >> PAGE_SHIFT;
	count_region(a, region, size >> PAGE_SHIFT);
	return true;
}

void ptilab_audit_show(struct seq_file *m)
{
	struct ptilab_audit_view v;
	struct mm_struct *mm;
	struct audit *a;
	int i, ret;

	mm = get_task_mm(current);
	if (!mm) {
		seq_puts(m, "error=no user address space\n");
		return;
	}
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a) {
		mmput(mm);
		seq_puts(m, "error=out of memory\n");
		return;
	}
	a->m = m;

	/* The LDT remap and PGD contents of this mm stay put meanwhile. */
	mmap_read_lock(mm);
	ret = ptilab_arch_audit_view(mm, &v);
	if (!ret) {
		seq_printf(m, "# kernel half of the page table user mode runs on: %s\n",
			   v.table);
		seq_puts(m, "# start              end                    size flags             level\n");
		ptilab_walk(v.pgd, v.start, v.end, audit_leaf, a);
		flush_range(a);
		flush_skipped(a);
	}
	mmap_read_unlock(mm);
	mmput(mm);

	if (ret) {
		seq_printf(m, "error=%d\n", ret);
	} else {
		seq_puts(m, "# summary\n");
		seq_printf(m, "table=%s\n", v.table);
		seq_printf(m, "ranges=%lu\n", a->ranges);
		seq_printf(m, "kernel_pages=%lu\n", a->pages);
		seq_printf(m, "secret_pages=%lu\n", a->secret_pages);
		for (i = 0; i < PTILAB_MAX_REGIONS && a->regions[i].name; i++)
			seq_printf(m, "region.%s=%lu\n", a->regions[i].name,
				   a->regions[i].pages);
	}
	kfree(a);
}
