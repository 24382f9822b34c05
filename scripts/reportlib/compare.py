"""Overhead % and its confidence interval, from `ptilab compare` (Welch's
interval lives there, once, in C++; this module only runs it and reads its
CSV)."""

import csv
import io
import os
import subprocess
import tempfile
from dataclasses import dataclass

from .data import COLUMNS

COMPARE_HEADER = ["benchmark", "metric", "unit", "a_mean", "a_stddev", "a_n", "b_mean", "b_stddev",
                  "b_n", "delta_pct", "ci_low_pct", "ci_high_pct", "confidence", "verdict"]


@dataclass
class Delta:
    delta_pct: float
    ci_low_pct: float  # None where the interval does not exist
    ci_high_pct: float
    confidence: float
    verdict: str


def _opt(text):
    return float(text) if text not in ("", None) else None


def _fmt(v):
    return "" if v is None else repr(v)


class Comparer:
    """Runs `ptilab compare A B --format csv` for pairs of configurations,
    each written to its own temporary CSV so an operand holds exactly one
    configuration. Remembers why it could not, for the page to say."""

    def __init__(self, dataset, ptilab):
        self.ds = dataset
        self.ptilab = ptilab
        self.tmp = tempfile.TemporaryDirectory(prefix="ptilab-report-")
        self.files = {}
        self.cache = {}
        self.failures = []  # one line per failed comparison
        self.unavailable = None
        self.notes = []  # what ptilab compare said about its operands (stderr)
        if not (os.path.isfile(ptilab) and os.access(ptilab, os.X_OK)):
            self.unavailable = f"{ptilab} is not built (make userspace)"

    def close(self):
        self.tmp.cleanup()

    def _file(self, config):
        path = self.files.get(config)
        if path:
            return path
        path = os.path.join(self.tmp.name, f"config{len(self.files)}.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for r in self.ds.rows:
                if r.config != config or r.metric != "ns_per_op" or not r.benchmark.startswith("BM_"):
                    continue
                c = r.config
                w.writerow([c.run_id, r.timestamp, c.host, c.arch, c.kernel, c.cmdline, c.accel, c.pti,
                            c.pcid, c.e0pd, c.kpti, r.benchmark, r.metric, _fmt(r.value), r.unit,
                            "" if r.repetitions is None else str(r.repetitions), _fmt(r.stddev)])
        self.files[config] = path
        return path

    def deltas(self, a, b):
        """{benchmark: Delta} of B's ns/op against A's, or {} when ptilab
        compare is unavailable or failed (the reason is recorded)."""
        if self.unavailable:
            return {}
        key = (a, b)
        if key in self.cache:
            return self.cache[key]
        cmd = [self.ptilab, "compare", self._file(a), self._file(b), "--format", "csv"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            self.unavailable = f"{self.ptilab} compare could not run ({e})"
            return {}
        out = {}
        if p.returncode != 0:
            why = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[0]
            if p.returncode == 2:
                # A usage error for a well-formed call: this ptilab does not
                # know `compare` (or its CSV format) yet.
                self.unavailable = f"{self.ptilab} does not accept '{' '.join(cmd[1:2] + cmd[4:])}' ({why})"
            else:
                self.failures.append(f"{self.ds.label(b, True)} vs {self.ds.label(a, True)}: {why}")
            self.cache[key] = out
            return out
        for line in p.stderr.splitlines():
            note = line.split("note:", 1)[-1].strip() if "note:" in line else None
            if note and note not in self.notes and "lack a stddev" not in note:
                self.notes.append(note)
        rows = list(csv.reader(io.StringIO(p.stdout)))
        if not rows or rows[0] != COMPARE_HEADER:
            self.unavailable = f"{self.ptilab} compare printed an unexpected CSV header"
            return {}
        for f in rows[1:]:
            if len(f) != len(COMPARE_HEADER):
                continue
            r = dict(zip(COMPARE_HEADER, f))
            if r["metric"] != "ns_per_op" or r["delta_pct"] == "":
                continue
            out[r["benchmark"]] = Delta(float(r["delta_pct"]), _opt(r["ci_low_pct"]),
                                        _opt(r["ci_high_pct"]), _opt(r["confidence"]) or 0.95,
                                        r["verdict"])
        self.cache[key] = out
        return out

    def status(self):
        """One sentence for the page: where the intervals come from, or why
        there are none."""
        if self.unavailable:
            return f"ptilab compare not available: {self.unavailable}."
        return None
