#!/usr/bin/python3
"""Tests of scripts/report (ctest label `report`):

HtmlTest     the page from a frozen vm-bench run (fixtures/tcg-6.1) plus the fixtures
             (a bare-metal x86 host on another kernel and date with trace,
             perf-counter and cv rows; an arm64 KVM run with E0PD and KPTI)
             and a --baseline: every section, every plot an inline SVG with
             marks in it, no external reference, the fixtures' numbers.
BrowserTest  the page in headless Chromium: every section in the rendered
             DOM, every plot laid out, no console error, a screenshot PNG
             beside the report that is not blank.
CliTest      bad arguments exit 2 with usage; missing or garbled CSVs exit 1
             with one clear line and write nothing.

Run: /usr/bin/python3 tests/report/test_report.py [HtmlTest|BrowserTest|CliTest]
Environment: PTILAB_BINARY (the ptilab program, for `compare`; default
build/userspace/ptilab), PTILAB_REPORT_TEST_OUT (where reports are kept for
inspection; default a temporary directory).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
REPORT = os.path.join(TOP, "scripts", "report")
FIXTURES = os.path.join(HERE, "fixtures")
# A vm-bench run (TCG, Debian 6.1, pti on/off) frozen as a fixture: the
# checks below know its numbers, and results/latest moves on.
LATEST = os.path.join(FIXTURES, "tcg-6.1")
PTILAB = os.environ.get("PTILAB_BINARY", os.path.join(TOP, "build", "userspace", "ptilab"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(TOP, "scripts"))

from reportlib import browser  # noqa: E402
from reportlib.page import SECTIONS  # noqa: E402

SECTION_IDS = [s for s, _ in SECTIONS]


def out_dir(name):
    base = os.environ.get("PTILAB_REPORT_TEST_OUT")
    if not base:
        base = tempfile.mkdtemp(prefix="ptilab-report-test-")
    path = os.path.join(base, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def run_report(*args):
    return subprocess.run(["/usr/bin/python3", REPORT, "--ptilab", PTILAB, *args],
                          capture_output=True, text=True, timeout=120)


def has_compare():
    """Whether this ptilab has `compare` (the report then shows intervals)."""
    if not os.access(PTILAB, os.X_OK):
        return False
    p = subprocess.run([PTILAB, "compare", "--format", "csv", "--metric", "ns_per_op",
                        "--a-where", "kpti=off", "--b-where", "kpti=on",
                        os.path.join(FIXTURES, "arm64", "results.csv"),
                        os.path.join(FIXTURES, "arm64", "results.csv")], capture_output=True, text=True)
    return p.returncode == 0


def section(html, sid):
    m = re.search(r'<section id="%s">(.*?)</section>' % re.escape(sid), html, re.S)
    assert m, f"section {sid} missing"
    return m.group(1)


def external_references(html):
    """Every reference that would make the page load something: src/href
    other than in-page anchors, CSS url()/@import, and http(s) URLs outside
    the SVG namespace declarations."""
    bad = []
    for m in re.finditer(r'\b(src|href|xlink:href)\s*=\s*"([^"]*)"', html):
        if not m.group(2).startswith("#") and not m.group(2).startswith("data:"):
            bad.append(m.group(0))
    bad += re.findall(r"url\((?!#)[^)]*\)|@import", html)
    no_ns = re.sub(r'xmlns(:\w+)?="[^"]*"', "", html)
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
        cls.out = out_dir("multi")
        cls.p = run_report("--out", cls.out, "--baseline", LATEST,
                           os.path.join(FIXTURES, "hw-6.12"), os.path.join(FIXTURES, "arm64"))
        with open(os.path.join(cls.out, "index.html"), encoding="utf-8") as f:
            cls.html = f.read()
        cls.single = out_dir("latest")
        cls.p1 = run_report("--out", cls.single, LATEST)
        with open(os.path.join(cls.single, "index.html"), encoding="utf-8") as f:
            cls.html1 = f.read()

    def test_exit_status(self):
        self.assertEqual(self.p.returncode, 0, self.p.stderr)
        self.assertEqual(self.p1.returncode, 0, self.p1.stderr)

    def test_every_section_in_order(self):
        for html in (self.html, self.html1):
            self.assertEqual(re.findall(r'<section id="([^"]+)"', html), SECTION_IDS)

    def test_plots_are_inline_svg_with_marks(self):
        plots = re.findall(r'<svg class="plot" data-plot="([^"]+)".*?</svg>', self.html, re.S)
        names = set(plots)
        # One per group where data exists: 3 groups (arm1, hw1, vm).
        for expect in ("bench-0", "bench-1", "bench-2", "overhead-0", "overhead-1", "overhead-2", "tlb-0",
                       "tlb-1", "tlb-2", "extra-cr3-1", "extra-cr3-2", "probes", "trace-1", "arm64-0", "seed",
                       "baseline"):
            self.assertIn(expect, names)
        for m in re.finditer(r'<svg class="plot" data-plot="([^"]+)"(.*?)</svg>', self.html, re.S):
            marks = len(re.findall(r"<(path|use|rect)\b", m.group(2)))
            self.assertGreater(marks, 10, f"plot {m.group(1)} has almost nothing drawn")
        self.assertNotIn("<img", self.html)

    def test_no_external_references(self):
        self.assertEqual(external_references(self.html), [])
        self.assertEqual(external_references(self.html1), [])

    def test_state_says_why(self):
        s = section(self.html, "state")
        self.assertIn("cmdline:pti=on", s)
        self.assertIn("meltdown_bug", s)  # the hw1 fixture: on by default
        self.assertIn("cmdline:kpti=1", s)
        self.assertIn("E0PD hides the kernel", s)
        self.assertIn("emulated (TCG)", s)
        self.assertIn("hardware (bare metal)", s)

    def test_benchmark_numbers(self):
        s = section(self.html1, "benchmarks")
        # fixtures/tcg-6.1: BM_Syscall_Null 14049.9879 ns ±79.7... with pti=on.
        self.assertIn("14.0 µs ±24.8% (n=3)", s)
        self.assertIn("807.3 ns ±9.9% (n=3)", s)
        # The fixture's cv rows are shown.
        self.assertRegex(section(self.html, "benchmarks"), r"\(n=10\) cv \d+\.\d%")

    def test_overhead_interval_or_says_why_not(self):
        s = section(self.html1, "benchmarks")
        if has_compare():
            self.assertNotIn("ptilab compare not available", s)
            # +1640% [lo, hi] and a verdict from ptilab compare.
            self.assertRegex(s, r"\+1,640\.3% \[[-+][\d,.]+, [-+][\d,.]+\]<br><span class=\"slower\">slower")
        else:
            self.assertIn("ptilab compare not available", s)
            self.assertIn("+1,640.3%", s)

    def test_without_ptilab_compare_still_renders(self):
        out = out_dir("no-compare")
        p = subprocess.run(["/usr/bin/python3", REPORT, "--ptilab", "/nonexistent/ptilab", "--out", out, LATEST],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            html = f.read()
        self.assertIn("ptilab compare not available: /nonexistent/ptilab is not built", html)

    def test_tlb_and_extra_cr3(self):
        s = section(self.html, "tlb")
        self.assertIn("at W=8192", s)  # fixtures/tcg-6.1
        self.assertIn("at W=4096", s)  # fixtures
        e = section(self.html, "extra-cr3")
        # The hw1 fixture's points lie on lines of 160 (no PCID) and 38 ns
        # per write: the slope must come out as that.
        self.assertIn("<b>+160 ns</b>", e)
        self.assertIn("<b>+38 ns</b>", e)

    def test_probes(self):
        s = section(self.html, "probes")
        self.assertIn("unsupported", s)  # INVPCID under TCG
        self.assertIn("190 (171 … 304)", s)  # hw1 cr3_noflush

    def test_trace_and_counters(self):
        t = section(self.html, "trace")
        self.assertIn("tlb_flush_task_switch", t)
        self.assertIn("mm_switches", t)
        c = section(self.html, "counters")
        self.assertIn("page-faults", c)
        self.assertIn("120.00 ±2%", c)
        self.assertIn("dTLB-load-misses", c)  # benchmark "*", not_supported
        for sid in ("trace", "counters", "arm64"):
            self.assertIn("not in these runs", section(self.html1, sid))
            self.assertNotIn("not in these runs", section(self.html, sid))

    def test_arm64(self):
        s = section(self.html, "arm64")
        self.assertIn("neoverse-n2", s)
        self.assertIn("kpti=on e0pd=off vs kpti=off e0pd=on", s)
        self.assertIn("+60.0%", s)  # the fixture's KPTI null syscall: 152 vs 95 ns

    def test_seed_table(self):
        s = section(self.html, "seed")
        for pct in ("-45.7%", "-68.0%", "-47.8%", "-17.8%"):
            self.assertIn(pct, s)
        self.assertIn("seeds/001_15e59a0db3533f9f.txt", s)
        # Ours, each marked by what ran it.
        self.assertRegex(s, r"ours</td><td><code>BM_Syscall_Mix</code></td><td>vm [^<]*</td><td><span class=\"tag tcg\">")
        self.assertRegex(s, r"ours</td><td><code>BM_Syscall_Mix</code></td><td>hw1 [^<]*</td><td><span class=\"tag none\">")
        self.assertIn("-94.2%", s)  # 1 - 4885.66/83795.38

    def test_grouping_and_baseline(self):
        s = section(self.html, "benchmarks")
        self.assertEqual(len(re.findall(r"<h3>", s)), 3)
        for g in ("arm1 · aarch64", "hw1 · x86_64 · 6.12.48+deb13-amd64", "vm · x86_64 · 6.1.0-56-amd64"):
            self.assertIn(g, s)
        b = section(self.html, "baseline")
        self.assertIn("20261121T201005Z-vm", b)
        # hw1's pti=on configurations against the baseline's pti=on one.
        self.assertIn("hw1 6.12.48+deb13-amd64 none 2026-12-01 10:00 pti=on pcid=on<br>vs vm 6.1.0-56-amd64 "
                      "tcg 2026-11-21 20:10 pti=on pcid=off", b)
        self.assertIn("No <code>--baseline</code> given", section(self.html1, "baseline"))


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = out_dir("browser")
        p = run_report("--out", cls.out, "--baseline", LATEST,
                       os.path.join(FIXTURES, "hw-6.12"), os.path.join(FIXTURES, "arm64"))
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

    def test_bad_arguments_exit_2_with_usage(self):
        for args in ([], ["--bogus", LATEST], ["--out"], ["--out", "/tmp/x", "--baseline"]):
            p = subprocess.run(["/usr/bin/python3", REPORT, *args], capture_output=True, text=True)
            self.check(p, 2, r"USAGE: scripts/report")
        p = run_report(LATEST, os.path.join(FIXTURES, "arm64"))
        self.check(p, 2, r"several runs: say where the report goes with --out DIR")
        p = run_report("--out", out_dir("x"), "--baseline", LATEST, LATEST)
        self.check(p, 2, r"also a RUN_DIR")

    def test_help_exits_0(self):
        p = subprocess.run(["/usr/bin/python3", REPORT, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("USAGE: scripts/report", p.stdout)

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
        with open(os.path.join(LATEST, "results.csv"), encoding="utf-8") as f:
            header, row = f.readline(), f.readline()
        cases = [
            ("", r"empty file"),
            ("a,b,c\n1,2,3\n", r":1: not a ptilab results CSV header \(missing columns: run_id"),
            (header, r"header only, no rows"),
            (header + row.rsplit(",", 3)[0] + "\n", r"results.csv:2: 14 fields, expected 17"),
            (header + row.replace(",807.310105,", ",fast,"), r"results.csv:2: column value is not a number: 'fast'"),
            (header + '"unterminated,' + row, r"not a readable CSV|fields, expected 17"),
            (b"\xff\xfe garbage\n", r"not a text CSV \(invalid UTF-8\)"),
        ]
        for text, pattern in cases:
            with self.subTest(pattern=pattern):
                p = self.garbled(text)
                self.check(p, 1, pattern)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
