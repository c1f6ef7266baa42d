"""Where a phase's deliverables live, whether they are present, and their digest (FORMAT.md 5)."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from kiro_tui.core.errors import InvalidId
from kiro_tui.core.ids import check_id, check_phase, is_valid_id
from kiro_tui.core.model import Deliverable, Phase

TEMPLATE_MARKER = "<!-- kiro-tui:template -->"
_MARKER_B = TEMPLATE_MARKER.encode()
_SCAN_LIMIT = 1 << 20


def phase_dir(root: Path, task_id: str, phase: str) -> Path:
    return root / ".milestones" / "deliverables" / check_id(task_id, "task id") / check_phase(phase)


@functools.lru_cache(maxsize=1 << 16)
def _phase_dir_str(root: Path | str, task_id: str, phase: str) -> str:
    return os.path.join(
        root, ".milestones", "deliverables", check_id(task_id, "task id"), check_phase(phase)
    )


def task_folders(root: Path) -> frozenset[str]:
    """Names in `.milestones/deliverables/` (one directory read). Passed to `report` and
    `problems` when checking many tasks, it spares a `stat` per phase of tasks with no folder."""
    try:
        return frozenset(os.listdir(os.path.join(root, ".milestones", "deliverables")))
    except OSError:
        return frozenset()


@functools.lru_cache(maxsize=32)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def _inside(root: Path | str, real: str) -> bool:
    base = _real_root(os.fspath(root))
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


_SAFE_NAMES: set[str] = set()  # plain names that passed _check_label (a small set)


def _all_safe_names(ds: tuple[Deliverable, ...]) -> bool:
    return all(d.path is None and d.name in _SAFE_NAMES for d in ds)


def _check_label(d: Deliverable) -> None:
    """The checks that need no file system: raise InvalidId for a name or path that is unsafe
    whatever is on disk."""
    if d.path is None and d.name in _SAFE_NAMES:
        return
    if d.path is not None:
        rel = d.path
        if os.path.isabs(rel) or rel.startswith("~"):
            raise InvalidId(
                f"deliverable path {rel!r} is absolute: it must be relative to the repository"
            )
        if os.path.normpath(rel).split(os.sep)[0] == "..":
            raise InvalidId(f"deliverable {rel!r} resolves outside the repository")
    else:
        name = d.name
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise InvalidId(f"deliverable name {name!r} is not a plain file name")
        if len(_SAFE_NAMES) < 4096:
            _SAFE_NAMES.add(name)


def plain_name(d: Deliverable) -> bool:
    """Whether `d` is a plain file name in its phase folder (not a path, not unsafe)."""
    if d.path is not None:
        return False
    try:
        _check_label(d)
    except InvalidId:
        return False
    return True


def resolve(root: Path, task_id: str, phase: str, d: Deliverable) -> Path:
    """The deliverable's path, refused (InvalidId) when it would leave the repository.

    Lexical checks first (no absolute path, no `..` out); then, for a path that exists, the
    symlinks are followed and the real path must still be inside. A path that does not exist
    cannot lead anywhere, which keeps checking thousands of missing deliverables cheap.
    """
    _check_label(d)
    if d.path is not None:
        candidate = os.path.join(root, d.path)
    else:
        candidate = os.path.join(_phase_dir_str(root, task_id, phase), d.name)
    if os.path.lexists(candidate) and not _inside(root, os.path.realpath(candidate)):
        raise InvalidId(f"deliverable {d.label!r} resolves outside the repository")
    return Path(candidate)


# FORMAT.md section 5: a file whose non-empty lines are all headings, bracketed placeholders
# (`[Describe ...]`) or list items holding only a placeholder is a template: what the original
# commands' generators (`generate_design_templates` and friends) write. Their sample lines (the
# example mermaid graph, the example OpenAPI skeleton) are template text too.
_PLACEHOLDER = r"\[[A-Za-z][^\[\]]*\]"
_PLACEHOLDERS = rf"{_PLACEHOLDER}(?:[\s,;/|]*{_PLACEHOLDER})*[.:;]?"
_TEMPLATE_LINE = re.compile(
    r"#{1,6}(?:\s.*)?"  # a heading (a comment, in YAML)
    rf"|(?:>\s*)?{_PLACEHOLDERS}"  # a placeholder on its own
    r"|(?:[-*+]|\d{1,3}[.)])(?:\s+\[[ xX]\])?"  # a list item holding only a placeholder,
    rf"(?:\s+(?:[^\[\]:]{{1,60}}:\s*)?{_PLACEHOLDERS})?"  # maybe after a `Label:`
    r"|(?:```|~~~).*|<!--.*-->|[-*_=]{3,}"  # fences, comments, rules
    # the original's sample text
    r"|graph (?:TD|LR)|A\[Input\] --> B\[Process\]|B --> C\[Output\]"
    r"|openapi: 3\.0\.0|info:|title: .* API|version: 1\.0\.0|description: API specification "
    r"for .*|paths:|/endpoint:|get:|summary: Example endpoint|responses:|'200':"
    r"|description: Success"
)
_TEMPLATE_MAX = 1 << 16  # a bigger file is not an unedited template: not looked at


def template_text(text: str) -> bool | None:
    """True when `text` is template text (FORMAT.md section 5), None when it is blank. Stops at
    the first line that is real content, which is usually the first or second."""
    match = _TEMPLATE_LINE.fullmatch
    seen = False
    start, end = 0, len(text)
    while start < end:  # line by line without splitting the whole text first
        nl = text.find("\n", start)
        stop = end if nl < 0 else nl
        line = text[start:stop].strip()
        start = stop + 1
        if not line:
            continue
        if match(line) is None:
            return False
        seen = True
    return True if seen else None


def _head_state(head: bytes) -> str:
    """'template', 'empty' (blank) or 'present' for a file's first bytes."""
    if _MARKER_B in head:
        return "template"
    if len(head) > _TEMPLATE_MAX or b"\0" in head:
        return "present"
    cut = head.rfind(b"\n", 0, 4096) if len(head) > 4096 else -1
    if cut > 0 and template_text(head[:cut].decode("utf-8", "replace")) is False:
        return "present"  # real content in the first whole lines: the rest is not decoded
    is_template = template_text(head.decode("utf-8", "replace"))
    return "present" if is_template is False else "template" if is_template else "empty"


def file_state(path: Path | str, size: int | None = None) -> str:
    """'present', 'template', 'empty' for an existing regular file (`size` when known)."""
    if size is None:
        try:
            size = os.stat(path).st_size
        except OSError:
            return "missing"
    if size == 0:
        return "empty"
    try:
        with open(path, "rb", buffering=0) as fh:
            head = fh.read(_SCAN_LIMIT)
    except OSError:
        return "missing"
    return _head_state(head)


def _dir_state(root: Path, path: str) -> str:
    found = "empty"
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            p = os.path.join(dirpath, f)
            if os.path.islink(p) and not _inside(root, os.path.realpath(p)):
                continue  # a link out of the repository does not count
            s = file_state(p)
            if s == "present":
                return "present"
            if s == "template":
                found = "template"
    return found


def state(root: Path, task_id: str, phase: str, d: Deliverable) -> str:
    """One of: present, missing, template, empty, invalid."""
    try:
        path = resolve(root, task_id, phase, d)
    except InvalidId:
        return "invalid"
    if path.is_dir():
        return _dir_state(root, str(path))
    return file_state(path)


@dataclass(frozen=True, slots=True)
class DeliverableReport:
    present: tuple[str, ...]
    missing: tuple[str, ...]  # includes templates, empty and invalid ones
    template: tuple[str, ...]
    invalid: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


@functools.lru_cache(maxsize=32)
def _base_inside(root: str) -> bool:
    """Whether `.milestones/deliverables` itself lies inside the repository (once per root)."""
    return _inside(root, os.path.realpath(os.path.join(root, ".milestones", "deliverables")))


def phase_folder(root: Path, task_id: str, phase: str) -> tuple[str | None, bool]:
    """(the phase folder, whether it exists and lies inside the repository); the folder is
    None when the task id itself is invalid."""
    try:
        folder = _phase_dir_str(root, task_id, phase)
    except InvalidId:
        return None, False
    if not os.path.isdir(folder):
        return folder, False
    task_dir = os.path.dirname(folder)
    if (
        _base_inside(os.fspath(root))
        and not os.path.islink(task_dir)
        and not os.path.islink(folder)
    ):
        return folder, True  # no link on the way down from a folder known to be inside
    return folder, _inside(root, os.path.realpath(folder))


def report(
    root: Path, task_id: str, phase: Phase, folders: frozenset[str] | None = None
) -> DeliverableReport:
    """Which deliverables of a phase are present. Costs one `stat` when the phase folder does not
    exist (none when `folders`, from `task_folders`, says the task has no folder), and one
    `lstat` (plus a read of the head) per file when it does."""
    if (
        folders is not None
        and task_id not in folders
        and _all_safe_names(phase.deliverables)
        and is_valid_id(task_id)
    ):
        # the common case in a big workspace: nothing on disk yet for this task
        return DeliverableReport((), tuple([d.name for d in phase.deliverables]), (), ())
    present: list[str] = []
    missing: list[str] = []
    template: list[str] = []
    invalid: list[str] = []
    folder: str | None = None
    usable = False
    looked = False
    if folders is not None and task_id not in folders:
        looked = True  # no folder for this task: name-form deliverables are missing
        folder = "" if is_valid_id(task_id) else None
    for d in phase.deliverables:
        label = d.label
        if d.path is not None:
            s = state(root, task_id, phase.name, d)
        else:
            if not looked:
                folder, usable = phase_folder(root, task_id, phase.name)
                looked = True
            try:
                _check_label(d)
            except InvalidId:
                s = "invalid"
            else:
                if folder is None or (not usable and folder and os.path.lexists(folder)):
                    s = "invalid"  # a bad task id, or a folder that leads out
                elif not usable:
                    s = "missing"
                else:
                    s = _named_state(root, os.path.join(folder, d.name))
        if s == "present":
            present.append(label)
        else:
            missing.append(label)
            if s == "template":
                template.append(label)
            elif s == "invalid":
                invalid.append(label)
    return DeliverableReport(tuple(present), tuple(missing), tuple(template), tuple(invalid))


def _named_state(root: Path, path: str) -> str:
    """State of a name inside a phase folder known to be inside the repository."""
    try:
        st = os.lstat(path)
    except OSError:
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        if not _inside(root, os.path.realpath(path)):
            return "invalid"
        if os.path.isdir(path):
            return _dir_state(root, path)
        return file_state(path)
    if stat.S_ISDIR(st.st_mode):
        return _dir_state(root, path)
    return file_state(path, st.st_size)


def problems(
    root: Path, task_id: str, phase: Phase, folders: frozenset[str] | None = None
) -> list[tuple[str, str]]:
    """(label, message) for each deliverable that is unsafe: cheap enough to run on every phase
    of a big workspace (no file system access unless the phase folder exists)."""
    looked = folders is not None and task_id not in folders
    if looked and _all_safe_names(phase.deliverables):
        return []
    out: list[tuple[str, str]] = []
    folder: str | None = None
    usable = on_disk = False
    for d in phase.deliverables:
        try:
            _check_label(d)
            if d.path is not None:
                resolve(root, task_id, phase.name, d)
                continue
            if not looked:
                folder, usable = phase_folder(root, task_id, phase.name)
                on_disk = folder is not None and os.path.lexists(folder)
                looked = True
            if not on_disk or folder is None:
                continue  # nothing on disk: nothing can lead out
            path = os.path.join(folder, d.name)
            if not usable or (os.path.islink(path) and not _inside(root, os.path.realpath(path))):
                raise InvalidId(f"deliverable {d.label!r} resolves outside the repository")
        except InvalidId as exc:
            out.append((d.label, exc.message))
    return out


def digest(root: Path, task_id: str, phase: Phase) -> str:
    """sha256 over the deliverables' names and contents, in a stable order."""
    h = hashlib.sha256()
    for d in sorted(phase.deliverables, key=lambda x: x.label):
        h.update(d.label.encode() + b"\0")
        try:
            path = resolve(root, task_id, phase.name, d)
        except InvalidId:
            continue
        files = (
            [path]
            if path.is_file()
            else sorted(p for p in path.rglob("*") if p.is_file())
            if path.is_dir()
            else []
        )
        for f in files:
            h.update(str(f.relative_to(path) if f != path else "").encode() + b"\0")
            try:
                with open(f, "rb") as fh:
                    for chunk in iter(functools.partial(fh.read, 1 << 16), b""):
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
