"""The page's model: one method per section, each returning the plain data
(strings, numbers, lists, dicts) that the section's Jinja2 template in
templates/sections/ shows. All the markup is in the templates, rendered
with autoescape on, so every value from the CSVs and from ptilab is escaped
where it is shown; the only trusted markup is the SVG plots of plots.py
(passed as markupsafe.Markup). Every section is always present (with "not
in these runs" where the CSVs hold nothing for it), so readers and the
browser test find the same ids."""

import datetime
import html
import math
import os
import re
from collections import Counter

import jinja2
from markupsafe import Markup

from . import locality, macro, overhead_map, plots, seed
from .data import accel_label, extra_cr3, tlb_pages

SECTIONS = [
    ("overview", "Overview"),
    ("state", "Isolation state"),
    ("benchmarks", "Benchmarks"),
    ("macro", "Macro tier: builds and servers"),
    ("map", "Overhead map: rate and working set"),
    ("locality", "Kernel text locality"),
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

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def escape(value):
    """What autoescape makes of a value a template shows: Markup as it is,
    anything else through html.escape. Autoescape would escape it anyway;
    this only keeps the entities the page has always had (html.escape's
    &#x27; and &quot;, where markupsafe writes &#39; and &#34;)."""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


def environment():
    """The templates' environment: autoescape on (every value a template
    shows is escaped unless it is Markup, see escape()), and a name a
    template does not define is an error, not an empty string."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, finalize=escape,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.globals["NOT_IN_RUNS"] = NOT_IN_RUNS
    return env


def plot(svg):
    """A plot from plots.py: an <svg> element matplotlib wrote (its text
    escaped there), the one markup the page trusts. '' for no plot."""
    return Markup(svg or "")


def tag(accel):
    """The "ran on" tag of an accelerator: its CSS class and its words."""
    return {"cls": accel if accel in ("tcg", "kvm", "none") else "other", "label": accel_label(accel)}


def group_title(g):
    host, arch, kernel = g
    return f"{host} · {arch} · {kernel}"


def boots(n):
    return f"{n} boot{'s' if n != 1 else ''}"


def fmt_ns(v):
    if v is None:
        return "–"
    f, unit = plots.time_scale(abs(v))
    return f"{v / f:,.1f} {unit}" if unit != "ns" else f"{v:,.1f} ns"


def fmt_mean_sd_ns(mean, sd):
    """'1616.1 ns ±2.1%' (the stddev as % of the mean, as ptilab table)."""
    return f"{mean:.1f} ns ±{100 * sd / mean:.1f}%" if mean > 0 else f"{mean:.1f} ns"


def fmt_rate(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def fmt_bytes(v):
    """'4 KiB', '64 MiB': as ptilab's format_bytes."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if v < 1024 or unit == "GiB":
            return f"{v:.0f} {unit}" if abs(v - round(v)) < 0.05 else f"{v:.1f} {unit}"
        v /= 1024
    return f"{v:.0f} TiB"


def fmt_loss(t):
    """'+12.3% [+8.1, +16.9]' from (pct, low, high); '–' without a pct."""
    pct, low, high = t
    if pct is None:
        return "–"
    return f"{pct:+.1f}%" + (f" [{low:+.1f}, {high:+.1f}]" if low is not None and high is not None else "")


def macro_change(c, with_interval):
    """'(+38.0% [+30.1, +46.2])' of a macro-tier cell; '' without a change."""
    if c.delta_pct is None:
        return ""
    text = f"{c.delta_pct:+.1f}%"
    if with_interval and c.ci_low_pct is not None and c.ci_high_pct is not None:
        text += f" [{c.ci_low_pct:+.1f}, {c.ci_high_pct:+.1f}]"
    return f"({text})"


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
    return s


def verdict_class(verdict):
    if verdict.startswith("slower") or verdict.startswith("higher"):
        return "slower"
    if verdict.startswith("faster") or verdict.startswith("lower"):
        return "faster"
    return "nsd"


def delta(d, point=None):
    """An overhead cell (the macro delta() shows it): text '+17.4% [+12.0,
    +22.9]', verdict and its class from ptilab compare; or, when compare
    could not give an interval, the plain ratio of means (point) with
    verdict None; None without either."""
    if d is None:
        if point is None:
            return None
        return {"text": f"{point:+,.1f}%", "verdict": None, "cls": None}
    s = f"{d.delta_pct:+,.1f}%"
    if d.ci_low_pct is not None and d.ci_high_pct is not None:
        s += f" [{d.ci_low_pct:+,.1f}, {d.ci_high_pct:+,.1f}]"
    else:
        s += " [interval unbounded]"
    return {"text": s, "verdict": d.verdict, "cls": verdict_class(d.verdict)}


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
        self.map_pairs, self.map_failure = overhead_map.overhead_map(ds, comparer.binary)
        self.locality_groups, self.locality_failure = locality.kernel_text_locality(ds, comparer.binary)

    # -- helpers ----------------------------------------------------------
    def deltas(self, a, b):
        return self.cmp.deltas(a, b)

    def compare_note(self):
        """What the note above the benchmark tables says about ptilab compare."""
        return {"confidence": int(round(100 * self.cmp.confidence())), "one_boot": self.one_boot_pairs(),
                "compared": len(self.pairs), "notes": list(self.cmp.notes), "failures": list(self.cmp.failures)}

    def boots_text(self, c):
        return boots(len(self.ds.boots.get(c, ())))

    def one_boot_pairs(self):
        """How many compared pairs have an interval from one boot only."""
        return sum(1 for a, b in self.pairs
                   if any(not d.across_boots for d in self.deltas(a, b).values()))

    def pair_label(self, a, b):
        return f"{self.ds.label(b)} vs {self.ds.label(a)}"

    # -- sections ---------------------------------------------------------
    def overview(self):
        ds = self.ds
        runs = []
        for run in ds.runs:
            cs = sorted({r.config for r in run.rows}, key=ds.configs.index)
            runs.append({
                "run": run.run_id + (" (baseline)" if run is ds.baseline else ""),
                "hosts": ", ".join(sorted({c.host for c in cs})),
                "archs": ", ".join(sorted({c.arch for c in cs})),
                "kernels": ", ".join(sorted({c.kernel for c in cs})),
                "tags": [tag(a) for a in sorted({c.accel for c in cs})],
                "configs": ", ".join(f"{ds.label(c)} ({self.boots_text(c)})" for c in cs),
                "source": run.csv_path,
            })
        # Headline: per isolation-on configuration, how its benchmarks moved.
        heads = []
        for a, b in self.pairs:
            d = self.deltas(a, b)
            head = {"pair": self.pair_label(a, b), "group": group_title(b.group), "tag": tag(b.accel),
                    "counts": None}
            if d:
                verdicts = Counter(verdict_class(x.verdict) for k, x in d.items() if not extra_cr3(k))
                head["counts"] = {"slower": verdicts["slower"], "faster": verdicts["faster"],
                                  "nsd": verdicts["nsd"], "total": sum(verdicts.values())}
                head["syscall"] = delta(d.get("BM_Syscall_Null"))
            else:
                head["syscall"] = delta(None, point_delta(self.ds, a, b, "BM_Syscall_Null"))
            heads.append(head)
        return {"runs": runs, "heads": heads}

    def state(self):
        ds = self.ds
        return {"reason_keys": [p.reason_key for p in ds.profiles()],
                "profiles": [{"name": p.name, "arch": p.arch,
                              "table": self.state_table([c for c in ds.configs if c.profile is p], p)}
                             for p in ds.profiles()]}

    def why(self, c):
        """The reason sentence and its token, from the state's reason key;
        None where the run recorded no state."""
        st = self.ds.state(c)
        if not st:
            return None
        p = c.profile
        token = st.get(p.reason_key, "")
        return {"sentence": p.reason_sentence(token, c.isolation), "token": token,
                "inferred": st.get("source") == "kernel"}

    def cpu(self, c):
        """The CPU as the cpu rows say: model, the emulated CPU (with the
        emulator's version: emulated timings change with it), ids; None
        for each the rows do not give."""
        cpu = self.ds.cpu(c)
        qemu = None
        if "qemu_cpu" in cpu or "qemu" in cpu:
            qemu = " ".join(x for x in (cpu.get("qemu", ""), f"-cpu {cpu['qemu_cpu']}" if "qemu_cpu" in cpu else "")
                            if x)
        ids = ", ".join(f"{k}={v}" for k, v in cpu.items() if k not in ("model", "qemu_cpu", "qemu"))
        return {"model": cpu.get("model") or None, "qemu": qemu, "ids": ids or None}

    def audit(self, c):
        k, s = self.ds.get(c, "ptaudit", "kernel_pages"), self.ds.get(c, "ptaudit", "secret_pages")
        if k is None:
            return "–"
        return f"{k.value:,.0f} ({s.value:,.0f} secret)" if s else f"{k.value:,.0f}"

    def state_table(self, cs, p):
        """One row per configuration of profile p: isolation, why, CPU, the
        profile's state keys that any of them recorded, audit, command line."""
        ds = self.ds
        states = {c: ds.state(c) for c in cs}
        shown = (p.isolation_column, p.reason_key, "arch", "kernel")
        state_keys = [k for k in p.state_keys if k not in shown and any(k in st for st in states.values())]
        rows = []
        for c in cs:
            st = states[c]
            rows.append({"group": group_title(c.group), "label": ds.label(c), "tag": tag(c.accel),
                         "isolation": st.get(p.isolation_column, c.isolation), "why": self.why(c),
                         "cpu": self.cpu(c), "state": [st.get(k, "–") for k in state_keys],
                         "audit": self.audit(c), "cmdline": c.cmdline})
        return {"isolation": p.isolation, "state_keys": state_keys,
                "with_audit": any(ds.get(c, "ptaudit", "kernel_pages") for c in cs), "rows": rows}

    def bench_pairs_table(self, cs, benchmarks, pairs):
        """Mean ±stddev per configuration and overhead per pair, per benchmark."""
        ds = self.ds
        rows = [{"benchmark": bname,
                 "means": [fmt_mean_sd(ds.get(c, bname, "ns_per_op"), ds.get(c, bname, "ns_per_op_cv"))
                           for c in cs],
                 "deltas": [delta(self.deltas(a, b).get(bname), point_delta(ds, a, b, bname)) for a, b in pairs]}
                for bname in benchmarks]
        return {"configs": [ds.label(c) for c in cs], "pairs": [self.pair_label(a, b) for a, b in pairs],
                "rows": rows}

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
            return plot("")
        return plot(plots.ratio_forest(name, title, entries, xlabel))

    def benchmarks(self):
        ds = self.ds
        general = lambda b: not extra_cr3(b) and tlb_pages(b) is None  # noqa: E731
        groups = []
        for gi, g in enumerate(ds.groups()):
            cs = [c for c in ds.configs_in(g) if any(ds.get(c, b, "ns_per_op") for b in ds.benchmarks())]
            benches = [b for b in ds.benchmarks(general) if any(ds.get(c, b, "ns_per_op") for c in cs)]
            if not benches:
                continue
            series = [(ds.label(c), c, {b: (r.value, r.stddev, r.repetitions) for b in benches
                                         for r in [ds.get(c, b, "ns_per_op")] if r}) for c in cs]
            pairs = [(a, b) for a, b in self.pairs if b.group == g]
            all_b = [b for b in ds.benchmarks(lambda b: not extra_cr3(b)) if any(ds.get(c, b, "ns_per_op") for c in cs)]
            groups.append({
                "title": group_title(g),
                "plot": plot(plots.bench_grid(f"bench-{gi}", f"ns per operation, {g}", benches, series, self.colors)),
                "compared": bool(pairs),
                "forest": self.forest(f"overhead-{gi}", f"isolation overhead, {g}", pairs, benches,
                                      "time with isolation on / off (log scale)") if pairs else plot(""),
                "table": self.bench_pairs_table(cs, all_b, pairs),
            })
        return {"note": self.compare_note(), "groups": groups}

    def tlb(self):
        ds = self.ds
        groups = []
        for gi, g in enumerate(ds.groups()):
            series = []
            for c in ds.configs_in(g):
                pts = [(tlb_pages(r.benchmark), r.value, r.stddev) for r in ds.rows
                       if r.config == c and r.metric == "ns_per_op" and tlb_pages(r.benchmark) is not None]
                if pts:
                    series.append((ds.label(c), c, pts))
            if not series:
                continue
            rows = []
            for lab, c, pts in series:
                pts = sorted(pts)
                first, last = pts[0], pts[-1]
                rows.append([lab, fmt_ns(first[1]) + f" at W={first[0]}", fmt_ns(last[1]) + f" at W={last[0]}",
                             f"{last[1] / first[1]:,.1f}×" if first[1] else "–"])
            groups.append({"title": group_title(g),
                           "plot": plot(plots.tlb_curve(f"tlb-{gi}", f"TLB working set, {g}", series, self.colors)),
                           "rows": rows})
        return {"groups": groups}

    def extra_cr3(self):
        ds = self.ds
        groups = []
        for gi, g in enumerate(ds.groups()):
            fits = [(c, pts, fit_line([x for x, _, _ in pts], [y for _, y, _ in pts]))
                    for c in ds.configs_in(g) for pts in [self.extra_cr3_points(c)] if pts]
            if not fits:
                continue
            p = fits[0][0].profile
            ns = sorted({x for _, pts, _ in fits for x, _, _ in pts})
            series = [(ds.label(c), c, pts, fit[:2] if fit else None) for c, pts, fit in fits]
            groups.append({"title": group_title(g),
                           "plot": plot(plots.extra_cr3(f"extra-cr3-{gi}", f"extra {p.pt_register} writes, {g}",
                                                        series, self.colors, p.pt_register)),
                           "ns": ns, "pt_write": p.pt_write,
                           "rows": [self.extra_cr3_row(c, pts, fit, ns) for c, pts, fit in fits]})
        return {"writes": ", ".join(f"{p.pt_write} on {p.name}" for p in ds.profiles()), "groups": groups}

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
        cells = []
        for n in ns:
            m, sd = by_n.get(n, (None, None))
            cells.append(fmt_ns(m) + (f" ±{100 * sd / m:.0f}%" if sd and m else "") if m is not None else "–")
        slope = None
        if fit:
            b, _icpt, se, r2 = fit
            slope = {"slope": f"{b:+,.0f} ns", "se": f"{se:,.0f}" if se is not None else None,
                     "r2": f"{r2:.2f}" if r2 is not None else None}
        probe = self.write_probe(c)
        return {"label": self.ds.label(c), "cells": cells, "fit": slope,
                "probe": f"{probe.value:,.0f} ns ({probe.benchmark[6:]})" if probe else "–"}

    def probes(self):
        ds = self.ds
        prims = []
        for r in ds.rows:
            if r.benchmark.startswith("probe:") and r.benchmark[6:] not in prims:
                prims.append(r.benchmark[6:])
        if not prims:
            return None
        cs = [c for c in ds.configs if any(ds.get(c, "probe:" + p, m) for p in prims
                                           for m in ("cycles_median", "supported"))]
        series = [(ds.label(c, full=len(ds.groups()) > 1), c, self.probe_ranges(c, prims)) for c in cs]
        figure = plot("")
        if any(d for _, _, d in series):
            unit = " / ".join(dict.fromkeys(c.profile.probe_unit for c in cs))
            figure = plot(plots.probe_bars("probes", "cost probes", prims, series, self.colors, unit))
        return {"units": "; ".join(f"{p.name}: {p.probe_unit}" for p in ds.profiles()), "plot": figure,
                "columns": [{"label": lab, "unit": c.profile.probe_unit} for lab, c, _ in series],
                "rows": [{"primitive": p, "cells": [self.probe_cell(c, p) for c in cs]} for p in prims]}

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
        """{counts: 'median (min … p99)', ns: the median in ns or None,
        unsupported}; counts None where c has no such probe."""
        ds = self.ds
        med = ds.get(c, "probe:" + p, "cycles_median")
        if med is None:
            sup = ds.get(c, "probe:" + p, "supported")
            return {"counts": None, "ns": None, "unsupported": sup is not None and sup.value == 0}
        mn, p99 = ds.get(c, "probe:" + p, "cycles_min"), ds.get(c, "probe:" + p, "cycles_p99")
        ns = ds.get(c, "probe:" + p, "ns_median")
        s = f"{med.value:,.0f}"
        if mn and p99:
            s += f" ({mn.value:,.0f} … {p99.value:,.0f})"
        return {"counts": s, "ns": fmt_ns(ns.value) if ns else None, "unsupported": False}

    def trace(self):
        ds = self.ds
        trows = [r for r in ds.rows if r.metric.startswith("trace:") and r.benchmark.startswith("BM_")]
        if not trows:
            return None
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
        groups = []
        for gi, g in enumerate(ds.groups()):
            cs = [c for c in ds.configs_in(g) if any(r.config == c for r in trows)]
            if not cs:
                continue
            benches = []
            for r in trows:
                if r.config in cs and r.benchmark not in benches:
                    benches.append(r.benchmark)
            figure = plot("")
            if flush:
                bars = []
                for b in benches:
                    for c in cs:
                        d = {trace_short(m)[len("tlb_flush_"):]: (ds.get(c, b, m).value if ds.get(c, b, m) else 0)
                             for m in flush}
                        if any(d.values()):
                            bars.append((f"{b.replace('BM_', '')} · {ds.label(c)}", d))
                if bars:
                    figure = plot(plots.stacked_counts(f"trace-{gi}", f"TLB flushes per operation, {g}", bars,
                                                       [trace_short(m)[len("tlb_flush_"):] for m in flush],
                                                       "TLB flushes per operation, by reason"))
            rows = []
            for b in benches:
                for c in cs:
                    vals = [ds.get(c, b, m) for m in metrics]
                    if not any(vals):
                        continue
                    rows.append({"benchmark": b, "label": ds.label(c),
                                 "cells": [f"{v.value:,.2f}" if v and v.value is not None else "–" for v in vals]})
            groups.append({"title": group_title(g), "plot": figure, "rows": rows})
        return {"metrics": [trace_short(m) for m in metrics], "groups": groups}

    def counters(self):
        ds = self.ds
        prow = [r for r in ds.rows if r.benchmark.startswith("BM_") and r.unit == "per_op"
                and not r.metric.startswith("trace:")]
        unsup = [r for r in ds.rows if r.benchmark == "*" and r.unit == "not_supported"]
        if not prow and not unsup:
            return None
        events = []
        for r in prow:
            if r.metric not in events:
                events.append(r.metric)
        groups = []
        for g in ds.groups():
            cs = [c for c in ds.configs_in(g) if any(r.config == c for r in prow)]
            if not cs:
                continue
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
                    rows.append({"benchmark": b, "label": ds.label(c), "cells": cells})
            groups.append({"title": group_title(g), "rows": rows})
        by = {}
        for r in unsup:
            by.setdefault(r.metric, []).append(ds.label(r.config, full=True))
        return {"counted": bool(prow), "events": events, "groups": groups,
                "unsupported": [{"metric": m, "configs": ", ".join(sorted(set(v)))} for m, v in by.items()]}

    def arm64(self):
        ds = self.ds
        arm = [c for c in ds.configs if c.profile.name == ARM64]
        if not arm:
            return None
        p = arm[0].profile
        pairs = [(a, b) for a, b in self.pairs if b.profile is p]
        groups = []
        for gi, g in enumerate(ds.groups()):
            gp = [(a, b) for a, b in pairs if b.group == g]
            if gp:
                benches = [b for b in ds.benchmarks(lambda b: not extra_cr3(b))
                           if any(ds.get(c, b, "ns_per_op") for pair in gp for c in pair)]
                fb = [b for b in benches if tlb_pages(b) is None]
                cs = sorted({c for pair in gp for c in pair}, key=ds.configs.index)
                groups.append({"title": group_title(g),
                               "forest": self.forest(f"arm64-{gi}", f"{p.isolation} on vs off, {g}", gp, fb,
                                                     f"time with {p.isolation} on / off (log scale)"),
                               "table": self.bench_pairs_table(cs, benches, gp)})
        return {"name": p.name, "isolation": p.isolation, "tlb": p.tlb_name, "register": p.pt_register,
                "state": self.state_table(arm, p), "compared": bool(pairs), "groups": groups}

    def macro(self):
        pairs = []
        for p in self.macro_pairs:
            rows = []
            for line in p.lines:
                times = []
                for metric in ("ns_per_op", "user_ns_per_op", "sys_ns_per_op"):
                    c = line.cells.get(metric)
                    if c is None:
                        times += ["–", "–"]
                    else:
                        times += [fmt_ns(c.off), f"{fmt_ns(c.on)} {macro_change(c, metric == 'ns_per_op')}"]
                off, on = line.entries_per_s
                rows.append({"benchmark": line.benchmark, "times": times,
                             "entries": f"{fmt_rate(off)} | {fmt_rate(on)}" if off is not None and on is not None
                             else "–",
                             "skipped": "; ".join(line.skipped)})
            score = None
            if p.score:
                score = {"ratio": f"{1 + p.score.delta_pct / 100:.3f}×", "change": macro_change(p.score, True),
                         "across_boots": p.score.across_boots, "workloads": p.score_workloads}
            build = next((x for x in p.lines if x.benchmark == "BM_Macro_BuildLua"), None)
            seed003 = None
            if build and all(m in build.cells for m in ("ns_per_op", "user_ns_per_op", "sys_ns_per_op")):
                seed003 = self.seed003_rows(build)
            pairs.append({"arch": p.arch, "kernel": p.kernel, "tag": tag(p.accel), "off": p.off, "on": p.on,
                          "boots_off": boots(p.boots[0]), "boots_on": boots(p.boots[1]), "rows": rows,
                          "score": score, "seed003": seed003})
        return {"failure": self.macro_failure, "pairs": pairs}

    def locality(self):
        """Kernel text locality: where each configuration's module placed
        the kernel's ranges (its numa rows), and the per-node benchmarks."""
        placements = []
        for c in self.ds.configs:
            info = self.ds.info(c, "numa")
            if not info:
                continue
            nodes = [f"node {k[4:-5]}: CPU{'s' if ',' in v or '-' in v else ''} {v}"
                     for k, v in sorted(info.items()) if re.fullmatch(r"node\d+\.cpus", k)]
            ranges = []
            for name in dict.fromkeys(k.split(".")[1] for k in info if k.startswith("range.")):
                p = f"range.{name}."
                if p + "unresolved" in info:
                    ranges.append({"name": name, "where": f"cannot tell ({info[p + 'unresolved']})"})
                    continue
                node, pages = info.get(p + "node"), float(info.get(p + "pages", "0"))
                on = float(info.get(f"{p}node{node}_pages", "0"))
                pct = f" ({100 * on / pages:.0f}%)" if pages else ""
                ranges.append({"name": name,
                               "where": f"node {node}{pct}, {pages:.0f} page{'' if pages == 1 else 's'}"})
            placements.append({"label": f"{c.arch} · {c.kernel} · {self.ds.label(c)}", "tag": tag(c.accel), "nodes": nodes,
                               "ranges": ranges})
        groups = []
        for g in self.locality_groups:
            nodes = sorted({c.node for cells in g.lines.values() for c in cells})
            cpus = {c.node: c.cpu for cells in g.lines.values() for c in cells if c.cpu is not None}
            heads = []
            for n in nodes:
                inner = ([f"CPU {cpus[n]}"] if n in cpus else []) + (["text"] if n == g.text_node else [])
                heads.append(f"node {n}" + (f" ({', '.join(inner)})" if inner else ""))
            ratio_heads = [f"node {n}/node {g.reference}" for n in nodes if n != g.reference]
            rows = []
            for family, cells in g.lines.items():
                by = {c.node: c for c in cells}
                times = [fmt_mean_sd_ns(by[n].mean_ns, by[n].stddev_ns) if n in by else "–" for n in nodes]
                ratios = []
                for n in nodes:
                    if n == g.reference:
                        continue
                    c = by.get(n)
                    if c is None or c.ratio is None:
                        ratios.append("–")
                        continue
                    text = f"{c.ratio:.2f}×"
                    if c.ci_low is not None:
                        text += f" [{c.ci_low:.2f}, {c.ci_high:.2f}] {c.verdict}"
                    if not c.across_boots:
                        text += " (one boot)"
                    ratios.append(text)
                rows.append({"benchmark": family, "times": times, "ratios": ratios})
            boots_n = max((c.boots for cells in g.lines.values() for c in cells), default=0)
            groups.append({"arch": g.arch, "kernel": g.kernel, "tag": tag(g.accel), "config": g.config,
                           "boots": boots(boots_n),
                           "text": f"kernel text on node {g.text_node}" if g.text_node is not None
                           else "kernel text's node not recorded",
                           "heads": heads, "ratio_heads": ratio_heads, "rows": rows, "note": g.note})
        return {"failure": self.locality_failure, "placements": placements, "groups": groups}

    def overhead_map(self):
        pairs = []
        for pi, p in enumerate(self.map_pairs):
            panels, grids = [], []
            for huge in (False, True):
                cells = [c for c in p.cells if c.huge == huge]
                if not cells:
                    continue
                pages = "huge pages (MADV_HUGEPAGE)" if huge else "4 KiB pages"
                sets = sorted({c.ws for c in cells})
                rates = sorted({c.rate for c in cells})
                lines = [(fmt_bytes(ws), [(c.rate_on, c.loss_pct, c.ci_low_pct, c.ci_high_pct)
                                          for c in cells if c.ws == ws]) for ws in sets]
                panels.append((pages, lines))
                at = {(c.ws, c.rate): c for c in cells}
                rows = []
                for ws in sets:
                    row = []
                    for r in rates:
                        c = at.get((ws, r))
                        row.append("–" if c is None or c.loss_pct is None else
                                   f"{c.loss_pct:+.1f}%" + (f" [{c.ci_low_pct:+.1f}, {c.ci_high_pct:+.1f}]"
                                                            if c.ci_low_pct is not None else "") +
                                   f" at {fmt_rate(c.rate_on)}/s")
                    rows.append({"ws": fmt_bytes(ws), "cells": row})
                grids.append({"pages": pages, "rates": [f"rate:{fmt_rate(r)}" for r in rates], "rows": rows})
            chart = plots.overhead_map(f"map-{pi}", f"overhead map, {p.arch} {p.kernel}", panels,
                                       f"system calls per second per CPU, {p.on}")
            pairs.append({"arch": p.arch, "kernel": p.kernel, "tag": tag(p.accel), "off": p.off, "on": p.on,
                          "boots_off": boots(p.boots[0]), "boots_on": boots(p.boots[1]),
                          "one_boot": not all(c.across_boots for c in p.cells), "chart": plot(chart),
                          "grids": grids, "skipped": p.skipped,
                          "checks": [{"benchmark": k.benchmark, "rate": fmt_rate(k.rate),
                                      "ws": fmt_bytes(k.ws) if k.ws is not None else "–",
                                      "predicted": fmt_loss(k.predicted), "measured": fmt_loss(k.measured),
                                      "error": f"{k.error_pts:+.1f} pts" if k.error_pts is not None else "–",
                                      "note": k.note} for k in p.checks]})
        return {"failure": self.map_failure, "pairs": pairs}

    def seed003_rows(self, build):
        """Seed 003's make -j4 table beside our build: [what, Xen's three, ours off, ours on]."""
        rows = []
        for name, metric in (("real", "ns_per_op"), ("user", "user_ns_per_op"), ("sys", "sys_ns_per_op")):
            c = build.cells[metric]
            rows.append([name, *seed.XEN_MAKE[name], fmt_ns(c.off), f"{fmt_ns(c.on)} {macro_change(c, True)}"])
        return rows

    def seed_section(self):
        ds = self.ds
        seed_rows, our_rows, bars = [], [], []
        for what, where, accel, pcid, on, off, pct in seed.ROWS:
            seed_rows.append({"what": what, "where": where, "tag": tag(accel), "pcid": pcid,
                              "scores": f"{on:g} vs {off:g}", "change": f"{pct:+.1f}%"})
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
                our_rows.append({"benchmark": bname, "where": f"{b.host} · {b.kernel} · {self.pair_label(a, b)}",
                                 "tag": tag(b.accel), "pcid": pcid,
                                 "times": f"{fmt_ns(rb.value)} vs {fmt_ns(ra.value)}", "change": f"{pct:+.1f}%",
                                 "interval": f" [{lo:+.1f}, {hi:+.1f}]" if lo is not None else ""})
                bars.append((f"ours · {b.host} {b.kernel} · {bname.replace('BM_', '')} · PCID {pcid}",
                             b.accel, max(pct, -99.9), lo, hi, True))
        return {"plot": plot(plots.seed_bars("seed", "seed 001 beside ours", bars)), "seed_rows": seed_rows,
                "our_rows": our_rows, "title": seed.TITLE, "path": self.seed_path}

    def baseline(self):
        ds = self.ds
        if ds.baseline is None:
            return None
        base = sorted({r.config for r in ds.baseline.rows}, key=ds.configs.index)
        others = [c for c in ds.configs if c not in base]
        pairs = []
        for c in others:
            cands = [b for b in base if b.profile is c.profile and b.isolation == c.isolation]
            same = [b for b in cands if b.tlb == c.tlb]
            if cands:
                pairs.append(((same or cands)[0], c))
        out = {"run_id": ds.baseline.run_id, "compared": bool(pairs), "plot": plot(""), "heads": [], "rows": []}
        if not pairs:
            return out
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
            out["plot"] = plot(plots.ratio_forest("baseline", "against the baseline", entries,
                                                  "time / baseline's time (log scale)"))
        out["heads"] = [{"other": ds.label(b, True), "baseline": ds.label(a, True)} for a, b in pairs]
        for bname in ds.benchmarks(lambda b: not extra_cr3(b)):
            cells = [delta(self.deltas(a, b).get(bname), point_delta(ds, a, b, bname)) for a, b in pairs]
            if any(c is not None for c in cells):
                out["rows"].append({"benchmark": bname, "deltas": cells})
        return out

    # -- the page ---------------------------------------------------------
    def render(self):
        models = {
            "overview": self.overview, "state": self.state, "benchmarks": self.benchmarks, "macro": self.macro,
            "map": self.overhead_map, "locality": self.locality,
            "tlb": self.tlb, "extra-cr3": self.extra_cr3, "probes": self.probes, "trace": self.trace,
            "counters": self.counters, "arm64": self.arm64, "seed": self.seed_section,
            "baseline": self.baseline,
        }
        sections = [{"id": sid, "title": title, "template": f"sections/{sid}.html.j2", "data": models[sid]()}
                    for sid, title in SECTIONS]
        return environment().get_template("page.html.j2").render(
            runs=", ".join(r.run_id for r in self.ds.runs),
            generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            command=" ".join(self.argv), sections=sections)


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
