/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ARRAY_SIZE, INT_MAX and kstrtouint() as lib/kstrtox.c has it: an
 * optional '+', digits of the base (base 10: no prefix), at most one '\n'
 * after them; -ERANGE on overflow, -EINVAL otherwise.  (The kernel's
 * _parse_integer() stops accumulating at overflow; the flag is what
 * counts, so the wrapped value here is never used.)
 */
#ifndef PTILAB_SHIM_LINUX_KERNEL_H
#define PTILAB_SHIM_LINUX_KERNEL_H

#include <limits.h>

#include <linux/errno.h>
#include <linux/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* kstrtoull() (64 bits, then the trailing newline), then the 32-bit range. */
static inline int kstrtouint(const char *s, unsigned int base,
			     unsigned int *res)
{
	unsigned long long v = 0;
	bool overflow = false;
	const char *p;

	if (base != 10)
		return -EINVAL;	/* parse.c asks for nothing else */
	if (*s == '+')
		s++;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (ULLONG_MAX - d) / 10)
			overflow = true;
		v = v * 10 + d;
	}
	if (overflow)
		return -ERANGE;
	if (p == s)
		return -EINVAL;
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	if (v > UINT_MAX)
		return -ERANGE;
	*res = (unsigned int)v;
	return 0;
}

#endif
