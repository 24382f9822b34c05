"""Overhead % and its confidence interval, from `ptilab compare` (Welch's
interval lives there, once, in C++; this module only runs it and reads its
CSV)."""

import csv
import io
import os
import subprocess
import tempfile
from dataclasses import dataclass

from .data import optional_number as _opt

COMPARE_HEADER = ["benchmark", "metric", "unit", "a_mean", "a_stddev", "a_n", "b_mean", "b_stddev",
                  "b_n", "delta_pct", "ci_low_pct", "ci_high_pct", "confidence", "verdict", "basis",
                  "a_boots", "b_boots", "a_within_sd", "b_within_sd", "a_between_sd", "b_between_sd"]


@dataclass
class Delta:
    delta_pct: float
    ci_low_pct: float  # None where the interval does not exist
    ci_high_pct: float
    confidence: float
    verdict: str
    across_boots: bool = False  # the interval's replicates are boots, not one boot's repetitions
    boots: tuple = (1, 1)  # (A's, B's)


def _note(line):
    """What ptilab compare noted about its operands, minus what every
    per-configuration operand provokes."""
    if "note:" not in line:
        return None
    note = line.split("note:", 1)[1].strip()
    return None if "lack a stddev" in note else note


def _deltas(text):
    """{benchmark: Delta} from compare's CSV (ns_per_op rows with a delta)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != COMPARE_HEADER:
        return None
    out = {}
    for f in rows[1:]:
        if len(f) != len(COMPARE_HEADER):
            continue
        r = dict(zip(COMPARE_HEADER, f))
        if r["metric"] != "ns_per_op" or r["delta_pct"] == "":
            continue
        out[r["benchmark"]] = Delta(float(r["delta_pct"]), _opt(r["ci_low_pct"]), _opt(r["ci_high_pct"]),
                                    _opt(r["confidence"]) or 0.95, r["verdict"], r["basis"] == "boots",
                                    (int(r["a_boots"]), int(r["b_boots"])))
    return out


class Comparer:
    """Runs `ptilab compare A B --format csv` for pairs of configurations,
    each written to its own temporary CSV (the binary's header, the rows as
    read) so an operand holds exactly one configuration. Remembers what
    failed, for the page to say."""

    def __init__(self, dataset, binary):
        self.ds = dataset
        self.binary = binary
        self.tmp = tempfile.TemporaryDirectory(prefix="ptilab-report-")
        self.files = {}
        self.cache = {}
        self.failures = []  # one line per failed comparison
        self.notes = []  # what ptilab compare said about its operands (stderr)

    def close(self):
        self.tmp.cleanup()

    def _file(self, config):
        path = self.files.get(config)
        if path:
            return path
        path = os.path.join(self.tmp.name, f"config{len(self.files)}.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(self.binary.columns)
            for r in self.ds.raw_rows:  # every boot's: compare pools them
                if r.config == config and r.metric == "ns_per_op" and r.benchmark.startswith("BM_"):
                    w.writerow(r.fields)
        self.files[config] = path
        return path

    def _fail(self, a, b, why):
        self.failures.append(f"{self.ds.label(b, True)} vs {self.ds.label(a, True)}: {why}")
        return {}

    def _run(self, a, b):
        cmd = [self.binary.path, "compare", self._file(a), self._file(b), "--format", "csv"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return self._fail(a, b, f"ptilab compare could not run ({e})")
        if p.returncode != 0:
            return self._fail(a, b, (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[0])
        for line in p.stderr.splitlines():
            note = _note(line)
            if note and note not in self.notes:
                self.notes.append(note)
        out = _deltas(p.stdout)
        if out is None:
            return self._fail(a, b, "ptilab compare printed an unexpected CSV header")
        return out

    def deltas(self, a, b):
        """{benchmark: Delta} of B's ns/op against A's; {} when the
        comparison failed (the reason is in failures)."""
        if (a, b) not in self.cache:
            self.cache[(a, b)] = self._run(a, b)
        return self.cache[(a, b)]

    def confidence(self):
        """The confidence level compare used (0.95 unless it said otherwise)."""
        for d in self.cache.values():
            for x in d.values():
                return x.confidence
        return 0.95
