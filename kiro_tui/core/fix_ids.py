"""`kiro-tui fix-ids MILESTONE`: give tasks whose ids are invalid (FORMAT.md section 2) valid
ones.

The original commands make task ids as `task-<epoch>-<first 20 characters of the title>`, which
keeps `/`, `:` and the like (`task-1732000000-set-up-ci/cd:-stage-`). kiro-tui shows such a task
read only and never joins its id into a path. Fixing it:

1. `rename_invalid_ids(doc, taken)` edits the round-trip document: each invalid id becomes the
   slug of itself (`task-1732000000-set-up-ci-cd-stage`; from the title when there is no id),
   unique among the milestone's ids and the names in `taken`; `dependencies`/`depends_on` that
   name an old id are rewritten. Quoting and comments are kept.
2. `move_folders(root, renames)` moves `.milestones/deliverables/<old>/` to `<new>/` when the old
   name is one safe path component and the folder is a real folder inside the repository; any
   other old folder is left in place and said so (its deliverables are moved by hand).

`fix_milestone(root, path)` does both, the edit through `safewrite.edit_yaml`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiro_tui.core.ids import is_valid_id, slugify, task_id_from_title
from kiro_tui.core.root import MS


@dataclass
class FixReport:
    """What `fix_milestone` did."""

    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old id as text, new id)
    references: int = 0  # dependency entries rewritten
    moved: list[tuple[str, str]] = field(default_factory=list)  # deliverable folders, relative
    left: list[str] = field(default_factory=list)  # one line each: a folder not moved and why

    @property
    def changed(self) -> bool:
        return bool(self.renamed)

    def lines(self) -> list[str]:
        """One line per change, for the CLI."""
        out = [f"task {old!r} -> {new}" for old, new in self.renamed]
        if self.references:
            out.append(f"{self.references} dependency reference(s) rewritten")
        out += [f"moved {a} -> {b}" for a, b in self.moved]
        out += self.left
        return out or ["every task id is valid: nothing to do"]


def _like(old: Any, new: str) -> Any:
    """`new` in the scalar style (quotes) of `old`."""
    from ruamel.yaml.scalarstring import ScalarString

    return type(old)(new) if isinstance(old, ScalarString) else new


def new_id(old: Any, title: Any, taken: set[str]) -> str:
    """A valid id for a task whose id `old` is invalid: the slug of the old id, prefixed
    `task-` unless it already is, unique in `taken` (`-2`, `-3`, ...); from the title when the
    old id has nothing to keep."""
    text = "" if old is None else str(old)
    slug = slugify(text) if text.strip() else ""
    if slug == "untitled" or not slug:
        return task_id_from_title(str(title or "untitled"), taken)
    base = slug if slug.startswith("task-") else f"task-{slug}"
    candidate, n = base, 2
    while candidate in taken or not is_valid_id(candidate):
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def _rewrite_refs(seq: Any, renames: dict[str, str]) -> int:
    if isinstance(seq, str):
        return 0  # a single string is handled by the caller
    n = 0
    if isinstance(seq, list):
        for i, dep in enumerate(seq):
            if dep is not None and not isinstance(dep, dict | list) and str(dep) in renames:
                seq[i] = _like(dep, renames[str(dep)])
                n += 1
    return n


def rename_invalid_ids(
    doc: dict[str, Any], taken: set[str] | frozenset[str] = frozenset()
) -> tuple[list[tuple[str, str]], int]:
    """Rename every task of `doc` whose id is invalid; returns ((old, new) pairs, number of
    dependency entries rewritten). `taken` adds names the new ids must avoid (the folders in
    `.milestones/deliverables/`, shared by every milestone). Pure: edits `doc` only."""
    tasks = [t for t in doc.get("tasks") or [] if isinstance(t, dict)]
    used = {str(t.get("id")) for t in tasks if is_valid_id(t.get("id"))} | set(taken)
    renames: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for t in tasks:
        old = t.get("id")
        if is_valid_id(old):
            continue
        new = new_id(old, t.get("title"), used)
        used.add(new)
        if "id" in t:
            t["id"] = _like(old, new)
        elif hasattr(t, "insert"):  # a round-trip mapping: the id goes first, as usual
            t.insert(0, "id", new)
        else:
            t["id"] = new
        label = "" if old is None else str(old)
        if label and label not in renames:
            renames[label] = new
        pairs.append((label, new))
    refs = 0
    if renames:
        for t in tasks:
            for key in ("dependencies", "depends_on"):
                value = t.get(key)
                if isinstance(value, str) and value in renames:
                    t[key] = _like(value, renames[value])
                    refs += 1
                else:
                    refs += _rewrite_refs(value, renames)
    return pairs, refs


def safe_component(name: str) -> bool:
    """Whether `name` can only ever name one entry of the folder it is joined to."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0")


def move_folders(
    root: Path, pairs: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Move the deliverable folder of each renamed task; returns (moved, left) as in
    FixReport. A folder is moved only when its old name is a safe single component, it is a
    real folder (not a link) whose real path lies inside the repository, and the new name is
    free."""
    base = root / MS / "deliverables"
    moved: list[tuple[str, str]] = []
    left: list[str] = []
    real_root = os.path.realpath(root)
    real_base = os.path.realpath(base)
    base_inside = real_base.startswith(real_root.rstrip(os.sep) + os.sep)
    for old, new in pairs:
        rel_new = f"{MS}/deliverables/{new}"
        if not old:
            continue
        if not safe_component(old):
            # never moved; said only when it names something that is there, under deliverables/
            where = os.path.normpath(os.path.join(base, old))
            if where.startswith(str(base) + os.sep) and os.path.lexists(where):
                left.append(
                    f"left {MS}/deliverables/{old} in place: {old!r} is not a single "
                    f"folder name; move its deliverables to {rel_new}/ by hand"
                )
            continue
        src = base / old
        if not os.path.lexists(src):
            continue
        rel_old = f"{MS}/deliverables/{old}"
        if (
            not base_inside
            or os.path.islink(src)
            or not src.is_dir()
            or os.path.dirname(os.path.realpath(src)) != real_base
        ):
            left.append(f"left {rel_old} in place: it is not a folder inside the repository")
            continue
        dst = base / new
        if os.path.lexists(dst):
            left.append(f"left {rel_old} in place: {rel_new} already exists")
            continue
        try:
            os.rename(src, dst)
        except OSError as exc:
            left.append(f"left {rel_old} in place: {exc.strerror}")
            continue
        moved.append((rel_old, rel_new))
    return moved, left


def fix_milestone(root: Path, path: Path) -> FixReport:
    """Rename the invalid task ids of the milestone file at `path` (safely written), then move
    their deliverable folders. Raises the KiroError of `edit_yaml` when the file cannot be
    edited (nothing is written then)."""
    from kiro_tui.core.deliverables import task_folders
    from kiro_tui.core.safewrite import edit_yaml

    taken = task_folders(root)

    def edit(doc: dict[str, Any]) -> tuple[list[tuple[str, str]], int]:
        # folders named like the invalid ids are theirs: only the others are taken
        tasks = [t for t in doc.get("tasks") or [] if isinstance(t, dict)]
        mine = {str(t.get("id")) for t in tasks if not is_valid_id(t.get("id"))}
        return rename_invalid_ids(doc, taken - mine)

    (pairs, refs), _written = edit_yaml(path, edit)
    report = FixReport(renamed=pairs, references=refs)
    report.moved, report.left = move_folders(root, pairs)
    return report
