// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel text locality: which NUMA node holds the physical pages of the
 * kernel's text, its read-only data and its entry code, and which CPUs
 * each node has.  On a machine with several nodes, every kernel entry
 * from a CPU of another node fetches that text across the interconnect
 * (what arm64's kernel text replication patches would remove); with
 * isolation on, the entry trampoline and the page-table switch are on
 * that path too.
 *
 * No unexported symbol tells a module where _text or __start_rodata
 * are, so the ranges are found where the kernel itself keeps them: in
 * its page tables.  The kernel image is mapped with one protection per
 * section (text read-only and executable, rodata read-only and not
 * executable) and loaded as one physically contiguous block, so a
 * section is the run of mappings of its kind, contiguous in both
 * virtual and physical addresses, around an address known to lie in it:
 * an exported function for the text, an exported constant for rodata.
 * The entry code's ranges come from the architecture (numa_x86.c,
 * numa_arm64.c), found as the audit finds them.  Every page's node is
 * that of its struct page; a page without one is counted as unknown, and
 * a range that cannot be found says why instead of a guess.
 *
 * The file is key=value lines (the userspace parser reads them as the
 * state file's): per online node its CPUs and the physical span of its
 * memory, then per range the table walked, its physical extents, its
 * pages per node and the node holding most of them.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "ptilab.h"

/* Physical extents printed per range; the pages are counted past them. */
#define PTILAB_NUMA_EXTENTS	8

struct numa_count {
	unsigned long pages, unknown;
	unsigned long *per_node;		/* nr_node_ids entries */
	phys_addr_t ext_start[PTILAB_NUMA_EXTENTS];
	phys_addr_t ext_end[PTILAB_NUMA_EXTENTS];
	int extents;
	bool more_extents;
};

/* The physical address of addr inside a leaf entry of that level. */
static phys_addr_t leaf_phys(unsigned long addr, enum ptilab_level level, u64 prot)
{
	unsigned long pfn, size;

	switch (level) {
	case PTILAB_PTE:
		pfn = pte_pfn(__pte(prot));
		size = PAGE_SIZE;
		break;
	case PTILAB_PMD:
		pfn = pmd_pfn(__pmd(prot));
		size = PMD_SIZE;
		break;
	default:
		pfn = pud_pfn(__pud(prot));
		size = PUD_SIZE;
		break;
	}
	return PFN_PHYS(pfn) + (addr & (size - 1));
}

static void count_extent(struct numa_count *c, phys_addr_t start, phys_addr_t end)
{
	int i = c->extents - 1;

	if (i >= 0 && c->ext_end[i] == start) {
		c->ext_end[i] = end;
		return;
	}
	if (c->extents == PTILAB_NUMA_EXTENTS) {
		c->more_extents = true;
		return;
	}
	c->ext_start[c->extents] = start;
	c->ext_end[c->extents] = end;
	c->extents++;
}

/* Every page of [pa, pa + size): its node, from its struct page. */
static void count_pages(struct numa_count *c, phys_addr_t pa, unsigned long size)
{
	unsigned long pfn = PHYS_PFN(pa), last = PHYS_PFN(pa + size - 1);

	count_extent(c, pa, pa + size);
	for (; pfn <= last; pfn++) {
		c->pages++;
		if (!pfn_valid(pfn)) {
			c->unknown++;
			continue;
		}
		c->per_node[page_to_nid(pfn_to_page(pfn))]++;
	}
}

/* ---- a window of a table ------------------------------------------- */

static bool window_leaf(void *data, unsigned long addr, unsigned long size,
			enum ptilab_level level, u64 prot)
{
	count_pages(data, leaf_phys(addr, level, prot), size);
	return true;
}

/* ---- the run of one kind of mapping around an anchor ---------------- */

struct numa_run {
	unsigned long anchor;
	enum ptilab_numa_kind kind;
	/* The run being followed: virtual [start, end), physical from pa. */
	unsigned long start, end;
	phys_addr_t pa_end;
	bool have;
	/* The run that holds the anchor, once it is complete. */
	unsigned long found_start, found_end;
	bool found;
};

static bool of_kind(enum ptilab_numa_kind kind, u64 prot)
{
	unsigned int f = ptilab_arch_prot_flags(prot);

	if (kind == PTILAB_NUMA_TEXT)
		return !(f & PTILAB_F_RW) && !(f & PTILAB_F_NX);
	return !(f & PTILAB_F_RW) && (f & PTILAB_F_NX);
}

static bool run_close(struct numa_run *r)
{
	if (r->have && r->anchor >= r->start && r->anchor < r->end) {
		r->found_start = r->start;
		r->found_end = r->end;
		r->found = true;
	}
	r->have = false;
	return !r->found;
}

static bool run_leaf(void *data, unsigned long addr, unsigned long size,
		     enum ptilab_level level, u64 prot)
{
	struct numa_run *r = data;
	phys_addr_t pa = leaf_phys(addr, level, prot);

	if (!of_kind(r->kind, prot))
		return run_close(r);
	/* The image is contiguous in both spaces: a jump in either ends it. */
	if (r->have && (addr != r->end || pa != r->pa_end) && !run_close(r))
		return false;
	if (!r->have) {
		r->start = addr;
		r->have = true;
	}
	r->end = addr + size;
	r->pa_end = pa + size;
	return true;
}

/*
 * Fills r->start, r->end with the run of r->kind around r->anchor, or
 * sets r->unresolved.
 */
static void find_run(struct ptilab_numa_range *r)
{
	struct numa_run run = { .anchor = r->anchor, .kind = r->kind };

	ptilab_walk(r->pgd, r->start, r->end, run_leaf, &run);
	run_close(&run);
	if (!run.found) {
		r->unresolved = r->kind == PTILAB_NUMA_TEXT ?
			"no executable mapping holds the anchor" :
			"no read-only mapping holds the anchor";
		return;
	}
	r->start = run.found_start;
	r->end = run.found_end;
}

/* ---- output ----------------------------------------------------------- */

/* c is the caller's, its per_node array sized for nr_node_ids. */
static void show_range(struct seq_file *m, struct ptilab_numa_range *r,
		       struct numa_count *c)
{
	unsigned long *per_node = c->per_node, best = 0;
	int nid, best_nid = NUMA_NO_NODE, i;

	seq_printf(m, "range.%s.what=%s\n", r->name, r->what);
	if (!r->unresolved && r->kind != PTILAB_NUMA_WINDOW)
		find_run(r);
	if (r->unresolved) {
		seq_printf(m, "range.%s.unresolved=%s\n", r->name, r->unresolved);
		return;
	}
	memset(per_node, 0, nr_node_ids * sizeof(*per_node));
	*c = (struct numa_count){ .per_node = per_node };
	ptilab_walk(r->pgd, r->start, r->end, window_leaf, c);

	seq_printf(m, "range.%s.table=%s\n", r->name, r->table);
	if (!c->pages) {
		seq_printf(m, "range.%s.unresolved=nothing mapped there in the %s table\n",
			   r->name, r->table);
		return;
	}
	seq_printf(m, "range.%s.phys=", r->name);
	for (i = 0; i < c->extents; i++)
		seq_printf(m, "%s%#llx-%#llx", i ? "," : "",
			   (u64)c->ext_start[i], (u64)c->ext_end[i] - 1);
	seq_printf(m, "%s\n", c->more_extents ? ",..." : "");
	seq_printf(m, "range.%s.pages=%lu\n", r->name, c->pages);
	for (nid = 0; nid < nr_node_ids; nid++) {
		if (!per_node[nid])
			continue;
		seq_printf(m, "range.%s.node%d_pages=%lu\n", r->name, nid,
			   per_node[nid]);
		if (per_node[nid] > best) {
			best = per_node[nid];
			best_nid = nid;
		}
	}
	if (c->unknown)
		seq_printf(m, "range.%s.unknown_pages=%lu\n", r->name, c->unknown);
	/* The summary names a node only for pages whose node is known. */
	if (best_nid == NUMA_NO_NODE)
		seq_printf(m, "range.%s.unresolved=no page of it has a struct page\n",
			   r->name);
	else
		seq_printf(m, "range.%s.node=%d\n", r->name, best_nid);
}

static void show_nodes(struct seq_file *m)
{
	int nid;

	seq_printf(m, "nodes=%*pbl\n", nodemask_pr_args(&node_states[N_ONLINE]));
	for_each_online_node(nid) {
		unsigned long start = node_start_pfn(nid), end = node_end_pfn(nid);

		seq_printf(m, "node%d.cpus=%*pbl\n", nid,
			   cpumask_pr_args(cpumask_of_node(nid)));
		if (end > start)
			seq_printf(m, "node%d.span=%#llx-%#llx\n", nid,
				   (u64)PFN_PHYS(start), (u64)PFN_PHYS(end) - 1);
	}
}

void ptilab_numa_show(struct seq_file *m)
{
	struct ptilab_numa_range ranges[PTILAB_NUMA_MAX_RANGES] = {};
	struct numa_count *c;
	int i, n;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c)
		c->per_node = kcalloc(nr_node_ids, sizeof(*c->per_node), GFP_KERNEL);
	if (!c || !c->per_node) {
		kfree(c);
		seq_puts(m, "error=out of memory\n");
		return;
	}
	show_nodes(m);
	/*
	 * schedule() is in the core kernel's .text on every architecture and
	 * exported; so is hex_asc, a constant in .rodata.
	 */
	ranges[0] = (struct ptilab_numa_range){
		.name = "text", .what = "kernel text (the executable run holding schedule())",
		.anchor = (unsigned long)schedule, .kind = PTILAB_NUMA_TEXT,
	};
	ranges[1] = (struct ptilab_numa_range){
		.name = "rodata", .what = "kernel rodata (the read-only run holding hex_asc)",
		.anchor = (unsigned long)hex_asc, .kind = PTILAB_NUMA_RODATA,
	};
	for (i = 0; i < 2; i++) {
		ranges[i].pgd = ptilab_arch_kernel_pgd();
		ranges[i].table = "kernel";
		ptilab_arch_image_bounds(ranges[i].anchor, &ranges[i].start,
					 &ranges[i].end);
	}
	n = 2 + ptilab_arch_numa_entry(ranges + 2, PTILAB_NUMA_MAX_RANGES - 2);
	for (i = 0; i < n; i++)
		show_range(m, &ranges[i], c);
	kfree(c->per_node);
	kfree(c);
}
