/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lib/ctype.c's classes, which are not the C locale's: isspace() is also
 * true for 0xa0 (Latin-1 no-break space), which strim() therefore trims.
 */
#ifndef PTILAB_SHIM_LINUX_CTYPE_H
#define PTILAB_SHIM_LINUX_CTYPE_H

static inline int ptilab_shim_isspace(int c)
{
	c = (unsigned char)c;
	return (c >= '\t' && c <= '\r') || c == ' ' || c == 0xa0;
}

static inline int ptilab_shim_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

#define isspace(c)	ptilab_shim_isspace(c)
#define isdigit(c)	ptilab_shim_isdigit(c)

#endif
