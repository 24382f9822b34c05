// SPDX-License-Identifier: GPL-2.0
/*
 * What users may write to ptilab's files, checked to the last byte.
 *
 * A write is one whole command of at most PTILAB_MAX_WRITE bytes: words
 * separated by blanks (spaces, tabs), white space around the command
 * ignored (echo's newline).  The first word of a probe command names the
 * primitive; every other word is key=value, each key known to the file
 * and given at most once, each value decimal digits only and in range.
 * Anything else is -EINVAL, in particular:
 *
 *  - a NUL anywhere: a C string would end there and the rest of the
 *    write would be dropped unseen ("cr3_flush iterations=7\0
 *    iterations=0" ran 7);
 *  - a sign, a base prefix or a newline in a value: kstrtouint() alone
 *    takes "+7" and "7\n", which the documentation never promised.
 *
 * The caller's command is written only once everything has been
 * checked, so a refused write changes nothing.
 *
 * Nothing here touches kernel state, so that the file also builds in user
 * space (tests/fuzz/), where libFuzzer checks these rules.
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "parse.h"

#define PTILAB_BLANKS	" \t"

struct ptilab_arg {
	const char *key;
	unsigned int min, max;
	unsigned int val;
	bool seen;
};

/*
 * The command in a write of len bytes (buf[len] is the NUL the copy
 * added): refuse an embedded NUL, drop the white space around it.
 */
static int ptilab_command(char *buf, size_t len, char **cmd)
{
	if (len == 0 || len > PTILAB_MAX_WRITE || memchr(buf, '\0', len))
		return -EINVAL;
	*cmd = strim(buf);
	return 0;
}

/* Decimal digits only, within [min, max]. */
static int ptilab_number(const char *s, unsigned int min, unsigned int max,
			 unsigned int *val)
{
	const char *p;
	unsigned int v;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (!isdigit(*p))
			return -EINVAL;
	/* Digits only, so kstrtouint() fails on overflow alone. */
	if (kstrtouint(s, 10, &v) || v < min || v > max)
		return -EINVAL;
	*val = v;
	return 0;
}

/* The key=value words of s (NULL: none) into args. */
static int ptilab_args(char *s, struct ptilab_arg *args, size_t n)
{
	char *word, *eq;
	size_t i;

	while ((word = strsep(&s, PTILAB_BLANKS)) != NULL) {
		if (!*word)
			continue;	/* a run of blanks */
		eq = strchr(word, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		for (i = 0; i < n; i++)
			if (!strcmp(word, args[i].key))
				break;
		if (i == n || args[i].seen)
			return -EINVAL;
		if (ptilab_number(eq + 1, args[i].min, args[i].max,
				  &args[i].val))
			return -EINVAL;
		args[i].seen = true;
	}
	return 0;
}

int ptilab_parse_probe(char *buf, size_t len, int (*lookup)(const char *name),
		       struct ptilab_probe_cmd *cmd)
{
	struct ptilab_arg args[] = {
		{ .key = "iterations", .min = 1, .max = PTILAB_PROBE_MAX_ITERS },
	};
	char *s, *name;
	int prim;

	if (ptilab_command(buf, len, &s))
		return -EINVAL;
	name = strsep(&s, PTILAB_BLANKS);
	prim = lookup(name);
	if (prim < 0 || ptilab_args(s, args, ARRAY_SIZE(args)))
		return -EINVAL;
	cmd->primitive = prim;
	cmd->iterations = args[0].seen ? args[0].val :
			  PTILAB_PROBE_DEFAULT_ITERS;
	return 0;
}

int ptilab_parse_hook(char *buf, size_t len, bool with_writes,
		      struct ptilab_hook_cmd *cmd)
{
	struct ptilab_arg args[] = {
		{ .key = "pid", .max = INT_MAX },
		{ .key = "writes", .max = PTILAB_HOOK_MAX_WRITES },
	};
	char *s;

	if (ptilab_command(buf, len, &s) ||
	    ptilab_args(s, args, with_writes ? 2 : 1) || !args[0].seen)
		return -EINVAL;
	/* Installing takes every argument; pid=0 removes and takes none. */
	if (with_writes && args[1].seen == !args[0].val)
		return -EINVAL;
	cmd->pid = args[0].val;
	cmd->writes = args[1].seen ? args[1].val : 0;
	return 0;
}
