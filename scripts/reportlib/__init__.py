"""scripts/report's implementation: read ptilab results CSVs, draw the plots
(matplotlib, Agg), write one self-contained HTML page from Jinja2 templates
(templates/, autoescape on: every value is escaped where a template shows
it; only the plots' SVG is passed in as markup).

profiles what the ptilab program says: the CSV schema and one profile per
         architecture (isolation, reasons in words, register, probe unit)
data     runs and configurations, read against that schema
compare  overhead % and its confidence interval through `ptilab compare`
plots    the figures, as inline SVG
page     each section's data (plain strings, numbers, lists, dicts) and the
         page rendered from it: templates/page.html.j2 (skeleton, nav),
         templates/sections/<id>.html.j2 (one per section),
         templates/macros.html.j2 (tags, overhead cells, shared tables)
seed     seed 001's published numbers
browser  headless Chromium: screenshot, rendered DOM, console errors
"""


class ReportError(Exception):
    """A runtime failure: scripts/report prints one line and exits 1."""


def write_atomic(path, data):
    """Writes data (str or bytes) to path so that readers see the old file
    or the whole new one: a temporary file beside it, synced, renamed over
    it. On any failure (a full disk, an interrupt) the temporary file is
    removed and the old file stays."""
    import os
    import tempfile
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
