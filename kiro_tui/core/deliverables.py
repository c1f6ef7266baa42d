"""Where a phase's deliverables live, whether they are present, and their digest (FORMAT.md 5)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from kiro_tui.core.errors import InvalidId
from kiro_tui.core.ids import check_id, check_phase
from kiro_tui.core.model import Deliverable, Phase

TEMPLATE_MARKER = "<!-- kiro-tui:template -->"
_MARKER_B = TEMPLATE_MARKER.encode()
_SCAN_LIMIT = 1 << 20


def phase_dir(root: Path, task_id: str, phase: str) -> Path:
    return root / ".milestones" / "deliverables" / check_id(task_id, "task id") / check_phase(phase)


def resolve(root: Path, task_id: str, phase: str, d: Deliverable) -> Path:
    """The deliverable's path, refused (InvalidId) when it would leave the repository."""
    if d.path is not None:
        rel = d.path
        if os.path.isabs(rel) or rel.startswith("~"):
            raise InvalidId(f"deliverable path {rel!r} is absolute: it must be relative to the "
                            "repository")
        candidate = root / rel
    else:
        name = d.name
        if not name or "/" in name or "\\" in name or name in (".", "..") or ".." in name.split("/"):
            raise InvalidId(f"deliverable name {name!r} is not a plain file name")
        candidate = phase_dir(root, task_id, phase) / name
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise InvalidId(f"deliverable {d.label!r} resolves outside the repository")
    return candidate


def _file_state(path: Path) -> str:
    """'present', 'template', 'empty' for an existing regular file."""
    try:
        size = path.stat().st_size
    except OSError:
        return "missing"
    if size == 0:
        return "empty"
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SCAN_LIMIT)
    except OSError:
        return "missing"
    return "template" if _MARKER_B in head else "present"


def state(root: Path, task_id: str, phase: str, d: Deliverable) -> str:
    """One of: present, missing, template, empty, invalid."""
    try:
        path = resolve(root, task_id, phase, d)
    except InvalidId:
        return "invalid"
    if path.is_dir():
        found = "empty"
        for dirpath, _dirs, files in os.walk(path):
            for f in files:
                s = _file_state(Path(dirpath) / f)
                if s == "present":
                    return "present"
                if s == "template":
                    found = "template"
        return found
    return _file_state(path)


@dataclass(frozen=True, slots=True)
class DeliverableReport:
    present: tuple[str, ...]
    missing: tuple[str, ...]  # includes templates, empty and invalid ones
    template: tuple[str, ...]
    invalid: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def report(root: Path, task_id: str, phase: Phase) -> DeliverableReport:
    present: list[str] = []
    missing: list[str] = []
    template: list[str] = []
    invalid: list[str] = []
    base_exists: bool | None = None
    for d in phase.deliverables:
        if d.path is None:
            if base_exists is None:
                try:
                    base_exists = phase_dir(root, task_id, phase.name).is_dir()
                except InvalidId:
                    base_exists = False
            if not base_exists:
                try:
                    resolve(root, task_id, phase.name, d)
                except InvalidId:
                    invalid.append(d.label)
                missing.append(d.label)
                continue
        s = state(root, task_id, phase.name, d)
        if s == "present":
            present.append(d.label)
        else:
            missing.append(d.label)
            if s == "template":
                template.append(d.label)
            elif s == "invalid":
                invalid.append(d.label)
    return DeliverableReport(tuple(present), tuple(missing), tuple(template), tuple(invalid))


def digest(root: Path, task_id: str, phase: Phase) -> str:
    """sha256 over the deliverables' names and contents, in a stable order."""
    h = hashlib.sha256()
    for d in sorted(phase.deliverables, key=lambda x: x.label):
        h.update(d.label.encode() + b"\0")
        try:
            path = resolve(root, task_id, phase.name, d)
        except InvalidId:
            continue
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) \
            if path.is_dir() else []
        for f in files:
            h.update(str(f.relative_to(path) if f != path else "").encode() + b"\0")
            try:
                with open(f, "rb") as fh:
                    for chunk in iter(lambda fh=fh: fh.read(1 << 16), b""):
                        h.update(chunk)
            except OSError:
                pass
            h.update(b"\0")
    return "sha256:" + h.hexdigest()


def latest_mtime(root: Path, task_id: str, phase: Phase) -> float | None:
    """Newest modification time among the phase's deliverables (for 'changed since rejection')."""
    best: float | None = None
    for d in phase.deliverables:
        try:
            path = resolve(root, task_id, phase.name, d)
        except InvalidId:
            continue
        paths = [path]
        if path.is_dir():
            paths = [p for p in path.rglob("*") if p.is_file()]
        for p in paths:
            try:
                m = p.stat().st_mtime
            except OSError:
                continue
            best = m if best is None or m > best else best
    return best
