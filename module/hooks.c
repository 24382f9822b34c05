// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only hooks: run an action on every system call entry of one
 * process, to reproduce experiments that otherwise need patched entry
 * code (seed 001 added mov-to-CR3 instructions to SWITCH_TO_KERNEL_CR3).
 *
 * The probe is attached to the raw_syscalls:sys_enter tracepoint only
 * while at least one hook is installed: with none installed nothing is
 * registered and no system call pays anything.  While one is installed,
 * every task takes the syscall-work slow path (that is how the tracepoint
 * works), but only the target process runs the action; the other hook
 * state (pid=N writes=0) measures exactly that slow path for comparison.
 *
 * The target is held as a struct pid: a pointer comparison in the hot
 * path, and a recycled pid number can never match.
 *
 * Besides how often a hook fired, each counts what its action reports it
 * did (page-table-base writes, flushes), so that a test can prove the
 * extra writes happen where timing cannot show them (under TCG with PTI
 * on, the entry code's own CR3 writes already cost what one more would).
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <asm/barrier.h>
#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "ptilab.h"

struct ptilab_hook {
	struct pid *target;	/* NULL: not installed; published last */
	unsigned int arg;
	atomic64_t fired;	/* system calls that ran the action */
	atomic64_t done;	/* what the action did: writes, flushes */
};

static struct ptilab_hook hooks[PTILAB_NR_HOOKS];
static DEFINE_MUTEX(hooks_lock);	/* installs, removals, registration */
static struct tracepoint *tp_sys_enter;
static bool tp_registered;

/*
 * The target is read with acquire, pairing with the release that
 * published it in ptilab_hook_set(), and only then the argument: a weakly
 * ordered CPU (arm64) could otherwise see the new target with the old
 * arg, and a process hooked for 0 writes would do another's 16.  On x86
 * loads are not reordered with loads; the pair costs nothing there.
 */
static void ptilab_sys_enter(void *data, struct pt_regs *regs, long id)
{
	struct pid *me = task_tgid(current);
	struct ptilab_hook *h;

	h = &hooks[PTILAB_HOOK_EXTRA_CR3];
	/* Acquire: pairs with the release in ptilab_hook_set(). */
	if (smp_load_acquire(&h->target) == me) {
		atomic64_add(ptilab_arch_extra_cr3(READ_ONCE(h->arg)), &h->done);
		atomic64_inc(&h->fired);
	}
	h = &hooks[PTILAB_HOOK_FLUSH];
	/* Acquire: as above. */
	if (smp_load_acquire(&h->target) == me) {
		atomic64_add(ptilab_arch_flush_nonglobal(), &h->done);
		atomic64_inc(&h->fired);
	}
}

static void find_sys_enter(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_enter"))
		*(struct tracepoint **)priv = tp;
}

static bool any_installed(void)
{
	int i;

	for (i = 0; i < PTILAB_NR_HOOKS; i++)
		if (hooks[i].target)
			return true;
	return false;
}

/* Attach the probe when the first hook goes in, detach after the last. */
static int update_registration(void)
{
	bool want = any_installed();
	int ret = 0;

	if (want && !tp_registered) {
		ret = tracepoint_probe_register(tp_sys_enter,
						ptilab_sys_enter, NULL);
		tp_registered = !ret;
	} else if (!want && tp_registered) {
		tracepoint_probe_unregister(tp_sys_enter, ptilab_sys_enter,
					    NULL);
		tp_registered = false;
	}
	return ret;
}

int ptilab_hook_set(enum ptilab_hook_id id, pid_t nr, unsigned int arg)
{
	struct ptilab_hook *h = &hooks[id];
	struct pid *pid = NULL, *old;
	int ret;

	if (!tp_sys_enter)
		return -ENODEV;
	if (nr) {
		pid = find_get_pid(nr);
		if (!pid)
			return -ESRCH;
		/* A process (thread-group leader), not a thread id. */
		rcu_read_lock();
		ret = pid_task(pid, PIDTYPE_TGID) ? 0 : -ESRCH;
		rcu_read_unlock();
		if (ret) {
			put_pid(pid);
			return ret;
		}
	}

	mutex_lock(&hooks_lock);
	old = h->target;
	/*
	 * Off while the argument changes, and wait for every call that may
	 * still run the old one, so that none counts into the new counters.
	 */
	WRITE_ONCE(h->target, NULL);
	if (old)
		tracepoint_synchronize_unregister();
	WRITE_ONCE(h->arg, arg);
	atomic64_set(&h->fired, 0);
	atomic64_set(&h->done, 0);
	/*
	 * Release: publish last, so that a call that sees the new target
	 * (acquire in ptilab_sys_enter()) sees the new arg and counters.
	 */
	smp_store_release(&h->target, pid);
	ret = update_registration();
	if (ret) {
		WRITE_ONCE(h->target, NULL);
		put_pid(pid);
		pr_warn("cannot attach to sys_enter: %d\n", ret);
	}
	mutex_unlock(&hooks_lock);
	put_pid(old);
	return ret;
}

static void hook_show_locked(struct seq_file *m, enum ptilab_hook_id id,
			     const char *prefix)
{
	struct ptilab_hook *h = &hooks[id];

	seq_printf(m, "%spid=%d\n", prefix,
		   h->target ? pid_nr_ns(h->target, task_active_pid_ns(current)) : 0);
	if (id == PTILAB_HOOK_EXTRA_CR3)
		seq_printf(m, "%swrites=%u\n", prefix, h->target ? h->arg : 0);
	seq_printf(m, "%sfired=%lld\n", prefix,
		   (long long)atomic64_read(&h->fired));
	/* What the action did: extra_cr3 writes x fired page-table writes. */
	seq_printf(m, "%s%s=%lld\n", prefix,
		   id == PTILAB_HOOK_EXTRA_CR3 ? "pt_writes" : "flushes",
		   (long long)atomic64_read(&h->done));
}

void ptilab_hook_show(struct seq_file *m, enum ptilab_hook_id id)
{
	mutex_lock(&hooks_lock);
	hook_show_locked(m, id, "");
	mutex_unlock(&hooks_lock);
}

void ptilab_hooks_show(struct seq_file *m)
{
	char prefix[32];
	int i;

	mutex_lock(&hooks_lock);
	seq_printf(m, "sys_enter_probe=%s\n",
		   tp_registered ? "registered" : "unregistered");
	for (i = 0; i < PTILAB_NR_HOOKS; i++) {
		snprintf(prefix, sizeof(prefix), "%s.",
			 ptilab_arch_hook_names[i]);
		seq_printf(m, "%sinstalled=%s\n", prefix,
			   hooks[i].target ? "yes" : "no");
		hook_show_locked(m, i, prefix);
	}
	mutex_unlock(&hooks_lock);
}

int ptilab_hooks_init(void)
{
	for_each_kernel_tracepoint(find_sys_enter, &tp_sys_enter);
	if (!tp_sys_enter)
		pr_warn("no sys_enter tracepoint: hooks unavailable\n");
	return 0;
}

/* Remove every hook, even active ones: nothing may outlive the module. */
void ptilab_hooks_exit(void)
{
	struct pid *old[PTILAB_NR_HOOKS];
	int i;

	mutex_lock(&hooks_lock);
	for (i = 0; i < PTILAB_NR_HOOKS; i++) {
		old[i] = hooks[i].target;
		WRITE_ONCE(hooks[i].target, NULL);
	}
	update_registration();
	mutex_unlock(&hooks_lock);
	/* No probe may still be running when the module text goes away. */
	tracepoint_synchronize_unregister();
	for (i = 0; i < PTILAB_NR_HOOKS; i++)
		put_pid(old[i]);
}
