"""The "milestone completed" commit: when a milestone completes inside a git repository, its
move to `completed/`, its execution log, its session's file and logs (and `current.txt` when
it named the milestone) go into one commit, so completing leaves git clean. By hand, that commit
comes with the move (`archive`); when a driver completes the milestone, its git_integration role
commits the last task with the move, and the driver makes the "milestone completed" commit of
what is left (the session's file, state and logs) when it stops driving, after its last write.

Skipped when `git.enabled` is false, `git.commit_on` is an empty list (no automatic commits),
or the workspace is not inside a git working tree. A commit that git refuses (detached HEAD,
a merge in progress, a HEAD off `milestone/<id>` with `branch: milestone`...) is logged as a
`git_error` warning with git's reason; the completion itself always stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiro_tui.core.root import MS

if TYPE_CHECKING:
    from pathlib import Path

    from kiro_tui.core.service import Workspace
    from kiro_tui.core.workflow import Ctx


def wanted(ws: Workspace) -> bool:
    """Whether the settings ask for commits at all (the repository is checked when committing)."""
    g = ws.config.git
    return g.enabled is not False and bool(g.commit_on)


def commit_completion(
    ws: Workspace,
    mid: str,
    path: Path,
    ctx: Ctx,
    session_id: str | None,
    title: str | None,
    extra: tuple[str, ...] = (),
) -> str:
    """Commit the completion of `mid` (now at `path`); returns what to tell the user ("" when
    no commit was wanted or nothing changed)."""
    from kiro_tui.core import git as gitops
    from kiro_tui.core.git.repo import GitBlocked

    if not wanted(ws) or not gitops.info(ws.root).is_repo:
        return ""
    if (ws.ms / ".gitignore").is_file():  # kiro-tui's own (review copies, run records)
        extra = (*extra, ".gitignore")
    paths = gitops.paths_for_event(ws.root, path, mid, session_id, None) + [
        f"{MS}/{rel}" for rel in extra
    ]
    msg = gitops.message("chore", mid, title or mid, None, "milestone completed", milestone=mid)
    try:
        result = ws.git_commit(
            mid, paths, msg, on_milestone_branch=ws.config.git.branch == "milestone"
        )
    except GitBlocked as exc:
        ws.log(
            mid,
            {
                "event": "git_error",
                "level": "warning",
                "actor": ctx.actor,
                "result": exc.kind,
                "message": f"milestone completed, not committed: {exc.reason}",
                "suggestion": exc.suggestion or None,
            },
            role="git_integration",
            session_id=session_id,
        )
        return f"not committed: {exc.reason}"
    if not result.sha:
        return ""
    return f"committed {result.sha[:7]} (milestone completed)"


def commit_driven_completion(ws: Workspace, mid: str, session_id: str, actor: str) -> str:
    """The driver's last step on a milestone it drove to completion (see the module): commit
    what its session still has modified; "" when the milestone is not completed or nothing was
    left to commit."""
    if not wanted(ws):
        return ""
    m = ws.milestone(mid)
    if m is None or m.status != "completed":
        return ""
    path = ws.root / m.path
    return commit_completion(ws, mid, path, ws.context(actor), session_id, m.title)
