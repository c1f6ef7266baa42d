"""The run view (key `r`): the agent run of the selected task or phase, as it streams.

A thread worker (`ui.run_tail.tail`) follows the newest run of the target (a retry's new run
takes over) and posts its record and its new lines (tool calls, text, errors, the result: the
lines `kiro-tui runs show` prints); this screen only shows them. The output goes into a bounded
`Log` (plain text, never markup); the status line says the status, elapsed time and the cost so
far. `s` asks the driving process to stop the run, `R` retries the phase (an unblock: the
driver's executor starts the new run); `f` follows the output on or off; Escape closes.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Log, Static

from kiro_tui.ui.run_tail import KEEP, RunChanged, RunLines, Target
from kiro_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from kiro_tui.core.runs.records import RunRecord
    from kiro_tui.ui.app import KiroApp

STATUS_STYLE = {
    "running": "bold $success",
    "verifying": "bold $success",
    "queued": "$primary",
    "succeeded": "$success",
    "failed": "bold $error",
    "blocked": "bold $error",
    "stopped": "$warning",
    "interrupted": "$warning",
}


def elapsed_text(rec: RunRecord, now: datetime) -> str:
    """The run's duration when it is over, else the time since it started ("-" if queued)."""
    from kiro_tui.core import clock
    from kiro_tui.core.runs.listing import duration_text

    if not rec.live or rec.started_at is None:
        return duration_text(rec)
    started = clock.parse_ts(rec.started_at)
    if started is None:
        return "-"
    s = max(0.0, (now - started).total_seconds())
    return f"{s:.0f}s" if s < 120 else f"{int(s // 60)}m{int(s % 60):02d}s"


def status_line(rec: RunRecord | None, what: str, now: datetime) -> Content:
    """Two lines: the run and where it is, then status, elapsed time, cost and lines."""
    from kiro_tui.core.runs.listing import cost_text

    if rec is None:
        return Content.assemble(
            ("Run view", "bold"), "  ", what, "\n", ("no agent run here yet", "$text-muted")
        )
    status = rec.status
    why = rec.stop_reason if rec.status in ("stopped", "interrupted") else rec.outcome
    if why and why != "ok":
        status += f" ({why})"
    return Content.assemble(
        ("Run ", "bold"),
        (rec.run_id, "bold"),
        "  ",
        f"{rec.milestone_id} / {rec.task_id} / {rec.phase}",
        "  ",
        (f"agent {rec.preset or '?'}", "$text-muted"),
        "\n",
        (status, STATUS_STYLE.get(rec.status, "")),
        " · elapsed ",
        elapsed_text(rec, now),
        " · ",
        cost_text(rec),
        " · ",
        (f"{rec.lines} lines" if not rec.live else "live", "$text-muted"),
    )


class RunViewScreen(Screen[None]):
    """Follows the run of `target` (milestone, task or phase id)."""

    DEFAULT_CSS = """
    RunViewScreen { layout: vertical; }
    #run-head { height: 2; padding: 0 1; background: $boost; }
    #run-log { height: 1fr; border: round $primary; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="run_view.close"),
        Binding("s", "stop", "Stop run", id="run_view.stop"),
        Binding("R", "retry", "Retry", id="run_view.retry"),
        Binding("f", "follow", "Follow", id="run_view.follow"),
    ]

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.record: RunRecord | None = None
        self.lines_shown = 0  # for tests and the bench
        self._stop = threading.Event()
        self._wake = threading.Event()

    @property
    def kiro(self) -> KiroApp:
        from kiro_tui.ui.app import KiroApp

        assert isinstance(self.app, KiroApp)
        return self.app

    @property
    def what(self) -> str:
        return " / ".join(x for x in self.target if x)

    def compose(self) -> ComposeResult:
        yield Static(status_line(None, self.what, self.kiro.now()), id="run-head")
        log = Log(id="run-log", max_lines=KEEP, auto_scroll=True)
        log.border_title = "Agent output"
        yield log
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Log).focus()
        self.set_interval(1.0, self._tick)  # elapsed time, from the record: no IO
        self._follow()

    def on_unmount(self) -> None:
        self._stop.set()

    @work(thread=True, group="run-view", exclusive=True, exit_on_error=False)
    def _follow(self) -> None:
        from kiro_tui.ui.run_tail import tail

        tail(self.kiro.root, self.target, self.post_message, self._stop, self._wake)

    def _tick(self) -> None:
        if self.record is not None and self.record.live:
            self._show_status()

    def _show_status(self) -> None:
        self.query_one("#run-head", Static).update(
            status_line(self.record, self.what, self.kiro.now())
        )

    # ------------------------------------------------------------------ what the reader posts
    def on_run_changed(self, message: RunChanged) -> None:
        if message.new and message.rec is not None:
            log = self.query_one(Log)
            if self.record is not None:  # a retry's run follows the one shown
                log.write_line(f"--- run {message.rec.run_id} ---")
            log.border_title = f"Agent output · run {message.rec.run_id}"
        self.record = message.rec
        self._show_status()

    def on_run_lines(self, message: RunLines) -> None:
        if self.record is None or message.run_id != self.record.run_id:
            return
        self.query_one(Log).write_lines(message.lines)
        self.lines_shown += len(message.lines)

    def on_worker_state_changed(self, event: object) -> None:
        """Worker.StateChanged does not bubble: the app's one handler reports it."""
        self.kiro.on_worker_state_changed(event)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ keys
    def action_close(self) -> None:
        self._stop.set()
        self.dismiss(None)

    def action_follow(self) -> None:
        log = self.query_one(Log)
        log.auto_scroll = not log.auto_scroll
        if log.auto_scroll:
            log.scroll_end(animate=False)
        self.notify("output follows new lines" if log.auto_scroll else "output stays put")

    def action_stop(self) -> None:
        rec = self.record
        if rec is None:
            self.notify(f"no agent run for {self.what}", severity="warning", markup=False)
        elif not rec.live:
            self.notify(f"run {rec.run_id} is {rec.status}: nothing to stop", markup=False)
        else:
            self._request_stop(rec)

    @work(thread=True, group="actions", exit_on_error=False)
    def _request_stop(self, rec: RunRecord) -> str:
        from kiro_tui.core.runs import control

        app = self.kiro
        if not control.driver_alive(rec):
            return f"observing: no process drives run {rec.run_id}; nothing asked to stop it"
        control.request_stop(app.root, rec.run_id, app.actor)
        app.source_refresh()  # this window's driver acts on it at once
        self._wake.set()
        if rec.driver_pid == os.getpid():
            return f"stopping run {rec.run_id}"
        return f"observing: asked the driving process (pid {rec.driver_pid}) to stop {rec.run_id}"

    def action_retry(self) -> None:
        rec = self.record
        if rec is None:
            self.notify(f"no agent run for {self.what}", severity="warning", markup=False)
        elif rec.live:
            self.notify(
                f"run {rec.run_id} is {rec.status}: stop it first (s)",
                severity="warning",
                markup=False,
            )
        else:
            self._retry(rec)

    @work(thread=True, group="actions", exit_on_error=False)
    def _retry(self, rec: RunRecord) -> str:
        from kiro_tui.ui.run_actions import retry

        out = retry(self.kiro, rec)
        self._wake.set()
        return out
