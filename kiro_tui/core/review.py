"""Reviewing a gate: what changed in a phase's deliverables since its last decision.

The decision is the phase's latest approval or rejection (`approved_at` / `rejected_at`, with
the digest kiro-tui stored then: `approved_digest` / `rejected_digest`, FORMAT.md section 6);
with neither, the phase's start. The earlier version of each deliverable comes from, in order:

1. git: the newest commit whose tree holds deliverables with exactly the stored digest
   (review_git.py: found by walking back from HEAD and hashing the trees the way
   `deliverables.digest` hashes the files);
2. the copy kept at decision time by `keep_copy` under `.milestones/reviews/<task>/<phase>/
   <digest>/` (git-ignored): exact too;
3. git again, approximately: the newest commit made at or before the decision time (the only
   way for a phase decided by another tool, which stores no digest);
4. nothing (every file shows as added).

Each `FileDiff` says which source it used and whether it is exact (digest verified).
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kiro_tui.core import clock
from kiro_tui.core import deliverables as dl
from kiro_tui.core.deliverable_view import is_binary
from kiro_tui.core.errors import InvalidId
from kiro_tui.core.ids import check_id, check_phase
from kiro_tui.core.lock import file_lock
from kiro_tui.core.model import Milestone, Phase, Task
from kiro_tui.core.review_git import decided_tree, tree_files
from kiro_tui.core.root import MS
from kiro_tui.core.safewrite import atomic_write
from kiro_tui.core.userstate import read_json

log = logging.getLogger("kiro_tui.review")

REVIEWS = "reviews"
MAX_COPY_BYTES = 4 << 20  # a larger file is not copied (listed as skipped in the manifest)
MAX_DIFF_BYTES = 1 << 20  # a larger side is not diffed
_DIGEST_RE = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class Decision:
    kind: str  # approved | rejected | started | none
    at: str | None
    digest: str | None
    by: str | None = None


@dataclass(frozen=True, slots=True)
class FileDiff:
    label: str  # the deliverable it belongs to
    path: str  # the file, relative to the workspace root (posix)
    status: str  # added | modified | deleted | unchanged | binary | too_large
    diff: str  # unified diff ("" when unchanged, binary or too large)
    base: str  # where the earlier version came from, in words
    exact: bool  # the earlier version is verified to be what was decided on


# ------------------------------------------------------------------------- paths and copies
def phase_paths(root: Path, task_id: str, phase: Phase) -> list[str]:
    """The phase's deliverables (files or folders) as posix paths relative to `root`; those
    that would leave the repository are left out."""
    out: list[str] = []
    for d in phase.deliverables:
        try:
            p = dl.resolve(root, task_id, phase.name, d)
        except InvalidId:
            continue
        out.append(Path(os.path.relpath(p, root)).as_posix())
    return out


def _hex(digest: str | None) -> str | None:
    m = _DIGEST_RE.match(digest or "")
    return m.group(1) if m else None


def copy_dir(root: Path, task_id: str, phase: str, digest: str) -> Path | None:
    """`.milestones/reviews/<task>/<phase>/<hex>/`, or None for a digest that is not sha256."""
    h = _hex(digest)
    if h is None:
        return None
    return root / MS / REVIEWS / check_id(task_id, "task id") / check_phase(phase) / h


def ensure_ignored(root: Path, entry: str = f"{REVIEWS}/") -> None:
    """Add `entry` to `.milestones/.gitignore` when it is not there (one line, atomic)."""
    path = root / MS / ".gitignore"
    with file_lock(path):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        lines = [ln.strip() for ln in text.splitlines()]
        if entry in lines or entry.rstrip("/") in lines or f"/{entry}" in lines:
            return
        if text and not text.endswith("\n"):
            text += "\n"
        atomic_write(path, text + entry + "\n")


def _files_under(base: Path) -> list[Path]:
    if base.is_file():
        return [base]
    if base.is_dir():
        return sorted((p for p in base.rglob("*") if p.is_file()), key=lambda p: p.parts)
    return []


def keep_copy(
    root: Path, task_id: str, phase: str, paths: Iterable[str | Path], digest: str
) -> Path | None:
    """Keep the deliverables (`paths` relative to `root`, files or folders, e.g. from
    `phase_paths`) as they are now, for a later diff: called by the service on approve and on
    reject with the digest it stores. Files over MAX_COPY_BYTES, links out of the repository
    and paths outside it are skipped. Idempotent; returns the copy's folder (None for a digest
    that is not sha256)."""
    dest = copy_dir(root, task_id, phase, digest)
    if dest is None:
        return None
    if (dest / "manifest.json").is_file():
        return dest
    ensure_ignored(root)
    real_root = os.path.realpath(root)
    kept: list[str] = []
    skipped: list[str] = []
    for rel in paths:
        relp = Path(rel)
        if relp.is_absolute() or ".." in relp.parts:
            skipped.append(str(rel))
            continue
        for f in _files_under(root / relp):
            frel = Path(os.path.relpath(f, root)).as_posix()
            real = os.path.realpath(f)
            if not real.startswith(real_root + os.sep) or f.stat().st_size > MAX_COPY_BYTES:
                skipped.append(frel)
                continue
            try:
                atomic_write(dest / "files" / frel, f.read_bytes())
            except OSError:
                skipped.append(frel)
                continue
            kept.append(frel)
    atomic_write(
        dest / "manifest.json",
        json.dumps(
            {
                "schema": 1,
                "task_id": task_id,
                "phase": phase,
                "digest": digest,
                "kept_at": clock.SYSTEM.now_str(),
                "files": kept,
                "skipped": skipped,
            },
            indent=1,
        )
        + "\n",
    )
    return dest


def phase_files(root: Path, task_id: str, phase: Phase) -> list[tuple[str, str]]:
    """(deliverable label, file path relative to `root`) of every file of the phase's
    deliverables, a folder's files in order; a missing deliverable is listed by its path."""
    out: list[tuple[str, str]] = []
    for d in phase.deliverables:
        try:
            here = dl.resolve(root, task_id, phase.name, d)
        except InvalidId:
            continue
        files = _files_under(here)
        for f in files or [here]:
            out.append((d.label, Path(os.path.relpath(f, root)).as_posix()))
    return out


def keep_decided(root: Path, milestone: Milestone | None, task_id: str, phase: str) -> Path | None:
    """After an approve or reject (the service calls it): keep the deliverables under the digest
    the decision stored, for a later `d`. Only when the files still have that digest (before and
    after copying: a copy that raced a writer would lie, so it is dropped); a failure is logged,
    never raised (the decision is already written). Returns the copy's folder or None."""
    try:
        t = milestone.task(task_id) if milestone is not None else None
        ph = t.phase(phase) if t is not None else None
        if milestone is None or t is None or ph is None:
            return None
        dec = decision(root, milestone, t, ph)
        if dec.kind not in ("approved", "rejected") or not dec.digest:
            return None
        if dl.digest(root, task_id, ph) != dec.digest:
            return None  # changed since the decision: the copy would not be what was decided
        dest = keep_copy(root, task_id, ph.name, phase_paths(root, task_id, ph), dec.digest)
        if dest is not None and dl.digest(root, task_id, ph) != dec.digest:
            shutil.rmtree(dest, ignore_errors=True)
            return None
        return dest
    except Exception as exc:  # a decision never fails for want of a review copy
        log.warning("review copy of %s/%s not kept: %s", task_id, phase, exc)
        return None


# ------------------------------------------------------------------------- the decision
def _raw_phase(root: Path, m: Milestone, task_id: str, phase: str) -> dict[str, Any]:
    """The phase's mapping as the milestone file has it (for keys the model does not keep)."""
    from kiro_tui.core.yaml.roundtrip import load_fast

    path = root / MS / m.path
    try:
        data = load_fast(path.read_text(encoding="utf-8"), path)
        for t in data.get("tasks") or ():
            if isinstance(t, dict) and str(t.get("id")) == task_id:
                raw = t["kiro_workflow"]["phases"][phase]
                return raw if isinstance(raw, dict) else {}
    except Exception:
        pass
    return {}


def decision(root: Path, milestone: Milestone, task: Task, phase: Phase) -> Decision:
    """The phase's latest approval or rejection, else its start."""
    a, r = clock.parse_ts(phase.approved_at), clock.parse_ts(phase.rejected_at)
    if r is not None and (a is None or r > a):
        raw = _raw_phase(root, milestone, task.id, phase.name)
        dg = raw.get("rejected_digest")
        return Decision("rejected", phase.rejected_at, str(dg) if dg else None, phase.rejected_by)
    if a is not None:
        return Decision("approved", phase.approved_at, phase.approved_digest, phase.approved_by)
    if clock.parse_ts(phase.started_at) is not None:
        return Decision("started", phase.started_at, None)
    return Decision("none", None, None)


# ------------------------------------------------------------------------- diffing
def _unified(old: bytes | None, new: bytes | None, path: str, base: str) -> tuple[str, str]:
    """(status, diff text)."""
    if old == new:
        return "unchanged", ""
    status = "added" if old is None else "deleted" if new is None else "modified"
    if any(x is not None and len(x) > MAX_DIFF_BYTES for x in (old, new)):
        return "too_large", ""
    if any(x is not None and is_binary(x) for x in (old, new)):
        return "binary", ""
    a = (old or b"").decode("utf-8").splitlines()
    b = (new or b"").decode("utf-8").splitlines()
    text = "\n".join(
        difflib.unified_diff(
            a,
            b,
            fromfile=f"a/{path}" if old is not None else "/dev/null",
            tofile=f"b/{path}" if new is not None else "/dev/null",
            fromfiledate=base,
            lineterm="",
        )
    )
    if not text:
        text = f"--- a/{path}\n+++ b/{path}\n(only the line ending at the end of the file changed)"
    return status, text


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def diff_since_decision(
    root: Path, milestone: Milestone, task: Task, phase: Phase
) -> list[FileDiff]:
    """One FileDiff per file of each deliverable (unchanged ones included, so the view can
    say so), comparing the version of the last decision with the working folder."""
    dec = decision(root, milestone, task, phase)
    git = decided_tree(root, task.id, phase, dec.kind, dec.at, dec.digest) if dec.at else None
    cdir = copy_dir(root, task.id, phase.name, dec.digest) if dec.digest else None
    manifest = read_json(cdir / "manifest.json") if cdir else None
    use_copy = manifest is not None and (git is None or not git.exact)
    out: list[FileDiff] = []
    for d in phase.deliverables:
        try:
            here = dl.resolve(root, task.id, phase.name, d)
        except InvalidId:
            continue
        rel = Path(os.path.relpath(here, root)).as_posix()
        old: dict[str, bytes] = {}
        if use_copy and cdir is not None:
            base_desc, exact = f"copy kept at {dec.kind} ({dec.at})", True
            for f in _files_under(cdir / "files" / rel):
                data = _read(f)
                if data is not None:
                    old[Path(os.path.relpath(f, cdir / "files")).as_posix()] = data
        elif git is not None:
            base_desc, exact = git.description, git.exact
            for sub, data in tree_files(git.repo, git.tree, git.prefix + rel):
                old[f"{rel}/{sub}" if sub else rel] = data
        else:
            base_desc, exact = "no earlier version found", False
        new: dict[str, bytes] = {}
        for f in _files_under(here):
            data = _read(f)
            if data is not None:
                new[Path(os.path.relpath(f, root)).as_posix()] = data
        for path in sorted(set(old) | set(new), key=lambda p: PurePosixPath(p).parts):
            status, text = _unified(old.get(path), new.get(path), path, base_desc)
            out.append(FileDiff(d.label, path, status, text, base_desc, exact))
        if not old and not new:
            out.append(FileDiff(d.label, rel, "missing", "", base_desc, exact))
    return out
