"""What the ptilab program says about the results it writes: the results
CSV schema (`ptilab schema --json`) and one profile per architecture
(`ptilab profiles --json`): the isolation's name and column, the TLB
column, the reason key and its sentences, the page-table register, the
probes' unit. Every architecture-specific word on the page comes from
here, asked once per report; nothing else in reportlib knows an
architecture.
"""

import json
import os
import subprocess
from dataclasses import dataclass

from . import ReportError

HOW_TO_FIX = "build it with make userspace, or give --ptilab PATH"


@dataclass(frozen=True, eq=False)
class Profile:
    """One architecture, as `ptilab profiles --json` describes it."""
    name: str
    arch: str
    spellings: tuple
    isolation: str  # "PTI"
    isolation_column: str  # results column and state key: "pti"
    reason_key: str  # "pti_reason"
    tlb_column: str  # "pcid"
    tlb_name: str  # "PCID"
    pt_register: str  # "CR3"
    pt_write: str  # "CR3 write"
    probe_unit: str  # "cycles"
    write_probes: tuple  # probes of one page-table write, best first
    state_keys: tuple
    reasons: dict  # token -> sentence, "unknown" included
    cmdline_known: str  # "forced {state} by {option} on the kernel command line"
    cmdline_unknown: str
    turn_off: str

    def reason_sentence(self, token, state):
        """The sentence for a reason token, as ptilab's reason_sentence()
        makes it: empty or "unknown" is the unknown sentence, a fixed token
        its own, "cmdline:<option>" the command-line template with the
        isolation's state (on/off; "set by" otherwise)."""
        if not token or token == "unknown":
            return self.reasons["unknown"]
        if token in self.reasons:
            return self.reasons[token]
        if token.startswith("cmdline:"):
            template = self.cmdline_known if state in ("on", "off") else self.cmdline_unknown
            return template.replace("{option}", token[len("cmdline:"):]).replace("{state}", state)
        return f"unrecognised reason '{token}'"


@dataclass(frozen=True)
class Binary:
    """The ptilab program the report was given, and what it said."""
    path: str
    columns: tuple  # the results CSV header
    units: tuple
    workloads: tuple  # the macro tier's benchmark families ("BM_Macro_BuildLua")
    maps: tuple  # the overhead map's benchmark families ("BM_Map")
    profiles: tuple
    localities: tuple = ()  # the per-node benchmarks' families ("BM_Numa_SyscallNull")

    def profile(self, arch):
        """The profile whose spellings include arch, or None."""
        for p in self.profiles:
            if arch in p.spellings:
                return p
        return None

    def known_arches(self):
        return ", ".join(p.arch for p in self.profiles)


def _ask(path, *args):
    """ptilab ARGS --json, parsed; ReportError with one line on failure."""
    cmd = [path, *args, "--json"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ReportError(f"cannot run {path} ({e}): {HOW_TO_FIX}") from None
    if p.returncode != 0:
        why = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[0]
        raise ReportError(f"{path} {' '.join(cmd[1:])} failed ({why}): "
                          f"an older ptilab? {HOW_TO_FIX}")
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise ReportError(f"{path} {' '.join(cmd[1:])} printed no JSON: {HOW_TO_FIX}") from None


def _profile(j):
    return Profile(
        name=j["name"], arch=j["arch"], spellings=tuple(j["spellings"]), isolation=j["isolation"],
        isolation_column=j["isolation_column"], reason_key=j["reason_key"], tlb_column=j["tlb_column"],
        tlb_name=j["tlb_name"], pt_register=j["pt_register"], pt_write=j["pt_write"],
        probe_unit=j["probe_unit"], write_probes=tuple(j["write_probes"]), state_keys=tuple(j["state_keys"]),
        reasons=dict(j["reasons"]), cmdline_known=j["cmdline_reason"]["known"],
        cmdline_unknown=j["cmdline_reason"]["unknown"], turn_off=j["turn_off"])


def load(path):
    """Asks the ptilab program at path for its schema and profiles. Raises
    ReportError (one line: the path tried and how to fix it) when there is
    no usable program there."""
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise ReportError(f"no ptilab program at {path}: {HOW_TO_FIX}")
    schema, profiles = _ask(path, "schema"), _ask(path, "profiles")
    try:
        return Binary(path=path, columns=tuple(schema["columns"]), units=tuple(schema["units"]),
                      workloads=tuple(schema["workload_benchmarks"]), maps=tuple(schema["map_benchmarks"]),
                      profiles=tuple(_profile(j) for j in profiles["profiles"]),
                      localities=tuple(schema["locality_benchmarks"]))
    except (KeyError, TypeError) as e:
        raise ReportError(f"{path}: its schema or profiles JSON lacks {e}: {HOW_TO_FIX}") from None
