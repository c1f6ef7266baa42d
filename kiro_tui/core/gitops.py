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
import re
import stat
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core.errors import KiroError
from kiro_tui.core.ids import check_id

if TYPE_CHECKING:
    import pygit2

    from kiro_tui.agents.snapshot import GitInfo

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
            raise GitBlocked("not_a_repository", f"{root} is not inside a git working tree",
                             "run 'git init' there, or set git.enabled: false")
        repos: dict[tuple[str, int, int], pygit2.Repository] = _local.__dict__.setdefault(
            "repos", {})
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
        raise GitBlocked("not_a_repository", f"{root}: cannot open the git repository: {exc}",
                         "check the folder's ownership and permissions") from None
    if repo.is_bare or not repo.workdir:
        raise GitBlocked("not_a_repository", f"{root} is not inside a git working tree",
                         "run 'git init' there, or set git.enabled: false")
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
        raise GitBlocked("outside_repository", f"{path} is outside {root}",
                         "commit only paths inside the workspace")
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
        raise GitBlocked("detached_head",
                         f"HEAD is detached at {str(repo.head.target)[:7]}: kiro-tui commits only "
                         "on a branch", "switch to a branch (git switch <branch>), then resume")
    in_conflict = _conflicts(repo)
    if in_conflict:
        shown = ", ".join(in_conflict[:3]) + (" ..." if len(in_conflict) > 3 else "")
        raise GitBlocked("index_conflict",
                         f"the index has {len(in_conflict)} path(s) in conflict ({shown})",
                         "resolve and commit them yourself; kiro-tui never resolves a conflict")
    state = repo.state()
    if state != pygit2.enums.RepositoryState.NONE:
        raise GitBlocked("operation_in_progress",
                         f"a {state.name.lower().replace('_', ' ')} is in progress",
                         "finish or abort it, then resume")


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
def _upstream_oid(repo: pygit2.Repository, branch: str, remote: str | None,
                  upstream: bool = True) -> Any:
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


def info(root: Path | str, remote: str | None = None) -> GitInfo:
    """Branch, detached, ahead/behind (vs the upstream, else `<remote>/<branch>`) and the number
    of files with changes (staged, unstaged or untracked; `.milestones/.locks/` not counted)."""
    from kiro_tui.agents.snapshot import GitInfo

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
            up = _upstream_oid(repo, branch, remote)
            if up is not None:
                ahead, behind = repo.ahead_behind(repo.head.target, up)
        dirty = sum(1 for p in repo.status() if not p.startswith(LOCKS))
        return GitInfo(is_repo=True, branch=branch, detached=detached, ahead=ahead,
                       behind=behind, dirty=dirty)
    except Exception as exc:  # a broken repository is shown, not raised
        return GitInfo(is_repo=True, error=f"{type(exc).__name__}: {exc}")


def conflicts(root: Path | str) -> list[str]:
    """Paths in conflict in the index, sorted."""
    return _conflicts(_open(root, cached=True))


def _conflicts(repo: pygit2.Repository) -> list[str]:
    index = repo.index
    index.read(False)
    found = index.conflicts
    if found is None:
        return []
    return sorted({(ours or theirs or base).path for base, ours, theirs in found})


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


def milestone_commits(root: Path | str, milestone_id: str, limit: int = 200,
                      max_scan: int = 20_000) -> list[CommitInfo]:
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
        diff = (c.parents[0].tree.diff_to_tree(c.tree) if c.parents
                else c.tree.diff_to_tree(swap=True))
        files = tuple(d.new_file.path or d.old_file.path for d in diff.deltas)
        when = datetime.fromtimestamp(c.commit_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(CommitInfo(sha=str(c.id), short=str(c.id)[:7],
                              summary=c.message.split("\n", 1)[0].strip(), time=when,
                              author=c.author.name, files=files, task=tr.get("task"),
                              phase=tr.get("phase")))
    return out


# ---------------------------------------------------------------------------------- messages
def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def message(type: str, milestone_id: str, task_title: str, phase: str | None, what: str, *,
            milestone: str | None = None, task: str | None = None,
            approved_by: str | None = None) -> str:
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


def paths_for_event(root: Path | str, milestone_path: Path | str | None, milestone_id: str,
                    session_id: str | None, task_id: str | None,
                    deliverable_paths: Iterable[Path | str] = ()) -> list[str]:
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
    out += [f"{MS}/active/{name}", f"{MS}/completed/{name}",
            f"{MS}/logs/execution-{milestone_id}.jsonl"]
    if session_id:
        check_id(session_id, "session id")
        out += [f"{MS}/logs/{session_id}", f"{MS}/sessions/{session_id}.yaml",
                f"{MS}/sessions/{session_id}"]
    if task_id:
        out.append(f"{MS}/deliverables/{check_id(task_id, 'task id')}")
    for p in deliverable_paths:
        raw = os.fspath(p)
        rel = os.path.relpath(raw, root) if os.path.isabs(raw) else raw
        rel = os.path.normpath(rel).replace(os.sep, "/")
        if rel not in (".", "..") and not rel.startswith("../") and not rel.startswith(LOCKS):
            out.append(rel)
    return list(dict.fromkeys(out))


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


def commit_paths(root: Path | str, paths: Sequence[Path | str], message: str, *,
                 allow_empty: bool = False) -> str | None:
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
            raise GitBlocked("commit_failed", f"cannot read {f}: {exc}",
                             "check the file's permissions") from None
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
    oid = repo.create_commit("HEAD", sig, sig, message, tree_id,
                             [head.id] if head is not None else [])
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
                raise GitBlocked("index_locked", f"committed {sha[:7]} but could not update the "
                                 f"index ({exc})", "the committed files may show as staged "
                                 "changes; run 'git reset -- <paths>' or 'git add' them") from None
            time.sleep(0.05)


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


def ensure_milestone_branch(root: Path | str, milestone_id: str, *,
                            carry: Sequence[str] = ()) -> str:
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
        raise GitBlocked("detached_head", f"HEAD is detached: not switching to {name}",
                         "switch to a branch (git switch <branch>), then resume")
    if _branch_name(repo) == name:
        return name
    if repo.head_is_unborn:  # no commit yet: the first commit will create the branch
        repo.set_head(refname)
        return name
    changed = _local_changes(repo, carry)
    if changed:
        shown = ", ".join(changed[:3]) + (" ..." if len(changed) > 3 else "")
        raise GitBlocked("dirty_switch", f"not switching to {name}: {len(changed)} file(s) have "
                         f"uncommitted changes ({shown})",
                         "commit or stash them, then resume; kiro-tui never moves or discards "
                         "your changes")
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
        raise GitBlocked("dirty_switch", f"not switching to {name}: files in the way ({shown})",
                         "move or commit them, then resume; kiro-tui never overwrites them"
                         ) from None
    return name


# ---------------------------------------------------------------------------------- pushing
def push(root: Path | str, remote: str, branch: str | None = None) -> str:
    """Push `branch` (default: the current one) to the configured remote `remote`; returns the
    sha the remote now has. Raises GitBlocked: no_remote, detached_head, no_branch, diverged
    (the remote-tracking branch has commits we lack and we have commits it lacks),
    push_rejected (the remote refused a non-fast-forward), push_failed."""
    import pygit2

    repo = _open(root)
    if branch is None:
        branch = _branch_name(repo)
        if branch is None:
            raise GitBlocked("detached_head", "HEAD is detached: no branch to push",
                             "switch to a branch, then push")
    try:
        local = repo.lookup_reference(f"refs/heads/{branch}").target
    except (KeyError, pygit2.InvalidSpecError):
        raise GitBlocked("no_branch", f"branch {branch!r} has no commit yet",
                         "commit something first") from None
    try:
        rem = repo.remotes[remote]
    except (KeyError, pygit2.GitError):
        raise GitBlocked("no_remote", f"no git remote named {remote!r}",
                         f"add it (git remote add {remote} <url>) or set git.remote in "
                         ".milestones/config/kiro-config.yaml") from None
    tracking = _upstream_oid(repo, branch, remote, upstream=False)
    if tracking is not None and tracking != local:
        ahead, behind = repo.ahead_behind(local, tracking)
        if behind and ahead:
            raise GitBlocked("diverged", f"{branch} and {remote}/{branch} have diverged "
                             f"({ahead} ahead, {behind} behind)",
                             f"merge or rebase onto {remote}/{branch} yourself, then push")
        if behind:
            return str(tracking)  # the remote already has everything we have

    rejected: list[str] = []
    tried: list[bool] = []

    class _Callbacks(pygit2.RemoteCallbacks):
        def push_update_reference(self, refname: str, message: str | None) -> None:
            if message:
                rejected.append(message)

        def credentials(self, url: str, username_from_url: str | None,
                        allowed_types: Any) -> Any:
            if tried or not allowed_types & pygit2.enums.CredentialType.SSH_KEY:
                raise pygit2.GitError(f"no credentials for {url}")
            tried.append(True)
            return pygit2.KeypairFromAgent(username_from_url or "git")

    suggestion = (f"the remote has commits this branch lacks: fetch, then merge or rebase onto "
                  f"{remote}/{branch} and push again (kiro-tui never force-pushes)")
    try:
        rem.push([f"refs/heads/{branch}:refs/heads/{branch}"], callbacks=_Callbacks())
    except pygit2.GitError as exc:
        text = str(exc)
        if "fastforward" in text or "fast-forward" in text or "not present locally" in text:
            raise GitBlocked("push_rejected", f"push of {branch} to {remote} rejected: {text}",
                             suggestion) from None
        raise GitBlocked("push_failed", f"push of {branch} to {remote} failed: {text}",
                         "check the remote's URL, network and credentials") from None
    if rejected:
        raise GitBlocked("push_rejected", f"push of {branch} to {remote} rejected: "
                         f"{rejected[0]}", suggestion)
    return str(local)
