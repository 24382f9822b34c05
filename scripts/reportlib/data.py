"""The results CSV, read into configurations and rows. Its header is the
one the ptilab program gives (`ptilab schema --json`, README "CSV
schema"); there is no copy of it here.

A configuration is run, host and the columns that describe the machine
and its isolation setting, with the profile of its architecture; a run may
have measured it in several boots (the boot column). Rows of every kind
(bench, state, cpu, probes, audit, trace, perf counters) hang off a
configuration. The Dataset pools one configuration's rows of a quantity
across its boots for display (the mean of the boot means and their
spread); the intervals come from `ptilab compare` over the rows as read.
"""

import csv
import math
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field

from . import ReportError
from .profiles import Profile

# The columns the report reads by name; the schema (ptilab schema) has
# them all. Every other column describes the machine and its isolation
# setting (pti, pcid, ...: which one means what is the profile's business).
NAMED = ("run_id", "host", "arch", "kernel", "cmdline", "accel")
ROW_COLUMNS = ("timestamp", "boot", "benchmark", "metric", "value", "unit", "repetitions", "stddev")

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
    machine: tuple  # ((column, value), ...): the schema's other configuration columns
    profile: Profile = field(compare=False, hash=False, repr=False)

    def column(self, name):
        return dict(self.machine).get(name, "")

    @property
    def isolation(self):
        """on/off/unknown: the profile's isolation column (PTI, KPTI)."""
        return self.column(self.profile.isolation_column)

    @property
    def tlb(self):
        """on/off/unknown: the profile's TLB column (PCID, E0PD)."""
        return self.column(self.profile.tlb_column)

    @property
    def short(self):
        p = self.profile
        return f"{p.isolation_column}={self.isolation} {p.tlb_column}={self.tlb}"

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
    fields: list  # the CSV record as read (the first boot's, when pooled)
    boot: str = ""
    boots: int = 1  # boots pooled into this row (Dataset)
    within_sd: float = None  # pooled, with boots > 1: the spread inside a boot; stddev is then the boot means'


@dataclass
class Run:
    run_id: str
    source: str  # the directory or CSV given on the command line
    csv_path: str
    rows: list = field(default_factory=list)


def optional_number(text, kind=float):
    """A cell of one of ptilab's CSVs as a number; None where it is empty."""
    return kind(text) if text not in ("", None) else None


class TableFailure(Exception):
    """`ptilab table` could not run or failed: one line, and its stderr."""

    def __init__(self, line, stderr=""):
        super().__init__(line)
        self.stderr = stderr


def table_csvs(dataset, binary, flags, name):
    """{flag: stdout} of `ptilab table FLAG ROWS.csv` for each of flags
    (--macro-csv, --map-csv, ...), ROWS.csv being every row of the runs,
    written once to a temporary file: the statistics are ptilab's, the
    report only reads its CSVs. Raises TableFailure with one line when
    ptilab cannot run or fails."""
    with tempfile.TemporaryDirectory(prefix=f"ptilab-report-{name}-") as tmp:
        path = os.path.join(tmp, "rows.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(binary.columns)
            for r in dataset.raw_rows:
                w.writerow(r.fields)
        out = {}
        for flag in flags:
            try:
                p = subprocess.run([binary.path, "table", flag, path], capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise TableFailure(f"ptilab table {flag} could not run ({e})")
            if p.returncode != 0:
                raise TableFailure((p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[0], p.stderr)
            out[flag] = p.stdout
    return out


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


def _check_header(header, columns, path):
    if header != list(columns):
        missing = [c for c in columns if c not in header]
        why = f"missing columns: {', '.join(missing)}" if missing else "columns out of order"
        raise ReportError(f"{path}:1: not a ptilab results CSV header ({why}); "
                          f"expected {','.join(columns)}")


class _Reader:
    """Turns the records of one CSV into Rows, one Config per distinct
    configuration, each with the profile of its arch."""

    def __init__(self, binary):
        self.binary = binary
        self.columns = binary.columns
        self.machine = [c for c in binary.columns if c not in NAMED and c not in ROW_COLUMNS]
        self.configs = {}

    def config(self, r, where):
        key = tuple(r[c] for c in NAMED) + (tuple((c, r[c]) for c in self.machine),)
        config = self.configs.get(key)
        if config is None:
            profile = self.binary.profile(r["arch"])
            if profile is None:
                raise ReportError(f"{where}: architecture '{r['arch']}' has no ptilab profile "
                                  f"({self.binary.path} knows {self.binary.known_arches()})")
            config = self.configs[key] = Config(*key, profile=profile)
        return config

    def row(self, fields, where):
        if len(fields) != len(self.columns):
            raise ReportError(f"{where}: {len(fields)} fields, expected {len(self.columns)} "
                              "(a garbled or truncated results CSV)")
        r = dict(zip(self.columns, fields))
        value = _number(r["value"], where, "value")
        if value is None and r["unit"] != "not_supported":
            raise ReportError(f"{where}: empty value for {r['benchmark']} {r['metric']}")
        return Row(config=self.config(r, where), timestamp=r["timestamp"], benchmark=r["benchmark"],
                   metric=r["metric"], value=value, unit=r["unit"],
                   repetitions=_number(r["repetitions"], where, "repetitions", True),
                   stddev=_number(r["stddev"], where, "stddev"), where=where, fields=fields,
                   boot=r["boot"] or f"run {r['run_id']}")  # before the boot column: a run, one boot


def check_schema(binary):
    """The report reads some columns by name: the binary's schema must have them."""
    lacking = [c for c in NAMED + ROW_COLUMNS if c not in binary.columns]
    if lacking:
        raise ReportError(f"{binary.path} schema --json has no column {', '.join(lacking)}: "
                          "this report and that ptilab do not match")


def _read_rows(path, binary):
    reader = _Reader(binary)
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        records = csv.reader(f, strict=True)
        try:
            header = next(records)
        except StopIteration:
            raise ReportError(f"{path}: empty file, not a ptilab results CSV") from None
        # Files from before the boot column (ptilab reads them too): boot empty.
        legacy = [c for c in binary.columns if c != "boot"]
        boot_at = binary.columns.index("boot") if header == legacy and "boot" in binary.columns else None
        if boot_at is None:
            _check_header(header, binary.columns, path)
        for fields in records:
            if fields:
                if boot_at is not None and len(fields) == len(legacy):
                    fields = fields[:boot_at] + [""] + fields[boot_at:]
                rows.append(reader.row(fields, f"{path}:{records.line_num}"))
    return rows


def read_run(source, binary):
    """Reads one run directory (its results.csv) or CSV file, checked
    against the binary's schema. Raises ReportError with a one-line reason
    on anything that is not a ptilab results CSV."""
    path = _csv_path(source)
    try:
        rows = _read_rows(path, binary)
    except csv.Error as e:
        raise ReportError(f"{path}: not a readable CSV ({e})") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a text CSV (invalid UTF-8)") from None
    except OSError as e:
        raise ReportError(f"{path}: {e.strerror}") from None
    if not rows:
        raise ReportError(f"{path}: header only, no rows (an empty run?)")
    ids = sorted({r.config.run_id for r in rows})
    return Run(run_id=ids[0] if len(ids) == 1 else " + ".join(ids), source=source, csv_path=path, rows=rows)


EXTRA_CR3 = re.compile(r"^(?P<base>.+)\+extra_cr3=(?P<n>\d+)$")


def extra_cr3(benchmark):
    """'BM_Syscall_Null+extra_cr3=2' -> ('BM_Syscall_Null', 2), else None."""
    m = EXTRA_CR3.match(benchmark)
    return (m.group("base"), int(m.group("n"))) if m else None


def _pool(rows):
    """One configuration's rows of one quantity, from one boot or several,
    as one Row: each boot's rows weighted by their repetitions, then the
    mean of the boot means, with their stddev (ptilab's replicates.h, for
    display; the intervals are ptilab compare's)."""
    boots = {}
    for r in rows:
        boots.setdefault(r.boot, []).append(r)
    if len(boots) == 1 and len(rows) == 1:
        return rows[0]
    first = rows[0]
    if any(r.value is None for r in rows):
        return first

    def boot_mean(rs):
        n = sum(r.repetitions or 1 for r in rs)
        return sum(r.value * (r.repetitions or 1) for r in rs) / n

    means = [boot_mean(rs) for rs in boots.values()]
    within = [(r.repetitions, r.stddev) for r in rows if r.repetitions and r.repetitions > 1 and r.stddev is not None]
    df = sum(n - 1 for n, _ in within)
    within_sd = math.sqrt(sum((n - 1) * sd * sd for n, sd in within) / df) if df else None
    reps = sum(r.repetitions or 0 for r in rows) or None
    if len(means) == 1:
        # Several runs in one boot: their repetitions as one sample.
        m = means[0]
        n = sum(r.repetitions or 1 for r in rows)
        ss = sum(((r.repetitions or 1) - 1) * (r.stddev or 0) ** 2 + (r.repetitions or 1) * (r.value - m) ** 2
                 for r in rows)
        sd = math.sqrt(ss / (n - 1)) if n > 1 and first.stddev is not None else first.stddev
        return Row(config=first.config, timestamp=first.timestamp, benchmark=first.benchmark, metric=first.metric,
                   value=m, unit=first.unit, repetitions=reps, stddev=sd, where=first.where, fields=first.fields,
                   boot=first.boot)
    m = sum(means) / len(means)
    sd = math.sqrt(sum((x - m) ** 2 for x in means) / (len(means) - 1))
    return Row(config=first.config, timestamp=first.timestamp, benchmark=first.benchmark, metric=first.metric,
               value=m, unit=first.unit, repetitions=reps, stddev=sd, where=first.where, fields=first.fields,
               boot=first.boot, boots=len(means), within_sd=within_sd)


def tlb_pages(benchmark):
    m = re.match(r"^BM_TLB_Sweep/pages:(\d+)$", benchmark)
    return int(m.group(1)) if m else None


class Dataset:
    """Every row of every run, indexed for the sections."""

    def __init__(self, runs, baseline=None, workloads=(), maps=(), localities=()):
        self.runs = runs
        self.baseline = baseline  # a Run or None; also in runs
        # The macro tier's benchmark families (ptilab schema --json): shown
        # in their own section, not among the microbenchmarks.
        self.workloads = frozenset(workloads)
        # The overhead map's (its own section too).
        self.maps = frozenset(maps)
        # The per-node benchmarks' (kernel text locality: their own section).
        self.localities = frozenset(localities)
        raw = [r for run in runs for r in run.rows]
        seen = {}
        for r in raw:
            seen.setdefault(r.config, None)
        self.configs = sorted(seen, key=self._order)
        self.raw_rows = raw  # as read: what ptilab compare is given
        groups = {}
        for r in raw:
            groups.setdefault((r.config, r.benchmark, r.metric), []).append(r)
        # One row per (configuration, benchmark, metric), pooled over boots,
        # in the order the runs wrote them.
        self.rows = [_pool(g) for g in groups.values()]
        self._index = {(r.config, r.benchmark, r.metric): r for r in self.rows}
        # What each configuration timed (reference_for matches on it).
        self._timed = {}
        for r in self.rows:
            if r.metric == "ns_per_op":
                self._timed.setdefault(r.config, set()).add(r.benchmark)
        self.boots = {}
        for r in raw:
            self.boots.setdefault(r.config, set()).add(r.boot)
        self.labels = self._labels()

    @staticmethod
    def _order(c):
        iso = {"on": 0, "off": 1}.get(c.isolation, 2)
        return (c.host, c.arch, c.kernel, c.run_id, c.accel, iso, c.tlb, c.cmdline)

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

    def profiles(self):
        """The architectures' profiles in these runs, in configuration order."""
        out = []
        for c in self.configs:
            if c.profile not in out:
                out.append(c.profile)
        return out

    def configs_in(self, group):
        return [c for c in self.configs if c.group == group]

    def get(self, config, benchmark, metric):
        return self._index.get((config, benchmark, metric))

    def is_workload(self, benchmark):
        """Whether the benchmark is one of the macro tier's workloads."""
        return benchmark.split("/", 1)[0] in self.workloads

    def is_map(self, benchmark):
        """Whether the benchmark is a cell of the overhead map."""
        return benchmark.split("/", 1)[0] in self.maps

    def is_locality(self, benchmark):
        """Whether the benchmark is a per-node benchmark (kernel text locality)."""
        return benchmark.split("/", 1)[0] in self.localities

    def benchmarks(self, pred=lambda b: True, metric="ns_per_op"):
        """Microbenchmarks with the metric, in the order the runs wrote
        them (the macro tier's workloads, the map's cells and the per-node
        benchmarks are not among them)."""
        out, seen = [], set()
        for r in self.rows:
            if r.metric == metric and r.benchmark.startswith("BM_") and r.benchmark not in seen \
                    and not self.is_workload(r.benchmark) and not self.is_map(r.benchmark) \
                    and not self.is_locality(r.benchmark) and pred(r.benchmark):
                seen.add(r.benchmark)
                out.append(r.benchmark)
        return out

    def info(self, config, benchmark):
        """A configuration's key/value rows of one benchmark as strings:
        'key=value' info rows become key: value, bool rows on/off, numbers
        as numbers. For the state ('state') and the CPU ('cpu')."""
        out = {}
        for r in self.rows:
            if r.config != config or r.benchmark != benchmark:
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

    def state(self, config):
        """The isolation state (module's or kernel's: key 'source'), {} if none was recorded."""
        return self.info(config, "state")

    def cpu(self, config):
        """What the CPU is: model, its ids (midr, vendor, signature) and qemu_cpu."""
        return self.info(config, "cpu")

    def reference_for(self, c):
        """The configuration c's isolation overhead is measured against: the
        same run, host, kernel and accelerator with isolation off, and the
        same TLB setting (PCID, E0PD: like with like, the same CPU in
        vm-bench's matrix) where one has it. None for c itself being off,
        or when the run has no isolation-off configuration."""
        if c.isolation != "on":
            return None
        cands = [o for o in self.configs
                 if o.isolation == "off" and (o.run_id, o.host, o.arch, o.kernel, o.accel)
                 == (c.run_id, c.host, c.arch, c.kernel, c.accel)]
        if not cands:
            return None
        same = [o for o in cands if o.tlb == c.tlb] or cands
        # Of those, the one that ran the same benchmarks: vm-bench's
        # initramfs and Debian guests (micro and macro tier) are separate
        # configurations of one kernel, their command lines apart.
        mine = self._timed.get(c, set())
        return max(same, key=lambda o: len(mine & self._timed.get(o, set())))
