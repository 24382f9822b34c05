/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PTILAB_H
#define PTILAB_H

#include <linux/seq_file.h>
#include <linux/types.h>

/*
 * Per-architecture hooks.  Each architecture supplies its own file
 * (state_x86.c, ...) so that the front end in main.c stays generic.
 */

/* Print the architecture's isolation state as key=value lines. */
void ptilab_arch_state_show(struct seq_file *m);

static inline const char *ptilab_onoff(bool on)
{
	return on ? "on" : "off";
}

#endif /* PTILAB_H */
