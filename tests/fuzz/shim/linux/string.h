/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memchr(), strchr(), strcmp() and strsep() behave as lib/string.c's
 * (glibc's strsep() is the same BSD function); strim() and skip_spaces()
 * are lib/string_helpers.c's and lib/string.c's, with the kernel's
 * isspace().
 */
#ifndef PTILAB_SHIM_LINUX_STRING_H
#define PTILAB_SHIM_LINUX_STRING_H

#include <string.h>

#include <linux/ctype.h>

static inline char *skip_spaces(const char *str)
{
	while (isspace(*str))
		++str;
	return (char *)str;
}

static inline char *strim(char *s)
{
	size_t size;
	char *end;

	size = strlen(s);
	if (!size)
		return s;
	end = s + size - 1;
	while (end >= s && isspace(*end))
		end--;
	*(end + 1) = '\0';
	return skip_spaces(s);
}

#endif
