#!/usr/bin/python3
"""fleetcheck - ptilab's Prometheus files checked against ground truth.

Shared by tests/fleet/fleet-test (the host: the tracer, node_exporter
scraping a live exporter) and tests/vm/vm-test-fleet (a guest with the
module: its files checked here on the host). The files are parsed with
prometheus_client's parser and linted with promtool, never by hand; the
values are compared with what ptilab itself reports elsewhere: `ptilab
status --json`, the module's probe file, `ptilab trace --csv` (read through
`ptilab query`).

USAGE: tests/fleet/fleetcheck.py vm DIR | state FILE STATUS_JSON
  vm DIR   the checks of a vm-test-fleet guest's files in DIR, as TAP
  state    whether FILE (ptilab export's) passes promtool and says what
           STATUS_JSON (ptilab status --json, same host) says; exit 1 with
           what differs (tests/vm/vm-test and vm-test-arm64, every
           configuration)

REQUIREMENTS: python3-prometheus-client, prometheus (promtool), make
userspace (build/userspace/ptilab, or $PTILAB).
"""

import json
import math
import os
import re
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PTILAB = os.environ.get("PTILAB") or os.path.join(TOP, "build", "userspace", "ptilab")


class Tap:
    """TAP output: "ok N - [label] what" per check, the plan at the end."""

    def __init__(self, label):
        self.label, self.n, self.failed = label, 0, 0

    def check(self, what, ok, why=None):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - [{self.label}] {what}", flush=True)
        if not ok and why:
            for line in str(why).splitlines()[:8]:
                print(f"    {line}")
        return ok

    def skip(self, what, why):
        self.n += 1
        print(f"ok {self.n} - [{self.label}] {what} # SKIP {why}", flush=True)

    def comment(self, text):
        for line in text.splitlines():
            print(f"# {line}")

    def done(self):
        print(f"1..{self.n}")
        print(f"# {self.n - self.failed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def samples(text):
    """{(sample name, ((label, value), ...)): value} of a text exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def types(text):
    """{family name as written in # TYPE: type}."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def helps(text):
    return set(re.findall(r"^# HELP (\S+) \S", text, re.M))


def one(s, name, **labels):
    """The value of the one sample NAME whose labels include LABELS; None if none."""
    found = [v for (n, ls), v in s.items() if n == name and all(dict(ls).get(k) == x for k, x in labels.items())]
    return found[0] if len(found) == 1 else None


def labels_of(s, name):
    found = [dict(ls) for (n, ls), _ in s.items() if n == name]
    return found[0] if len(found) == 1 else None


def ptilab(*args):
    return subprocess.run([PTILAB, *args], capture_output=True, text=True)


def promtool(path):
    """promtool check metrics (its linter): (ok, what it said)."""
    with open(path, "rb") as f:
        r = subprocess.run(["promtool", "check", "metrics"], stdin=f, capture_output=True, text=True)
    return r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


def check_file(tap, path, what):
    """promtool passes; every family has HELP and TYPE; counters end in _total and only they do."""
    text = open(path).read()
    ok, said = promtool(path)
    tap.check(f"{what}: promtool check metrics passes", ok, said)
    t = types(text)
    fams = {f.name for f in text_string_to_metric_families(text)}
    tap.check(f"{what}: {len(t)} families, each with # HELP and # TYPE",
              len(t) > 0 and set(t) == helps(text) and len(fams) == len(t), f"types {sorted(t)}")
    bad = [n for n, ty in t.items() if (ty == "counter") != n.endswith("_total") or not n.startswith("ptilab_")]
    tap.check(f"{what}: every name is ptilab_..., counters and only they end in _total", not bad, bad)
    return samples(text)


def on_off(value):
    return {"on": 1.0, "off": 0.0}.get(value)


def check_state(tap, s, status, profiles, what):
    """The state's metrics against `ptilab status --json` (the same host, the same moment)."""
    state = status["state"]
    prof = next(p for p in profiles["profiles"] if state.get("arch") in p["spellings"])
    enabled = one(s, "ptilab_isolation_enabled")
    want = on_off(status["pti"])
    tap.check(f"{what}: ptilab_isolation_enabled {enabled} is status's {prof['isolation']} {status['pti']}",
              enabled == want)
    lab = labels_of(s, "ptilab_isolation_enabled") or {}
    expect = {"arch": state.get("arch"), "kernel": state.get("kernel"), "isolation": status["isolation"],
              "reason": state.get(prof["reason_key"], "unknown")}
    tap.check(f"{what}: its labels {lab} are status's arch, kernel, isolation and {prof['reason_key']}",
              want is None or lab == expect, f"expected {expect}")
    v = one(s, "ptilab_meltdown_affected")
    tap.check(f"{what}: ptilab_meltdown_affected {v} is status's meltdown_bug {status['meltdown_bug']}",
              v == on_off(status["meltdown_bug"]))
    v = one(s, "ptilab_isolation_safe_to_disable")
    safe = status["safe_to_disable"]
    tap.check(f"{what}: ptilab_isolation_safe_to_disable {v} is status's safe_to_disable {safe}",
              v == (None if safe is None else float(safe)))
    v = one(s, "ptilab_module_loaded")
    tap.check(f"{what}: ptilab_module_loaded {v}: status read the {status['source']}",
              v == (1.0 if status["source"] == "module" else 0.0))
    for flag in prof["fleet_flags"]:
        v = one(s, flag["metric"])
        tap.check(f"{what}: {flag['metric']} {v} is the state's {flag['key']} ({state.get(flag['key'], 'unknown')})",
                  v == on_off(state.get(flag["key"], "unknown")))
    probes = {dict(ls)["probe"] for (n, ls), _ in s.items() if n == "ptilab_page_table_write_seconds"}
    measured = {k for k, c in status["costs"].items() if "median_ns" in c and c["median_ns"] is not None}
    tap.check(f"{what}: page-table write costs for the probes status measured ({sorted(measured)})",
              probes == measured, f"exported {sorted(probes)}")


def probe_file(path):
    """The module's probe file: (primitive, median ns)."""
    kv = dict(line.split("=", 1) for line in open(path).read().splitlines() if "=" in line)
    return kv["primitive"], int(kv["median_cycles"]) * 1e6 / int(kv["counter_khz"])


def check_probe(tap, s, probe_path, what):
    """The exported cost is the module's last probe run: the exporter's own."""
    prim, ns = probe_file(probe_path)
    v = one(s, "ptilab_page_table_write_seconds", probe=prim)
    tap.check(f"{what}: ptilab_page_table_write_seconds{{probe={prim}}} {v} is the module's last run "
              f"({ns:.1f} ns, {os.path.basename(probe_path)})",
              v is not None and math.isclose(v, ns / 1e9, rel_tol=1e-9))


def csv_value(csv, benchmark, metric):
    r = ptilab("query", csv, "--benchmark", benchmark, "--metric", metric)
    v = r.stdout.split()
    return float(v[0]) if r.returncode == 0 and v else None


# The counters of the final file against trace --csv's totals: (sample,
# labels, results metric).
TOTALS = [
    ("ptilab_syscalls_total", {}, "syscalls"),
    ("ptilab_interrupts_total", {"kind": "device"}, "irqs"),
    ("ptilab_interrupts_total", {"kind": "timer"}, "timer_irqs"),
    ("ptilab_interrupts_total", {"kind": "ipi"}, "ipis"),
    ("ptilab_page_faults_total", {"mode": "user"}, "page_faults_user"),
    ("ptilab_page_faults_total", {"mode": "kernel"}, "page_faults_kernel"),
    ("ptilab_context_switches_total", {}, "context_switches"),
    ("ptilab_mm_switches_total", {}, "mm_switches"),
    ("ptilab_tlb_flushes_total", {"reason": "task_switch"}, "tlb_flush_task_switch"),
    ("ptilab_tlb_flushes_total", {"reason": "local_mm_shootdown"}, "tlb_flush_local_mm_shootdown"),
    ("ptilab_kernel_entries_total", {}, "kernel_entries_derived"),
    ("ptilab_page_table_writes_total", {}, "cr3_writes_derived"),
]


def check_totals(tap, s, csv, what):
    """The last file's counters are the trace's totals, exactly; a counter
    the CSV says was not countable is absent."""
    for name, labels, metric in TOTALS:
        want, got = csv_value(csv, "trace", metric), one(s, name, **labels)
        tap.check(f"{what}: {name}{labels or ''} {got} is trace --csv's {metric} {want}", got == want)
    secs, got = csv_value(csv, "trace", "seconds"), one(s, "ptilab_trace_seconds_total")
    tap.check(f"{what}: ptilab_trace_seconds_total {got} is trace --csv's seconds {secs}",
              got is not None and secs is not None and math.isclose(got, secs, rel_tol=1e-6))


def check_scrape(tap, scrape_text, file_samples, what):
    """node_exporter parsed the file (no scrape error) and serves exactly its samples."""
    s = samples(scrape_text)
    err = one(s, "node_textfile_scrape_error")
    tap.check(f"{what}: node_textfile_scrape_error is {err}", err == 0.0)
    served = {k: v for k, v in s.items() if k[0].startswith("ptilab_")}
    diff = set(served.items()) ^ set(file_samples.items())
    tap.check(f"{what}: node_exporter serves the file's {len(file_samples)} samples, values equal",
              len(file_samples) > 0 and not diff, sorted(diff)[:6])
    return s


def vm(out):
    """vm-test-fleet's guest files: tests/vm/guest/fleet says what each is."""
    tap = Tap("x86_64 fleet")
    path = lambda name: os.path.join(out, name)  # noqa: E731
    status = json.load(open(path("status.json")))
    profiles = json.loads(ptilab("profiles", "--json").stdout)
    tap.check("the guest read the module's state", status["source"] == "module", status["source"])
    # One-shot export with the module and the tracer.
    tap.check("ptilab export exited 0", open(path("export.rc")).read().strip() == "0", open(path("export.err")).read())
    s = check_file(tap, path("export.prom"), "export")
    check_state(tap, s, status, profiles, "export")
    check_probe(tap, s, path("probe-export.txt"), "export")
    tap.check("export: the tracer counted (ptilab_tracer_up 1)", one(s, "ptilab_tracer_up") == 1.0)
    v = one(s, "ptilab_syscalls_per_second")
    tap.check(f"export: {v} system calls per second over its interval, 1000 or more: the guest's byte-by-byte dd",
              v is not None and v >= 1000)
    tap.check("export: no counters from a one-shot export",
              not [k for k in s if k[0].endswith("_total")], [k[0] for k in s if k[0].endswith("_total")])
    est = one(s, "ptilab_isolation_cpu_ratio", model="probe")
    cost = one(s, "ptilab_isolation_entry_cost_seconds", model="probe")
    write = one(s, "ptilab_page_table_write_seconds", probe="cr3_flush")
    tap.check(f"export: the probe model prices an entry at 2 x cr3_flush ({cost} = 2 x {write}: no PCID under TCG)",
              cost is not None and write is not None and math.isclose(cost, 2 * write, rel_tol=1e-9))
    entries, mm, secs = (one(s, n) for n in ("ptilab_kernel_entries_per_second", "ptilab_mm_switches_per_second",
                                             "ptilab_trace_interval_seconds"))
    ncpu = int(status["state"]["nr_cpus"])
    want = entries * cost / ncpu if None not in (entries, cost) else None
    tap.check(f"export: ptilab_isolation_cpu_ratio {est} = kernel entries/s x entry cost / {ncpu} CPUs ({want})",
              est is not None and want is not None and math.isclose(est, want, rel_tol=1e-6))
    tap.comment(f"export: {entries:.0f} kernel entries/s, {mm:.0f} mm switches/s over {secs:.2f} s; "
                f"isolation estimated at {est:.4f} of the CPUs")

    # The long-running exporter, scraped by node_exporter in the guest.
    tap.check("node_exporter ran in the guest (its log)", os.path.exists(path("ne.log")))
    for phase, module in (("loaded", 1.0), ("unloaded", 0.0), ("reloaded", 1.0)):
        s = check_file(tap, path(f"{phase}.prom"), phase)
        check_scrape(tap, open(path(f"scrape-{phase}.txt")).read(), s, f"{phase}: scrape")
        tap.check(f"{phase}: ptilab_module_loaded is {module}", one(s, "ptilab_module_loaded") == module)
        costs = [k for k in s if k[0] == "ptilab_page_table_write_seconds"]
        tap.check(f"{phase}: page-table write costs {'present' if module else 'gone'} ({len(costs)})",
                  bool(costs) == bool(module))
        tap.check(f"{phase}: the tracer kept counting ({one(s, 'ptilab_syscalls_total')} system calls)",
                  (one(s, "ptilab_syscalls_total") or 0) > 0)
        if module:
            check_probe(tap, s, path(f"probe-{phase}.txt"), phase)
        else:
            tap.check("unloaded: no probe-model estimate without the module",
                      one(s, "ptilab_isolation_cpu_ratio", model="probe") is None)
        tap.check(f"{phase}: isolation is still on (1): a boot-time property",
                  one(s, "ptilab_isolation_enabled") == 1.0)
    a = samples(open(path("loaded.prom")).read())
    b = samples(open(path("reloaded.prom")).read())
    grew = [n for n in ("ptilab_syscalls_total", "ptilab_trace_seconds_total", "ptilab_exporter_cpu_seconds_total")
            if not (one(b, n) or 0) > (one(a, n) or 0)]
    tap.check("counters grew from the first scrape to the last", not grew, grew)
    tap.check("rmmod under the exporter succeeded", open(path("rmmod.rc")).read().strip() == "0")
    tap.check("ptilab trace exited 0 on SIGTERM", open(path("trace.rc")).read().strip() == "0",
              open(path("trace.err")).read())
    s = check_file(tap, path("final.prom"), "after SIGTERM")
    check_scrape(tap, open(path("scrape-final.txt")).read(), s, "after SIGTERM: scrape")
    check_totals(tap, s, path("trace.csv"), "after SIGTERM")
    left = [f for f in open(path("textfile-dir.txt")).read().split() if f not in (".", "..", "ptilab.prom")]
    tap.check(f"no temporary file left in the textfile directory ({left})", not left)
    cpu, secs = one(s, "ptilab_exporter_cpu_seconds_total"), one(s, "ptilab_trace_seconds_total")
    tap.comment(f"exporter: {cpu:.2f} CPU-s over {secs:.1f} s traced (TCG)")
    dmesg = open(path("dmesg.txt")).read()
    bad = re.findall(r".*(?:Oops|BUG:|WARNING:|RCU stall|soft lockup).*", dmesg)
    tap.check("no oops, BUG, WARNING or stall in dmesg", not bad, "\n".join(bad[:3]))
    return tap.done()


class Failures(Tap):
    """A Tap that keeps quiet and keeps what failed."""

    def __init__(self):
        super().__init__("")
        self.why = []

    def check(self, what, ok, why=None):
        if not ok:
            self.why.append(what + (f": {why}" if why else ""))
        return ok


def state(path, status_path):
    f = Failures()
    s = check_file(f, path, os.path.basename(path))
    check_state(f, s, json.load(open(status_path)), json.loads(ptilab("profiles", "--json").stdout),
                os.path.basename(path))
    for w in f.why:
        print(w)
    return 1 if f.why else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "vm":
        return vm(argv[2])
    if len(argv) == 4 and argv[1] == "state":
        return state(argv[2], argv[3])
    print(__doc__.split("USAGE: ")[1].split("\n\n")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
