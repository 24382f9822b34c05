// SPDX-License-Identifier: GPL-2.0
/*
 * ptilab: report what page-table isolation is doing on this kernel.
 *
 * Everything lives in one debugfs directory, /sys/kernel/debug/ptilab/.
 * The front end here is deliberately thin: it owns the directory and the
 * generic keys, and asks the architecture code for the rest.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>

#include "ptilab.h"

static struct dentry *ptilab_dir;

/*
 * state: one key=value per line, stable keys, values on/off where they
 * are booleans, so that shell scripts and the CLI parse it the same way.
 */
static int state_show(struct seq_file *m, void *v)
{
	seq_printf(m, "arch=%s\n", utsname()->machine);
	seq_printf(m, "kernel=%s\n", utsname()->release);
	ptilab_arch_state_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);

static int __init ptilab_init(void)
{
	ptilab_dir = debugfs_create_dir("ptilab", NULL);
	if (IS_ERR(ptilab_dir)) {
		pr_err("cannot create debugfs directory (is debugfs enabled?)\n");
		return PTR_ERR(ptilab_dir);
	}

	/* Root only: the state reveals which mitigations are missing. */
	debugfs_create_file("state", 0400, ptilab_dir, NULL, &state_fops);
	pr_info("loaded\n");
	return 0;
}

static void __exit ptilab_exit(void)
{
	debugfs_remove_recursive(ptilab_dir);
	pr_info("unloaded\n");
}

module_init(ptilab_init);
module_exit(ptilab_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Page-table isolation state, costs and audit");
