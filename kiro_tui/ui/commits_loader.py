"""What the git panel shows for a milestone, read in a worker thread (pygit2 only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiro_tui.ui.messages import CommitsLoaded

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace


def load_commits(ws: Workspace, mid: str) -> CommitsLoaded:
    """The commits of `mid` on the current branch, or the one-line reason there are none."""
    from kiro_tui.core import git as gitops

    try:
        info = gitops.info(ws.root, ws.config.git.remote)
        if not info.is_repo:
            return CommitsLoaded(mid, [], f"{ws.root} is not inside a git repository")
        if info.error:
            return CommitsLoaded(mid, [], f"cannot read the repository: {info.error}")
        commits = gitops.milestone_commits(ws.root, mid)
        branch = f"detached at {info.branch}" if info.detached else info.branch
        return CommitsLoaded(
            mid, commits, None if commits else f"no commits of {mid} on {branch} yet", branch=branch
        )
    except Exception as exc:  # the panel says it, in one line
        return CommitsLoaded(mid, [], f"could not list commits: {exc}")
