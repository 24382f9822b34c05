"""Kernel text locality (the per-node benchmarks BM_Numa_*/node:N, and the
module's numa rows) as `ptilab table --locality-csv` computes it: per
configuration each benchmark's time on one CPU of each NUMA node, and each
node's time over the node that holds the kernel's text, with ptilab's
interval. The statistics live in C++ (model/locality.cc); this module only
runs it and reads its CSV."""

import csv
import io
from dataclasses import dataclass, field

from .data import TableFailure, optional_number as _opt, table_csvs

LOCALITY_HEADER = ["arch", "kernel", "accel", "config", "benchmark", "node", "cpu", "text_node", "reference",
                   "mean_ns", "stddev_ns", "boots", "ratio", "ci_low", "ci_high", "basis", "verdict", "note"]


@dataclass
class Cell:
    node: int
    cpu: int  # None if not recorded
    mean_ns: float
    stddev_ns: float
    boots: int
    ratio: float  # this node's time over the reference's; None for the reference
    ci_low: float  # None without an interval
    ci_high: float
    across_boots: bool
    verdict: str


@dataclass
class Group:
    arch: str
    kernel: str
    accel: str
    config: str  # "pti=on"
    text_node: int  # None where no run recorded it
    reference: int
    note: str
    lines: dict = field(default_factory=dict)  # family -> [Cell], by node


def parse(text):
    """[Group] from the CSV; None if the header is not ptilab's."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != LOCALITY_HEADER:
        return None
    groups = {}
    for f in rows[1:]:
        if len(f) != len(LOCALITY_HEADER):
            return None
        r = dict(zip(LOCALITY_HEADER, f))
        key = (r["arch"], r["kernel"], r["accel"], r["config"])
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(*key, text_node=_opt(r["text_node"], int), reference=int(r["reference"]),
                                    note=r["note"])
        family = r["benchmark"].split("/", 1)[0]
        g.lines.setdefault(family, []).append(Cell(
            int(r["node"]), _opt(r["cpu"], int), float(r["mean_ns"]), float(r["stddev_ns"]), int(r["boots"]),
            _opt(r["ratio"]), _opt(r["ci_low"]), _opt(r["ci_high"]), r["basis"] == "boots", r["verdict"]))
    return list(groups.values())


def kernel_text_locality(dataset, binary):
    """([Group], failure): the per-node benchmarks of every row of the runs,
    or ([], why) when ptilab could not tabulate them (none is no failure)."""
    if not any(dataset.is_locality(r.benchmark) for r in dataset.raw_rows):
        return [], None
    try:
        out = table_csvs(dataset, binary, ["--locality-csv"], "locality")
    except TableFailure as e:
        return [], str(e)
    groups = parse(out["--locality-csv"])
    if groups is None:
        return [], "ptilab table --locality-csv printed an unexpected CSV"
    return groups, None
