// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation state: the generic keys, the key/value printer shared by
 * "state" and "state.json", and the command-line reader and word
 * iterator the architectures' "why" models share.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kernel.h>
#include <linux/magic.h>
#include <linux/path.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "ptilab.h"

/*
 * Values are short tokens (on/off, names, numbers) by construction, but
 * escape anyway so that state.json stays valid whatever a kernel prints.
 */
static void ptilab_json_str(struct seq_file *m, const char *s)
{
	seq_putc(m, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			seq_putc(m, '\\');
		if ((unsigned char)*s < 0x20)
			seq_printf(m, "\\u%04x", *s);
		else
			seq_putc(m, *s);
	}
	seq_putc(m, '"');
}

static void ptilab_kv_key(struct ptilab_kv *kv, const char *key)
{
	if (kv->json) {
		seq_printf(kv->m, "%s\n  ", kv->first ? "" : ",");
		ptilab_json_str(kv->m, key);
		seq_puts(kv->m, ": ");
	} else {
		seq_printf(kv->m, "%s=", key);
	}
	kv->first = false;
}

void ptilab_kv_str(struct ptilab_kv *kv, const char *key, const char *val)
{
	ptilab_kv_key(kv, key);
	if (kv->json)
		ptilab_json_str(kv->m, val);
	else
		seq_printf(kv->m, "%s\n", val);
}

void ptilab_kv_reason(struct ptilab_kv *kv, const char *key, const char *reason, const char *tok)
{
	char why[48];

	if (!strcmp(reason, "cmdline"))
		snprintf(why, sizeof(why), "cmdline:%s", tok);
	else
		strscpy(why, reason, sizeof(why));
	ptilab_kv_str(kv, key, why);
}

void ptilab_kv_u64(struct ptilab_kv *kv, const char *key, u64 val)
{
	ptilab_kv_key(kv, key);
	seq_printf(kv->m, kv->json ? "%llu" : "%llu\n", val);
}

/*
 * /proc/cmdline as the kernel's own init sees it, whoever reads the state:
 * opened by name from the reader's root, a chroot with a file of its own
 * at proc/cmdline would decide pti_reason.  init_task's fs_struct is the
 * one init shares from boot (rest_init() starts it with CLONE_FS), as
 * every kernel thread does, so its root is init's.  Without a procfs at
 * proc/ there (the file must be procfs's own, not whatever else lies at
 * that path) the reasons are unknown and the kernel log says why, once.
 */
int ptilab_read_cmdline(char *buf, size_t size)
{
	struct path root;
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	get_fs_root(init_task.fs, &root);
	f = file_open_root(&root, "proc/cmdline", O_RDONLY, 0);
	path_put(&root);
	if (!IS_ERR(f) && file_inode(f)->i_sb->s_magic != PROC_SUPER_MAGIC) {
		filp_close(f, NULL);
		f = ERR_PTR(-ENOENT);
	}
	if (IS_ERR(f)) {
		pr_warn_once("no procfs cmdline under init's root (%ld): command-line reasons are unknown\n",
			     PTR_ERR(f));
		return PTR_ERR(f);
	}
	n = kernel_read(f, buf, size - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

void ptilab_cmdline_init(struct ptilab_cmdline *c, char *line, bool early_params)
{
	c->rest = line;
	c->early_params = early_params;
	c->done = false;
	c->param = NULL;
	c->val = NULL;
}

/* cmdline_find_option()'s blank: myisspace() in arch/x86/lib/cmdline.c. */
static bool ptilab_cmdline_blank(char ch)
{
	return (unsigned char)ch <= ' ';
}

bool ptilab_cmdline_next(struct ptilab_cmdline *c)
{
	char *p, *eq;

	if (c->done)
		return false;
	if (c->early_params) {
		/* parse_args(): skip_spaces(), then next_arg() word by word. */
		p = skip_spaces(c->rest);
		if (!*p) {
			c->done = true;
			return false;
		}
		c->rest = next_arg(p, &c->param, &c->val);
		/* parse_args(): "Stop at --". */
		if (!c->val && !strcmp(c->param, "--")) {
			c->done = true;
			return false;
		}
		return true;
	}
	for (p = c->rest; *p && ptilab_cmdline_blank(*p); p++)
		;
	if (!*p) {
		c->done = true;
		return false;
	}
	c->param = p;
	while (*p && !ptilab_cmdline_blank(*p))
		p++;
	if (*p)
		*p++ = '\0';
	c->rest = p;
	eq = strchr(c->param, '=');
	c->val = eq ? eq + 1 : NULL;
	if (eq)
		*eq = '\0';
	return true;
}

void ptilab_state(struct ptilab_kv *kv)
{
	ptilab_kv_str(kv, "arch", utsname()->machine);
	ptilab_kv_str(kv, "kernel", utsname()->release);
	ptilab_kv_u64(kv, "nr_cpus", num_online_cpus());
	/* On or off only: never the offset, never an address. */
	ptilab_kv_bool(kv, "kaslr", ptilab_arch_kaslr());
	ptilab_arch_state(kv);
}
