"""The header line: repository, branch, session state and the five roles' status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.markup import escape
from textual.reactive import reactive
from textual.widgets import Static

from kiro_tui.ui.view import session_state

if TYPE_CHECKING:
    from kiro_tui.agents.snapshot import GitInfo, Snapshot

ROLES = (("task_executor", "exec"), ("progress_monitor", "progress"), ("git_integration", "git"),
         ("dependency_validator", "deps"), ("blocker_detector", "blockers"))
ROLE_COLOUR = {"running": "$success", "idle": "$primary", "starting": "$primary",
               "paused": "$warning", "error": "$error", "stopped": "$text-muted"}
SESSION_COLOUR = {"driving": "$success", "observing": "$primary", "paused": "$warning"}


class KiroHeader(Static):
    """One line at the top; set `snapshot`."""

    snapshot: reactive[Snapshot | None] = reactive(None)
    """What to show."""
    git: reactive[GitInfo | None] = reactive(None)
    """Repository facts found by the app when the snapshot carries none."""

    def watch_git(self) -> None:
        self.watch_snapshot(self.snapshot)

    def watch_snapshot(self, snap: Snapshot | None) -> None:
        if snap is None:
            self.update(Content.from_markup("[b]kiro-tui[/b]  [dim]loading…[/dim]"))
            return
        repo = escape(snap.state.root.name)
        git = snap.git if snap.git.is_repo or self.git is None else self.git
        branch = escape(git.branch or ("no git" if not git.is_repo else "?"))
        state = session_state(snap)
        drive = f" {escape(snap.driving)}" if snap.driving else ""
        roles = []
        for key, short in ROLES:
            rs = snap.roles.get(key)
            status = rs.status if rs else "stopped"
            roles.append(f"[{ROLE_COLOUR.get(status, '$text-muted')}]{short}:{status}[/]")
        self.update(Content.from_markup(
            f"[b]kiro-tui[/b]  {repo}  ⎇ {branch}   "
            f"[{SESSION_COLOUR[state]}][b]{state}[/b]{drive}[/]   " + " ".join(roles)))
