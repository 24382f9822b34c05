"""The results CSV (README "CSV schema"), read into configurations and rows.

A configuration is what one boot measured: run, host and the columns that
describe the machine and its isolation setting. Rows of every kind (bench,
state, probes, audit, trace, perf counters) hang off a configuration.
"""

import csv
import math
import os
import re
from dataclasses import dataclass, field

from . import ReportError

COLUMNS = ["run_id", "timestamp", "host", "arch", "kernel", "cmdline", "accel", "pti", "pcid",
           "e0pd", "kpti", "benchmark", "metric", "value", "unit", "repetitions", "stddev"]

ACCEL_LABEL = {
    "tcg": "emulated (TCG)",
    "kvm": "virtualised hardware (KVM)",
    "none": "hardware (bare metal)",
}


def accel_label(accel):
    return ACCEL_LABEL.get(accel, f"accelerator '{accel}'")


@dataclass(frozen=True)
class Config:
    run_id: str
    host: str
    arch: str
    kernel: str
    cmdline: str
    accel: str
    pti: str
    pcid: str
    e0pd: str
    kpti: str

    @property
    def is_arm(self):
        return self.arch in ("aarch64", "arm64")

    @property
    def isolation(self):
        """on/off/unknown: PTI on x86, KPTI on arm64."""
        return self.kpti if self.is_arm else self.pti

    @property
    def short(self):
        if self.is_arm:
            return f"kpti={self.kpti} e0pd={self.e0pd}"
        return f"pti={self.pti} pcid={self.pcid}"

    @property
    def group(self):
        """Configurations are shown grouped by host and kernel."""
        return (self.host, self.arch, self.kernel)

    @property
    def date(self):
        m = re.match(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})", self.run_id)
        if m:
            return "{}-{}-{} {}:{}".format(*m.groups())
        return self.run_id


@dataclass
class Row:
    config: Config
    timestamp: str
    benchmark: str
    metric: str
    value: float  # None where the CSV has no number (unit not_supported)
    unit: str
    repetitions: int
    stddev: float
    where: str  # file:line, for messages


@dataclass
class Run:
    run_id: str
    source: str  # the directory or CSV given on the command line
    csv_path: str
    rows: list = field(default_factory=list)


def _csv_path(source):
    if os.path.isdir(source):
        path = os.path.join(source, "results.csv")
        if not os.path.isfile(path):
            raise ReportError(f"{source}: no results.csv in this directory "
                              "(give a run directory written by make vm-bench, or a results CSV)")
        return path
    if os.path.isfile(source):
        return source
    raise ReportError(f"{source}: no such run directory or CSV")


def _number(text, where, column, integer=False):
    if text == "":
        return None
    try:
        v = int(text) if integer else float(text)
    except ValueError:
        raise ReportError(f"{where}: column {column} is not a number: '{text}' "
                          "(a garbled results CSV: regenerate it with ptilab)") from None
    if not integer and not math.isfinite(v):
        raise ReportError(f"{where}: column {column} is not finite: '{text}'")
    return v


def read_run(source):
    """Reads one run directory (its results.csv) or CSV file. Raises
    ReportError with a one-line reason on anything that is not a ptilab
    results CSV."""
    path = _csv_path(source)
    run = Run(run_id="", source=source, csv_path=path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            try:
                header = next(reader)
            except StopIteration:
                raise ReportError(f"{path}: empty file, not a ptilab results CSV") from None
            if header != COLUMNS:
                missing = [c for c in COLUMNS if c not in header]
                why = f"missing columns: {', '.join(missing)}" if missing else "columns out of order"
                raise ReportError(f"{path}:1: not a ptilab results CSV header ({why}); "
                                  f"expected {','.join(COLUMNS)}")
            configs = {}
            for fields in reader:
                where = f"{path}:{reader.line_num}"
                if not fields:
                    continue
                if len(fields) != len(COLUMNS):
                    raise ReportError(f"{where}: {len(fields)} fields, expected {len(COLUMNS)} "
                                      "(a garbled or truncated results CSV)")
                r = dict(zip(COLUMNS, fields))
                key = tuple(r[c] for c in ("run_id", "host", "arch", "kernel", "cmdline", "accel",
                                           "pti", "pcid", "e0pd", "kpti"))
                config = configs.get(key)
                if config is None:
                    config = configs[key] = Config(*key)
                value = _number(r["value"], where, "value")
                if value is None and r["unit"] != "not_supported":
                    raise ReportError(f"{where}: empty value for {r['benchmark']} {r['metric']}")
                run.rows.append(Row(config=config, timestamp=r["timestamp"], benchmark=r["benchmark"],
                                    metric=r["metric"], value=value, unit=r["unit"],
                                    repetitions=_number(r["repetitions"], where, "repetitions", True),
                                    stddev=_number(r["stddev"], where, "stddev"), where=where))
    except csv.Error as e:
        raise ReportError(f"{path}: not a readable CSV ({e})") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a text CSV (invalid UTF-8)") from None
    except OSError as e:
        raise ReportError(f"{path}: {e.strerror}") from None
    if not run.rows:
        raise ReportError(f"{path}: header only, no rows (an empty run?)")
    ids = sorted({r.config.run_id for r in run.rows})
    run.run_id = ids[0] if len(ids) == 1 else " + ".join(ids)
    return run


BENCH_ARG = re.compile(r"^(?P<family>[^/+]+)(?:/(?P<name>[a-z_]+):(?P<arg>\d+))?$")
EXTRA_CR3 = re.compile(r"^(?P<base>.+)\+extra_cr3=(?P<n>\d+)$")


def extra_cr3(benchmark):
    """'BM_Syscall_Null+extra_cr3=2' -> ('BM_Syscall_Null', 2), else None."""
    m = EXTRA_CR3.match(benchmark)
    return (m.group("base"), int(m.group("n"))) if m else None


def tlb_pages(benchmark):
    m = re.match(r"^BM_TLB_Sweep/pages:(\d+)$", benchmark)
    return int(m.group(1)) if m else None


class Dataset:
    """Every row of every run, indexed for the sections."""

    def __init__(self, runs, baseline=None):
        self.runs = runs
        self.baseline = baseline  # a Run or None; also in runs
        rows = [r for run in runs for r in run.rows]
        seen = {}
        for r in rows:
            seen.setdefault(r.config, None)
        self.configs = sorted(seen, key=self._order)
        self.rows = rows
        self._index = {}
        for r in rows:
            self._index.setdefault((r.config, r.benchmark, r.metric), r)
        self.labels = self._labels()

    @staticmethod
    def _order(c):
        iso = {"on": 0, "off": 1}.get(c.isolation, 2)
        return (c.host, c.arch, c.kernel, c.run_id, c.accel, iso, c.pcid, c.e0pd, c.cmdline)

    def _labels(self):
        """Short labels, unique within a group: the isolation setting, then
        the accelerator, run date and command line where needed."""
        labels = {}
        for g in self.groups():
            cs = self.configs_in(g)
            parts = {c: [c.short] for c in cs}
            for extra in (lambda c: c.accel, lambda c: c.date, lambda c: c.cmdline):
                names = [" ".join(parts[c]) for c in cs]
                if len(set(names)) == len(names):
                    break
                for c in cs:
                    if names.count(" ".join(parts[c])) > 1:
                        parts[c].append(extra(c))
            for c in cs:
                labels[c] = " ".join(parts[c])
        return labels

    def label(self, c, full=False):
        if full:
            return f"{c.host} {c.kernel} {c.accel} {c.date} {c.short}"
        return self.labels[c]

    def groups(self):
        out = []
        for c in self.configs:
            if c.group not in out:
                out.append(c.group)
        return out

    def configs_in(self, group):
        return [c for c in self.configs if c.group == group]

    def get(self, config, benchmark, metric):
        return self._index.get((config, benchmark, metric))

    def benchmarks(self, pred=lambda b: True, metric="ns_per_op"):
        """Benchmarks with the metric, in the order the runs wrote them."""
        out, seen = [], set()
        for r in self.rows:
            if r.metric == metric and r.benchmark.startswith("BM_") and r.benchmark not in seen \
                    and pred(r.benchmark):
                seen.add(r.benchmark)
                out.append(r.benchmark)
        return out

    def rows_where(self, pred):
        return [r for r in self.rows if pred(r)]

    def state(self, config):
        """The module's state as strings: key -> value. 'pti_reason=X' info
        rows become pti_reason: X."""
        out = {}
        for r in self.rows:
            if r.config != config or r.benchmark != "state":
                continue
            if "=" in r.metric:
                k, v = r.metric.split("=", 1)
                out[k] = v
            elif r.value is None:
                continue
            elif r.unit == "bool":
                out[r.metric] = "on" if r.value else "off"
            else:
                out[r.metric] = f"{r.value:g}"
        return out

    def reference_for(self, c):
        """The configuration c's isolation overhead is measured against: the
        same run, host, kernel and accelerator with isolation off: on x86 the
        one with the same PCID where it exists, on arm64 the one with E0PD. None for c itself
        being off, or when the run has no isolation-off configuration."""
        if c.isolation != "on":
            return None
        cands = [o for o in self.configs
                 if o.isolation == "off" and (o.run_id, o.host, o.arch, o.kernel, o.accel)
                 == (c.run_id, c.host, c.arch, c.kernel, c.accel)]
        if not cands:
            return None
        if c.is_arm:
            # KPTI's alternative on arm64 is E0PD: compare against it.
            same = [o for o in cands if o.e0pd == "on"]
        else:
            same = [o for o in cands if o.pcid == c.pcid]
        return (same or cands)[0]


def cpu_model(state, cmdline):
    """The CPU model where a run recorded one: state key cpu_model, or a
    cpu/cpu_model setting on the command line (the arm64 VMs record the
    emulated core there)."""
    if state.get("cpu_model"):
        return state["cpu_model"]
    m = re.search(r"(?:^|\s)(?:-cpu[ =]|cpu_model=|cpu=)(\S+)", cmdline)
    return m.group(1) if m else ""
