"""The macro tier (the build, pgbench, Redis) as `ptilab table --macro-csv`
computes it: per pair of an isolation-off and an isolation-on configuration,
each workload's real, user and sys time off and on with the change and its
interval, the traced kernel entries per second, the skips, and the score
(the geometric mean of the real-time ratios, with its interval). The
statistics live in C++ (macro_tier.cc); this module only runs it and reads
its CSV."""

import csv
import io
from dataclasses import dataclass, field

from .data import TableFailure, optional_number as _opt, table_csvs

MACRO_HEADER = ["arch", "kernel", "accel", "off", "on", "benchmark", "metric", "off_mean", "on_mean", "delta_pct",
                "ci_low_pct", "ci_high_pct", "basis", "boots_off", "boots_on", "entries_per_s_off",
                "entries_per_s_on", "note"]


@dataclass
class Cell:
    off: float
    on: float
    delta_pct: float
    ci_low_pct: float  # None where there is no interval
    ci_high_pct: float
    across_boots: bool


@dataclass
class Line:
    benchmark: str
    cells: dict = field(default_factory=dict)  # metric -> Cell
    entries_per_s: tuple = (None, None)  # (off, on)
    skipped: list = field(default_factory=list)  # "on: why"


@dataclass
class Pair:
    arch: str
    kernel: str
    accel: str
    off: str  # "pti=off"
    on: str
    boots: tuple = (0, 0)
    lines: list = field(default_factory=list)
    score: Cell = None  # delta_pct etc. of the geometric mean ratio
    score_workloads: str = ""


def parse(text):
    """[Pair] from the CSV; None if the header is not ptilab's."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != MACRO_HEADER:
        return None
    pairs = {}
    for f in rows[1:]:
        if len(f) != len(MACRO_HEADER):
            return None
        r = dict(zip(MACRO_HEADER, f))
        key = (r["arch"], r["kernel"], r["accel"], r["off"], r["on"])
        p = pairs.setdefault(key, Pair(*key))
        p.boots = (max(p.boots[0], int(r["boots_off"] or 0)), max(p.boots[1], int(r["boots_on"] or 0)))
        if r["benchmark"] == "score":
            p.score = Cell(None, None, float(r["delta_pct"]), _opt(r["ci_low_pct"]), _opt(r["ci_high_pct"]),
                           r["basis"] == "boots")
            p.score_workloads = r["note"]
            continue
        line = next((x for x in p.lines if x.benchmark == r["benchmark"]), None)
        if line is None:
            line = Line(r["benchmark"])
            p.lines.append(line)
        if r["metric"] == "skipped":
            line.skipped.append(r["note"])
            continue
        line.cells[r["metric"]] = Cell(float(r["off_mean"]), float(r["on_mean"]), _opt(r["delta_pct"]),
                                       _opt(r["ci_low_pct"]), _opt(r["ci_high_pct"]), r["basis"] == "boots")
        if r["metric"] == "ns_per_op":
            line.entries_per_s = (_opt(r["entries_per_s_off"]), _opt(r["entries_per_s_on"]))
    return list(pairs.values())


def macro_tier(dataset, binary):
    """([Pair], failure): the macro tier of every row of the runs, or ([],
    why) when ptilab could not make one (no workloads is not a failure)."""
    if not any(dataset.is_workload(r.benchmark) for r in dataset.raw_rows):
        return [], None
    try:
        out = table_csvs(dataset, binary, ["--macro-csv"], "macro")
    except TableFailure as e:
        return [], str(e)
    pairs = parse(out["--macro-csv"])
    if pairs is None:
        return [], "ptilab table --macro-csv printed an unexpected CSV"
    return pairs, None
