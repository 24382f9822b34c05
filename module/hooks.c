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
 * A hook lives as long as its target: when the process exits the hook
 * removes itself, and the probe is detached once no hook is left, so that
 * a forgotten hook does not keep every task on the slow path.  The exit is
 * noticed the way a pidfd's poll() notices it: each installed hook keeps
 * an entry on its target's pid->wait_pidfd, which the kernel wakes when
 * the process has exited (do_notify_parent(), and in 6.12 also when the
 * pid is released), and the wake-up queues a work that removes the hooks
 * whose target is gone.  That costs nothing until the exit and registers
 * no further tracepoint: a sched_process_exit probe would patch kernel
 * text once more per install and removal, which is what can wedge an
 * emulated (TCG) guest, and polling would wake a CPU every so often during
 * the measurements.  Readers never see a dead target as installed: the
 * files check the target's liveness themselves, in the window before the
 * work has run.
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
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "ptilab.h"

struct ptilab_hook {
	struct pid *target;	/* NULL: not installed; published last */
	unsigned int arg;
	atomic64_t fired;	/* system calls that ran the action */
	atomic64_t done;	/* what the action did: writes, flushes */
	/*
	 * Removed because the target exited; fired and done keep its
	 * counts until the next write, so that they can still be read.
	 */
	bool exited;
	struct wait_queue_entry exit_wait;	/* on target->wait_pidfd */
};

static struct ptilab_hook hooks[PTILAB_NR_HOOKS];
static DEFINE_MUTEX(hooks_lock);	/* installs, removals, registration */
static struct tracepoint *tp_sys_enter;
static bool tp_registered;

static void reap_fn(struct work_struct *work);
static DECLARE_WORK(reap_work, reap_fn);

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

/*
 * Whether the process can still make a system call: a task still holds
 * its tgid, some thread has not passed do_exit() yet (signal->live counts
 * those), and no exit_group() or fatal signal is taking it down.  A zombie
 * fails the second test.  Under RCU, as pid_task() wants; the task and its
 * signal_struct are freed only after a grace period.
 */
static bool task_alive(struct task_struct *t)
{
	return atomic_read(&t->signal->live) &&
	       !(t->signal->flags & SIGNAL_GROUP_EXIT);
}

static bool target_alive(struct pid *pid)
{
	struct task_struct *t;
	bool alive;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	alive = t && task_alive(t);
	rcu_read_unlock();
	return alive;
}

/*
 * Whether a hook may target pid, as the errno the write returns:
 *   -ESRCH       no process (a thread id that is not a process's, or a
 *                pid nobody holds), or one that has exited or is exiting
 *                (a zombie, an exit_group() in progress): as for a pid
 *                that is gone, there is nothing left to hook;
 *   -EOPNOTSUPP  a kernel thread: it makes no system calls, so the hook
 *                could never fire, and the hooks do not apply to it;
 *   -EACCES      init (tgid 1 of the initial pid namespace): refused as a
 *                matter of policy, not because it could not work, since
 *                init never exits and would carry the hook until someone
 *                removed it, slowing the process every other one needs.
 * -EPERM (allow_hooks off) and -EINVAL (a malformed write) come earlier.
 */
static int target_refusal(struct pid *pid)
{
	struct task_struct *t;
	int ret = 0;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	if (!t)
		ret = -ESRCH;
	else if (t->flags & PF_KTHREAD)
		ret = -EOPNOTSUPP;
	else if (is_global_init(t))
		ret = -EACCES;
	else if (!task_alive(t))
		ret = -ESRCH;
	rcu_read_unlock();
	return ret;
}

/* The target's exit (or a spurious wake-up): let reap_fn() look. */
static int exit_wake(struct wait_queue_entry *wait, unsigned int mode,
		     int flags, void *key)
{
	schedule_work(&reap_work);
	return 0;
}

/*
 * Take the target off the hook; the caller waits for the probes that may
 * still see it (tracepoint_synchronize_unregister()) before putting it.
 */
static struct pid *detach_locked(struct ptilab_hook *h)
{
	struct pid *old = h->target;

	if (old) {
		WRITE_ONCE(h->target, NULL);
		remove_wait_queue(&old->wait_pidfd, &h->exit_wait);
	}
	return old;
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

/* Remove the hooks whose target has exited; keep their counts. */
static void reap_locked(void)
{
	struct pid *old[PTILAB_NR_HOOKS] = { };
	bool any = false;
	int i;

	for (i = 0; i < PTILAB_NR_HOOKS; i++) {
		if (!hooks[i].target || target_alive(hooks[i].target))
			continue;
		old[i] = detach_locked(&hooks[i]);
		hooks[i].exited = true;
		any = true;
	}
	if (!any)
		return;
	update_registration();
	/* No probe may still compare against a pid that is put below. */
	tracepoint_synchronize_unregister();
	for (i = 0; i < PTILAB_NR_HOOKS; i++)
		put_pid(old[i]);
}

static void reap_fn(struct work_struct *work)
{
	mutex_lock(&hooks_lock);
	reap_locked();
	mutex_unlock(&hooks_lock);
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
		/* Before anything changes: a refused write changes nothing. */
		ret = target_refusal(pid);
		if (ret) {
			put_pid(pid);
			return ret;
		}
	}

	mutex_lock(&hooks_lock);
	/*
	 * Off while the argument changes, and wait for every call that may
	 * still run the old one, so that none counts into the new counters.
	 */
	old = detach_locked(h);
	if (old)
		tracepoint_synchronize_unregister();
	WRITE_ONCE(h->arg, arg);
	atomic64_set(&h->fired, 0);
	atomic64_set(&h->done, 0);
	h->exited = false;
	/*
	 * Watch for the exit before publishing; an exit between the check
	 * above and here woke nobody, so reap_locked() looks once more.
	 */
	if (pid)
		add_wait_queue(&pid->wait_pidfd, &h->exit_wait);
	/*
	 * Release: publish last, so that a call that sees the new target
	 * (acquire in ptilab_sys_enter()) sees the new arg and counters.
	 */
	smp_store_release(&h->target, pid);
	ret = update_registration();
	if (ret) {
		detach_locked(h);
		put_pid(pid);
		pr_warn("cannot attach to sys_enter: %d\n", ret);
	} else if (pid) {
		reap_locked();
	}
	mutex_unlock(&hooks_lock);
	put_pid(old);
	return ret;
}

/*
 * A target that has exited but whose hook reap_fn() has not removed yet
 * shows as what it is about to be: not installed, exited.  A target in a
 * pid namespace the reader cannot see (pid_nr_ns() is 0 there) shows as
 * "not_visible", never as pid 0, which means "no target".
 */
static void hook_show_locked(struct seq_file *m, enum ptilab_hook_id id,
			     const char *prefix, bool with_installed)
{
	struct ptilab_hook *h = &hooks[id];
	bool installed = h->target && target_alive(h->target);
	pid_t nr = 0;

	if (installed)
		nr = pid_nr_ns(h->target, task_active_pid_ns(current));
	if (with_installed)
		seq_printf(m, "%sinstalled=%s\n", prefix,
			   installed ? "yes" : "no");
	if (installed && !nr)
		seq_printf(m, "%spid=not_visible\n", prefix);
	else
		seq_printf(m, "%spid=%d\n", prefix, nr);
	if (id == PTILAB_HOOK_EXTRA_CR3)
		seq_printf(m, "%swrites=%u\n", prefix, installed ? h->arg : 0);
	seq_printf(m, "%sfired=%lld\n", prefix,
		   (long long)atomic64_read(&h->fired));
	/* What the action did: extra_cr3 writes x fired page-table writes. */
	seq_printf(m, "%s%s=%lld\n", prefix,
		   id == PTILAB_HOOK_EXTRA_CR3 ? "pt_writes" : "flushes",
		   (long long)atomic64_read(&h->done));
	seq_printf(m, "%starget_exited=%s\n", prefix,
		   h->exited || (h->target && !installed) ? "yes" : "no");
}

void ptilab_hook_show(struct seq_file *m, enum ptilab_hook_id id)
{
	mutex_lock(&hooks_lock);
	hook_show_locked(m, id, "", false);
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
		hook_show_locked(m, i, prefix, true);
	}
	mutex_unlock(&hooks_lock);
}

int ptilab_hooks_init(void)
{
	int i;

	for (i = 0; i < PTILAB_NR_HOOKS; i++)
		init_waitqueue_func_entry(&hooks[i].exit_wait, exit_wake);
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
	for (i = 0; i < PTILAB_NR_HOOKS; i++)
		old[i] = detach_locked(&hooks[i]);
	update_registration();
	mutex_unlock(&hooks_lock);
	/* Off every wait queue now: no exit can queue the work again. */
	cancel_work_sync(&reap_work);
	/* No probe may still be running when the module text goes away. */
	tracepoint_synchronize_unregister();
	for (i = 0; i < PTILAB_NR_HOOKS; i++)
		put_pid(old[i]);
}
