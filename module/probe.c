// SPDX-License-Identifier: GPL-2.0
/*
 * Cost probes: run one primitive (a CR3 write, a TLB invalidation, ...)
 * many times on one CPU and report the distribution of its cost in
 * cycles.
 *
 * Interrupts are off only for bounded batches, so a long probe never
 * holds off interrupts or the scheduler for long; the task stays on one
 * CPU throughout so that all samples come from the same TLB.  The timed
 * region includes the counter reads themselves: their cost is measured
 * the same way with an empty body and reported as overhead_cycles, not
 * subtracted, so that nothing here is an estimate.
 */
#define pr_fmt(fmt)	"ptilab: " fmt

#include <linux/irqflags.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "ptilab.h"

#define PTILAB_PROBE_BATCH	256U
#define PTILAB_OVERHEAD_ITERS	4096U

/* One result at a time: probes are serialized and the last one is shown. */
static DEFINE_MUTEX(probe_lock);
static struct {
	const struct ptilab_primitive *p;
	unsigned int iters;
	int cpu;
	u64 min, median, p99, max, mean, overhead;
} last;

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* p == NULL measures the empty timed region. */
static int probe_measure(const struct ptilab_primitive *p, u64 *samples,
			 unsigned int iters)
{
	unsigned int done = 0;

	while (done < iters) {
		unsigned int n = min(PTILAB_PROBE_BATCH, iters - done), i;
		unsigned long flags, ctx = 0;

		local_irq_save(flags);
		if (p && p->prepare)
			ctx = p->prepare();
		for (i = 0; i < n; i++) {
			u64 t0 = ptilab_arch_cycles();

			if (p)
				p->run(ctx);
			samples[done + i] = ptilab_arch_cycles() - t0;
		}
		local_irq_restore(flags);
		done += n;

		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	sort(samples, iters, sizeof(*samples), cmp_u64, NULL);
	return 0;
}

int ptilab_probe_run(const struct ptilab_primitive *p, unsigned int iters)
{
	unsigned int i, n = max(iters, PTILAB_OVERHEAD_ITERS);
	u64 *samples, sum = 0;
	int ret;

	if (p->supported && !p->supported())
		return -EOPNOTSUPP;
	samples = vmalloc(array_size(n, sizeof(*samples)));
	if (!samples)
		return -ENOMEM;

	if (mutex_lock_interruptible(&probe_lock)) {
		vfree(samples);
		return -EINTR;
	}
	migrate_disable();
	ret = probe_measure(NULL, samples, PTILAB_OVERHEAD_ITERS);
	if (ret)
		goto out;
	last.overhead = samples[PTILAB_OVERHEAD_ITERS / 2];
	ret = probe_measure(p, samples, iters);
	if (ret)
		goto out;
	for (i = 0; i < iters; i++)
		sum += samples[i];
	last.p = p;
	last.iters = iters;
	last.cpu = raw_smp_processor_id();
	last.min = samples[0];
	last.median = samples[iters / 2];
	last.p99 = samples[min(iters - 1, iters * 99 / 100)];
	last.max = samples[iters - 1];
	last.mean = div64_u64(sum, iters);
out:
	migrate_enable();
	mutex_unlock(&probe_lock);
	vfree(samples);
	return ret;
}

void ptilab_probe_show(struct seq_file *m)
{
	size_t i;

	mutex_lock(&probe_lock);
	if (last.p) {
		seq_printf(m, "primitive=%s\n", last.p->name);
		seq_printf(m, "iterations=%u\n", last.iters);
		seq_printf(m, "cpu=%d\n", last.cpu);
		seq_printf(m, "min_cycles=%llu\n", last.min);
		seq_printf(m, "median_cycles=%llu\n", last.median);
		seq_printf(m, "p99_cycles=%llu\n", last.p99);
		seq_printf(m, "max_cycles=%llu\n", last.max);
		seq_printf(m, "mean_cycles=%llu\n", last.mean);
		seq_printf(m, "overhead_cycles=%llu\n", last.overhead);
	} else {
		seq_puts(m, "primitive=none\n");
	}
	mutex_unlock(&probe_lock);
	seq_printf(m, "counter=%s\n", ptilab_arch_cycles_name());
	seq_printf(m, "counter_khz=%lu\n", ptilab_arch_cycles_khz());

	/* What a write may name here, and what this CPU lacks. */
	for (i = 0; i < ptilab_arch_nr_primitives; i++) {
		const struct ptilab_primitive *p = &ptilab_arch_primitives[i];
		bool ok = !p->supported || p->supported();

		seq_printf(m, "primitive.%s=%s\n", p->name,
			   ok ? "supported" : "unsupported");
	}
}
