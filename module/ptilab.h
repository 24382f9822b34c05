/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PTILAB_H
#define PTILAB_H

#include <linux/mm_types.h>
#include <linux/seq_file.h>
#include <linux/types.h>

#include "parse.h"

/*
 * The front end (main.c) owns the debugfs directory and hands what users
 * write to the parser (parse.c, parse.h); the mechanisms (probe.c,
 * hooks.c, ptwalk.c) are generic; every architecture supplies the
 * primitives they run on in its own file (state_x86.c, probe_x86.c, ...),
 * so no #ifdef lives inside the logic.
 */

/* ---- state: key/value pairs, printed as text or JSON --------------- */

struct ptilab_kv {
	struct seq_file *m;
	bool json;
	bool first;
};

void ptilab_kv_str(struct ptilab_kv *kv, const char *key, const char *val);
void ptilab_kv_u64(struct ptilab_kv *kv, const char *key, u64 val);

static inline void ptilab_kv_bool(struct ptilab_kv *kv, const char *key, bool on)
{
	ptilab_kv_str(kv, key, on ? "on" : "off");
}

/*
 * A reason model's answer as the state shows it: "cmdline" becomes
 * "cmdline:<tok>" (the option that forced it), anything else as is.
 */
void ptilab_kv_reason(struct ptilab_kv *kv, const char *key, const char *reason, const char *tok);

/* The whole state: generic keys, then the architecture's. */
void ptilab_state(struct ptilab_kv *kv);
void ptilab_arch_state(struct ptilab_kv *kv);

/*
 * Read the kernel command line (saved_command_line is not exported) into
 * buf, from proc/cmdline under init's root, whoever the reader is and
 * whatever its root; returns its length or a negative errno.
 */
int ptilab_read_cmdline(char *buf, size_t size);

/*
 * The words of a command line in order, each split into param and val
 * ("param=val"; val is NULL for a bare word).  The line is split in place,
 * as the kernel's parsers do with their copy.  The kernel reads its
 * command line two ways, and each model must follow the one its option
 * goes through:
 *   early_params = false: every blank-separated word of the whole line,
 *     as x86's cmdline_find_option() and cmdline_find_option_bool()
 *     (arch/x86/lib/cmdline.c) scan it -- they know nothing of "--";
 *   early_params = true: as parse_early_param() feeds early_param()
 *     handlers: parse_args() (kernel/params.c) with next_arg(), so double
 *     quotes group words and are dropped, and a "--" word ends it (the
 *     rest is init's).
 */
struct ptilab_cmdline {
	char *rest;
	bool early_params;
	bool done;
	char *param;
	char *val;
};

void ptilab_cmdline_init(struct ptilab_cmdline *c, char *line, bool early_params);
bool ptilab_cmdline_next(struct ptilab_cmdline *c);

/* ---- cost probes ---------------------------------------------------- */

struct ptilab_primitive {
	const char *name;
	const char *what;		/* one line for users */
	bool (*supported)(void);
	/*
	 * Called with interrupts off; runs the primitive once.  ctx comes
	 * from prepare(), which is also called with interrupts off, once
	 * per batch, so that it can read CR3/TTBR once rather than per op.
	 */
	unsigned long (*prepare)(void);
	void (*run)(unsigned long ctx);
};

extern const struct ptilab_primitive ptilab_arch_primitives[];
extern const size_t ptilab_arch_nr_primitives;

/* A serialising cycle counter, and its frequency in kHz. */
u64 ptilab_arch_cycles(void);
unsigned long ptilab_arch_cycles_khz(void);
const char *ptilab_arch_cycles_name(void);

int ptilab_probe_run(const struct ptilab_primitive *p, unsigned int iters);
void ptilab_probe_show(struct seq_file *m);

/* ---- test-only hooks ----------------------------------------------- */

enum ptilab_hook_id {
	PTILAB_HOOK_EXTRA_CR3,
	PTILAB_HOOK_FLUSH,
	PTILAB_NR_HOOKS,
};

int ptilab_hook_set(enum ptilab_hook_id id, pid_t nr, unsigned int arg);
void ptilab_hook_show(struct seq_file *m, enum ptilab_hook_id id);
void ptilab_hooks_show(struct seq_file *m);
int ptilab_hooks_init(void);
void ptilab_hooks_exit(void);

/*
 * Per-architecture hook actions, run on system call entry of the target.
 * Each returns what it did -- page-table-base writes (CR3, TTBR1), flushes
 * -- and hooks.c counts that, so a test can tell a hook that fired from
 * one that did its work.
 */
unsigned int ptilab_arch_extra_cr3(unsigned int writes);
unsigned int ptilab_arch_flush_nonglobal(void);
extern const char *const ptilab_arch_hook_names[PTILAB_NR_HOOKS];

/* ---- page-table walker and audit ------------------------------------ */

enum ptilab_level { PTILAB_PTE, PTILAB_PMD, PTILAB_PUD, PTILAB_P4D, PTILAB_PGD };

/*
 * Called for every present leaf entry in address order; return false to
 * stop the walk.  prot is the raw entry value.
 */
typedef bool (*ptilab_leaf_fn)(void *data, unsigned long addr,
			       unsigned long size, enum ptilab_level level,
			       u64 prot);

void ptilab_walk(pgd_t *pgd, unsigned long start, unsigned long end,
		 ptilab_leaf_fn fn, void *data);

#define PTILAB_F_RW	BIT(0)
#define PTILAB_F_USER	BIT(1)
#define PTILAB_F_GLOBAL	BIT(2)
#define PTILAB_F_NX	BIT(3)

struct ptilab_audit_view {
	pgd_t *pgd;			/* the table user mode runs on */
	const char *table;		/* its name, for the report */
	unsigned long start, end;	/* the kernel half */
};

int ptilab_arch_audit_view(struct mm_struct *mm, struct ptilab_audit_view *v);
unsigned int ptilab_arch_prot_flags(u64 prot);
/* A short name for the region addr lies in (no addresses in it). */
const char *ptilab_arch_region(unsigned long addr);
/* Regions whose presence in the user table would defeat isolation. */
bool ptilab_arch_region_secret(const char *region);

void ptilab_audit_show(struct seq_file *m);

/* KASLR: whether the kernel image is not at its link-time address. */
bool ptilab_arch_kaslr(void);

/* ---- kernel text locality (numa.c) ----------------------------------- */

enum ptilab_numa_kind { PTILAB_NUMA_WINDOW, PTILAB_NUMA_TEXT, PTILAB_NUMA_RODATA };

/*
 * One range whose pages numa.c places on nodes.  Either every mapping in
 * the window [start, end) of pgd (kind PTILAB_NUMA_WINDOW), or the run of
 * read-only executable (TEXT) or read-only data (RODATA) mappings that
 * holds anchor, looked for in [start, end).  unresolved, when set, says
 * why the range cannot be placed, and nothing else is read.
 */
struct ptilab_numa_range {
	const char *name;		/* "text", "entry_text", "vectors", ... */
	const char *what;		/* one line for users */
	pgd_t *pgd;
	const char *table;		/* the table's name, as the audit's */
	unsigned long start, end;
	unsigned long anchor;
	enum ptilab_numa_kind kind;
	const char *unresolved;
};

#define PTILAB_NUMA_MAX_RANGES	4

void ptilab_numa_show(struct seq_file *m);
/* The kernel's own top-level table (init_mm's is not exported). */
pgd_t *ptilab_arch_kernel_pgd(void);
/* Where to look for the kernel image's run around anchor. */
void ptilab_arch_image_bounds(unsigned long anchor, unsigned long *start,
			      unsigned long *end);
/* The entry code's ranges, at most max of them; returns how many. */
int ptilab_arch_numa_entry(struct ptilab_numa_range *r, int max);

#endif /* PTILAB_H */
