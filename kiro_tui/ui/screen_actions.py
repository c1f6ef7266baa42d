"""What the main screen's action keys do once decided, in a worker thread (the screen runs each
with `run_in_thread`): every change goes through the Workspace, then the feed is refreshed so
the screen shows it at once. Each returns what to tell the user (the app's worker handler
shows it, and shows a refusal as a one-line error)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

    from kiro_tui.ui.app import KiroApp
    from kiro_tui.ui.screens.decision import Decision


def apply_decision(app: KiroApp, d: Decision) -> str:
    t, ws = d.target, app.workspace()
    if d.approve:
        out = ws.approve(t.mid, t.tid, t.phase, app.actor, d.text or None)
    else:
        out = ws.reject(t.mid, t.tid, t.phase, d.text, app.actor)
    app.source_refresh()
    return out.message or "done"


def pause_or_resume(app: KiroApp, mid: str, paused: bool) -> str:
    ws = app.workspace()
    out = ws.resume(mid, app.actor) if paused else ws.pause(mid, app.actor)
    app.source_refresh()
    return out.message or "done"


def start(app: KiroApp, mid: str) -> str | None:
    """Drive `mid` from this window; an app that does not watch only starts the session
    (nothing would drive it)."""
    if app.drive_here(mid):
        return None  # the coordinator answers when it has claimed the driver
    out = app.workspace().start_milestone(mid, app.actor)
    app.source_refresh()
    return out.message or "done"


def load_commits(app: KiroApp, mid: str, screen: Screen[None]) -> None:
    from kiro_tui.ui.commits_loader import load_commits as load

    screen.post_message(load(app.workspace(), mid))


def push(app: KiroApp, mid: str | None) -> str:
    result = app.workspace().push(mid)
    app.source_refresh()
    return result.message


def refresh(app: KiroApp) -> None:
    app.source_refresh()
