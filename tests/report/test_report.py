#!/usr/bin/python3
"""Tests of scripts/report (ctest label `report`):

HtmlTest     the page from the fixtures (fixtures/vm-tcg-6.1: a vm-bench run
             under TCG, x86_64 pti=on/off and the four arm64 configurations,
             with the module; fixtures/host-6.18: make bench on this build
             host without the module, with a traced part and perf counters;
             fixtures/vm-boots: a scripts/coverage run, x86_64 pti=on/off
             in two boots each)
             and a --baseline: every section, every plot an inline SVG with
             marks in it, no external reference, and every number checked
             against the fixture's rows or ptilab's own output (compare,
             table's reason sentences). Also: the fixtures are what
             tests/report/make-fixtures makes from their recordings, and
             a host and a benchmark name that are markup (a copy of a
             fixture's CSV) show as text: the templates' autoescape.
BrowserTest  the page in headless Chromium: every section in the rendered
             DOM, every plot laid out, no console error, a screenshot PNG
             beside the report that is not blank; a page whose CSV
             holds a <script> runs none.
CliTest      bad arguments exit 2 with usage; no usable ptilab, missing or
             garbled CSVs exit 1 with one clear line and write nothing.

Run: /usr/bin/python3 tests/report/test_report.py [HtmlTest|BrowserTest|CliTest]
Environment: PTILAB_BINARY (the ptilab program; default
build/userspace/ptilab), PTILAB_REPORT_TEST_OUT (where reports are kept for
inspection; default a temporary directory).
"""

import csv
import html
import html.parser
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
REPORT = os.path.join(TOP, "scripts", "report")
MAKE_FIXTURES = os.path.join(HERE, "make-fixtures")
FIXTURES = os.path.join(HERE, "fixtures")
VM = os.path.join(FIXTURES, "vm-tcg-6.1")
HOST = os.path.join(FIXTURES, "host-6.18")
BOOTS = os.path.join(FIXTURES, "vm-boots")
MACRO = os.path.join(FIXTURES, "vm-macro")
MAP = os.path.join(FIXTURES, "vm-map")
NUMA = os.path.join(FIXTURES, "vm-numa")
PTILAB = os.environ.get("PTILAB_BINARY", os.path.join(TOP, "build", "userspace", "ptilab"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(TOP, "scripts"))

from reportlib import browser, profiles  # noqa: E402
from reportlib.page import SECTIONS  # noqa: E402

SECTION_IDS = [s for s, _ in SECTIONS]
e = html.escape


# -- the fixtures' rows, and what ptilab says about them ---------------------

def fixture_rows(fixture):
    with open(os.path.join(fixture, "results.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def pick(rows, **where):
    """The rows whose columns have these values."""
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def one(rows, **where):
    found = pick(rows, **where)
    assert len(found) == 1, f"{len(found)} rows where {where}"
    return found[0]


def num(row, col="value"):
    return float(row[col])


def configs(rows, **where):
    """The distinct configurations (dicts of the run's columns) among rows."""
    out = []
    for r in pick(rows, **where):
        c = {k: r[k] for k in ("run_id", "host", "arch", "kernel", "cmdline", "accel", "pti", "pcid",
                               "e0pd", "kpti")}
        if c not in out:
            out.append(c)
    return out


_binary = []


def profile_of(arch):
    """The profile ptilab gives for arch."""
    if not _binary:
        _binary.append(profiles.load(PTILAB))
    return _binary[0].profile(arch)


def label(c, full=False):
    """The report's label of a configuration (isolation and TLB column of
    its profile), as README "Report" describes it."""
    p = profile_of(c["arch"])
    short = f"{p.isolation_column}={c[p.isolation_column]} {p.tlb_column}={c[p.tlb_column]}"
    if not full:
        return short
    d = re.match(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})", c["run_id"]).groups()
    return f"{c['host']} {c['kernel']} {c['accel']} {d[0]}-{d[1]}-{d[2]} {d[3]}:{d[4]} {short}"


def shown_time(ns):
    """A time as the page prints it: one decimal in ns, µs, ms or s."""
    for factor, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if abs(ns) >= factor:
            return f"{ns / factor:,.1f} {unit}"
    return f"{ns:,.1f} ns"


def ptilab(*args):
    p = subprocess.run([PTILAB, *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def compare(fixture, a_where, b_where):
    """ptilab compare's ns_per_op rows, by benchmark, of B against A in one fixture."""
    args = ["compare", "--format", "csv", "--metric", "ns_per_op"]
    args += [x for w in a_where for x in ("--a-where", w)] + [x for w in b_where for x in ("--b-where", w)]
    path = os.path.join(fixture, "results.csv")
    return {r["benchmark"]: r for r in csv.DictReader(io.StringIO(ptilab(*args, path, path)))}


def shown_delta(d):
    """An overhead cell as the page prints compare's row."""
    verdict = d["verdict"]
    cls = ("slower" if verdict.startswith(("slower", "higher")) else
           "faster" if verdict.startswith(("faster", "lower")) else "nsd")
    ci = (f"[{float(d['ci_low_pct']):+,.1f}, {float(d['ci_high_pct']):+,.1f}]" if d["ci_low_pct"] and d["ci_high_pct"]
          else "[interval unbounded]")
    return f'{float(d["delta_pct"]):+,.1f}% {ci}<br><span class="{cls}">{e(verdict)}</span>'


def table_reasons(fixture):
    """(sentence, token) of every configuration, as `ptilab table` (the
    C++ reason_sentence()) words them."""
    out = set()
    for line in ptilab("table", os.path.join(fixture, "results.csv")).splitlines():
        m = re.search(r"why: (.*?); CPU:", line) or re.search(r"why: (.*)$", line)
        if m:
            for reason in m.group(1).split(" | "):
                out.add(re.match(r"(.*) \(([^()]*)\)$", reason).groups())
    return out


def table_cells(section_html, first_cells):
    """The cells after first_cells of the table row that starts with them."""
    pattern = "<tr>" + "".join(f"<td>{re.escape(c)}</td>" for c in first_cells) + "(.*?)</tr>"
    m = re.search(pattern, section_html)
    assert m, f"no row {first_cells}"
    return re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))


# -- running the report -------------------------------------------------------

def out_dir(name):
    base = os.environ.get("PTILAB_REPORT_TEST_OUT")
    if not base:
        base = tempfile.mkdtemp(prefix="ptilab-report-test-")
    path = os.path.join(base, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def run_report(*args, binary=PTILAB):
    return subprocess.run(["/usr/bin/python3", REPORT, "--ptilab", binary, *args],
                          capture_output=True, text=True, timeout=120)


def reports_html(**runs):
    """The report of each name=[args], all at once (they are independent):
    {name: (the finished process, the page)}."""
    started = {}
    for name, args in runs.items():
        out = out_dir(name)
        started[name] = out, subprocess.Popen(["/usr/bin/python3", REPORT, "--ptilab", PTILAB, "--out", out, *args],
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = {}
    for name, (out, p) in started.items():
        stdout, stderr = p.communicate(timeout=240)
        assert p.returncode == 0, stderr
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            done[name] = subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr), f.read()
    return done


def without_state(fixture):
    """A run directory with the fixture's rows but its state rows."""
    d = out_dir("no-state")
    with open(os.path.join(fixture, "results.csv"), newline="", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    rows = [header] + [r for r in rows if r[header.index("benchmark")] != "state"]
    with open(os.path.join(d, "results.csv"), "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return d


# Markup where the CSVs have text: a host and a benchmark name. The script
# would log a console error were it run.
HOSTILE_HOST = '<script>console.error("host")</script> & co'
HOSTILE_BENCH = "BM_Syscall_Mix<b>&amp;</b>"


def with_markup(fixture, name):
    """A run directory with the fixture's rows, its host and its
    BM_Syscall_Mix renamed to the markup above."""
    d = out_dir(name)
    with open(os.path.join(fixture, "results.csv"), newline="", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    host, bench = header.index("host"), header.index("benchmark")
    for r in rows:
        r[host] = HOSTILE_HOST
        if r[bench] == "BM_Syscall_Mix":
            r[bench] = HOSTILE_BENCH
    with open(os.path.join(d, "results.csv"), "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header] + rows)
    return d


class ParsedPage(html.parser.HTMLParser):
    """A page as a parser reads it: its start tags and its text nodes (entities decoded)."""

    def __init__(self, page):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def section(page, sid):
    m = re.search(r'<section id="%s">(.*?)</section>' % re.escape(sid), page, re.S)
    assert m, f"section {sid} missing"
    return m.group(1)


def external_references(page):
    """Every reference that would make the page load something: src/href
    other than in-page anchors, CSS url()/@import, and http(s) URLs outside
    the SVG namespace declarations."""
    bad = []
    for m in re.finditer(r'\b(src|href|xlink:href)\s*=\s*"([^"]*)"', page):
        if not m.group(2).startswith("#") and not m.group(2).startswith("data:"):
            bad.append(m.group(0))
    bad += re.findall(r"url\((?!#)[^)]*\)|@import", page)
    no_ns = re.sub(r'xmlns(:\w+)?="[^"]*"', "", page)
    bad += re.findall(r"https?://[^\s\"'<]+", no_ns)
    return bad


class HtmlTest(unittest.TestCase):
    maxDiff = 2000
    longMessage = False

    def assertIn(self, member, container, msg=None):  # noqa: N802 - short messages on long pages
        if member not in container:
            self.fail(msg or f"{member!r} not found in the section ({len(container)} characters)")

    def assertNotIn(self, member, container, msg=None):  # noqa: N802
        if member in container:
            i = container.index(member)
            self.fail(msg or f"{member!r} found: ...{container[max(0, i - 200):i + 200]}...")

    @classmethod
    def setUpClass(cls):
        cls.vm, cls.host, cls.boots = fixture_rows(VM), fixture_rows(HOST), fixture_rows(BOOTS)
        pages = reports_html(multi=["--baseline", VM, HOST], vm=[VM], host=[HOST], no_state=[without_state(HOST)],
                             boots=[BOOTS], macro=[MACRO], markup=[with_markup(HOST, "markup-run")],
                             overhead_map=[MAP], numa=[NUMA])
        (cls.p, cls.html), (cls.p1, cls.html1), (cls.p2, cls.html2) = pages["multi"], pages["vm"], pages["host"]
        cls.no_state = pages["no_state"][1]
        cls.p3, cls.html3 = pages["boots"]
        cls.p4, cls.html4 = pages["macro"]
        cls.macro = fixture_rows(MACRO)
        cls.p5, cls.html5 = pages["markup"]
        cls.p6, cls.html6 = pages["overhead_map"]
        cls.p7, cls.html7 = pages["numa"]
        cls.numa = fixture_rows(NUMA)

    # -- the fixtures -------------------------------------------------------
    def test_fixtures_are_made_by_the_producer(self):
        out = out_dir("fixtures")
        p = subprocess.run([MAKE_FIXTURES, "--ptilab", PTILAB, "--out", out], capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(out)), sorted(os.listdir(FIXTURES)),
                         "the fixtures are not those tests/report/make-fixtures lists")
        for name in os.listdir(FIXTURES):
            with open(os.path.join(FIXTURES, name, "results.csv"), encoding="utf-8") as f:
                committed = f.read().splitlines()
            with open(os.path.join(out, name, "results.csv"), encoding="utf-8") as f:
                made = f.read().splitlines()
            diff = next((i for i, (a, b) in enumerate(zip(committed, made)) if a != b), None)
            if diff is None and len(committed) != len(made):
                diff = min(len(committed), len(made))
            self.assertIsNone(diff, f"fixtures/{name}/results.csv differs from what tests/report/make-fixtures "
                                    f"makes (line {(diff or 0) + 1}); run it and commit the result")

    def test_fixtures_hold_what_the_checks_need(self):
        self.assertEqual(len(configs(self.vm, arch="x86_64")), 2)
        self.assertEqual(len(configs(self.vm, arch="aarch64")), 4)
        self.assertEqual([c["accel"] for c in configs(self.vm)], ["tcg"] * 6)
        self.assertEqual(len(configs(self.host)), 1)
        self.assertTrue(pick(self.host, benchmark="state", metric="source=kernel"))
        self.assertTrue(pick(self.host, benchmark="*", unit="not_supported"))
        self.assertTrue([r for r in self.host if r["metric"].startswith("trace:")])
        # Two boots of each x86 configuration, each its own boot id.
        self.assertEqual(len(configs(self.boots)), 2)
        for c in configs(self.boots):
            boots = {r["boot"] for r in pick(self.boots, pti=c["pti"], benchmark="BM_Syscall_Null", metric="ns_per_op")}
            self.assertEqual(len(boots), 2, c)
            self.assertTrue(all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", b)
                                for b in boots), boots)
        self.assertFalse({r["boot"] for r in self.vm} - {""})  # recorded before the boot column

    # -- the page -----------------------------------------------------------
    def test_exit_status(self):
        for p in (self.p, self.p1, self.p2):
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, "")

    def test_every_section_in_order(self):
        for page in (self.html, self.html1, self.html2):
            self.assertEqual(re.findall(r'<section id="([^"]+)"', page), SECTION_IDS)

    def test_plots_are_inline_svg_with_marks(self):
        names = re.findall(r'<svg class="plot" data-plot="([^"]+)"', self.html)
        groups = {(r["host"], r["arch"], r["kernel"]) for r in self.vm + self.host}
        count = lambda prefix: len([n for n in names if re.fullmatch(prefix + r"-\d+", n)])  # noqa: E731
        self.assertEqual(count("bench"), len(groups))
        self.assertEqual(count("tlb"), len(groups))  # every group swept the TLB
        self.assertEqual(count("overhead"), 2)  # the VM's x86 and arm64 groups have an off configuration
        self.assertEqual(count("extra-cr3"), 2)  # the module's hooks: the VM only
        self.assertEqual(count("arm64"), 1)
        self.assertEqual(count("trace"), 2)  # tlb:tlb_flush exists on x86 only
        for name in ("probes", "seed", "baseline"):
            self.assertIn(name, names)
        for m in re.finditer(r'<svg class="plot" data-plot="([^"]+)"(.*?)</svg>', self.html, re.S):
            marks = len(re.findall(r"<(path|use|rect)\b", m.group(2)))
            self.assertGreater(marks, 10, f"plot {m.group(1)} has almost nothing drawn")
        self.assertNotIn("<img", self.html)

    def test_no_external_references(self):
        for page in (self.html, self.html1, self.html2):
            self.assertEqual(external_references(page), [])

    def test_state_says_why_as_ptilab_does(self):
        s = section(self.html, "state")
        reasons = table_reasons(VM) | table_reasons(HOST)
        tokens = {r["metric"].split("=", 1)[1] for r in self.vm + self.host
                  if r["benchmark"] == "state" and r["metric"].startswith(("pti_reason=", "kpti_reason="))}
        self.assertEqual({t for _, t in reasons}, tokens)
        for sentence, token in reasons:
            self.assertIn(f"{e(sentence)} <code>{e(token)}</code>", s)
        self.assertEqual(s.count("(inferred without the module)"),
                         len(configs(self.host + self.vm, benchmark="state", metric="source=kernel")))
        self.assertNotIn("no module state recorded", s)
        self.assertIn("emulated (TCG)", s)
        self.assertIn("hardware (bare metal)", s)

    def test_state_says_where_none_was_recorded(self):
        s = section(self.no_state, "state")
        self.assertIn("no module state recorded", s)
        self.assertNotIn("(inferred without the module)", s)
        model = next(r["metric"][len("model="):] for r in pick(self.host, benchmark="cpu")
                     if r["metric"].startswith("model="))
        self.assertIn(e(model), s)  # the cpu rows are still there

    def test_cpu(self):
        s = section(self.html, "state")
        for r in pick(self.vm + self.host, benchmark="cpu"):
            key, value = r["metric"].split("=", 1)
            if key == "model":
                self.assertIn(e(value), s)
            elif key == "qemu_cpu":
                self.assertIn(f"QEMU -cpu {e(value)}", s)
            else:
                self.assertIn(f"{key}={e(value)}", s)
        a = section(self.html, "arm64")
        for r in pick(self.vm, benchmark="cpu", arch="aarch64"):
            key, value = r["metric"].split("=", 1)
            self.assertIn(e(value), a)
        self.assertIn("midr=0x410fd083", a)  # the two cortex-a72 configurations

    def test_reason_sentence_is_ptilabs(self):
        binary = profiles.load(PTILAB)
        x86, arm = binary.profile("x86_64"), binary.profile("arm64")
        self.assertIs(binary.profile("amd64"), x86)
        self.assertIsNone(binary.profile("riscv64"))
        self.assertEqual(x86.reason_sentence("cmdline:nopti", "off"), "forced off by nopti on the kernel command line")
        self.assertEqual(x86.reason_sentence("cmdline:nopti", "unknown"), "set by nopti on the kernel command line")
        self.assertEqual(arm.reason_sentence("", "on"), arm.reasons["unknown"])
        self.assertEqual(arm.reason_sentence("bogus", "on"), "unrecognised reason 'bogus'")

    def test_benchmark_numbers(self):
        s = section(self.html1, "benchmarks")
        for c in configs(self.vm, benchmark="BM_Syscall_Null", metric="ns_per_op"):
            r = one(self.vm, benchmark="BM_Syscall_Null", metric="ns_per_op", arch=c["arch"], pti=c["pti"],
                    kpti=c["kpti"], e0pd=c["e0pd"])
            self.assertIn(f"{shown_time(num(r))} ±{100 * num(r, 'stddev') / num(r):.1f}% (n={r['repetitions']})", s)
        cv = one(self.host, benchmark="BM_Syscall_Mix", metric="ns_per_op_cv")
        self.assertIn(f"(n={cv['repetitions']}) cv {num(cv):.1f}%", section(self.html, "benchmarks"))

    def test_overhead_interval_from_ptilab_compare(self):
        s = section(self.html1, "benchmarks")
        d = compare(VM, ["pti=off"], ["pti=on"])
        for bench in ("BM_Syscall_Null", "BM_Syscall_Mix", "BM_Pipe_PingPong/cpus:1"):
            self.assertIn(shown_delta(d[bench]), s)
        self.assertIn("95% confidence interval", s)
        self.assertNotIn("Comparisons that failed", s)

    def test_boots_are_the_replicates(self):
        """With two boots a side the report's overheads are ptilab
        compare's across boots (no "(one boot)"); its cells are the mean of
        the boot means with both spreads; the overview counts the boots."""
        self.assertEqual(self.p3.returncode, 0, self.p3.stderr)
        s = section(self.html3, "benchmarks")
        d = compare(BOOTS, ["pti=off"], ["pti=on"])
        self.assertEqual(d["BM_Syscall_Null"]["basis"], "boots")
        self.assertEqual((d["BM_Syscall_Null"]["a_boots"], d["BM_Syscall_Null"]["b_boots"]), ("2", "2"))
        for bench, row in d.items():
            self.assertNotIn("(one boot)", row["verdict"])
            if "+extra_cr3=" not in bench:  # those have their own section
                self.assertIn(shown_delta(row), s)
        rows = pick(self.boots, benchmark="BM_Syscall_Null", metric="ns_per_op", pti="on")
        means = [num(r) for r in rows]
        mean, sd = statistics.mean(means), statistics.stdev(means)
        within = (sum((int(r["repetitions"]) - 1) * num(r, "stddev") ** 2 for r in rows) /
                  sum(int(r["repetitions"]) - 1 for r in rows)) ** 0.5
        self.assertIn(f"{shown_time(mean)} ±{100 * sd / mean:.1f}% (w ±{100 * within / mean:.1f}%) (2 boots)", s)
        self.assertIn("pti=on pcid=off (2 boots)", section(self.html3, "overview"))
        self.assertNotIn("one boot a side", s)

    def test_one_boot_says_so(self):
        s = section(self.html1, "benchmarks")
        d = compare(VM, ["pti=off"], ["pti=on"])
        self.assertEqual(d["BM_Syscall_Null"]["basis"], "repetitions")
        self.assertTrue(d["BM_Syscall_Null"]["verdict"].endswith("(one boot)"))
        self.assertIn(e(d["BM_Syscall_Null"]["verdict"]), s)
        self.assertIn("have one boot a side", s)
        self.assertIn("pti=on pcid=off (1 boot)", section(self.html1, "overview"))

    def test_tlb(self):
        s = section(self.html, "tlb")
        for rows in (self.vm, self.host):
            for c in configs(rows, metric="ns_per_op"):
                sweep = {int(r["benchmark"].split(":")[1]): num(r)
                         for r in pick(rows, metric="ns_per_op", arch=c["arch"], pti=c["pti"], kpti=c["kpti"],
                                       e0pd=c["e0pd"], kernel=c["kernel"])
                         if r["benchmark"].startswith("BM_TLB_Sweep/pages:")}
                lo, hi = min(sweep), max(sweep)
                self.assertEqual(table_cells(s, [e(label(c))])[:3],
                                 [f"{shown_time(sweep[lo])} at W={lo}", f"{shown_time(sweep[hi])} at W={hi}",
                                  f"{sweep[hi] / sweep[lo]:,.1f}×"])

    def test_extra_cr3_slope(self):
        s = section(self.html, "extra-cr3")
        for c in configs(self.vm):
            pts = [(int(r["benchmark"].rsplit("=", 1)[1]), num(r))
                   for r in pick(self.vm, metric="ns_per_op", arch=c["arch"], pti=c["pti"], kpti=c["kpti"],
                                 e0pd=c["e0pd"]) if "+extra_cr3=" in r["benchmark"]]
            self.assertEqual(len(pts), 4, c)
            slope = statistics.linear_regression([x for x, _ in pts], [y for _, y in pts]).slope
            self.assertIn(f"<b>{slope:+,.0f} ns</b>", table_cells(s, [e(label(c))])[4])
        self.assertIn("probe: one TTBR1 write + ISB, median", s)
        self.assertIn("probe: one CR3 write, median", s)
        self.assertIn("not in these runs", section(self.html2, "extra-cr3"))

    def test_probes(self):
        s = section(self.html1, "probes")
        on = dict(arch="x86_64", pti="on")
        for prim in ("cr3_flush", "flush_tlb_local"):
            med, mn, p99 = (num(one(self.vm, benchmark="probe:" + prim, metric=m, **on))
                            for m in ("cycles_median", "cycles_min", "cycles_p99"))
            self.assertIn(f"{med:,.0f} ({mn:,.0f} … {p99:,.0f})", s)
        self.assertTrue(pick(self.vm, benchmark="probe:invpcid_single", metric="supported", value="0", **on))
        self.assertIn("unsupported", s)  # INVPCID under TCG
        self.assertIn("timer ticks median (min … p99)", s)
        self.assertIn("cycles median (min … p99)", s)
        self.assertIn("not in these runs", section(self.html2, "probes"))

    def test_trace(self):
        s = section(self.html, "trace")
        c = configs(self.host)[0]
        after = s[s.index(" · ".join(e(c[k]) for k in ("host", "arch", "kernel"))):]
        head = re.findall(r"<th>(.*?)</th>", re.search(r"<thead><tr>(.*?)</tr></thead>", after).group(1))
        self.assertEqual(head[:2], ["benchmark", "configuration"])
        metrics = head[2:]
        cells = table_cells(s, ["<code>BM_Pipe_PingPong/cpus:1</code>", e(label(c))])
        for m, cell in zip(metrics, cells):
            r = one(self.host, benchmark="BM_Pipe_PingPong/cpus:1", metric=f"trace:{m}_per_op")
            self.assertEqual(cell, f"{num(r):,.2f}", m)
        self.assertIn("tlb_flush_task_switch", metrics)
        self.assertIn("mm_switches", metrics)

    def test_counters(self):
        s = section(self.html, "counters")
        r = one(self.host, benchmark="BM_Pipe_PingPong/cpus:1", metric="context-switches")
        self.assertIn(f"{num(r):,.2f} ±{100 * num(r, 'stddev') / num(r):.0f}%", s)
        unsupported = pick(self.host + self.vm, benchmark="*", unit="not_supported")
        self.assertTrue(unsupported)
        for r in unsupported:
            self.assertIn(f"<code>{e(r['metric'])}</code>", s[s.index("Not supported here"):])

    def test_arm64(self):
        s = section(self.html1, "arm64")
        for tlb in ("off", "on"):
            self.assertIn(f"kpti=on e0pd={tlb} vs kpti=off e0pd={tlb}", s)  # like with like: the same CPU
            d = compare(VM, ["arch=aarch64", "kpti=off", f"e0pd={tlb}"], ["arch=aarch64", "kpti=on", f"e0pd={tlb}"])
            self.assertIn(shown_delta(d["BM_Syscall_Null"]), s)
        self.assertIn("not in these runs", section(self.html2, "arm64"))

    def test_seed_table(self):
        s = section(self.html, "seed")
        for pct in ("-45.7%", "-68.0%", "-47.8%", "-17.8%"):  # seed 001's own numbers
            self.assertIn(pct, s)
        self.assertIn("seeds/001_15e59a0db3533f9f.txt", s)
        on, off = (num(one(self.vm, benchmark="BM_Syscall_Mix", metric="ns_per_op", arch="x86_64", pti=p))
                   for p in ("on", "off"))
        self.assertRegex(s, r"ours</td><td><code>BM_Syscall_Mix</code></td><td>vm [^<]*</td><td><span class=\"tag tcg\">")
        self.assertIn(f"<b>{100 * (off / on - 1):+.1f}%</b>", s)
        self.assertNotIn("aarch64", s)  # the seed measured x86 PTI
        self.assertIn("not in these runs", section(self.html2, "seed"))

    def test_macro_tier(self):
        """The macro tier of a vm-bench run: every workload of the Debian
        guest with ptilab's own numbers (table --macro-csv: off, on, change,
        interval), the score, seed 003's table beside the build; the
        workloads are not among the microbenchmarks."""
        self.assertEqual(self.p4.returncode, 0, self.p4.stderr)
        s = section(self.html4, "macro")
        records = list(csv.DictReader(io.StringIO(ptilab("table", "--macro-csv",
                                                         os.path.join(MACRO, "results.csv")))))
        workloads = {r["benchmark"] for r in records if r["benchmark"] != "score"}
        self.assertEqual(len(workloads), 9, workloads)  # build, 4 pgbench, 4 redis
        for r in records:
            if r["benchmark"] == "score":
                self.assertIn(f"<b>{1 + float(r['delta_pct']) / 100:.3f}×</b>", s)
                continue
            self.assertIn(f"<code>{e(r['benchmark'])}</code>", s)
            if r["metric"] == "ns_per_op":
                self.assertIn(e(shown_time(float(r["off_mean"]))), s)
                self.assertIn(f"{float(r['delta_pct']):+.1f}%", s)
        for pct in ("+38%", "+97%", "+15%"):  # seed 003's own numbers
            self.assertIn(pct, s)
        bench = section(self.html4, "benchmarks")
        self.assertNotIn("BM_Macro_BuildLua", bench)
        self.assertNotIn("BM_Macro_Redis", bench)
        self.assertIn("not in these runs", section(self.html1, "macro"))

    def test_overhead_map(self):
        """The overhead map of a vm-bench run: per pair the chart, every
        cell's loss and rate as ptilab table --map-csv computes them, the
        benchmarks checked against it as --predict-csv has them; the cells
        are not among the microbenchmarks."""
        self.assertEqual(self.p6.returncode, 0, self.p6.stderr)
        s = section(self.html6, "map")
        rows = os.path.join(MAP, "results.csv")
        cells = list(csv.DictReader(io.StringIO(ptilab("table", "--map-csv", rows))))
        measured = [r for r in cells if r["loss_pct"]]
        self.assertGreaterEqual(len(measured), 20, len(cells))
        self.assertIn('data-plot="map-0"', s)
        for r in measured:
            self.assertIn(f"{float(r['loss_pct']):+.1f}%", s)
        checks = list(csv.DictReader(io.StringIO(ptilab("table", "--predict-csv", rows))))
        self.assertTrue(checks)
        for r in checks:
            self.assertIn(f"<code>{e(r['benchmark'])}</code>", s)
            self.assertIn(f"{float(r['predicted_pct']):+.1f}%", s)
        self.assertNotIn("BM_Map/", section(self.html6, "benchmarks"))
        self.assertIn("not in these runs", section(self.html1, "map"))

    def test_kernel_text_locality(self):
        """Kernel text locality of two-node guests: where each
        configuration's module placed the kernel's text (its numa rows),
        and the per-node benchmarks with ptilab's own numbers (table
        --locality-csv: each node's time, each other node's over the
        text's, the interval); they are not among the microbenchmarks."""
        self.assertEqual(self.p7.returncode, 0, self.p7.stderr)
        s = section(self.html7, "locality")
        records = list(csv.DictReader(io.StringIO(ptilab("table", "--locality-csv", os.path.join(NUMA,
                                                                                                  "results.csv")))))
        self.assertGreaterEqual(len(records), 8, records)
        for r in records:
            self.assertIn(f"{float(r['mean_ns']):.1f} ns", s)
            if r["ratio"]:
                self.assertIn(f"{float(r['ratio']):.2f}× [{float(r['ci_low']):.2f}, {float(r['ci_high']):.2f}]", s)
            self.assertIn(f"kernel text on node {r['text_node']}", s)
            self.assertIn(e(r["note"]), s)
        for c in configs(self.numa):
            text = one(self.numa, benchmark="numa", metric="range.text.node", arch=c["arch"], pti=c["pti"],
                       kpti=c["kpti"])
            self.assertIn(f"text: node {text['value']} (100%)", s)
        self.assertIn("no difference is", s)
        self.assertNotIn("BM_Numa_", section(self.html7, "benchmarks"))
        self.assertIn("not in these runs", section(self.html1, "locality"))

    def test_grouping_and_baseline(self):
        s = section(self.html, "benchmarks")
        groups = sorted({(r["host"], r["arch"], r["kernel"]) for r in self.vm + self.host})
        self.assertEqual(re.findall(r"<h3>(.*?)</h3>", s), [" · ".join(e(x) for x in g) for g in groups])
        b = section(self.html, "baseline")
        self.assertIn(e(self.vm[0]["run_id"]), b)
        # The host's pti=off configuration against the baseline's pti=off one.
        base = one(configs(self.vm), pti="off")
        self.assertIn(f"{e(label(configs(self.host)[0], True))}<br>vs {e(label(base, True))}", b)
        self.assertIn("No <code>--baseline</code> given", section(self.html1, "baseline"))

    def test_text_from_the_csvs_is_escaped(self):
        """A host and a benchmark name that are markup reach the page as
        the text they are (the templates' autoescape), not as tags: no
        <script> element, in the page or its plots; the names whole in the
        text a parser reads; the benchmark's &amp; escaped once."""
        self.assertEqual(self.p5.returncode, 0, self.p5.stderr)
        self.assertEqual(self.p5.stderr, "")
        page = self.html5
        self.assertNotIn("<script", page.lower())
        self.assertNotIn("<b>&amp;</b>", page)
        parsed = ParsedPage(page)
        self.assertNotIn("script", parsed.tags)
        for sid in ("overview", "state", "benchmarks", "tlb", "trace", "counters"):
            text = ParsedPage(section(page, sid)).text
            self.assertTrue(any(HOSTILE_HOST in t for t in text), f"the host is not text in #{sid}")
        self.assertEqual([html.unescape(h) for h in re.findall(r"<h3>(.*?)</h3>", section(page, "benchmarks"))],
                         [" · ".join((HOSTILE_HOST, "x86_64", configs(self.host)[0]["kernel"]))])
        self.assertIn(HOSTILE_BENCH, ParsedPage(section(page, "benchmarks")).text)
        self.assertIn("<code>BM_Syscall_Mix&lt;b&gt;&amp;amp;&lt;/b&gt;</code>", section(page, "benchmarks"))
        self.assertIn("&lt;script&gt;", section(page, "overview"))
        # The plots are the only markup passed through: matplotlib escapes the labels in them.
        for m in re.finditer(r'<svg class="plot"(.*?)</svg>', page, re.S):
            self.assertNotIn("<script", m.group(1))

    def test_without_an_off_configuration(self):
        self.assertIn("A configuration with isolation on next to one with it off",
                      section(self.html2, "overview"))
        self.assertIn("No isolation-off configuration in the same run", section(self.html2, "benchmarks"))


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = out_dir("browser")
        p = run_report("--out", cls.out, "--baseline", VM, HOST)
        assert p.returncode == 0, p.stderr
        cls.index = os.path.join(cls.out, "index.html")
        cls.shot = os.path.join(cls.out, "screenshot.png")
        cls.probe, cls.problems = browser.render(cls.index, screenshot=cls.shot, width=1280)

    def test_the_error_check_can_fail(self):
        # The same check on a page that logs an error and loads a missing file.
        d = out_dir("control")
        page = os.path.join(d, "bad.html")
        with open(page, "w") as f:
            f.write('<!DOCTYPE html><body><script>console.error("boom")</script><img src="missing.png">')
        _, problems = browser.render(page)
        self.assertIn("console.error: boom", problems)
        self.assertTrue(any("missing.png" in p for p in problems), problems)

    def test_no_console_errors(self):
        self.assertEqual(self.problems, [])

    def test_every_section_rendered(self):
        self.assertEqual(self.probe["sections"], SECTION_IDS)

    def test_every_plot_laid_out(self):
        with open(self.index, encoding="utf-8") as f:
            n = len(re.findall(r'<svg class="plot"', f.read()))
        self.assertEqual(len(self.probe["plots"]), n)
        for p in self.probe["plots"]:
            self.assertGreater(p["width"], 300, p)
            self.assertGreater(p["height"], 100, p)
            self.assertGreater(p["marks"], 10, p)

    def test_markup_in_the_csvs_does_not_run(self):
        """The page of a run whose host is a <script> logs nothing: the
        browser reads the host as text."""
        out = out_dir("browser-markup")
        p = run_report("--out", out, with_markup(HOST, "browser-markup-run"))
        self.assertEqual(p.returncode, 0, p.stderr)
        probe, problems = browser.render(os.path.join(out, "index.html"))
        self.assertEqual(problems, [])
        self.assertEqual(probe["sections"], SECTION_IDS)

    def test_screenshot_not_blank(self):
        from PIL import Image
        self.assertGreater(os.path.getsize(self.shot), 50_000)
        im = Image.open(self.shot).convert("RGB")
        self.assertEqual(im.size[0], 1280)
        self.assertEqual(im.size[1], self.probe["height"])
        # Sample the page: many distinct colours and plenty of non-white.
        small = im.resize((320, max(1, im.size[1] // 4)))
        pixels = list(small.getdata())
        self.assertGreater(len(set(pixels)), 200)
        nonwhite = sum(1 for p in pixels if sum(p) < 720) / len(pixels)
        self.assertGreater(nonwhite, 0.05)


class CliTest(unittest.TestCase):
    def check(self, p, status, pattern):
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        self.assertRegex(p.stderr, pattern)

    def one_line(self, p):
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertNotIn("Traceback", p.stderr)

    def test_headline_is_compares_interval(self):
        """scripts/headline (what vm-bench --until-ci stops on) prints
        ptilab compare's ratio and interval, and --within decides by it."""
        headline = [os.path.join(TOP, "scripts", "headline"), "--ptilab", PTILAB]
        p = subprocess.run(headline + [BOOTS], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = {r["benchmark"]: r for r in csv.DictReader(io.StringIO(p.stdout))}
        d = compare(BOOTS, ["arch=x86_64", "pcid=off", "pti=off"], ["arch=x86_64", "pcid=off", "pti=on"])
        for bench in ("BM_Syscall_Null", "BM_Macro_ShellScript/concurrency:1"):
            r, c = rows[bench], d[bench]
            self.assertEqual((r["basis"], r["boots_off"], r["boots_on"]), ("boots", "2", "2"))
            self.assertAlmostEqual(float(r["ratio"]), 1 + float(c["delta_pct"]) / 100, places=3)
            self.assertAlmostEqual(float(r["low"]), 1 + float(c["ci_low_pct"]) / 100, places=3)
            self.assertAlmostEqual(float(r["high"]), 1 + float(c["ci_high_pct"]) / 100, places=3)
        widest = max(float(r["half_width_pct"]) for r in rows.values())
        self.assertEqual(subprocess.run(headline + ["--within", str(widest + 1), BOOTS], capture_output=True,
                                        timeout=60).returncode, 0)
        p = subprocess.run(headline + ["--within", str(widest / 2), BOOTS], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"headline: x86_64 pti on/off pcid=off BM_\S+: ±[0-9.]+% > ±")
        for bad in (["--within", "0", BOOTS], ["--within", "x", BOOTS], ["--benchmarks", "(", BOOTS], []):
            p = subprocess.run(headline + bad, capture_output=True, text=True, timeout=60)
            self.check(p, 2, r"^headline: .*\nUSAGE: scripts/headline")
        p = subprocess.run(headline + [out_dir("empty")], capture_output=True, text=True, timeout=60)
        self.check(p, 1, r"^headline: .*no results CSV")

    def test_coverage_needs_three_runs(self):
        cov = os.path.join(TOP, "scripts", "coverage")
        p = subprocess.run([cov, "--from", BOOTS, BOOTS], capture_output=True, text=True, timeout=60)
        self.check(p, 2, r"^coverage: --from needs at least 3 runs\nUSAGE:")
        p = subprocess.run([cov, "--runs", "2"], capture_output=True, text=True, timeout=60)
        self.check(p, 2, r"^coverage: --runs needs at least 3")

    def test_bad_arguments_exit_2_with_usage(self):
        for args in ([], ["--bogus", VM], ["--out"], ["--out", "/tmp/x", "--baseline"]):
            p = subprocess.run(["/usr/bin/python3", REPORT, *args], capture_output=True, text=True)
            self.check(p, 2, r"USAGE: scripts/report")
        p = run_report(VM, HOST)
        self.check(p, 2, r"several runs: say where the report goes with --out DIR")
        p = run_report("--out", out_dir("x"), "--baseline", VM, VM)
        self.check(p, 2, r"also a RUN_DIR")

    def test_writes_are_atomic_and_leave_nothing_on_failure(self):
        """A full disk (or an interrupt) while the page is written leaves the
        old page and no temporary file."""
        sys.path.insert(0, os.path.join(TOP, "scripts"))
        import errno
        from unittest import mock
        import reportlib
        d = out_dir("atomic")
        path = os.path.join(d, "index.html")
        reportlib.write_atomic(path, "old page")
        for failure in (OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()):
            with mock.patch("os.fsync", side_effect=failure):
                with self.assertRaises(type(failure)):
                    reportlib.write_atomic(path, "new page")
            self.assertEqual(sorted(os.listdir(d)), ["index.html"])
            with open(path) as f:
                self.assertEqual(f.read(), "old page")

    def test_help_exits_0(self):
        p = subprocess.run(["/usr/bin/python3", REPORT, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("USAGE: scripts/report", p.stdout)
        self.assertIn("REQUIREMENTS:", p.stdout)

    def test_no_usable_ptilab_exits_1(self):
        script = os.path.join(out_dir("not-ptilab"), "ptilab")
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho 'usage: something else' >&2\nexit 2\n")
        os.chmod(script, 0o755)
        cases = [("/nonexistent/ptilab", r"^report: no ptilab program at /nonexistent/ptilab: build it with make "
                                         r"userspace, or give --ptilab PATH\n$"),
                 (script, r"^report: .*/ptilab schema --json failed \(usage: something else\): an older ptilab\? "
                          r"build it with make userspace, or give --ptilab PATH\n$")]
        for binary, pattern in cases:
            with self.subTest(binary=binary):
                out = out_dir("no-ptilab")
                p = run_report("--out", out, VM, binary=binary)
                self.check(p, 1, pattern)
                self.assertFalse(os.path.exists(os.path.join(out, "index.html")), "wrote a report without ptilab")

    def garbled(self, text):
        d = out_dir("garbled")
        with open(os.path.join(d, "results.csv"), "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
        out = os.path.join(d, "report")
        p = run_report("--out", out, d)
        self.assertFalse(os.path.exists(os.path.join(out, "index.html")), "wrote a report from bad input")
        return p

    def test_missing_input_exits_1(self):
        p = run_report("--out", out_dir("m"), "/nonexistent/run")
        self.check(p, 1, r"^report: /nonexistent/run: no such run directory or CSV\n$")
        d = out_dir("empty-run")
        p = run_report(d)
        self.check(p, 1, r"^report: .*: no results.csv in this directory")

    def test_garbled_csv_exits_1_with_one_line(self):
        columns = json.loads(ptilab("schema", "--json"))["columns"]
        with open(os.path.join(HOST, "results.csv"), encoding="utf-8") as f:
            header, row = f.readline(), f.readlines()[-1]
        value = row.split(",")[-4]  # a cpu info row: value 1, no quotes before it
        n = len(columns)
        cases = [
            ("", r"empty file"),
            ("a,b,c\n1,2,3\n", r":1: not a ptilab results CSV header \(missing columns: run_id"),
            (",".join(reversed(columns)) + "\n" + row, r":1: not a ptilab results CSV header \(columns out of order\)"),
            (header, r"header only, no rows"),
            (header + row.rsplit(",", 3)[0] + "\n", rf"results.csv:2: {n - 3} fields, expected {n}"),
            (header + row.replace(f",{value},info,", ",fast,info,"), r"results.csv:2: column value is not a number: 'fast'"),
            (header + row.replace(",x86_64,", ",riscv64,"), r"results.csv:2: architecture 'riscv64' has no ptilab profile"),
            (header + row + '"unterminated,\n', r"not a readable CSV \(unexpected end of data\)"),
            (b"\xff\xfe garbage\n", r"not a text CSV \(invalid UTF-8\)"),
        ]
        for text, pattern in cases:
            with self.subTest(pattern=pattern):
                p = self.garbled(text)
                self.check(p, 1, pattern)
                self.one_line(p)

    def test_make_fixtures_usage(self):
        p = subprocess.run([MAKE_FIXTURES, "--bogus"], capture_output=True, text=True)
        self.check(p, 2, r"USAGE: tests/report/make-fixtures")
        p = subprocess.run([MAKE_FIXTURES, "--ptilab", PTILAB, "--out", out_dir("mf"), "nosuch"],
                           capture_output=True, text=True)
        self.check(p, 1, r"^make-fixtures: no fixture 'nosuch' \(the list: ")


if __name__ == "__main__":
    unittest.main()
