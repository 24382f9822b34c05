/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's errno values: the UAPI header's (glibc's <errno.h> also
 * includes <linux/errno.h>, which must then still define them).
 */
#ifndef PTILAB_SHIM_LINUX_ERRNO_H
#define PTILAB_SHIM_LINUX_ERRNO_H

#include_next <linux/errno.h>

#endif
