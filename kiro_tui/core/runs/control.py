"""Requests to the driving process about one run, and what the dashboard shows of the runs.

A stop is a request, never a signal sent by whoever asks: `request_stop` writes
`runs/<run-id>/stop.request`; the process that drives the run (this one or a `kiro-tui run`
elsewhere) sees the file in its next cycle (`take_stop_requests`) and stops the run through
its RunManager, like every other stop. A retry is an unblock of the phase through the service:
the driver's task executor then starts a new run the usual way.

`RunsIndex` reads the run records once and again only when a `meta.json` changed (stat),
for the header's "2 agents · $0.42" in every dashboard, driving or observing.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kiro_tui.core.ids import is_valid_id
from kiro_tui.core.runs import records
from kiro_tui.core.runs.budget import spend
from kiro_tui.core.runs.records import RunRecord

STOP_FILE = "stop.request"
ACTIVE = ("running", "verifying")
Key = tuple[str, str, str]


# ---------------------------------------------------------------- stop requests


def request_stop(root: Path, run_id: str, by: str | None = None) -> Path:
    """Ask the driving process to stop `run_id` (it acts on it in its next cycle)."""
    path = records.run_dir(root, run_id) / STOP_FILE
    records.atomic_write_json(path, {"at": records.now_iso(), "by": by, "pid": os.getpid()})
    return path


def stop_requested(root: Path, run_id: str) -> bool:
    return (records.run_dir(root, run_id) / STOP_FILE).exists()


def take_stop_requests(root: Path, run_ids: Iterable[str]) -> list[str]:
    """The runs among `run_ids` someone asked to stop; their requests are removed (one stat
    per run: the driver calls it every cycle)."""
    out = []
    for rid in run_ids:
        path = records.run_dir(root, rid) / STOP_FILE
        try:
            os.unlink(path)
        except OSError:
            continue
        out.append(rid)
    return out


def driver_alive(rec: RunRecord) -> bool:
    """Whether the process that drives `rec` is alive on this host (pid and start time)."""
    return rec.host == records.hostname() and records.same_process(
        rec.driver_pid, rec.driver_start_time
    )


# ---------------------------------------------------------------- picking a run


def matches(rec: RunRecord, mid: str, tid: str | None, phase: str | None) -> bool:
    return (
        rec.milestone_id == mid
        and (tid is None or rec.task_id == tid)
        and (phase is None or rec.phase == phase)
    )


def pick(
    recs: Iterable[RunRecord], mid: str, tid: str | None, phase: str | None
) -> RunRecord | None:
    """The run to show for a milestone, task or phase: the newest one not over, else the
    newest one (records oldest first, as `records.list_runs` gives them)."""
    found = [r for r in recs if matches(r, mid, tid, phase)]
    live = [r for r in found if r.live]
    got = live or found
    return got[-1] if got else None


# ---------------------------------------------------------------- the header's totals


@dataclass(frozen=True, slots=True)
class RunTotals:
    """One milestone's runs: how many agents run now, and what all its runs spent."""

    running: int = 0
    usd: float | None = None  # None: no run reported a cost
    partial: bool = False  # some runs reported no cost
    runs: int = 0


def totals(recs: Iterable[RunRecord]) -> dict[str, RunTotals]:
    by_mid: dict[str, list[RunRecord]] = {}
    for r in recs:
        by_mid.setdefault(r.milestone_id, []).append(r)
    out = {}
    for mid, rs in by_mid.items():
        s = spend(rs, mid)
        running = sum(1 for r in rs if r.status in ACTIVE and driver_alive(r))
        out[mid] = RunTotals(running, s.usd, s.usd_partial, s.runs)
    return out


class RunsIndex:
    """Every run record, read again only when its `meta.json` changed (one stat per run; not
    thread-safe). `totals` is kept while no record changed: only the running counts of the
    live runs are checked again (their driver may have died)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._seen: dict[str, tuple[tuple[int, int, int], RunRecord | None]] = {}
        self._sorted: list[RunRecord] = []
        self._totals: dict[str, RunTotals] | None = None

    def records(self) -> list[RunRecord]:
        base = os.fspath(records.runs_dir(self.root))
        try:
            names = [n for n in os.listdir(base) if is_valid_id(n)]
        except OSError:
            names = []
        seen: dict[str, tuple[tuple[int, int, int], RunRecord | None]] = {}
        changed = len(names) != len(self._seen)
        for name in names:
            path = f"{base}/{name}/meta.json"
            try:
                st = os.stat(path)
            except OSError:
                changed = True
                continue
            sig = (st.st_mtime_ns, st.st_size, st.st_ino)
            old = self._seen.get(name)
            if old is not None and old[0] == sig:
                seen[name] = old
            else:
                seen[name] = (sig, _read(path))
                changed = True
        self._seen = seen
        if changed:
            self._sorted = sorted(
                (rec for _sig, rec in seen.values() if rec is not None),
                key=lambda r: (r.queued_at or r.started_at or "", r.run_id),
            )
            self._totals = None
        return list(self._sorted)

    def totals(self) -> Mapping[str, RunTotals]:
        recs = self.records()
        if self._totals is None:
            self._totals = totals(recs)
            return self._totals
        live: dict[str, int] = {}
        for r in recs:
            if r.status in ACTIVE:
                live[r.milestone_id] = live.get(r.milestone_id, 0) + int(driver_alive(r))
        for mid, t in self._totals.items():
            n = live.get(mid, 0)
            if n != t.running:
                self._totals[mid] = replace(t, running=n)
        return dict(self._totals)


def _read(path: str) -> RunRecord | None:
    with contextlib.suppress(OSError, ValueError, TypeError):
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        if isinstance(raw, dict):
            return RunRecord.from_json(raw)
    return None
