"""Shared pieces of the git layer: errors, result types, opening a repository, signature.

See gitops.py for the functions the rest of kiro-tui calls.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core.errors import KiroError

if TYPE_CHECKING:
    import pygit2


MS = ".milestones"
LOCKS = ".milestones/.locks/"
FALLBACK_NAME = "kiro-tui"
FALLBACK_EMAIL = "kiro-tui@localhost"
_TMP_RE = re.compile(r"(^\..*\.tmp\.[^/]*$)|(\.tmp$)")
_TRAILER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.*?)\s*$")
_GITLINK = 0o160000  # a submodule: never touched


class GitBlocked(KiroError):
    """A git operation kiro-tui refuses or could not finish; nothing was discarded.

    `kind`: detached_head, index_conflict, operation_in_progress, diverged, push_rejected,
    push_failed, dirty_switch, index_locked, commit_failed, no_remote, no_branch,
    not_a_repository, outside_repository.
    `reason` and `suggestion` are the two halves of the one-line message, for blockers.
    """

    def __init__(self, kind: str, reason: str, suggestion: str = "") -> None:
        super().__init__(f"{reason}; {suggestion}" if suggestion else reason)
        self.kind = kind
        self.reason = reason
        self.suggestion = suggestion


@dataclass(frozen=True, slots=True)
class GitInfo:
    """What the header shows: branch, ahead/behind, number of changed files."""

    is_repo: bool = False
    branch: str | None = None
    detached: bool = False
    ahead: int = 0
    behind: int = 0
    dirty: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CommitResult:
    sha: str | None  # None: nothing to commit
    branch: str | None
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PushResult:
    """What a push did: `pushed` is False when the remote already had everything (the branch
    was equal to, or behind, the remote's)."""

    branch: str
    remote: str
    sha: str
    pushed: bool

    @property
    def message(self) -> str:
        if self.pushed:
            return f"pushed {self.branch} to {self.remote} ({self.sha[:7]})"
        return f"{self.branch} is already on {self.remote} ({self.sha[:7]}): nothing to push"


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    short: str
    summary: str
    time: str  # ISO-8601 UTC, `...Z`
    author: str
    files: tuple[str, ...]
    task: str | None = None
    phase: str | None = None


# ---------------------------------------------------------------------------------- helpers
_local = threading.local()


def _open(root: Path | str, *, cached: bool = False) -> pygit2.Repository:
    """The repository holding `root`. Writers get a fresh Repository per call; readers
    (`cached=True`) reuse one per thread, which keeps the parsed index between calls (~7 ms
    on 10k files; libgit2 re-reads it when the file changes)."""
    import pygit2

    try:
        found = pygit2.discover_repository(str(root))
        if not found:
            raise GitBlocked(
                "not_a_repository",
                f"{root} is not inside a git working tree",
                "run 'git init' there, or set git.enabled: false",
            )
        repos: dict[tuple[str, int, int], pygit2.Repository] = _local.__dict__.setdefault(
            "repos", {}
        )
        st = os.stat(found)
        key = (found, st.st_dev, st.st_ino)
        repo = repos.get(key) if cached else None
        if repo is None:
            repo = pygit2.Repository(found)
            if cached:
                if len(repos) >= 4:
                    repos.pop(next(iter(repos)))
                repos[key] = repo
    except (pygit2.GitError, OSError) as exc:
        raise GitBlocked(
            "not_a_repository",
            f"{root}: cannot open the git repository: {exc}",
            "check the folder's ownership and permissions",
        ) from None
    if repo.is_bare or not repo.workdir:
        raise GitBlocked(
            "not_a_repository",
            f"{root} is not inside a git working tree",
            "run 'git init' there, or set git.enabled: false",
        )
    return repo


def _prefix(repo: pygit2.Repository, root: Path | str) -> str:
    """`root` relative to the working folder, as a posix prefix ('' or 'sub/dir/')."""
    rel = os.path.relpath(os.path.realpath(root), os.path.realpath(repo.workdir))
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"


def _rel(prefix: str, path: str | Path, root: Path | str) -> str:
    """A path given relative to `root` (or absolute inside it) as a working-folder path."""
    p = os.fspath(path)
    if os.path.isabs(p):
        p = os.path.relpath(os.path.realpath(p), os.path.realpath(root))
    p = os.path.normpath(p).replace(os.sep, "/")
    p = "" if p == "." else p
    if p == ".." or p.startswith("../"):
        raise GitBlocked(
            "outside_repository",
            f"{path} is outside {root}",
            "commit only paths inside the workspace",
        )
    return (prefix + p).rstrip("/") if p else prefix.rstrip("/")


def _under(path: str, rel: str) -> bool:
    return not rel or path == rel or path.startswith(rel + "/")


def _branch_name(repo: pygit2.Repository) -> str | None:
    """The branch HEAD points at (also when it is unborn), or None when detached."""
    if repo.head_is_detached:
        return None
    target = repo.lookup_reference("HEAD").target
    name = str(target)
    return name.removeprefix("refs/heads/")


def _check_committable(repo: pygit2.Repository) -> None:
    import pygit2

    if repo.head_is_detached:
        raise GitBlocked(
            "detached_head",
            f"HEAD is detached at {str(repo.head.target)[:7]}: kiro-tui commits only on a branch",
            "switch to a branch (git switch <branch>), then resume",
        )
    in_conflict = _conflicts(repo)
    if in_conflict:
        shown = ", ".join(in_conflict[:3]) + (" ..." if len(in_conflict) > 3 else "")
        raise GitBlocked(
            "index_conflict",
            f"the index has {len(in_conflict)} path(s) in conflict ({shown})",
            "resolve and commit them yourself; kiro-tui never resolves a conflict",
        )
    state = repo.state()
    if state != pygit2.enums.RepositoryState.NONE:
        raise GitBlocked(
            "operation_in_progress",
            f"a {state.name.lower().replace('_', ' ')} is in progress",
            "finish or abort it, then resume",
        )


def signature(repo: pygit2.Repository) -> pygit2.Signature:
    """Author and committer: `user.name`/`user.email` from git config (repository, then global),
    else `kiro-tui <kiro-tui@localhost>`."""
    import pygit2

    cfg = repo.config
    name = email = None
    try:
        name = cfg["user.name"]
    except (KeyError, pygit2.GitError):
        pass
    try:
        email = cfg["user.email"]
    except (KeyError, pygit2.GitError):
        pass
    return pygit2.Signature(name or FALLBACK_NAME, email or FALLBACK_EMAIL)


# ---------------------------------------------------------------------------------- reading


def _conflicts(repo: pygit2.Repository) -> list[str]:
    index = repo.index
    index.read(False)
    found = index.conflicts
    if found is None:
        return []
    return sorted({(ours or theirs or base).path for base, ours, theirs in found})


def upstream_oid(
    repo: pygit2.Repository, branch: str, remote: str | None, upstream: bool = True
) -> Any:
    """The branch's upstream tip (when `upstream`), else `refs/remotes/<remote>/<branch>`."""
    up = None
    if upstream:
        try:
            up = repo.branches.local[branch].upstream
        except Exception:  # no such branch, or a broken upstream setting
            up = None
    if up is not None:
        return up.target
    if remote:
        try:
            return repo.lookup_reference(f"refs/remotes/{remote}/{branch}").target
        except (KeyError, ValueError):
            return None
    return None
