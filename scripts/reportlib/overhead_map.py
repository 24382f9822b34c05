"""The overhead map (ptilab bench --map: BM_Map/rate:R/ws:W/thp:H) as
`ptilab table --map-csv` computes it: per pair of an isolation-off and an
isolation-on configuration, each cell's loss (time per page read of user
work, in spins or ns, on against off) with its interval, and the system-call
rates each side ran at. The statistics live in C++ (overhead_map.cc); this module runs it,
reads its CSV and draws the chart: loss against calls per second (log x), a
line per working set, the interval as a band, 4 KiB and huge pages apart."""

import csv
import io
from dataclasses import dataclass, field

from .data import TableFailure, optional_number as _opt, table_csvs

MAP_HEADER = ["arch", "kernel", "accel", "off", "on", "benchmark", "rate", "ws", "thp", "rate_off", "rate_on",
              "reads_off", "reads_on", "thp_pct_off", "thp_pct_on", "loss_pct", "ci_low_pct", "ci_high_pct", "basis",
              "boots_off", "boots_on", "metric", "note"]


PREDICT_HEADER = ["arch", "kernel", "accel", "off", "on", "benchmark", "rate", "ws", "predicted_pct",
                  "predicted_low_pct", "predicted_high_pct", "measured_pct", "measured_low_pct",
                  "measured_high_pct", "error_pts", "basis", "cells", "note"]


@dataclass
class Cell:
    benchmark: str
    rate: int  # the dial: calls per second the user work leaves room for
    ws: int  # bytes
    huge: bool
    rate_off: float  # calls per second it ran at
    rate_on: float
    loss_pct: float  # None without one
    ci_low_pct: float  # None without an interval
    ci_high_pct: float
    across_boots: bool


@dataclass
class Pair:
    arch: str
    kernel: str
    accel: str
    off: str  # "pti=off"
    on: str
    boots: tuple = (0, 0)
    cells: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # "BM_Map/...: skipped (pti=on): why"
    checks: list = field(default_factory=list)  # [Check]


@dataclass
class Check:
    """A benchmark's loss predicted from the map and measured."""
    benchmark: str
    rate: float
    ws: float  # None: not traced
    predicted: tuple  # (pct, low, high); low/high None without an interval
    measured: tuple
    error_pts: float
    note: str


def parse(text):
    """[Pair] from the CSV; None if the header is not ptilab's."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != MAP_HEADER:
        return None
    pairs = {}
    for f in rows[1:]:
        if len(f) != len(MAP_HEADER):
            return None
        r = dict(zip(MAP_HEADER, f))
        key = (r["arch"], r["kernel"], r["accel"], r["off"], r["on"])
        p = pairs.setdefault(key, Pair(*key))
        if r["note"]:
            p.skipped.append(f"{r['benchmark']}: {r['note']}")
            continue
        p.boots = (max(p.boots[0], int(r["boots_off"] or 0)), max(p.boots[1], int(r["boots_on"] or 0)))
        p.cells.append(Cell(r["benchmark"], int(r["rate"]), int(r["ws"]), r["thp"] == "1", float(r["rate_off"]),
                            float(r["rate_on"]), _opt(r["loss_pct"]), _opt(r["ci_low_pct"]),
                            _opt(r["ci_high_pct"]), r["basis"] == "boots"))
    return list(pairs.values())


def parse_checks(text, pairs):
    """Adds the records of --predict-csv to their pairs; False if the
    header is not ptilab's."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != PREDICT_HEADER:
        return False
    by_key = {(p.arch, p.kernel, p.accel, p.off, p.on): p for p in pairs}
    for f in rows[1:]:
        if len(f) != len(PREDICT_HEADER):
            return False
        r = dict(zip(PREDICT_HEADER, f))
        p = by_key.get((r["arch"], r["kernel"], r["accel"], r["off"], r["on"]))
        if p is None:
            continue
        p.checks.append(Check(r["benchmark"], float(r["rate"]), _opt(r["ws"]),
                              (float(r["predicted_pct"]), _opt(r["predicted_low_pct"]), _opt(r["predicted_high_pct"])),
                              (_opt(r["measured_pct"]), _opt(r["measured_low_pct"]), _opt(r["measured_high_pct"])),
                              _opt(r["error_pts"]), r["note"]))
    return True


def overhead_map(dataset, binary):
    """([Pair], failure): the map of every row of the runs, or ([], why)
    when ptilab could not make one (no map cells is not a failure)."""
    if not any(dataset.is_map(r.benchmark) for r in dataset.raw_rows):
        return [], None
    try:
        out = table_csvs(dataset, binary, ["--map-csv", "--predict-csv"], "map")
    except TableFailure as e:
        # One side only (a host run before its pti=off twin): nothing to pair.
        if "with an isolation-on and an isolation-off side" in e.stderr:
            return [], None
        return [], str(e)
    pairs = parse(out["--map-csv"])
    if pairs is None:
        return [], "ptilab table --map-csv printed an unexpected CSV"
    if not parse_checks(out["--predict-csv"], pairs):
        return [], "ptilab table --predict-csv printed an unexpected CSV"
    return pairs, None
