"""The header line: repository, branch, session state and the five roles' status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.reactive import reactive

from kiro_tui.core.ids import ROLES
from kiro_tui.ui.agent_marks import header_markup
from kiro_tui.ui.view import markup_text, session_state
from kiro_tui.ui.widgets.markup_static import MarkupStatic

if TYPE_CHECKING:  # the core's heavier modules come after the first frame
    from kiro_tui.core.git.repo import GitInfo
    from kiro_tui.core.snapshot import Snapshot

SHORT_NAME = {
    "task_executor": "exec",
    "progress_monitor": "progress",
    "git_integration": "git",
    "dependency_validator": "deps",
    "blocker_detector": "blockers",
}
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
        where = f"[$warning]⎇ detached at {markup_text(git.branch or '?')}[/]"
    else:
        where = f"⎇ {markup_text(git.branch or '?')}"
    counts = []
    if git.ahead:
        counts.append(f"[$success]↑{git.ahead}[/]")
    if git.behind:
        counts.append(f"[$warning]↓{git.behind}[/]")
    if git.dirty:
        counts.append(f"[$text-muted]±{git.dirty}[/]")
    return " ".join([where, *counts]) + "   "


def attention_markup(count: int, critical: bool) -> str:
    """`⚑ 3 need you` (bold, in the error colour when one is critical), then three spaces;
    nothing when nothing waits. The words carry the meaning; the colour only adds to it."""
    if count <= 0:
        return ""
    from kiro_tui.core.inbox import count_text

    colour = "$error" if critical else "$warning"
    return f"[b {colour}]⚑ {count_text(count)}[/]   "


class KiroHeader(MarkupStatic):
    """One line at the top; set `snapshot`. Everything, the repository's state included
    (`Snapshot.git`), comes from the snapshot: no IO here."""

    snapshot: reactive[Snapshot | None] = reactive(None)
    """What to show."""
    attention: reactive[tuple[int, bool]] = reactive((0, False))
    """The inbox: how many items, and whether one is critical (the words say it too)."""
    selected: reactive[str | None] = reactive(None)
    """The selected milestone: its agents' spend, when this window drives nothing."""

    def watch_attention(self) -> None:
        self.watch_snapshot(self.snapshot)

    def watch_selected(self) -> None:
        self.watch_snapshot(self.snapshot)

    def watch_snapshot(self, snap: Snapshot | None) -> None:
        if snap is None:
            self.show_markup("[b]kiro-tui[/b]  [dim]loading…[/dim]")
            return
        repo = markup_text(snap.state.root.name)
        state = session_state(snap)
        drive = f" {markup_text(snap.driving)}" if snap.driving else ""
        roles = []
        for key in ROLES:
            short, rs = SHORT_NAME[key], snap.roles.get(key)
            status = rs.status if rs else "stopped"
            colour = ROLE_COLOUR.get(status, "$text-muted")
            roles.append(f"[{colour}]{short}:{markup_text(status)}[/]")
        self.show_markup(
            f"[b]kiro-tui[/b]  {repo}  {git_markup(snap.git)}{attention_markup(*self.attention)}"
            f"[{SESSION_COLOUR[state]}][b]{state}[/b]{drive}[/]   {header_markup(snap, self.selected)}"
            + " ".join(roles)
        )
