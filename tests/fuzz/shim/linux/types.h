/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A user-space stand-in for the kernel headers module/parse.c includes, so
 * that libFuzzer can run the parser (tests/fuzz/).  Only what parse.c
 * uses, each with the kernel's semantics where they differ from libc's.
 */
#ifndef PTILAB_SHIM_LINUX_TYPES_H
#define PTILAB_SHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#endif
