"""scripts/report's implementation: read ptilab results CSVs, draw the plots
(matplotlib, Agg), write one self-contained HTML page.

profiles what the ptilab program says: the CSV schema and one profile per
         architecture (isolation, reasons in words, register, probe unit)
data     runs and configurations, read against that schema
compare  overhead % and its confidence interval through `ptilab compare`
plots    the figures, as inline SVG
page     the HTML sections
seed     seed 001's published numbers
browser  headless Chromium: screenshot, rendered DOM, console errors
"""


class ReportError(Exception):
    """A runtime failure: scripts/report prints one line and exits 1."""
