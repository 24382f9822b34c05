"""The HTML page: one function per section, each returning an HTML string.
Every section is always present (with "not in these runs" where the CSVs
hold nothing for it), so readers and the browser test find the same ids."""

import datetime
import html
import math
import re
from collections import Counter

from . import macro, plots, seed
from .data import accel_label, extra_cr3, tlb_pages

SECTIONS = [
    ("overview", "Overview"),
    ("state", "Isolation state"),
    ("benchmarks", "Benchmarks"),
    ("macro", "Macro tier: builds and servers"),
    ("tlb", "TLB working set"),
    ("extra-cr3", "Extra CR3 writes"),
    ("probes", "Cost probes"),
    ("trace", "Trace counts"),
    ("counters", "Perf counters"),
    ("arm64", "arm64: E0PD vs KPTI"),
    ("seed", "Seed 001 beside ours"),
    ("baseline", "Against the baseline"),
]

NOT_IN_RUNS = "not in these runs"

# The profile (ptilab profiles' name) the arm64 section is about.
ARM64 = "arm64"

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#111;background:#fff}
header{background:#1f2933;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#cbd2d9}
header code{background:none;color:#e4e7eb}
nav{position:sticky;top:0;background:#f5f7fa;border-bottom:1px solid #d9e2ec;padding:6px 24px;z-index:1}
nav a{margin-right:14px;color:#1f4f8a;text-decoration:none;font-size:13px}
main{padding:0 24px 40px;max-width:1200px}
section{border-bottom:1px solid #e4e7eb;padding-bottom:18px}
h2{margin:26px 0 6px;font-size:18px}
h3{margin:18px 0 6px;font-size:15px;color:#323f4b}
table{border-collapse:collapse;margin:8px 0;font-size:12.5px}
th,td{border:1px solid #d9e2ec;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f0f4f8}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.note{color:#52606d;font-size:13px}
.missing{color:#8a6d3b;background:#fcf8e3;padding:6px 10px;border-left:3px solid #f0ad4e}
.how{background:#f5f7fa;padding:6px 12px;border-left:3px solid #9fb3c8;font-size:13px}
.slower{color:#b42318}.faster{color:#067647}.nsd{color:#52606d}
.tag{display:inline-block;white-space:nowrap;font-size:11px;padding:0 6px;border-radius:8px;color:#fff}
.tag.tcg{background:#9467bd}.tag.kvm{background:#ff7f0e}.tag.none{background:#2ca02c}.tag.other{background:#7f7f7f}
div.scroll{overflow-x:auto}
svg.plot{max-width:100%;height:auto;display:block;margin:6px 0}
code{background:#f0f4f8;padding:0 3px}
"""

e = html.escape


def accel_tag(accel):
    cls = accel if accel in ("tcg", "kvm", "none") else "other"
    return f'<span class="tag {cls}">{e(accel_label(accel))}</span>'


def missing(what):
    return f'<p class="missing">{e(what)}: {NOT_IN_RUNS}.</p>'


def how(text):
    return f'<p class="how">{text}</p>'


def table(head, rows, numeric_from=1):
    out = ['<div class="scroll"><table><thead><tr>', "".join(f"<th>{h}</th>" for h in head), "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(
            f'<td class="n">{c}</td>' if i >= numeric_from else f"<td>{c}</td>"
            for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def fmt_ns(v):
    if v is None:
        return "–"
    f, unit = plots.time_scale(abs(v))
    return f"{v / f:,.1f} {unit}" if unit != "ns" else f"{v:,.1f} ns"


def fmt_rate(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def macro_change(c, with_interval):
    """'(+38.0% [+30.1, +46.2])' of a macro-tier cell; '' without a change."""
    if c.delta_pct is None:
        return ""
    text = f"{c.delta_pct:+.1f}%"
    if with_interval and c.ci_low_pct is not None and c.ci_high_pct is not None:
        text += f" [{c.ci_low_pct:+.1f}, {c.ci_high_pct:+.1f}]"
    return f"({e(text)})"


def fmt_mean_sd(row, cv_row=None):
    if row is None or row.value is None:
        return "–"
    s = fmt_ns(row.value)
    if row.stddev is not None and row.value:
        s += f" ±{100 * row.stddev / row.value:.1f}%"
    if row.boots > 1:
        # Pooled over boots: the stddev is the boot means', then the spread inside one boot.
        if row.within_sd is not None and row.value:
            s += f" (w ±{100 * row.within_sd / row.value:.1f}%)"
        s += f" ({row.boots} boots)"
    elif row.repetitions:
        s += f" (n={row.repetitions})"
    if cv_row is not None and cv_row.value is not None:
        s += f" cv {cv_row.value:.1f}%"
    return e(s)


def verdict_class(verdict):
    if verdict.startswith("slower") or verdict.startswith("higher"):
        return "slower"
    if verdict.startswith("faster") or verdict.startswith("lower"):
        return "faster"
    return "nsd"


def fmt_delta(d, point=None, inline=False):
    """'+17.4% [+12.0, +22.9] slower' from ptilab compare, or the plain
    ratio of means (point) when compare could not give an interval."""
    if d is None:
        if point is None:
            return "–"
        return f'{point:+,.1f}% <span class="note">(no interval)</span>'
    s = f"{d.delta_pct:+,.1f}%"
    if d.ci_low_pct is not None and d.ci_high_pct is not None:
        s += f" [{d.ci_low_pct:+,.1f}, {d.ci_high_pct:+,.1f}]"
    else:
        s += " [interval unbounded]"
    sep = " " if inline else "<br>"
    return f'{s}{sep}<span class="{verdict_class(d.verdict)}">{e(d.verdict)}</span>'


def point_delta(ds, a, b, bench):
    ra, rb = ds.get(a, bench, "ns_per_op"), ds.get(b, bench, "ns_per_op")
    if ra is None or rb is None or not ra.value or rb.value is None:
        return None
    return 100 * (rb.value - ra.value) / ra.value


def ratio_interval(d):
    """ptilab compare's delta % and interval as a ratio B/A for the log axis."""
    ratio = 1 + d.delta_pct / 100
    if d.ci_low_pct is None or d.ci_high_pct is None:
        return ratio, None, None
    return ratio, 1 + d.ci_low_pct / 100, 1 + d.ci_high_pct / 100


class Page:
    def __init__(self, ds, comparer, argv, seed_path):
        self.ds = ds
        self.cmp = comparer
        self.argv = argv
        self.seed_path = seed_path
        self.colors = {c: plots.PALETTE[i % len(plots.PALETTE)] for i, c in enumerate(ds.configs)}
        self.pairs = [(ref, c) for c in ds.configs if (ref := ds.reference_for(c))]
        # Run the comparisons first, so the note above the first table can
        # say which failed and at what confidence the others came out.
        for a, b in self.pairs:
            comparer.deltas(a, b)
        self.macro_pairs, self.macro_failure = macro.macro_tier(ds, comparer.binary)

    # -- helpers ----------------------------------------------------------
    def group_title(self, g):
        host, arch, kernel = g
        return f"{e(host)} · {e(arch)} · {e(kernel)}"

    def deltas(self, a, b):
        return self.cmp.deltas(a, b)

    def compare_note(self):
        conf = self.cmp.confidence()
        text = ("Overhead = (isolation on − off) / off, from <code>ptilab compare</code>: "
                f"the {int(round(100 * conf))}% confidence interval (Fieller's, with Welch's t) "
                "in brackets, and its verdict. Where both configurations were measured in two boots or more, "
                "the boots are the replicates (each boot's repetitions averaged first, the interval on the log "
                "scale with Welch's t) and a cell's ± is the "
                "spread between boots, w ± the spread inside one; a verdict marked \u201c(one boot)\u201d "
                "comes from the repetitions inside a single boot, which vary less than boots do, so the next "
                "boot may fall outside its interval.")
        one = self.one_boot_pairs()
        if one:
            text += (f" {one} of {len(self.pairs)} comparisons have one boot a side: record more with "
                     "<code>scripts/vm-bench --boots N</code>.")
        if self.cmp.notes:
            text += " ptilab compare notes: " + "; ".join(e(n) for n in self.cmp.notes) + "."
        if self.cmp.failures:
            text += (" Comparisons that failed (their overheads are plain ratios of means, without an "
                     "interval): " + "; ".join(e(f) for f in self.cmp.failures))
        return f'<p class="note">{text}</p>'

    def boots_text(self, c):
        n = len(self.ds.boots.get(c, ()))
        return "1 boot" if n == 1 else f"{n} boots"

    def one_boot_pairs(self):
        """How many compared pairs have an interval from one boot only."""
        return sum(1 for a, b in self.pairs
                   if any(not d.across_boots for d in self.deltas(a, b).values()))

    def pair_label(self, a, b):
        return f"{self.ds.label(b)} vs {self.ds.label(a)}"

    # -- sections ---------------------------------------------------------
    def overview(self):
        ds = self.ds
        rows = []
        for run in ds.runs:
            cs = sorted({r.config for r in run.rows}, key=ds.configs.index)
            hosts = sorted({c.host for c in cs})
            kernels = sorted({c.kernel for c in cs})
            accels = sorted({c.accel for c in cs})
            mark = " (baseline)" if run is ds.baseline else ""
            rows.append([e(run.run_id) + mark, e(", ".join(hosts)), e(", ".join(sorted({c.arch for c in cs}))),
                         e(", ".join(kernels)), " ".join(accel_tag(a) for a in accels),
                         e(", ".join(f"{ds.label(c)} ({self.boots_text(c)})" for c in cs)),
                         f"<code>{e(run.csv_path)}</code>"])
        out = [table(["run", "host", "arch", "kernel", "ran on", "configurations", "source"], rows,
                     numeric_from=99)]
        # Headline: per isolation-on configuration, how its benchmarks moved.
        heads = []
        for a, b in self.pairs:
            d = self.deltas(a, b)
            where = f"{self.group_title(b.group)}, {accel_tag(b.accel)}"
            if d:
                verdicts = Counter(verdict_class(x.verdict) for k, x in d.items() if not extra_cr3(k))
                sn = d.get("BM_Syscall_Null")
                txt = (f"<b>{e(self.pair_label(a, b))}</b> ({where}): slower in {verdicts['slower']}, "
                       f"faster in {verdicts['faster']}, no significant difference in {verdicts['nsd']} "
                       f"of {sum(verdicts.values())} benchmarks")
                if sn:
                    txt += f"; a null system call {fmt_delta(sn, inline=True)}"
            else:
                p = point_delta(self.ds, a, b, "BM_Syscall_Null")
                txt = f"<b>{e(self.pair_label(a, b))}</b> ({where})"
                if p is not None:
                    txt += f": a null system call {fmt_delta(None, p)}"
            heads.append(f"<li>{txt}.</li>")
        if heads:
            out.append("<h3>Which configuration wins</h3><ul>" + "".join(heads) + "</ul>")
        else:
            out.append(missing("A configuration with isolation on next to one with it off, in the same run"))
        out.append(how("Emulated (TCG) times are emulator times: under TCG every CR3 write empties the "
                       "emulator's whole TLB, so isolation costs far more there than on any CPU. Read them as "
                       "the mechanism, and take numbers for a change request from hardware (bare metal) or KVM runs."))
        return "".join(out)

    def state(self):
        ds = self.ds
        keys = "/".join(f"<code>{e(p.reason_key)}</code>" for p in ds.profiles())
        out = [how("Each configuration as the kernel ran it: what isolation is, and why (the state's "
                   f"{keys or 'reason'} in words, with the token; <i>inferred without the module</i> where "
                   "ptilab read the kernel's own files instead), the CPU, and every state key recorded. "
                   "<i>user-visible kernel pages</i> is the page-table audit: what kernel memory user mode's "
                   "page table maps, and how much of it is secret.")]
        for p in ds.profiles():
            out.append(f"<h3>{e(p.name)} ({e(p.arch)})</h3>")
            out.append(self.state_table([c for c in ds.configs if c.profile is p], p))
        if not ds.configs:
            out.append(missing("Configurations"))
        return "".join(out)

    def why(self, c):
        """The reason sentence and its token, from the state's reason key."""
        st = self.ds.state(c)
        if not st:
            return '<span class="note">no module state recorded</span>'
        p = c.profile
        token = st.get(p.reason_key, "")
        s = e(p.reason_sentence(token, c.isolation))
        if token:
            s += f" <code>{e(token)}</code>"
        if st.get("source") == "kernel":
            s += ' <span class="note">(inferred without the module)</span>'
        return s

    def cpu(self, c):
        """The CPU as the cpu rows say: model, the emulated CPU, ids."""
        cpu = self.ds.cpu(c)
        parts = [e(cpu["model"])] if "model" in cpu else []
        if "qemu_cpu" in cpu or "qemu" in cpu:
            # The emulator's version too: emulated timings change with it.
            qemu = " ".join(x for x in (cpu.get("qemu", ""), f"-cpu {cpu['qemu_cpu']}" if "qemu_cpu" in cpu else "")
                            if x)
            parts.append(f'<span class="note">QEMU {e(qemu)}</span>')
        ids = [f"{k}={v}" for k, v in cpu.items() if k not in ("model", "qemu_cpu", "qemu")]
        if ids:
            parts.append(f"<code>{e(', '.join(ids))}</code>")
        return "<br>".join(parts) or "–"

    def audit(self, c):
        k, s = self.ds.get(c, "ptaudit", "kernel_pages"), self.ds.get(c, "ptaudit", "secret_pages")
        if k is None:
            return "–"
        return e(f"{k.value:,.0f} ({s.value:,.0f} secret)" if s else f"{k.value:,.0f}")

    def state_table(self, cs, p):
        """One row per configuration of profile p: isolation, why, CPU, the
        profile's state keys that any of them recorded, audit, command line."""
        ds = self.ds
        states = {c: ds.state(c) for c in cs}
        shown = (p.isolation_column, p.reason_key, "arch", "kernel")
        keys = [k for k in p.state_keys if k not in shown and any(k in st for st in states.values())]
        with_audit = any(ds.get(c, "ptaudit", "kernel_pages") for c in cs)
        rows = []
        for c in cs:
            st = states[c]
            rows.append([self.group_title(c.group), e(ds.label(c)), accel_tag(c.accel),
                         e(st.get(p.isolation_column, c.isolation)), self.why(c), self.cpu(c)]
                        + [e(st.get(k, "–")) for k in keys]
                        + ([self.audit(c)] if with_audit else []) + [f"<code>{e(c.cmdline)}</code>"])
        head = (["host · arch · kernel", "configuration", "ran on", e(p.isolation), "why", "CPU"]
                + [f"<code>{e(k)}</code>" for k in keys]
                + (["user-visible kernel pages"] if with_audit else []) + ["command line"])
        return table(head, rows, numeric_from=99)

    def bench_pairs_table(self, cs, benchmarks, pairs):
        ds = self.ds
        head = ["benchmark"] + [e(ds.label(c)) + "<br>mean ±stddev" for c in cs] + \
            [e(self.pair_label(a, b)) + "<br>overhead [CI]" for a, b in pairs]
        rows = []
        for bname in benchmarks:
            r = [f"<code>{e(bname)}</code>"]
            for c in cs:
                r.append(fmt_mean_sd(ds.get(c, bname, "ns_per_op"), ds.get(c, bname, "ns_per_op_cv")))
            for a, b in pairs:
                r.append(fmt_delta(self.deltas(a, b).get(bname), point_delta(ds, a, b, bname)))
            rows.append(r)
        return table(head, rows)

    def forest(self, name, title, pairs, benchmarks, xlabel):
        entries = []
        for bname in benchmarks:
            for a, b in pairs:
                d = self.deltas(a, b).get(bname)
                label = bname.replace("BM_", "") + (f" · {self.ds.label(b)}" if len(pairs) > 1 else "")
                if d is not None:
                    entries.append((label, self.colors[b], *ratio_interval(d)))
                else:
                    p = point_delta(self.ds, a, b, bname)
                    if p is not None:
                        entries.append((label, self.colors[b], 1 + p / 100, None, None))
        if not entries:
            return ""
        return plots.ratio_forest(name, title, entries, xlabel)

    def benchmarks(self):
        ds = self.ds
        out = [self.compare_note(),
               how("<b>Bars</b>: mean ns per operation per configuration; <b>whiskers</b>: ±1 standard deviation "
                   "over the repetitions (not a confidence interval). <b>Ratio plot</b>: time with isolation on "
                   "divided by time with it off, on a log axis (1× = no cost); the line is ptilab compare's "
                   "confidence interval, a hollow dot a ratio without one. A line that crosses 1× is a difference "
                   "the noise cannot carry.")]
        general = lambda b: not extra_cr3(b) and tlb_pages(b) is None  # noqa: E731
        any_bench = False
        for gi, g in enumerate(ds.groups()):
            cs = [c for c in ds.configs_in(g) if any(ds.get(c, b, "ns_per_op") for b in ds.benchmarks())]
            benches = [b for b in ds.benchmarks(general) if any(ds.get(c, b, "ns_per_op") for c in cs)]
            if not benches:
                continue
            any_bench = True
            out.append(f"<h3>{self.group_title(g)}</h3>")
            series = [(ds.label(c), c, {b: (r.value, r.stddev, r.repetitions) for b in benches
                                         for r in [ds.get(c, b, "ns_per_op")] if r}) for c in cs]
            out.append(plots.bench_grid(f"bench-{gi}", f"ns per operation, {g}", benches, series, self.colors))
            pairs = [(a, b) for a, b in self.pairs if b.group == g]
            if pairs:
                out.append(self.forest(f"overhead-{gi}", f"isolation overhead, {g}", pairs, benches,
                                       "time with isolation on / off (log scale)"))
            else:
                out.append('<p class="note">No isolation-off configuration in the same run to compare against.</p>')
            all_b = [b for b in ds.benchmarks(lambda b: not extra_cr3(b)) if any(ds.get(c, b, "ns_per_op") for c in cs)]
            out.append(self.bench_pairs_table(cs, all_b, pairs))
        if not any_bench:
            out.append(missing("Benchmark rows (ns_per_op)"))
        return "".join(out)

    def tlb(self):
        ds = self.ds
        out = [how("Each iteration makes one system call, then reads one byte from each of W resident pages. "
                   "Without PCID, isolation empties the TLB on every kernel entry, so the cost grows with W; "
                   "with PCID (or without isolation) the pages stay cached until W outgrows the TLB. "
                   "Both axes are logarithmic; the band is ±1 stddev.")]
        found = False
        for gi, g in enumerate(ds.groups()):
            series = []
            for c in ds.configs_in(g):
                pts = [(tlb_pages(r.benchmark), r.value, r.stddev) for r in ds.rows
                       if r.config == c and r.metric == "ns_per_op" and tlb_pages(r.benchmark) is not None]
                if pts:
                    series.append((ds.label(c), c, pts))
            if not series:
                continue
            found = True
            out.append(f"<h3>{self.group_title(g)}</h3>")
            out.append(plots.tlb_curve(f"tlb-{gi}", f"TLB working set, {g}", series, self.colors))
            rows = []
            for lab, c, pts in series:
                pts = sorted(pts)
                first, last = pts[0], pts[-1]
                rows.append([e(lab), fmt_ns(first[1]) + f" at W={first[0]}", fmt_ns(last[1]) + f" at W={last[0]}",
                             f"{last[1] / first[1]:,.1f}×" if first[1] else "–"])
            out.append(table(["configuration", "smallest W", "largest W", "growth"], rows))
        if not found:
            out.append(missing("BM_TLB_Sweep rows"))
        return "".join(out)

    def extra_cr3(self):
        ds = self.ds
        writes = ", ".join(f"{e(p.pt_write)} on {e(p.name)}" for p in ds.profiles())
        out = [how(f"The hook adds N page-table writes ({writes or 'CR3 writes'}, the same value) to every "
                   "system call of BM_Syscall_Null: seed 001's patched <code>SWITCH_TO_KERNEL_CR3</code>, on a "
                   "stock kernel. The slope of the least-squares line is the cost of one added write in ns; N=0 "
                   "carries the hook's own cost, so compare against it, not against the plain benchmark. Under "
                   "TCG a write right after another is nearly free, so the points need not lie on a line there.")]
        found = False
        for gi, g in enumerate(ds.groups()):
            fits = [(c, pts, fit_line([x for x, _, _ in pts], [y for _, y, _ in pts]))
                    for c in ds.configs_in(g) for pts in [self.extra_cr3_points(c)] if pts]
            if not fits:
                continue
            found = True
            p = fits[0][0].profile
            ns = sorted({x for _, pts, _ in fits for x, _, _ in pts})
            series = [(ds.label(c), c, pts, fit[:2] if fit else None) for c, pts, fit in fits]
            out.append(f"<h3>{self.group_title(g)}</h3>")
            out.append(plots.extra_cr3(f"extra-cr3-{gi}", f"extra {p.pt_register} writes, {g}", series,
                                       self.colors, p.pt_register))
            out.append(table(["configuration"] + [f"N={n}" for n in ns] +
                             ["per added write (slope ±SE)", f"probe: one {e(p.pt_write)}, median"],
                             [self.extra_cr3_row(c, pts, fit, ns) for c, pts, fit in fits]))
        if not found:
            out.append(missing("BM_Syscall_Null+extra_cr3=N rows (the hook experiment)"))
        return "".join(out)

    def extra_cr3_points(self, c):
        """[(N, mean ns, stddev)] of c's BM_*+extra_cr3=N rows."""
        return [(x[1], r.value, r.stddev) for r in self.ds.rows
                for x in [extra_cr3(r.benchmark)] if x and r.config == c and r.metric == "ns_per_op"]

    def write_probe(self, c):
        """The median ns of one page-table write (the profile's write probes, best first)."""
        for name in c.profile.write_probes:
            r = self.ds.get(c, "probe:" + name, "ns_median")
            if r:
                return r
        return None

    def extra_cr3_row(self, c, pts, fit, ns):
        by_n = {x: (m, sd) for x, m, sd in pts}
        r = [e(self.ds.label(c))]
        for n in ns:
            m, sd = by_n.get(n, (None, None))
            r.append(fmt_ns(m) + (f" ±{100 * sd / m:.0f}%" if sd and m else "") if m is not None else "–")
        if fit:
            slope, _icpt, se, r2 = fit
            r.append(f"<b>{slope:+,.0f} ns</b>" + (f" ±{se:,.0f}" if se is not None else "")
                     + (f" (R² {r2:.2f})" if r2 is not None else ""))
        else:
            r.append("–")
        probe = self.write_probe(c)
        r.append(e(f"{probe.value:,.0f} ns ({probe.benchmark[6:]})") if probe else "–")
        return r

    def probes(self):
        ds = self.ds
        prims = []
        for r in ds.rows:
            if r.benchmark.startswith("probe:") and r.benchmark[6:] not in prims:
                prims.append(r.benchmark[6:])
        if not prims:
            return missing("Cost probes (probe:<primitive> rows)")
        units = "; ".join(f"{e(p.name)}: {e(p.probe_unit)}" for p in ds.profiles())
        out = [how(f"What one primitive costs in the counter's unit ({units}; the <code>*_cycles</code> rows hold "
                   "it), measured by the module on one CPU with interrupts off: median, and the range min … p99. "
                   "<i>unsupported</i>: the CPU lacks the instruction (e.g. INVPCID, or CR3 NOFLUSH without "
                   "PCID). Under TCG the counter is the emulator's.")]
        cs = [c for c in ds.configs if any(ds.get(c, "probe:" + p, m) for p in prims
                                           for m in ("cycles_median", "supported"))]
        series = [(ds.label(c, full=len(ds.groups()) > 1), c, self.probe_ranges(c, prims)) for c in cs]
        if any(d for _, _, d in series):
            unit = " / ".join(dict.fromkeys(c.profile.probe_unit for c in cs))
            out.append(plots.probe_bars("probes", "cost probes", prims, series, self.colors, unit))
        rows = [[f"<code>{e(p)}</code>"] + [self.probe_cell(c, p) for c in cs] for p in prims]
        out.append(table(["primitive"] + [e(lab) + f"<br>{e(c.profile.probe_unit)} median (min … p99)"
                                          for lab, c, _ in series], rows))
        return "".join(out)

    def probe_ranges(self, c, prims):
        """{primitive: (median, min, p99)} where c measured it."""
        ds, d = self.ds, {}
        for p in prims:
            med = ds.get(c, "probe:" + p, "cycles_median")
            if med is not None:
                mn = ds.get(c, "probe:" + p, "cycles_min")
                p99 = ds.get(c, "probe:" + p, "cycles_p99")
                d[p] = (med.value, mn.value if mn else med.value, p99.value if p99 else med.value)
        return d

    def probe_cell(self, c, p):
        ds = self.ds
        med = ds.get(c, "probe:" + p, "cycles_median")
        if med is None:
            sup = ds.get(c, "probe:" + p, "supported")
            return '<span class="note">unsupported</span>' if sup is not None and sup.value == 0 else "–"
        mn, p99 = ds.get(c, "probe:" + p, "cycles_min"), ds.get(c, "probe:" + p, "cycles_p99")
        ns = ds.get(c, "probe:" + p, "ns_median")
        s = f"{med.value:,.0f}"
        if mn and p99:
            s += f" ({mn.value:,.0f} … {p99.value:,.0f})"
        if ns:
            s += f"<br>{fmt_ns(ns.value)}"
        return s

    def trace(self):
        ds = self.ds
        trows = [r for r in ds.rows if r.metric.startswith("trace:") and r.benchmark.startswith("BM_")]
        if not trows:
            return missing("Trace counts (trace:* rows from ptilab's tracer)")
        metrics = []
        for r in trows:
            if r.metric not in metrics:
                metrics.append(r.metric)
        order = ["entries", "kernel_entries", "syscalls", "interrupts", "page_faults", "context_switches",
                 "mm_switches", "cr3_writes"]

        def key(m):
            short = trace_short(m)
            if short.startswith("tlb_flush"):
                return (len(order) + 1, short)
            return (order.index(short) if short in order else len(order), short)
        metrics.sort(key=key)
        flush = [m for m in metrics if trace_short(m).startswith("tlb_flush_")]
        out = [how("Counted by ptilab's tracer while each benchmark ran, divided by its iterations: what one "
                   "operation costs in kernel entries, mm switches and TLB flushes (by the kernel's "
                   "<code>tlb:tlb_flush</code> reason). PTI's own CR3 switches on entry and exit are not "
                   "TLB-flush events; they follow from the entry count.")]
        for gi, g in enumerate(ds.groups()):
            cs = [c for c in ds.configs_in(g) if any(r.config == c for r in trows)]
            if not cs:
                continue
            out.append(f"<h3>{self.group_title(g)}</h3>")
            benches = []
            for r in trows:
                if r.config in cs and r.benchmark not in benches:
                    benches.append(r.benchmark)
            if flush:
                bars = []
                for b in benches:
                    for c in cs:
                        d = {trace_short(m)[len("tlb_flush_"):]: (ds.get(c, b, m).value if ds.get(c, b, m) else 0)
                             for m in flush}
                        if any(d.values()):
                            bars.append((f"{b.replace('BM_', '')} · {ds.label(c)}", d))
                if bars:
                    out.append(plots.stacked_counts(f"trace-{gi}", f"TLB flushes per operation, {g}", bars,
                                                    [trace_short(m)[len("tlb_flush_"):] for m in flush],
                                                    "TLB flushes per operation, by reason"))
            rows = []
            for b in benches:
                for c in cs:
                    vals = [ds.get(c, b, m) for m in metrics]
                    if not any(vals):
                        continue
                    rows.append([f"<code>{e(b)}</code>", e(ds.label(c))] +
                                [f"{v.value:,.2f}" if v and v.value is not None else "–" for v in vals])
            out.append(table(["benchmark", "configuration"] + [e(trace_short(m)) for m in metrics], rows,
                             numeric_from=2))
        return "".join(out)

    def counters(self):
        ds = self.ds
        prow = [r for r in ds.rows if r.benchmark.startswith("BM_") and r.unit == "per_op"
                and not r.metric.startswith("trace:")]
        unsup = [r for r in ds.rows if r.benchmark == "*" and r.unit == "not_supported"]
        if not prow and not unsup:
            return missing("Perf counter rows (events per operation)")
        out = [how("perf events counted around each benchmark, per operation (mean over repetitions, ±stddev "
                   "as % of it where recorded). Events the machine could not count are listed below the table.")]
        events = []
        for r in prow:
            if r.metric not in events:
                events.append(r.metric)
        if prow:
            for g in ds.groups():
                cs = [c for c in ds.configs_in(g) if any(r.config == c for r in prow)]
                if not cs:
                    continue
                out.append(f"<h3>{self.group_title(g)}</h3>")
                benches = []
                for r in prow:
                    if r.config in cs and r.benchmark not in benches:
                        benches.append(r.benchmark)
                rows = []
                for b in benches:
                    for c in cs:
                        vals = [ds.get(c, b, m) for m in events]
                        if not any(vals):
                            continue
                        cells = []
                        for v in vals:
                            if v is None or v.value is None:
                                cells.append("–")
                            else:
                                s = f"{v.value:,.2f}"
                                if v.stddev is not None and v.value:
                                    s += f" ±{100 * v.stddev / v.value:.0f}%"
                                cells.append(s)
                        rows.append([f"<code>{e(b)}</code>", e(ds.label(c))] + cells)
                out.append(table(["benchmark", "configuration"] + [e(m) for m in events], rows, numeric_from=2))
        else:
            out.append(missing("Perf counter values"))
        if unsup:
            by = {}
            for r in unsup:
                by.setdefault(r.metric, []).append(ds.label(r.config, full=True))
            out.append("<p class=\"note\">Not supported here: " + "; ".join(
                f"<code>{e(m)}</code> ({e(', '.join(sorted(set(v))))})" for m, v in by.items()) + ".</p>")
        return "".join(out)

    def arm64(self):
        ds = self.ds
        arm = [c for c in ds.configs if c.profile.name == ARM64]
        if not arm:
            return missing(f"{ARM64} configurations")
        p = arm[0].profile
        iso, tlb = e(p.isolation), e(p.tlb_name)
        out = [how(f"On {e(p.name)}, {iso} unmaps the kernel from user mode's page table ({e(p.pt_register)} "
                   f"switches through a trampoline); ARMv8.5 {tlb} makes user-mode accesses to kernel addresses "
                   f"fault in hardware, so a CPU with {tlb} needs no {iso} (KASLR alone would force it). "
                   f"Overhead = ({iso} on − off) / off, against the {iso}-off configuration with the same {tlb} "
                   "setting (the same CPU in vm-bench's matrix) where one ran.")]
        out.append(self.state_table(arm, p))
        pairs = [(a, b) for a, b in self.pairs if b.profile is p]
        if not pairs:
            out.append(f'<p class="note">No {iso}-off configuration next to a {iso} one in the same run.</p>')
            return "".join(out)
        for gi, g in enumerate(ds.groups()):
            gp = [(a, b) for a, b in pairs if b.group == g]
            if gp:
                out.append(f"<h3>{self.group_title(g)}</h3>")
                out.append(self.arm64_group(gi, g, gp))
        return "".join(out)

    def arm64_group(self, gi, g, gp):
        ds = self.ds
        iso = gp[0][1].profile.isolation
        benches = [b for b in ds.benchmarks(lambda b: not extra_cr3(b))
                   if any(ds.get(c, b, "ns_per_op") for p in gp for c in p)]
        fb = [b for b in benches if tlb_pages(b) is None]
        cs = sorted({c for p in gp for c in p}, key=ds.configs.index)
        return (self.forest(f"arm64-{gi}", f"{iso} on vs off, {g}", gp, fb,
                            f"time with {iso} on / off (log scale)")
                + self.bench_pairs_table(cs, benches, gp))

    def macro(self):
        if self.macro_failure:
            return f'<p class="missing">Macro tier: ptilab table --macro-csv failed: {e(self.macro_failure)}</p>'
        if not self.macro_pairs:
            return missing("Macro tier (the BM_Macro_ workloads of the Debian guest with isolation on and off: "
                           "make vm-bench)")
        out = [how("The workloads people asked about when isolation shipped, in a real Debian 12 guest "
                   "(<code>scripts/vm --image debian</code>): <code>make -j4</code> of Lua, PostgreSQL "
                   "<code>pgbench -S</code> and Redis <code>redis-benchmark</code>. Real is the wall time of one "
                   "iteration; user and sys the CPU time of the processes the benchmark started (getrusage of its "
                   "children, as <code>time</code> reports). The change is on against off with ptilab's interval "
                   "(across boots where each side has two or more). The score is the geometric mean of the "
                   "real-time ratios over the workloads, as unixbench's index summarises its tests. From "
                   "<code>ptilab table --macro-csv</code>.")]
        for p in self.macro_pairs:
            out.append(f"<h3>{e(p.arch)} · {e(p.kernel)} · {accel_tag(p.accel)} · {e(p.off)} "
                       f"({p.boots[0]} boot{'s' if p.boots[0] != 1 else ''}) | {e(p.on)} "
                       f"({p.boots[1]} boot{'s' if p.boots[1] != 1 else ''})</h3>")
            rows = []
            for line in p.lines:
                row = [f"<code>{e(line.benchmark)}</code>"]
                for metric in ("ns_per_op", "user_ns_per_op", "sys_ns_per_op"):
                    c = line.cells.get(metric)
                    if c is None:
                        row += ["–", "–"]
                        continue
                    row += [e(fmt_ns(c.off)), e(fmt_ns(c.on)) + " " + macro_change(c, metric == "ns_per_op")]
                off, on = line.entries_per_s
                row.append(e(f"{fmt_rate(off)} | {fmt_rate(on)}") if off is not None and on is not None else "–")
                row.append(e("; ".join(line.skipped)) if line.skipped else "")
                rows.append(row)
            out.append(table(["workload", f"real {e(p.off)}", f"real {e(p.on)}", f"user {e(p.off)}",
                              f"user {e(p.on)}", f"sys {e(p.off)}", f"sys {e(p.on)}", "kernel entries/s off | on",
                              "skipped"], rows))
            if p.score:
                caveat = "" if p.score.across_boots else \
                    ' <span class="note">(one boot: the interval covers its repetitions only)</span>'
                out.append(f'<p class="score">Score: {e(p.on)} against {e(p.off)}, geometric mean over '
                           f"{e(p.score_workloads)}: <b>{1 + p.score.delta_pct / 100:.3f}×</b> "
                           f"{macro_change(p.score, True)}{caveat}</p>")
            build = next((x for x in p.lines if x.benchmark == "BM_Macro_BuildLua"), None)
            if build and all(m in build.cells for m in ("ns_per_op", "user_ns_per_op", "sys_ns_per_op")):
                out.append(self.seed003_table(p, build))
        return "".join(out)

    def seed003_table(self, p, build):
        """Seed 003's make -j4 table beside our build."""
        rows = []
        for name, metric, xen in (("real", "ns_per_op", seed.XEN_MAKE["real"]),
                                  ("user", "user_ns_per_op", seed.XEN_MAKE["user"]),
                                  ("sys", "sys_ns_per_op", seed.XEN_MAKE["sys"])):
            c = build.cells[metric]
            off, nopcid, pcid = xen
            rows.append([name, e(off), e(nopcid), e(pcid), e(fmt_ns(c.off)),
                         e(fmt_ns(c.on)) + " " + macro_change(c, True)])
        return (f'<p class="how">Seed 003 (Xen XPTI, <code>make -j4</code> of the Xen hypervisor; percentages '
                f"against XPTI off) beside <code>BM_Macro_BuildLua</code>, {e(p.on)} against {e(p.off)}:</p>"
                + table(["", "XPTI off", "XPTI on, no PCID", "XPTI on, PCID", f"ours {e(p.off)}", f"ours {e(p.on)}"],
                        rows))

    def seed_section(self):
        ds = self.ds
        out = [how("Seed 001 measured unixbench scores (throughput, higher is better) on a Xeon E5-2640 v3 with "
                   "Linux 4.17-rc1; its percentages are the throughput lost with PTI on. Ours are the same kind "
                   "of number: 1 − (time off / time on) of BM_Syscall_Mix (unixbench's syscall loop) and "
                   "BM_Syscall_Null, with ptilab compare's interval carried over. Bars are coloured by what ran "
                   "them: only hardware and KVM rows are comparable with the seed; TCG rows show the mechanism.")]
        rows, bars = [], []
        for what, where, accel, pcid, on, off, pct in seed.ROWS:
            rows.append(["seed 001", e(what), e(where), accel_tag(accel), pcid, f"{on:g} vs {off:g}",
                         f"<b>{pct:+.1f}%</b>"])
            bars.append((f"seed 001 · {where} · {'syscall' if 'System' in what else 'index'} · PCID {pcid}",
                         accel, pct, None, None, False))
        for a, b in self.pairs:
            if b.profile.name != seed.PROFILE:
                continue
            pcid = b.tlb
            for bname in ("BM_Syscall_Mix", "BM_Syscall_Null"):
                ra, rb = ds.get(a, bname, "ns_per_op"), ds.get(b, bname, "ns_per_op")
                if not ra or not rb or not rb.value:
                    continue
                d = self.deltas(a, b).get(bname)
                pct = 100 * (ra.value / rb.value - 1)
                lo = hi = None
                if d and d.ci_low_pct is not None and d.ci_high_pct is not None and d.ci_low_pct > -100:
                    # throughput = 1/time: the interval maps monotonically.
                    lo, hi = 100 * (1 / (1 + d.ci_high_pct / 100) - 1), 100 * (1 / (1 + d.ci_low_pct / 100) - 1)
                ci = f" [{lo:+.1f}, {hi:+.1f}]" if lo is not None else ""
                rows.append(["ours", f"<code>{bname}</code>", e(f"{b.host} · {b.kernel} · {self.pair_label(a, b)}"),
                             accel_tag(b.accel), e(pcid), e(f"{fmt_ns(rb.value)} vs {fmt_ns(ra.value)}"),
                             f"<b>{pct:+.1f}%</b>{ci}"])
                bars.append((f"ours · {b.host} {b.kernel} · {bname.replace('BM_', '')} · PCID {pcid}",
                             b.accel, max(pct, -99.9), lo, hi, True))
        if not any(r[0] == "ours" for r in rows):
            rows.append(["ours", "BM_Syscall_Mix / BM_Syscall_Null", "", "", "", "", NOT_IN_RUNS])
        rows.append(["ours", "unixbench index", "", "", "", "", '<span class="note">ptilab runs no unixbench index</span>'])
        out.append(plots.seed_bars("seed", "seed 001 beside ours", bars))
        out.append(table(["source", "what", "where", "ran on", "PCID", "pti on vs off", "throughput change"],
                         rows, numeric_from=5))
        out.append(f'<p class="note">Seed: {e(seed.TITLE)}, <code>{e(self.seed_path)}</code>. The guest without '
                   "PCID row is the article's 68% (its scores, 200 vs 679, give 70.5%).</p>")
        return "".join(out)

    def baseline(self):
        ds = self.ds
        if ds.baseline is None:
            return ('<p class="note">No <code>--baseline</code> given: <code>scripts/report --baseline RUN_DIR '
                    "RUN_DIR...</code> compares every configuration of the other runs with the baseline run's "
                    "configuration of the same isolation setting (a new kernel against the old one, a host "
                    "against another).</p>")
        base = sorted({r.config for r in ds.baseline.rows}, key=ds.configs.index)
        others = [c for c in ds.configs if c not in base]
        out = [how(f"Baseline: run <code>{e(ds.baseline.run_id)}</code>. Each other configuration against the "
                   "baseline configuration with the same architecture and isolation setting (and TLB setting, "
                   "PCID or E0PD, where one matches): delta = (other − baseline) / baseline.")]
        pairs = []
        for c in others:
            cands = [b for b in base if b.profile is c.profile and b.isolation == c.isolation]
            same = [b for b in cands if b.tlb == c.tlb]
            if cands:
                pairs.append(((same or cands)[0], c))
        if not pairs:
            out.append(missing("Configurations matching the baseline's"))
            return "".join(out)
        benches = [b for b in ds.benchmarks(lambda b: not extra_cr3(b) and tlb_pages(b) is None)
                   if any(ds.get(c, b, "ns_per_op") for p in pairs for c in p)]
        entries = []
        for bname in benches:
            for a, b in pairs:
                d = self.deltas(a, b).get(bname)
                lab = f"{bname.replace('BM_', '')} · {ds.label(b, True)}"
                if d:
                    entries.append((lab, self.colors[b], *ratio_interval(d)))
                else:
                    p = point_delta(ds, a, b, bname)
                    if p is not None:
                        entries.append((lab, self.colors[b], 1 + p / 100, None, None))
        if entries:
            out.append(plots.ratio_forest("baseline", "against the baseline", entries,
                                          "time / baseline's time (log scale)"))
        head = ["benchmark"] + [e(ds.label(b, True)) + "<br>vs " + e(ds.label(a, True)) for a, b in pairs]
        rows = []
        for bname in ds.benchmarks(lambda b: not extra_cr3(b)):
            cells = [fmt_delta(self.deltas(a, b).get(bname), point_delta(ds, a, b, bname)) for a, b in pairs]
            if any(c != "–" for c in cells):
                rows.append([f"<code>{e(bname)}</code>"] + cells)
        out.append(table(head, rows))
        return "".join(out)

    # -- the page ---------------------------------------------------------
    def render(self):
        bodies = {
            "overview": self.overview, "state": self.state, "benchmarks": self.benchmarks, "macro": self.macro,
            "tlb": self.tlb,
            "extra-cr3": self.extra_cr3, "probes": self.probes, "trace": self.trace,
            "counters": self.counters, "arm64": self.arm64, "seed": self.seed_section,
            "baseline": self.baseline,
        }
        rendered = {sid: bodies[sid]() for sid, _ in SECTIONS}
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        runs = ", ".join(r.run_id for r in self.ds.runs)
        nav = "".join(f'<a href="#{sid}">{e(t)}</a>' for sid, t in SECTIONS)
        secs = "".join(f'<section id="{sid}"><h2>{e(t)}</h2>{rendered[sid]}</section>' for sid, t in SECTIONS)
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>ptilab report: {e(runs)}</title><style>{CSS}</style></head><body>"
                f"<header><h1>ptilab: what page-table isolation costs</h1>"
                f"<p>{e(runs)} · generated {now} by <code>{e(' '.join(self.argv))}</code></p></header>"
                f"<nav>{nav}</nav><main>{secs}</main></body></html>\n")


def trace_short(metric):
    m = metric[len("trace:"):] if metric.startswith("trace:") else metric
    return re.sub(r"_per_op$", "", m)


def fit_line(xs, ys):
    """Least squares y = slope·x + intercept: (slope, intercept, standard
    error of the slope or None, R² or None); None with fewer than 2 distinct x."""
    n = len(xs)
    if n < 2 or len(set(xs)) < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    icpt = my - slope * mx
    ssr = sum((y - (slope * x + icpt)) ** 2 for x, y in zip(xs, ys))
    syy = sum((y - my) ** 2 for y in ys)
    se = math.sqrt(ssr / (n - 2) / sxx) if n > 2 else None
    r2 = 1 - ssr / syy if n > 2 and syy > 0 else None
    return slope, icpt, se, r2
