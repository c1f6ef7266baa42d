"""The dashboard's agent-run actions, called by the main screen and the run view: open the run
view on the selection, retry a phase whose run ended, and the trust review and confirm.

A retry is an unblock of the phase through the service: the process that drives the milestone
(this window or a `kiro-tui run`) then starts the new run the way its executor starts every run
(resuming the agent's session when the last run was stopped). Trusting goes through
`core.runs.trust.confirm` (as `kiro-tui trust --yes`), then unblocks the phases the untrusted
settings blocked, so the executor runs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiro_tui.ui.view import Sel

if TYPE_CHECKING:
    from kiro_tui.core.runs.records import RunRecord
    from kiro_tui.core.runs.trust import Review
    from kiro_tui.ui.app import KiroApp

UNTRUSTED = "executor_untrusted"


def open_run_view(app: KiroApp, sel: Sel | None) -> None:
    from kiro_tui.ui.screens.run_view import RunViewScreen

    if sel is None or sel.file:
        app.notify("select a task or phase first", severity="warning")
        return
    app.push_screen(RunViewScreen((sel.mid, sel.tid, sel.phase)))


def _driven(app: KiroApp, mid: str, rec: RunRecord) -> bool:
    from kiro_tui.core.runs import control

    snap = app.snapshot
    return bool(snap is not None and snap.driving == mid) or control.driver_alive(rec)


def retry(app: KiroApp, rec: RunRecord) -> str:
    """From a worker: unblock the phase of `rec` (ended) so that its driver runs it again."""
    from kiro_tui.core.errors import Refused

    ws = app.workspace()
    m = ws.milestone(rec.milestone_id)
    t = m.task(rec.task_id) if m else None
    ph = t.phase(rec.phase) if t else None
    what = f"{rec.task_id} {rec.phase}"
    if ph is None:
        raise Refused(f"{rec.milestone_id}: no phase {what}")
    if ph.status != "blocked":
        return f"{what} is {ph.status}: nothing to retry (a retry unblocks a blocked phase)"
    ws.unblock(rec.milestone_id, rec.task_id, rec.phase, app.actor)
    app.source_refresh()
    if _driven(app, rec.milestone_id, rec):
        return f"{what} unblocked: the driver starts a new run"
    return f"{what} unblocked; nothing drives {rec.milestone_id}: press s on it to run the agent"


# ---------------------------------------------------------------- trust


def open_trust(app: KiroApp) -> None:
    """Load the review off the UI thread, then show the modal (from any screen)."""
    app.run_worker(lambda: _load_review(app), thread=True, group="trust", exit_on_error=False)


def _load_review(app: KiroApp) -> None:
    from kiro_tui.core.runs import trust

    review = trust.review(app.root)
    app.call_from_thread(_show_review, app, review)


def _show_review(app: KiroApp, review: Review) -> None:
    from kiro_tui.ui.screens.trust import TrustScreen

    def done(fingerprint: str | None) -> None:
        if fingerprint is not None:
            app.run_worker(
                lambda: confirm_trust(app, fingerprint),
                thread=True,
                group="actions",
                exit_on_error=False,
            )

    app.push_screen(TrustScreen(review), done)


def confirm_trust(app: KiroApp, fingerprint: str) -> str:
    """From a worker: trust what was reviewed, then unblock the phases it had blocked."""
    from kiro_tui.core import run_blockers
    from kiro_tui.core.runs import trust

    ws = app.workspace()
    fp = trust.confirm(app.root, fingerprint, by=app.actor or ws.actor())
    unblocked = []
    for m in ws.load().milestones:
        if m.finished:
            continue
        for key, f in run_blockers.failures_on_disk(app.root, m.id).items():
            t = m.task(key[1])
            ph = t.phase(key[2]) if t else None
            if f.blocker_kind == UNTRUSTED and ph is not None and ph.status == "blocked":
                ws.unblock(key[0], key[1], key[2], app.actor)
                unblocked.append(f"{key[1]} {key[2]}")
    app.source_refresh()
    text = f"trusted (fingerprint {fp[:16]})"
    return text + (f"; unblocked {', '.join(unblocked)}" if unblocked else "")
