"""Gathering what the roles need to know from deliverable files, cheaply.

Per phase the coordinator needs: are the deliverables complete, when did they last change, and
(for approved phases) their digest; a phase waiting at its gate has facts too, so that a change
to its files gives a new snapshot (what a front end reviewing it shows). A file is read only when its (mtime, size) changed: the
stat signature of a phase's files is the cache key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from kiro_tui.core import deliverables as dl
from kiro_tui.core.errors import InvalidId
from kiro_tui.core.model import Deliverable, Milestone, Phase
from kiro_tui.core.snapshot import PhaseFacts

Quick = list[tuple[str, str | None, int]]  # (label, path of a regular file or None, size)


def _signature(
    root: Path, task_id: str, phase: Phase
) -> tuple[tuple[tuple[Any, ...], ...], float | None, Quick | None]:
    """(label, mtime_ns, size) per deliverable file, (label, None) when missing, (label,
    "invalid") when unsafe; the newest mtime; and, when every deliverable is a regular file or
    missing in a phase folder known to lie inside the repository (one `lstat` each), what it
    found (so that a report needs no second look); None when one took the full check (a
    link, a folder, a path)."""
    sig: list[tuple[Any, ...]] = []
    quick: Quick | None = []
    newest: float | None = None
    folder: str | None = None
    usable = looked = absent = False
    for d in phase.deliverables:
        if dl.plain_name(d):
            if not looked:
                looked = True
                folder, usable = dl.phase_folder(root, task_id, phase.name)
                # nothing at the folder's path: nothing under it either
                absent = folder is not None and not usable and not os.path.lexists(folder)
            if absent:
                sig.append((d.label, None))
                if quick is not None:
                    quick.append((d.label, None, 0))
                continue
            if usable and folder is not None:
                path = os.path.join(folder, d.name)
                try:
                    st = os.lstat(path)
                except OSError:
                    sig.append((d.label, None))
                    if quick is not None:
                        quick.append((d.label, None, 0))
                    continue
                if stat.S_ISREG(st.st_mode):
                    sig.append((d.label, st.st_mtime_ns, st.st_size))
                    newest = max(newest or 0.0, st.st_mtime)
                    if quick is not None:
                        quick.append((d.label, path, st.st_size))
                    continue
        quick = None
        newest = _checked(root, task_id, phase, d, sig, newest)
    return tuple(sig), newest, quick


def _checked(
    root: Path,
    task_id: str,
    phase: Phase,
    d: Deliverable,
    sig: list[tuple[Any, ...]],
    newest: float | None,
) -> float | None:
    """The signature entries of one deliverable by the full check (links followed and checked
    to stay inside, folders walked); returns the newest mtime so far."""
    try:
        path = dl.resolve(root, task_id, phase.name, d)
    except InvalidId:
        sig.append((d.label, "invalid"))
        return newest
    try:
        st = os.stat(path)
    except OSError:
        sig.append((d.label, None))
        return newest
    if os.path.isdir(path):
        for dirpath, _dirs, files in os.walk(path):
            for f in sorted(files):
                try:
                    fst = os.stat(os.path.join(dirpath, f))
                except OSError:
                    continue
                sig.append((d.label, f, fst.st_mtime_ns, fst.st_size))
                newest = max(newest or 0.0, fst.st_mtime)
    else:
        sig.append((d.label, st.st_mtime_ns, st.st_size))
        newest = max(newest or 0.0, st.st_mtime)
    return newest


class FactCache:
    """PhaseFacts per (milestone, task, phase), recomputed only when the files changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, str, str, str, bool], PhaseFacts] = {}

    def phase(self, mid: str, task_id: str, phase: Phase, want_digest: bool) -> PhaseFacts:
        sig, newest, quick = _signature(self.root, task_id, phase)
        key = (mid, task_id, phase.name, phase.status, want_digest)
        hit = self._cache.get(key)
        if hit is not None and hit.signature == sig:
            return hit
        if quick is not None:  # what dl.report finds, from the files the signature saw
            missing = tuple(
                label
                for label, path, size in quick
                if path is None or dl.file_state(path, size) != "present"
            )
        else:
            missing = dl.report(self.root, task_id, phase).missing
        facts = PhaseFacts(
            complete=not missing,
            missing=missing,
            digest=dl.digest(self.root, task_id, phase) if want_digest else None,
            newest_mtime=newest,
            signature=sig,
        )
        self._cache[key] = facts
        return facts

    def milestone(
        self, m: Milestone
    ) -> tuple[dict[tuple[str, str, str], PhaseFacts], dict[tuple[str, str], float]]:
        """Facts for the phases that matter now, and each task's newest activity time."""
        from kiro_tui.agents.actions import ts

        facts: dict[tuple[str, str, str], PhaseFacts] = {}
        activity: dict[tuple[str, str], float] = {}
        for t in m.tasks:
            newest = ts(t.updated_at) or 0.0
            active = t.active_phase
            for ph in t.phases:
                if ph is active and ph.status in ("in_progress", "blocked"):
                    f = self.phase(m.id, t.id, ph, False)
                elif ph.status == "approved" and ph.approved_digest:
                    f = self.phase(m.id, t.id, ph, True)
                elif ph.waiting:  # a gate under review: a change to its files is news to
                    # a front end showing them (the detail pane), never the phase's activity
                    facts[(m.id, t.id, ph.name)] = self.phase(m.id, t.id, ph, False)
                    continue
                else:
                    continue
                facts[(m.id, t.id, ph.name)] = f
                if ph is active and f.newest_mtime:
                    newest = max(newest, f.newest_mtime)
            activity[(m.id, t.id)] = newest
        return facts, activity
