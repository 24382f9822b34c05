// SPDX-License-Identifier: GPL-2.0
/*
 * ptilab: what page-table isolation is doing on this kernel, what its
 * primitives cost, and what user mode can still see of the kernel.
 *
 * Everything lives in one debugfs directory, /sys/kernel/debug/ptilab/.
 * This file is the thin front end: it owns the directory, hands what
 * users write to parse.c (strictly: anything unexpected is -EINVAL and
 * changes nothing), and calls the mechanisms in state.c, probe.c, hooks.c,
 * ptaudit.c and numa.c.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ptilab.h"

/*
 * The hooks change what every system call of a process costs.  They are
 * for controlled experiments only, so they stay refused unless whoever
 * loaded the module asked for them.
 */
static bool allow_hooks;
module_param(allow_hooks, bool, 0400);
MODULE_PARM_DESC(allow_hooks, "Allow the test-only hooks (default: off)");

static struct dentry *ptilab_dir;

/* Like the kernel's DEFINE_SHOW_STORE_ATTRIBUTE, which 6.1 lacks. */
#define PTILAB_SHOW_STORE_ATTRIBUTE(__name)				\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	return single_open(file, __name ## _show, inode->i_private);	\
}									\
									\
static const struct file_operations __name ## _fops = {		\
	.owner		= THIS_MODULE,					\
	.open		= __name ## _open,				\
	.read		= seq_read,					\
	.write		= __name ## _write,				\
	.llseek		= seq_lseek,					\
	.release	= single_release,				\
}

/* ---- input ----------------------------------------------------------- */

/*
 * A write, whole and NUL-terminated, for parse.c.  Each write is one
 * whole command, so one at an offset cannot be: pwrite() already gets
 * -ESPIPE (seq_open() clears FMODE_PWRITE), and write() after lseek() now
 * gets the same instead of being obeyed as if it were at offset 0.
 */
static char *ptilab_get_input(const char __user *ubuf, size_t len,
			      const loff_t *ppos)
{
	if (*ppos)
		return ERR_PTR(-ESPIPE);
	if (len == 0 || len > PTILAB_MAX_WRITE)
		return ERR_PTR(-EINVAL);
	return memdup_user_nul(ubuf, len);
}

/* ---- state ------------------------------------------------------------ */

static int state_show(struct seq_file *m, void *v)
{
	struct ptilab_kv kv = { .m = m, .json = false, .first = true };

	ptilab_state(&kv);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);

static int state_json_show(struct seq_file *m, void *v)
{
	struct ptilab_kv kv = { .m = m, .json = true, .first = true };

	seq_puts(m, "{");
	ptilab_state(&kv);
	seq_puts(m, "\n}\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state_json);

/* ---- probe ------------------------------------------------------------ */

static int probe_show(struct seq_file *m, void *v)
{
	ptilab_probe_show(m);
	return 0;
}

static int probe_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < ptilab_arch_nr_primitives; i++)
		if (!strcmp(name, ptilab_arch_primitives[i].name))
			return i;
	return -1;
}

/* "<primitive> [iterations=N]" */
static ssize_t probe_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	struct ptilab_probe_cmd cmd;
	char *buf;
	int ret;

	buf = ptilab_get_input(ubuf, len, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = ptilab_parse_probe(buf, len, probe_lookup, &cmd);
	kfree(buf);
	if (!ret)
		ret = ptilab_probe_run(&ptilab_arch_primitives[cmd.primitive],
				       cmd.iterations);
	return ret ? ret : len;
}
PTILAB_SHOW_STORE_ATTRIBUTE(probe);

/* ---- hooks ------------------------------------------------------------ */

static ssize_t hook_write(enum ptilab_hook_id id, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	struct ptilab_hook_cmd cmd;
	char *buf;
	int ret;

	if (!allow_hooks)
		return -EPERM;
	buf = ptilab_get_input(ubuf, len, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = ptilab_parse_hook(buf, len, id == PTILAB_HOOK_EXTRA_CR3, &cmd);
	kfree(buf);
	if (!ret)
		ret = ptilab_hook_set(id, cmd.pid, cmd.writes);
	return ret ? ret : len;
}

static int hook_extra_cr3_show(struct seq_file *m, void *v)
{
	ptilab_hook_show(m, PTILAB_HOOK_EXTRA_CR3);
	return 0;
}

/* "pid=<tgid> writes=<0..16>", or "pid=0" to remove */
static ssize_t hook_extra_cr3_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	return hook_write(PTILAB_HOOK_EXTRA_CR3, ubuf, len, ppos);
}
PTILAB_SHOW_STORE_ATTRIBUTE(hook_extra_cr3);

static int hook_flush_show(struct seq_file *m, void *v)
{
	ptilab_hook_show(m, PTILAB_HOOK_FLUSH);
	return 0;
}

/* "pid=<tgid>", or "pid=0" to remove */
static ssize_t hook_flush_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	return hook_write(PTILAB_HOOK_FLUSH, ubuf, len, ppos);
}
PTILAB_SHOW_STORE_ATTRIBUTE(hook_flush);

static int hooks_show(struct seq_file *m, void *v)
{
	seq_printf(m, "allow_hooks=%s\n", allow_hooks ? "on" : "off");
	ptilab_hooks_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hooks);

/* ---- page-table audit ------------------------------------------------- */

static int ptaudit_show(struct seq_file *m, void *v)
{
	ptilab_audit_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ptaudit);

/* ---- kernel text locality --------------------------------------------- */

static int numa_show(struct seq_file *m, void *v)
{
	ptilab_numa_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(numa);

static int __init ptilab_init(void)
{
	int ret;

	ret = ptilab_hooks_init();
	if (ret)
		return ret;

	ptilab_dir = debugfs_create_dir("ptilab", NULL);
	if (IS_ERR(ptilab_dir)) {
		pr_err("cannot create debugfs directory (is debugfs enabled?)\n");
		ptilab_hooks_exit();
		return PTR_ERR(ptilab_dir);
	}

	/*
	 * Root only: the state says which mitigations are missing, the audit
	 * prints kernel addresses and numa physical ones, probes and hooks
	 * perturb the machine.
	 */
	debugfs_create_file("state", 0400, ptilab_dir, NULL, &state_fops);
	debugfs_create_file("state.json", 0400, ptilab_dir, NULL,
			    &state_json_fops);
	debugfs_create_file("probe", 0600, ptilab_dir, NULL, &probe_fops);
	debugfs_create_file("hook_extra_cr3", 0600, ptilab_dir, NULL,
			    &hook_extra_cr3_fops);
	debugfs_create_file("hook_flush", 0600, ptilab_dir, NULL,
			    &hook_flush_fops);
	debugfs_create_file("hooks", 0400, ptilab_dir, NULL, &hooks_fops);
	debugfs_create_file("ptaudit", 0400, ptilab_dir, NULL, &ptaudit_fops);
	debugfs_create_file("numa", 0400, ptilab_dir, NULL, &numa_fops);
	pr_info("loaded%s\n", allow_hooks ? " (test hooks allowed)" : "");
	return 0;
}

static void __exit ptilab_exit(void)
{
	/* Files first, so that no writer can install a hook behind us. */
	debugfs_remove_recursive(ptilab_dir);
	ptilab_hooks_exit();
	pr_info("unloaded\n");
}

module_init(ptilab_init);
module_exit(ptilab_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Page-table isolation state, costs and audit");
