"""commit_paths: a commit of exactly the given paths that leaves the user's index alone.

The commit holds HEAD's tree plus the working-tree content of the given paths, never the user's
index; afterwards only those paths' index entries change (to match the commit). Every other
staged or unstaged change, and every untracked file, is left as it was.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


from kiro_tui.core.git.repo import (
    _GITLINK,
    _TMP_RE,
    LOCKS,
    CommitResult,
    GitBlocked,
    _check_committable,
    _open,
    _prefix,
    _rel,
    signature,
)


# ---------------------------------------------------------------------------------- committing
def _tree_files(tree: Any, rel: str) -> dict[str, tuple[Any, int]]:
    """{path: (oid, mode)} of the blobs in `tree` at or under `rel`."""
    if tree is None:
        return {}
    if rel:
        try:
            obj = tree[rel]
        except KeyError:
            return {}
    else:
        obj = tree
    out: dict[str, tuple[Any, int]] = {}
    stack = [(obj, rel)]
    while stack:
        o, path = stack.pop()
        if o.type_str == "tree":
            for child in o:
                stack.append((child, f"{path}/{child.name}" if path else child.name))
        else:
            out[path] = (o.id, o.filemode)
    return out


def _index_files(index: Any, rel: str) -> dict[str, Any]:
    """{path: IndexEntry} at or under `rel`, by binary search (entries are sorted by path)."""
    n = len(index)
    if not rel:
        return {e.path: e for e in index}
    out = {}
    if rel in index:
        out[rel] = index[rel]
    prefix = rel + "/"
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if index[mid].path < prefix:
            lo = mid + 1
        else:
            hi = mid
    while lo < n:
        e = index[lo]
        if not e.path.startswith(prefix):
            break
        out[e.path] = e
        lo += 1
    return out


def _walk(repo: Any, rel: str) -> Iterator[str]:
    """Files (and symlinks) in the working folder at or under `rel`, skipping `.git`, nested
    repositories and ignored folders."""
    wd = repo.workdir
    top = os.path.join(wd, rel) if rel else wd.rstrip("/")
    try:
        st = os.lstat(top)
    except OSError:
        return
    if not stat.S_ISDIR(st.st_mode):
        yield rel
        return
    stack = [(top, rel)]
    while stack:
        folder, r = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            rp = f"{r}/{e.name}" if r else e.name
            if e.name == ".git":
                continue
            if e.is_dir(follow_symlinks=False):
                if os.path.lexists(os.path.join(e.path, ".git")) or (rp + "/").startswith(LOCKS):
                    continue
                if repo.path_is_ignored(rp + "/"):
                    continue
                stack.append((e.path, rp))
            else:
                yield rp


def _index_stamp(repo: Any) -> tuple[int, int, int] | None:
    try:
        st = os.stat(os.path.join(repo.path, "index"))
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def commit_paths(
    root: Path | str, paths: Sequence[Path | str], message: str, *, allow_empty: bool = False
) -> str | None:
    """Commit exactly `paths` (files or folders, relative to `root`; deletions of tracked files
    under them included) on the current branch, from their working-tree content. Returns the
    new commit's sha, or None when nothing changed. Raises GitBlocked (detached_head,
    index_conflict, operation_in_progress, index_locked, commit_failed)."""
    import pygit2

    repo = _open(root)
    _check_committable(repo)
    prefix = _prefix(repo, root)
    rels = list(dict.fromkeys(_rel(prefix, p, root) for p in paths))
    head = None if repo.head_is_unborn else repo.head.peel(pygit2.Commit)
    base = head.tree if head is not None else None
    stamp = _index_stamp(repo)
    index = repo.index  # edited in memory only; written below if nobody changed it meanwhile
    index.read(True)
    tracked: dict[str, tuple[Any, int]] = {}
    staged: dict[str, Any] = {}
    for rel in rels:
        tracked.update(_tree_files(base, rel))
        staged.update(_index_files(index, rel))
    candidates = set(tracked) | set(staged)
    for rel in rels:
        for f in _walk(repo, rel):
            if f in candidates or f.startswith(LOCKS):
                continue
            if _TMP_RE.search(f.rsplit("/", 1)[-1]) or repo.path_is_ignored(f):
                continue
            candidates.add(f)
    new: dict[str, tuple[Any, int]] = {}
    removed: set[str] = set()
    for f in sorted(candidates):
        known = tracked.get(f) or ((staged[f].id, staged[f].mode) if f in staged else None)
        if f.startswith(LOCKS) or (known and known[1] == _GITLINK):
            continue
        try:
            st = os.lstat(os.path.join(repo.workdir, f))
        except (FileNotFoundError, NotADirectoryError):
            st = None
        if st is None or not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            if known:
                removed.add(f)
                if f in index:
                    index.remove(f)
            continue
        try:
            index.add(f)  # hashes the file through git's filters, keeps its stat data
        except pygit2.GitError as exc:
            raise GitBlocked(
                "commit_failed", f"cannot read {f}: {exc}", "check the file's permissions"
            ) from None
        entry = index[f]
        new[f] = (entry.id, int(entry.mode))

    mem = pygit2.Index()
    if base is not None:
        mem.read_tree(base)
    for f in removed:
        if f in mem:
            mem.remove(f)
    for f, (oid, mode) in new.items():
        mem.add(pygit2.IndexEntry(f, oid, pygit2.enums.FileMode(mode)))
    tree_id = mem.write_tree(repo)
    unchanged = tree_id == base.id if base is not None else len(mem) == 0
    if unchanged and not allow_empty:
        return None
    sig = signature(repo)
    oid = repo.create_commit(
        "HEAD", sig, sig, message, tree_id, [head.id] if head is not None else []
    )
    if _index_stamp(repo) == stamp:
        try:
            index.write()
            return str(oid)
        except pygit2.GitError:
            pass  # index.lock held: retry on a fresh read below
    _sync_index(repo, new, removed, str(oid))
    return str(oid)


def _sync_index(repo: Any, new: dict[str, tuple[Any, int]], removed: set[str], sha: str) -> None:
    """The index changed while we committed: re-read it and make only the committed paths'
    entries match the commit; retry while another process holds index.lock."""
    import pygit2

    deadline = time.monotonic() + 2.0
    while True:
        index = repo.index
        index.read(True)
        for f in removed:
            if f in index:
                index.remove(f)
        for f, (oid, mode) in new.items():
            if f in index and index[f].id == oid and index[f].mode == mode:
                continue
            index.add(pygit2.IndexEntry(f, oid, pygit2.enums.FileMode(mode)))
        try:
            index.write()
            return
        except pygit2.GitError as exc:
            if time.monotonic() > deadline:
                raise GitBlocked(
                    "index_locked",
                    f"committed {sha[:7]} but could not update the index ({exc})",
                    "the committed files may show as staged "
                    "changes; run 'git reset -- <paths>' or 'git add' them",
                ) from None
            time.sleep(0.05)


def commit_step(
    root: Path | str,
    milestone_id: str,
    paths: Sequence[Path | str],
    message: str,
    on_milestone_branch: bool = False,
) -> CommitResult:
    """One commit of the git role: `paths` only, retried when a log being appended made libgit2
    read a file mid-write; refused (wrong_branch) when `on_milestone_branch` and HEAD is on
    another branch than `milestone/<milestone_id>`."""
    from kiro_tui.core import git as gitops

    want = f"milestone/{milestone_id}"
    branch = gitops.current_branch(root)
    if on_milestone_branch and branch is not None and branch != want:
        raise GitBlocked(
            "wrong_branch",
            f"HEAD is on {branch}, not on {want}",
            f"switch back to {want} (git switch {want}), then resume",
        )
    sha: str | None = None
    for attempt in range(3):
        try:
            sha = commit_paths(root, paths, message)
            break
        except GitBlocked as exc:
            if exc.kind != "commit_failed" or attempt == 2:
                raise
            time.sleep(0.02)
    files = tuple(gitops.commit_files(root, sha)) if sha else ()
    return CommitResult(sha, gitops.current_branch(root), files)
