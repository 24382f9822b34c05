"""The report's figures: matplotlib (Debian's python3-matplotlib, Agg, no
display), each returned as an inline <svg> element with text kept as text."""

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

matplotlib.rcParams.update({
    "svg.fonttype": "none",  # text stays text: smaller, searchable
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
})

PALETTE = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
ACCEL_COLOR = {"tcg": "#9467bd", "kvm": "#ff7f0e", "none": "#2ca02c"}


def svg(fig, name, title):
    """The figure as an <svg> element; every figure gets its own hash salt
    so the ids of several inline SVGs never collide."""
    matplotlib.rcParams["svg.hashsalt"] = name
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight",
                metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    attrs = f'<svg class="plot" data-plot="{name}" role="img" aria-label="{_esc(title)}" '
    return attrs + text[len("<svg "):]


def _esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def time_scale(max_ns):
    for factor, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if max_ns >= factor:
            return factor, unit
    return 1.0, "ns"


def bench_grid(name, title, benchmarks, series, colors):
    """Small multiples, one panel per benchmark: bars = mean ns/op per
    configuration, whiskers = ±1 stddev. series: [(label, config, {bench: (mean, sd, n)})]."""
    ncols = 4
    nrows = math.ceil(len(benchmarks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 1.9 * nrows + 0.6), squeeze=False)
    for i, b in enumerate(benchmarks):
        ax = axes[i // ncols][i % ncols]
        vals = [(lab, cfg, d.get(b)) for lab, cfg, d in series]
        top = max([v[0] + (v[1] or 0) for _, _, v in vals if v] or [1])
        f, unit = time_scale(top)
        for j, (lab, cfg, v) in enumerate(vals):
            if v is None:
                ax.text(j, 0, "n/a", ha="center", va="bottom", fontsize=7, color="#777")
                continue
            mean, sd, _n = v
            ax.bar(j, mean / f, color=colors[cfg], width=0.7,
                   yerr=(sd or 0) / f, capsize=3, error_kw={"elinewidth": 1})
        ax.set_title(b.replace("BM_", ""), fontsize=8)
        ax.set_ylabel(unit, fontsize=7)
        ax.set_xticks([])
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", visible=False)
    for i in range(len(benchmarks), nrows * ncols):
        axes[i // ncols][i % ncols].set_visible(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[cfg]) for _, cfg, _ in series]
    fig.legend(handles, [lab for lab, _, _ in series], loc="upper center", ncol=min(4, len(series)),
               bbox_to_anchor=(0.5, 1.0 + 0.25 / (1.9 * nrows + 0.6)))
    fig.tight_layout()
    return svg(fig, name, title)


def ratio_forest(name, title, entries, xlabel):
    """One row per comparison: the ratio B/A (log axis, 1 = no difference)
    with the confidence interval ptilab compare gives, or a hollow marker
    where there is none. entries: [(row label, color, ratio, lo, hi)]."""
    n = len(entries)
    fig, ax = plt.subplots(figsize=(9, 0.24 * n + 1.2))
    ys = np.arange(n)[::-1]
    finite = []
    for y, (lab, color, ratio, lo, hi) in zip(ys, entries):
        if ratio is None or ratio <= 0:
            continue
        finite.append(ratio)
        if lo is not None and hi is not None:
            lo_c = max(lo, ratio / 1e3, 1e-3)
            ax.plot([lo_c, hi], [y, y], color=color, lw=2, solid_capstyle="butt")
            finite += [lo_c, hi]
            ax.plot(ratio, y, "o", color=color, ms=4)
        else:
            ax.plot(ratio, y, "o", mfc="white", mec=color, ms=4)
    ax.axvline(1, color="#333", lw=0.8)
    ax.set_xscale("log")
    if finite:
        lo, hi = min(finite + [1]), max(finite + [1])
        ax.set_xlim(lo / 1.3, hi * 1.3)
    ax.set_yticks(ys)
    ax.set_yticklabels([e[0] for e in entries], fontsize=7)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    return svg(fig, name, title)


def tlb_curve(name, title, series, colors):
    """ns/op against pages touched after a system call, log-log; the band is
    ±1 stddev. series: [(label, config, [(pages, mean, sd)])]."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for lab, cfg, pts in series:
        pts = sorted(pts)
        x = np.array([p[0] for p in pts], dtype=float)
        m = np.array([p[1] for p in pts])
        sd = np.array([p[2] or 0 for p in pts])
        ax.plot(x, m, "o-", color=colors[cfg], ms=3, label=lab)
        ax.fill_between(x, np.maximum(m - sd, m * 0.05), m + sd, color=colors[cfg], alpha=0.15, lw=0)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("pages touched after one system call (W)")
    ax.set_ylabel("ns per iteration")
    ax.legend(title="line: mean; band: ±1 stddev")
    fig.tight_layout()
    return svg(fig, name, title)


def overhead_map(name, title, panels, xlabel):
    """Gregg's chart: loss % against system calls per second (log x), a
    line per working set, the interval as a band. panels: [(panel title,
    [(line label, [(rate, loss, ci_low, ci_high)])])], one panel each (4 KiB
    pages, huge pages)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels) + 0.6, 3.8), squeeze=False)
    for ax, (ptitle, lines) in zip(axes[0], panels):
        for i, (lab, pts) in enumerate(lines):
            pts = sorted(p for p in pts if p[1] is not None)
            if not pts:
                continue
            color = PALETTE[i % len(PALETTE)]
            x = np.array([p[0] for p in pts], dtype=float)
            ax.plot(x, [p[1] for p in pts], "o-", color=color, ms=3, label=lab)
            band = [p for p in pts if p[2] is not None and p[3] is not None]
            if band:
                ax.fill_between([p[0] for p in band], [p[2] for p in band], [p[3] for p in band], color=color,
                                alpha=0.15, lw=0)
        ax.axhline(0, color="#444", lw=0.8)
        ax.set_xscale("log")
        # Losses run from noise around 0 to thousands of percent (TCG):
        # linear within ±10%, logarithmic beyond, so every line shows.
        ax.set_yscale("symlog", linthresh=10)
        ax.set_title(ptitle)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("loss (%)")
        ax.legend(title="working set")
    fig.tight_layout()
    return svg(fig, name, title)


def extra_cr3(name, title, series, colors, register="CR3"):
    """ns/op against extra page-table (register) writes per system call,
    with the least-squares line. series: [(label, config, [(n, mean, sd)], (slope, intercept))]."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for lab, cfg, pts, fit in series:
        pts = sorted(pts)
        x = np.array([p[0] for p in pts], dtype=float)
        m = np.array([p[1] for p in pts])
        sd = np.array([p[2] or 0 for p in pts])
        ax.errorbar(x, m, yerr=sd, fmt="o", color=colors[cfg], capsize=3, ms=4)
        if fit:
            xs = np.linspace(0, x.max(), 20)
            ax.plot(xs, fit[0] * xs + fit[1], "-", color=colors[cfg],
                    label=f"{lab}: {fit[0]:+,.0f} ns per write")
        else:
            ax.plot([], [], "o", color=colors[cfg], label=f"{lab}: too few points for a line")
    ax.set_xlabel(f"extra {register} writes per system call (hook_extra_cr3 writes=N)")
    ax.set_ylabel("ns per BM_Syscall_Null iteration")
    ax.set_ylim(bottom=0)
    ax.legend(title="points: mean ±1 stddev; line: least squares")
    fig.tight_layout()
    return svg(fig, name, title)


def probe_bars(name, title, primitives, series, colors, unit="cycles"):
    """Median cost per primitive per configuration, in the counter's unit;
    whiskers from min to p99. series: [(label, config, {prim: (median, min, p99) or None})]."""
    fig, ax = plt.subplots(figsize=(9, 0.15 * len(primitives) * max(2, len(series)) + 1.0))
    k = len(series)
    h = 0.8 / max(k, 1)
    for j, (lab, cfg, d) in enumerate(series):
        for i, p in enumerate(primitives):
            y = len(primitives) - 1 - i + (k / 2 - j - 0.5) * h
            v = d.get(p)
            if v is None:
                ax.text(0.005, y, "unsupported", va="center", fontsize=6, color="#777",
                        transform=ax.get_yaxis_transform())
                continue
            med, mn, p99 = v
            ax.barh(y, med, height=h * 0.9, color=colors[cfg],
                    xerr=[[max(med - mn, 0)], [max(p99 - med, 0)]], capsize=2,
                    error_kw={"elinewidth": 0.8}, label=lab if i == 0 else None)
    ax.set_yticks(range(len(primitives)))
    ax.set_yticklabels(primitives[::-1], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel(f"{unit} (bar: median; whisker: min to p99)")
    ax.grid(axis="y", visible=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[cfg]) for _, cfg, _ in series]
    ax.legend(handles, [lab for lab, _, _ in series], loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=1 if len(series) > 3 else len(series))
    fig.tight_layout()
    return svg(fig, name, title)


def stacked_counts(name, title, rows, parts, xlabel):
    """Horizontal stacked bars: rows [(label, {part: value})], parts in
    stacking order (e.g. TLB flush reasons)."""
    fig, ax = plt.subplots(figsize=(9, 0.26 * len(rows) + 1.4))
    ys = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for i, part in enumerate(parts):
        vals = np.array([d.get(part, 0) or 0 for _, d in rows], dtype=float)
        ax.barh(ys, vals, left=left, color=PALETTE[i % len(PALETTE)], label=part, height=0.7)
        left += vals
    ax.set_yticks(ys)
    ax.set_yticklabels([r[0] for r in rows], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return svg(fig, name, title)


def seed_bars(name, title, entries):
    """Throughput change with isolation on, seed 001 beside ours, coloured by
    what ran it. entries: [(label, accel, pct, lo, hi, ours)]."""
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(entries) + 1.3))
    ys = np.arange(len(entries))[::-1]
    for y, (lab, accel, pct, lo, hi, ours) in zip(ys, entries):
        color = ACCEL_COLOR.get(accel, "#7f7f7f")
        ax.barh(y, pct, color=color, height=0.65, hatch=None if ours else "//", edgecolor="white")
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [y, y], color="#222", lw=1.2)
        if pct < -80:  # no room left of the bar: label inside it
            ax.text(pct + 1, y, f"{pct:.1f}%", va="center", ha="left", fontsize=7, color="white")
        else:
            ax.text(pct - 1, y, f"{pct:.1f}%", va="center", ha="right", fontsize=7, color="#111")
    ax.set_yticks(ys)
    ax.set_yticklabels([e[0] for e in entries], fontsize=7)
    ax.set_xlim(-100, 0)
    ax.set_xlabel("throughput change with isolation on (%)")
    ax.grid(axis="y", visible=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ACCEL_COLOR.values()]
    handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="#ccc", hatch="//", edgecolor="white"))
    ax.legend(handles, ["emulated (TCG)", "virtualised hardware (KVM)", "hardware", "seed 001 (hatched)"],
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4)
    fig.tight_layout()
    return svg(fig, name, title)
