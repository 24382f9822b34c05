/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PTILAB_PARSE_H
#define PTILAB_PARSE_H

/*
 * The grammar of what users write to ptilab's files (parse.c).  It has a
 * header of its own, apart from ptilab.h, because it also builds in user
 * space: tests/fuzz/ compiles parse.c against a small shim of the few
 * kernel string and number helpers it uses, and libFuzzer checks it.
 */

#include <linux/types.h>

#define PTILAB_MAX_WRITE		128

#define PTILAB_PROBE_DEFAULT_ITERS	10000U
#define PTILAB_PROBE_MAX_ITERS		200000U
#define PTILAB_HOOK_MAX_WRITES		16U

/* "<primitive> [iterations=N]" */
struct ptilab_probe_cmd {
	int primitive;			/* what lookup() returned for it */
	unsigned int iterations;	/* PTILAB_PROBE_DEFAULT_ITERS if absent */
};

/* "pid=<tgid> [writes=<0..16>]"; pid 0 removes the hook */
struct ptilab_hook_cmd {
	unsigned int pid;
	unsigned int writes;		/* 0 if the file takes none */
};

/*
 * Each parses one write: buf holds its len bytes and a NUL after them (as
 * memdup_user_nul() leaves it) and is split in place.  They return 0 or
 * -EINVAL, and write *cmd only when they return 0.
 *
 * lookup() returns the index of a known primitive, or a negative number.
 * with_writes: the file takes writes= (hook_extra_cr3), needed to install
 * and refused with pid=0.
 */
int ptilab_parse_probe(char *buf, size_t len, int (*lookup)(const char *name),
		       struct ptilab_probe_cmd *cmd);
int ptilab_parse_hook(char *buf, size_t len, bool with_writes,
		      struct ptilab_hook_cmd *cmd);

#endif /* PTILAB_PARSE_H */
