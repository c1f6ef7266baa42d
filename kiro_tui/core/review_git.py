"""Finding, in git, the version of a phase's deliverables that a decision was taken on.

The commit wanted is the newest one whose tree holds deliverables with exactly the digest stored
at the decision (`deliverables.digest`, computed here over the tree instead of the working
folder); with no digest stored, the newest commit made at or before the decision time. pygit2
only; one `Repository` per call (safe from any thread).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kiro_tui.core import clock
from kiro_tui.core import deliverables as dl
from kiro_tui.core.errors import InvalidId
from kiro_tui.core.model import Phase

MAX_SCAN = 1000  # commits walked back from HEAD


@dataclass(frozen=True)
class DecidedTree:
    repo: Any  # pygit2.Repository
    tree: Any  # pygit2.Tree
    prefix: str  # the workspace root inside the working folder ("" or "sub/dir/")
    description: str  # in words, for the diff header
    exact: bool  # the digest matched


def repo_of(root: Path) -> tuple[Any, str] | None:
    """(repository, prefix of `root` in its working folder), or None outside git."""
    import pygit2

    try:
        found = pygit2.discover_repository(str(root))
        if not found:
            return None
        repo = pygit2.Repository(found)
    except (pygit2.GitError, OSError):
        return None
    if repo.is_bare or not repo.workdir or repo.head_is_unborn:
        return None
    rel = os.path.relpath(os.path.realpath(root), os.path.realpath(repo.workdir))
    if rel == ".." or rel.startswith(".." + os.sep):
        return None
    return repo, "" if rel == "." else Path(rel).as_posix() + "/"


def tree_files(repo: Any, tree: Any, gitpath: str) -> list[tuple[str, bytes]]:
    """(path relative to `gitpath`, content) of the blobs at `gitpath` in `tree`."""
    import pygit2

    try:
        obj = repo[tree[gitpath].id]
    except KeyError:
        return []
    if isinstance(obj, pygit2.Blob):
        return [("", obj.data)]
    out: list[tuple[str, bytes]] = []

    def walk(t: Any, prefix: str) -> None:
        for e in t:
            o = repo[e.id]
            name = f"{prefix}{e.name}"
            if isinstance(o, pygit2.Tree):
                walk(o, name + "/")
            elif isinstance(o, pygit2.Blob):
                out.append((name, o.data))

    if isinstance(obj, pygit2.Tree):
        walk(obj, "")
    return sorted(out, key=lambda x: PurePosixPath(x[0]).parts)


def _tree_digest(repo: Any, tree: Any, labelled: list[tuple[str, str | None]]) -> str:
    """`deliverables.digest` computed over `tree` instead of the working folder."""
    h = hashlib.sha256()
    for label, gitpath in labelled:
        h.update(label.encode() + b"\0")
        if gitpath is None:
            continue
        for rel, data in tree_files(repo, tree, gitpath):
            h.update(rel.encode() + b"\0")
            h.update(data)
            h.update(b"\0")
    return "sha256:" + h.hexdigest()


def _entry_key(tree: Any, gitpaths: list[str | None]) -> tuple[Any, ...]:
    out = []
    for gp in gitpaths:
        try:
            out.append(tree[gp].id if gp else None)
        except KeyError:
            out.append(None)
    return tuple(out)


def decided_tree(
    root: Path, task_id: str, phase: Phase, kind: str, at: str | None, digest: str | None
) -> DecidedTree | None:
    """The tree of the commit that holds the phase's deliverables as decided `at` (a decision
    of `kind`, with the stored `digest` when there is one); None outside git or when no commit
    is old enough."""
    import pygit2

    found = repo_of(root)
    if found is None:
        return None
    repo, prefix = found
    labelled: list[tuple[str, str | None]] = []
    for d in sorted(phase.deliverables, key=lambda x: x.label):
        try:
            p = dl.resolve(root, task_id, phase.name, d)
        except InvalidId:
            labelled.append((d.label, None))
            continue
        labelled.append((d.label, prefix + Path(os.path.relpath(p, root)).as_posix()))
    gitpaths = [gp for _l, gp in labelled]
    when = clock.parse_ts(at)
    cache: dict[tuple[Any, ...], str] = {}
    by_time = None
    for n, c in enumerate(repo.walk(repo.head.target, pygit2.enums.SortMode.TIME)):
        if n >= MAX_SCAN:
            break
        if digest:
            key = _entry_key(c.tree, gitpaths)
            if any(key):
                dg = cache.get(key)
                if dg is None:
                    dg = cache[key] = _tree_digest(repo, c.tree, labelled)
                if dg == digest:
                    return DecidedTree(
                        repo, c.tree, prefix, f"git {str(c.id)[:7]} ({kind} version)", True
                    )
        if by_time is None and when is not None and c.commit_time <= when.timestamp():
            by_time = c
            if not digest:
                break
    if by_time is None:
        return None
    what = "digest not found in git" if digest else "no digest stored"
    return DecidedTree(
        repo,
        by_time.tree,
        prefix,
        f"git {str(by_time.id)[:7]} (last commit before {at}; {what})",
        False,
    )
