"""The header line: repository, branch, session state and the five roles' status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.markup import escape
from textual.reactive import reactive
from textual.widgets import Static

from kiro_tui.ui.agent_marks import header_markup
from kiro_tui.ui.view import session_state

if TYPE_CHECKING:
    from kiro_tui.core.git.repo import GitInfo
from kiro_tui.core.snapshot import Snapshot

ROLES = (
    ("task_executor", "exec"),
    ("progress_monitor", "progress"),
    ("git_integration", "git"),
    ("dependency_validator", "deps"),
    ("blocker_detector", "blockers"),
)
ROLE_COLOUR = {
    "running": "$success",
    "idle": "$primary",
    "starting": "$primary",
    "paused": "$warning",
    "error": "$error",
    "stopped": "$text-muted",
}
SESSION_COLOUR = {"driving": "$success", "observing": "$primary", "paused": "$warning"}


def git_markup(git: GitInfo) -> str:
    """`⎇ main ↑2 ↓1 ±3` (counts only when not zero), `⎇ detached at abc1234`, a short error,
    or nothing outside a repository. Content markup, followed by three spaces when not empty."""
    if not git.is_repo:
        return ""
    if git.error:
        return "[$error]⎇ git error[/]   "
    if git.detached:
        where = f"[$warning]⎇ detached at {escape(git.branch or '?')}[/]"
    else:
        where = f"⎇ {escape(git.branch or '?')}"
    counts = []
    if git.ahead:
        counts.append(f"[$success]↑{git.ahead}[/]")
    if git.behind:
        counts.append(f"[$warning]↓{git.behind}[/]")
    if git.dirty:
        counts.append(f"[$text-muted]±{git.dirty}[/]")
    return " ".join([where, *counts]) + "   "


class KiroHeader(Static):
    """One line at the top; set `snapshot`. Everything, the repository's state included
    (`Snapshot.git`), comes from the snapshot: no IO here."""

    snapshot: reactive[Snapshot | None] = reactive(None)
    """What to show."""

    def watch_snapshot(self, snap: Snapshot | None) -> None:
        if snap is None:
            self.update(Content.from_markup("[b]kiro-tui[/b]  [dim]loading…[/dim]"))
            return
        repo = escape(snap.state.root.name)
        state = session_state(snap)
        drive = f" {escape(snap.driving)}" if snap.driving else ""
        roles = []
        for key, short in ROLES:
            rs = snap.roles.get(key)
            status = rs.status if rs else "stopped"
            roles.append(f"[{ROLE_COLOUR.get(status, '$text-muted')}]{short}:{status}[/]")
        self.update(
            Content.from_markup(
                f"[b]kiro-tui[/b]  {repo}  {git_markup(snap.git)}"
                f"[{SESSION_COLOUR[state]}][b]{state}[/b]{drive}[/]   {header_markup(snap)}"
                + " ".join(roles)
            )
        )
