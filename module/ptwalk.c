// SPDX-License-Identifier: GPL-2.0
/*
 * A read-only page-table walker over any top-level table, using only the
 * generic pXd accessors, so that it serves every architecture and both
 * 4- and 5-level paging (a folded level hands its entry straight on).
 *
 * Kernel page-table pages are not freed while the kernel runs (but for
 * rare huge-vmap collapses), and every entry is read once with READ_ONCE,
 * so a concurrent change can make a line of the report stale but never
 * makes the walk follow garbage.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <linux/mm.h>
#include <linux/pgtable.h>

#include "ptilab.h"

struct ptilab_walk {
	ptilab_leaf_fn fn;
	void *data;
	bool stop;
};

static void leaf(struct ptilab_walk *w, unsigned long addr, unsigned long next,
		 enum ptilab_level level, u64 prot)
{
	if (!w->fn(w->data, addr, next - addr, level, prot))
		w->stop = true;
}

static void walk_pte(struct ptilab_walk *w, pmd_t *pmd, unsigned long addr,
		     unsigned long end)
{
	pte_t *pte = pte_offset_kernel(pmd, addr);

	do {
		pte_t v = READ_ONCE(*pte);

		if (pte_present(v))
			leaf(w, addr, addr + PAGE_SIZE, PTILAB_PTE, pte_val(v));
	} while (pte++, addr += PAGE_SIZE, addr != end && !w->stop);
}

static void walk_pmd(struct ptilab_walk *w, pud_t *pud, unsigned long addr,
		     unsigned long end)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	unsigned long next;

	do {
		pmd_t v = READ_ONCE(*pmd);

		next = pmd_addr_end(addr, end);
		if (pmd_none(v) || !pmd_present(v))
			continue;
		if (pmd_leaf(v))
			leaf(w, addr, next, PTILAB_PMD, pmd_val(v));
		else
			walk_pte(w, pmd, addr, next);
	} while (pmd++, addr = next, addr != end && !w->stop);
}

static void walk_pud(struct ptilab_walk *w, p4d_t *p4d, unsigned long addr,
		     unsigned long end)
{
	pud_t *pud = pud_offset(p4d, addr);
	unsigned long next;

	do {
		pud_t v = READ_ONCE(*pud);

		next = pud_addr_end(addr, end);
		if (pud_none(v) || !pud_present(v))
			continue;
		if (pud_leaf(v))
			leaf(w, addr, next, PTILAB_PUD, pud_val(v));
		else
			walk_pmd(w, pud, addr, next);
	} while (pud++, addr = next, addr != end && !w->stop);
}

static void walk_p4d(struct ptilab_walk *w, pgd_t *pgd, unsigned long addr,
		     unsigned long end)
{
	p4d_t *p4d = p4d_offset(pgd, addr);
	unsigned long next;

	do {
		p4d_t v = READ_ONCE(*p4d);

		next = p4d_addr_end(addr, end);
		if (p4d_none(v) || !p4d_present(v))
			continue;
		walk_pud(w, p4d, addr, next);
	} while (p4d++, addr = next, addr != end && !w->stop);
}

/* Walk [start, end) of the table pgd; end == 0 means the top of memory. */
void ptilab_walk(pgd_t *pgd, unsigned long start, unsigned long end,
		 ptilab_leaf_fn fn, void *data)
{
	struct ptilab_walk w = { .fn = fn, .data = data };
	unsigned long addr = start, next;
	pgd_t *p = pgd_offset_pgd(pgd, start);

	do {
		pgd_t v = READ_ONCE(*p);

		next = pgd_addr_end(addr, end);
		if (pgd_none(v) || !pgd_present(v))
			continue;
		walk_p4d(&w, p, addr, next);
	} while (p++, addr = next, addr != end && !w.stop);
}
