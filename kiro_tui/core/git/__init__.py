"""Everything git, through pygit2 (FORMAT.md section 11). Never runs the `git` program.

Pure functions over a repository path, safe to call from worker threads: a call that writes
opens its own `pygit2.Repository`; readers reuse one per thread. pygit2 costs ~60 ms to import, so it is imported inside the
functions. Paths given to and returned from these functions are relative to `root` (the
workspace root), which may be the repository's working folder or a folder inside it.

The promise of `commit_paths`: the commit holds HEAD's tree plus the working-tree content of the
given paths, never the user's index; afterwards only those paths' index entries change (to match
the commit). Every other staged or unstaged change, and every untracked file, is left as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiro_tui.core.git.repo import (
    _TRAILER_RE,
    LOCKS,
    MS,
    CommitInfo,
    GitBlocked,
    GitInfo,
    _branch_name,
    _conflicts,
    _open,
    _under,
    upstream_oid,
)
from kiro_tui.core.ids import check_id


def info(root: Path | str, remote: str | None = None) -> GitInfo:
    """Branch, detached, ahead/behind (vs the upstream, else `<remote>/<branch>`) and the number
    of files with changes (staged, unstaged or untracked; `.milestones/.locks/` not counted)."""
    from kiro_tui.core.git.repo import GitInfo

    try:
        repo = _open(root, cached=True)
    except GitBlocked:
        return GitInfo(is_repo=False)
    try:
        branch = _branch_name(repo)
        detached = branch is None
        if detached:
            branch = str(repo.head.target)[:7]
        ahead = behind = 0
        if not detached and not repo.head_is_unborn:
            assert branch is not None
            up = upstream_oid(repo, branch, remote)
            if up is not None:
                ahead, behind = repo.ahead_behind(repo.head.target, up)
        dirty = sum(1 for p in repo.status() if not p.startswith(LOCKS))
        return GitInfo(
            is_repo=True, branch=branch, detached=detached, ahead=ahead, behind=behind, dirty=dirty
        )
    except Exception as exc:  # a broken repository is shown, not raised
        return GitInfo(is_repo=True, error=f"{type(exc).__name__}: {exc}")


def conflicts(root: Path | str) -> list[str]:
    """Paths in conflict in the index, sorted."""
    return _conflicts(_open(root, cached=True))


def _trailers(msg: str) -> dict[str, str]:
    paragraphs = [p for p in msg.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    out: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        m = _TRAILER_RE.match(line)
        if m:
            out.setdefault(m.group(1).lower(), m.group(2))
    return out


def milestone_commits(
    root: Path | str, milestone_id: str, limit: int = 200, max_scan: int = 20_000
) -> list[CommitInfo]:
    """Commits carrying the trailer `Milestone: <id>`, newest first, walking back from HEAD
    (at most `max_scan` commits)."""
    import pygit2

    repo = _open(root, cached=True)
    if repo.head_is_unborn:
        return []
    out: list[CommitInfo] = []
    for n, c in enumerate(repo.walk(repo.head.target, pygit2.enums.SortMode.TIME)):
        if n >= max_scan or len(out) >= limit:
            break
        tr = _trailers(c.message)
        if tr.get("milestone") != milestone_id:
            continue
        diff = (
            c.parents[0].tree.diff_to_tree(c.tree) if c.parents else c.tree.diff_to_tree(swap=True)
        )
        files = tuple(d.new_file.path or d.old_file.path for d in diff.deltas)
        when = datetime.fromtimestamp(c.commit_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(
            CommitInfo(
                sha=str(c.id),
                short=str(c.id)[:7],
                summary=c.message.split("\n", 1)[0].strip(),
                time=when,
                author=c.author.name,
                files=files,
                task=tr.get("task"),
                phase=tr.get("phase"),
            )
        )
    return out


# ---------------------------------------------------------------------------------- messages
def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def message(
    type: str,
    milestone_id: str,
    task_title: str,
    phase: str | None,
    what: str,
    *,
    milestone: str | None = None,
    task: str | None = None,
    approved_by: str | None = None,
) -> str:
    """`<type>(<milestone-id>): <task title> - <phase> <what>`, a blank line, then the trailers
    Milestone, Task, Phase and Approved-by (each only when known)."""
    tail = f"{phase} {what}" if phase else what
    head = _one_line(f"{type}({milestone_id}): {task_title} - {tail}")
    trailers = [f"Milestone: {_one_line(milestone or milestone_id)}"]
    if task:
        trailers.append(f"Task: {_one_line(task)}")
    if phase:
        trailers.append(f"Phase: {_one_line(phase)}")
    if approved_by:
        trailers.append(f"Approved-by: {_one_line(approved_by)}")
    return head + "\n\n" + "\n".join(trailers) + "\n"


def paths_for_event(
    root: Path | str,
    milestone_path: Path | str | None,
    milestone_id: str,
    session_id: str | None,
    task_id: str | None,
    deliverable_paths: Iterable[Path | str] = (),
) -> list[str]:
    """What one commit stages (relative to `root`): the milestone YAML in both active/ and
    completed/ (so a move is one commit), its execution log, the session's logs and files, the
    task's deliverables folder, and `{path}` deliverables inside `root`."""
    check_id(milestone_id, "milestone id")
    root = Path(root)
    name = f"{milestone_id}.yaml"
    out: list[str] = []
    if milestone_path is not None:
        mp = Path(milestone_path)
        if mp.is_absolute():
            mp = Path(os.path.relpath(mp, root))
        out.append(mp.as_posix())
        if mp.parent.name in ("active", "completed"):
            name = mp.name
    out += [
        f"{MS}/active/{name}",
        f"{MS}/completed/{name}",
        f"{MS}/logs/execution-{milestone_id}.jsonl",
    ]
    if session_id:
        check_id(session_id, "session id")
        out += [
            f"{MS}/logs/{session_id}",
            f"{MS}/sessions/{session_id}.yaml",
            f"{MS}/sessions/{session_id}",
        ]
    if task_id:
        out.append(f"{MS}/deliverables/{check_id(task_id, 'task id')}")
    for p in deliverable_paths:
        raw = os.fspath(p)
        rel = os.path.relpath(raw, root) if os.path.isabs(raw) else raw
        rel = os.path.normpath(rel).replace(os.sep, "/")
        if rel not in (".", "..") and not rel.startswith("../") and not rel.startswith(LOCKS):
            out.append(rel)
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------- branches
def _local_changes(repo: Any, carry: Sequence[str]) -> list[str]:
    """Tracked files with staged or unstaged changes (untracked ones are not counted)."""
    import pygit2

    wt_new = pygit2.enums.FileStatus.WT_NEW
    out = []
    for path, flags in repo.status(untracked_files="no").items():
        if flags == wt_new or path.startswith(LOCKS) or any(_under(path, c) for c in carry):
            continue
        out.append(path)
    return sorted(out)


def ensure_milestone_branch(
    root: Path | str, milestone_id: str, *, carry: Sequence[str] = ()
) -> str:
    """For `branch: milestone`: switch to `milestone/<id>`, creating it from HEAD when missing.

    Switches only when no tracked file has staged or unstaged changes (untracked files are fine
    unless the switch would overwrite one), else GitBlocked(kind="dirty_switch") naming them.
    `carry` lists working-folder prefixes (e.g. `.milestones`) whose changes may come along.
    Returns the branch name. Never discards anything.
    """
    import pygit2

    name = f"milestone/{check_id(milestone_id, 'milestone id')}"
    refname = f"refs/heads/{name}"
    repo = _open(root)
    if repo.head_is_detached:
        raise GitBlocked(
            "detached_head",
            f"HEAD is detached: not switching to {name}",
            "switch to a branch (git switch <branch>), then resume",
        )
    if _branch_name(repo) == name:
        return name
    if repo.head_is_unborn:  # no commit yet: the first commit will create the branch
        repo.set_head(refname)
        return name
    changed = _local_changes(repo, carry)
    if changed:
        shown = ", ".join(changed[:3]) + (" ..." if len(changed) > 3 else "")
        raise GitBlocked(
            "dirty_switch",
            f"not switching to {name}: {len(changed)} file(s) have uncommitted changes ({shown})",
            "commit or stash them, then resume; kiro-tui never moves or discards your changes",
        )
    existing = repo.branches.local.get(name)
    if existing is None:
        repo.branches.local.create(name, repo.head.peel(pygit2.Commit))
        repo.set_head(refname)  # same commit: no file changes
        return name

    in_way: list[str] = []

    class _Notify(pygit2.CheckoutCallbacks):
        def checkout_notify_flags(self) -> Any:
            return pygit2.enums.CheckoutNotify.CONFLICT

        def checkout_notify(self, why: Any, path: str, *_: Any) -> None:
            in_way.append(path)

    try:
        repo.checkout(refname, strategy=pygit2.enums.CheckoutStrategy.SAFE, callbacks=_Notify())
    except pygit2.GitError as exc:
        shown = ", ".join(sorted(in_way)[:3]) or str(exc)
        raise GitBlocked(
            "dirty_switch",
            f"not switching to {name}: files in the way ({shown})",
            "move or commit them, then resume; kiro-tui never overwrites them",
        ) from None
    return name


# ---------------------------------------------------------------------------------- reading
def current_branch(root: Path | str) -> str | None:
    """The checked-out branch's name; None when detached, unborn elsewhere or no repository."""
    try:
        repo = _open(root)
        if repo.head_is_detached:
            return None
        return str(repo.lookup_reference("HEAD").target).removeprefix("refs/heads/")
    except Exception:
        return None


def workdir_path(root: Path | str, path: Path | str) -> str:
    """`path` relative to the repository's working folder (posix), e.g. `.milestones`."""
    try:
        wd = _open(root).workdir
    except GitBlocked:
        wd = str(root)
    return os.path.relpath(os.path.realpath(path), os.path.realpath(wd)).replace(os.sep, "/")


def commit_files(root: Path | str, sha: str) -> list[str]:
    """The files commit `sha` changed (against its first parent), or [] when unknown."""
    try:
        repo = _open(root)
        c: Any = repo[sha]
        diff = repo.diff(c.parents[0], c) if c.parents else c.tree.diff_to_tree(swap=True)
        return [d.new_file.path or d.old_file.path for d in diff.deltas]
    except Exception:
        return []
