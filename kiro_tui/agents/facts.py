"""Gathering what the roles need to know from deliverable files, cheaply.

Per phase the coordinator needs: are the deliverables complete, when did they last change, and
(for approved phases) their digest; a phase waiting at its gate has facts too, so that a change
to its files gives a new snapshot (what a front end reviewing it shows). A file is read only
when its stat (mtime, size, inode, ctime) changed: the signature of a phase's files is checked
before its facts are taken from the cache (kept between runs beside the parse cache).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import stat
import time
from pathlib import Path
from typing import Any

from kiro_tui.core import deliverables as dl
from kiro_tui.core.errors import InvalidId
from kiro_tui.core.model import Deliverable, Milestone, Phase
from kiro_tui.core.snapshot import PhaseFacts
from kiro_tui.core.store import stat_key

Quick = list[tuple[str, str | None, int]]  # (label, path of a regular file or None, size)


def _signature(
    root: Path, task_id: str, phase: Phase
) -> tuple[tuple[tuple[Any, ...], ...], float | None, Quick | None]:
    """(label, mtime_ns, size, inode, ctime_ns) per deliverable file, (label, None) when
    missing, (label, "invalid") when unsafe; the newest mtime; and, when every deliverable is a
    regular file or missing in a phase folder known to lie inside the repository (one `lstat`
    each), what it found (so that a report needs no second look); None when one took the full
    check (a link, a folder, a path)."""
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
                    sig.append((d.label, *stat_key(st)))
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
                sig.append((d.label, f, *stat_key(fst)))
                newest = max(newest or 0.0, fst.st_mtime)
    else:
        sig.append((d.label, *stat_key(st)))
        newest = max(newest or 0.0, st.st_mtime)
    return newest


FACTS_VERSION = 1  # of the stored facts: bump when what a report or a digest says changes
SAVE_EVERY = 30.0  # s between two writes of the facts file, after the first


class FactCache:
    """PhaseFacts per (milestone, task, phase), recomputed only when the files changed.

    With a `file` (beside the parse cache), the facts are kept between runs: a start reads
    them back and takes each whose files have the same signature (every file's mtime, size,
    inode and ctime), so it reads no deliverable and hashes no approved one again."""

    def __init__(self, root: Path, file: Path | None = None) -> None:
        self.root = root
        self._cache: dict[tuple[str, str, str, str, bool], PhaseFacts] = {}
        # read from the file, taken into _cache when asked for (what is saved is only what
        # this run asked for: facts of phases and statuses gone are not kept for ever)
        self._stored: dict[tuple[str, str, str, str, bool], PhaseFacts] = {}
        self._file = file
        self._read = file is None
        self._dirty = False
        self._saved_at: float | None = None
        self.saves = 0  # for tests: how many times the file was written

    def _load(self) -> None:
        self._read = True
        assert self._file is not None
        try:
            with open(self._file, "rb") as fh:
                version, stored = pickle.load(fh)
            if version != FACTS_VERSION or not isinstance(stored, dict):
                return
            for key, (complete, missing, digest, newest, sig) in stored.items():
                self._stored[key] = PhaseFacts(complete, missing, digest, newest, sig)
        except Exception:  # none yet, or written by something else: computed again
            self._stored.clear()

    def save(self) -> None:
        """Write the facts when some changed: at once the first time (the next start is
        warm), then at most every SAVE_EVERY seconds."""
        if self._file is None or not self._dirty:
            return
        now = time.monotonic()
        if self._saved_at is not None and now - self._saved_at < SAVE_EVERY:
            return
        self._saved_at = now
        stored = {
            k: (f.complete, f.missing, f.digest, f.newest_mtime, f.signature)
            for k, f in self._cache.items()
        }
        tmp = self._file.with_name(f".{self._file.name}.{os.getpid()}.tmp")
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                pickle.dump((FACTS_VERSION, stored), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._file)
            self._dirty = False
            self.saves += 1
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def phase(self, mid: str, task_id: str, phase: Phase, want_digest: bool) -> PhaseFacts:
        if not self._read:
            self._load()
        sig, newest, quick = _signature(self.root, task_id, phase)
        key = (mid, task_id, phase.name, phase.status, want_digest)
        hit = self._cache.get(key) or self._stored.pop(key, None)
        if hit is not None and hit.signature == sig:
            self._cache[key] = hit
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
        self._dirty = True
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
