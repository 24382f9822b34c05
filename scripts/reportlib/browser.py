"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol
on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-terminated JSON),
so console messages arrive with their level, uncaught exceptions and failed
loads are reported, and the rendered DOM can be asked questions. The
command-line --screenshot/--dump-dom modes cannot tell console.error from
console.log, which is why this is not a one-liner."""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

from . import ReportError, write_atomic

# What the page is asked once it has loaded: the ids of its sections and
# the rendered size of every plot (a plot that failed to render is 0x0).
PROBE_JS = """JSON.stringify({
  sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
  plots: Array.from(document.querySelectorAll('svg.plot, img.plot')).map(p => {
    const r = p.getBoundingClientRect();
    return {name: p.dataset.plot, width: r.width, height: r.height,
            marks: p.querySelectorAll('path, rect, use, image').length};
  }),
  height: document.documentElement.scrollHeight,
  title: document.title
})"""


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise ReportError("chromium not found: apt-get install chromium (scripts/deps installs it)")


class Chromium:
    def __init__(self, timeout=45):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.profile = tempfile.TemporaryDirectory(prefix="ptilab-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():
            # The protocol pipe must be fds 3 (commands) and 4 (replies);
            # move both out of the way first, as either may be 3 or 4.
            # dup2's copies are the only descriptors without close-on-exec
            # (Python opens everything else with it), so they alone reach
            # chromium; pass_fds cannot name 3 and 4, which need not exist
            # in this process.
            r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
            w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        cmd = [find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
               "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
               "--user-data-dir=" + self.profile.name, "about:blank"]
        self.proc = subprocess.Popen(cmd, preexec_fn=fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def close(self):
        try:
            self.send("Browser.close")
        except (ReportError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self.profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_message(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise ReportError(f"chromium did not answer within {self.timeout} s")
            ready, _, _ = select.select([self.from_child], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise ReportError(f"chromium exited (status {self.proc.poll()}) before answering")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise ReportError(f"chromium: {method}: {m['error'].get('message')}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session):
        for i, m in enumerate(self.events):
            if m.get("method") == method and m.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            m = self._read_message()
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)


def problems(events):
    """Console errors, uncaught exceptions and error log entries (failed
    loads, blocked requests) among the protocol's events, one line each."""
    out = []
    for m in events:
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append(f"console.{p['type']}: {args}")
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            en = p["entry"]
            out.append(f"{en.get('source')} {en.get('level')}: {en.get('text')} {en.get('url', '')}".strip())
    return out


def render(path, screenshot=None, width=1280, max_height=None, timeout=45):
    """Loads the file in headless Chromium. Returns (probe, problems): what
    PROBE_JS found in the rendered page, and every console error, uncaught
    exception or error log entry. With screenshot, saves a PNG of the page
    (full length, or its top max_height CSS pixels)."""
    url = "file://" + os.path.abspath(path)
    with Chromium(timeout) as b:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            b.send(domain + ".enable", session=s)
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.send("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired", s)
        r = b.send("Runtime.evaluate", {"expression": PROBE_JS, "returnByValue": True}, session=s)
        probe = json.loads(r["result"]["value"])
        if screenshot:
            height = probe["height"] if not max_height else min(probe["height"], max_height)
            b.send("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=s)
            shot = b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session=s)
            data = base64.b64decode(shot["data"])
            write_atomic(screenshot, data)
        # Give late console messages a moment to arrive.
        b.send("Runtime.evaluate", {"expression": "1"}, session=s)
        return probe, problems(b.events)
