"""The dashboard app: holds the workspace, its snapshot source and the current Snapshot, and
pushes the main screen, which holds the panes. Every worker failure is reported here, in one
line; the user's theme and key map are applied here.
"""

from __future__ import annotations

import gc
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from kiro_tui.core.clock import Clock  # light: os, time, datetime
from kiro_tui.core.text import plain
from kiro_tui.ui.messages import (
    ActionDone,
    DigestReady,
    EventsArrived,
    InboxArrived,
    SnapshotArrived,
)
from kiro_tui.ui.screens.main import MainScreen

if TYPE_CHECKING:  # the rest of the core is imported by the workers, after the first frame
    from kiro_tui.core.driving import DriverClaim
    from kiro_tui.core.errors import KiroError
    from kiro_tui.core.inbox import InboxItem
    from kiro_tui.core.service import Workspace
    from kiro_tui.core.snapshot import Snapshot
    from kiro_tui.ui.attention import AttentionFeed
    from kiro_tui.ui.source import SnapshotSource


def _kiro_commands() -> Any:
    from kiro_tui.ui.commands import KiroCommands

    return KiroCommands


class KiroApp(App[int]):
    """kiro-tui's dashboard."""

    CSS_PATH = "app.tcss"
    TITLE = "kiro-tui"
    COMMANDS = App.COMMANDS | {lambda: _kiro_commands()}

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    """The current snapshot; replaced whole, only on the UI thread."""

    def __init__(
        self,
        root: Path,
        *,
        drive: str | None = None,
        watch: bool = True,
        ws: Workspace | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.root = root
        self.drive = drive
        self.watching = watch  # not `watch`: that would hide Textual's DOMNode.watch
        self.clock = clock or Clock.from_env()  # the edge: KIRO_TUI_FAKE_NOW is read here
        self._ws = ws
        self._ws_lock = threading.Lock()
        self.source: SnapshotSource | None = None
        self._source_ready = threading.Event()
        self.stop_event = threading.Event()
        self.main = MainScreen()
        self.keymap: dict[str, str] = {}
        self.actor: str | None = None  # the user config's user_name, once it is loaded
        self._saved_theme: str | None = None
        self.last_notice: str | None = None
        """The last action outcome shown to the user (one line)."""
        self.snapshots_applied = 0
        """Snapshots the screen was rebuilt from (for tests and the bench)."""
        self.heap_frozen = False
        """`gc.freeze()` was called after the first full snapshot (see on_snapshot_arrived)."""
        self.inbox: tuple[InboxItem, ...] = ()
        """The attention inbox of snapshot `inbox_seq` (core.inbox order)."""
        self.inbox_seq = -1
        self.attention: AttentionFeed | None = None
        self._away_since: datetime | None = None  # the last visit, when a digest is due
        self._recheck: Timer | None = None  # when an open item is due to be announced again

    # ------------------------------------------------------------------ the workspace
    def workspace(self) -> Workspace:
        """The core service (created on first use, off the UI thread)."""
        with self._ws_lock:
            if self._ws is None:
                from kiro_tui.core.service import Workspace

                self._ws = Workspace.open(self.root, clock=self.clock)
            return self._ws

    def source_refresh(self) -> None:
        """After an action (from a worker): wake the coordinator, or run one cycle."""
        if self._source_ready.wait(30) and self.source is not None:
            self.source.refresh()

    def drive_here(self, mid: str) -> bool:
        """Ask the coordinator to drive `mid` (from a worker); False when nothing watches."""
        if not self._source_ready.wait(30) or self.source is None:
            return False

        def done(claim: DriverClaim | None, error: KiroError | None) -> None:
            if error is not None:
                self.post_message(ActionDone(str(error), error=True))
            elif claim is not None:
                text = claim.message or f"{mid}: driving session {claim.session_id}"
                self.post_message(
                    ActionDone(f"{text} (note: {claim.note})" if claim.note else text)
                )

        self.drive = mid
        return self.source.drive(mid, done)

    # ------------------------------------------------------------------ start and stop
    def get_default_screen(self) -> MainScreen:
        return self.main

    def on_mount(self) -> None:
        # the UI thread answers keys quickly while a worker loads (the default is 5 ms)
        sys.setswitchinterval(0.001)
        # what the imports and the screens made lives as long as the app: a full collection
        # during the first frame scanned it all (~20 ms); again after the first snapshot.
        # Until that snapshot is on screen the collector is off: the load makes millions of
        # objects that all live on (collections took ~0.7 s of a 2,000-milestone load)
        gc.freeze()
        gc.disable()
        # read after the first frame is on screen: the data must not delay it
        self.call_after_refresh(self._fill_log)
        self.call_after_refresh(self._start_source)

    @work(thread=True, group="log", exclusive=True, exit_on_error=False)
    def _fill_log(self) -> None:
        from kiro_tui.ui.source import initial_events

        initial_events(self.root / ".milestones", self.post_message)

    def now(self) -> datetime:
        """The time from the app's clock (injected, else read at the edge by make_app)."""
        return self.clock.now()

    @work(thread=True, group="coordinator", exclusive=True, exit_on_error=False)
    def _start_source(self) -> None:
        from kiro_tui.ui.source import first_screen

        try:
            ws = self.workspace()
            first_screen(ws, self.post_message)  # before the imports below (~120 ms)

            from kiro_tui.core.digest import mark_visit
            from kiro_tui.ui.attention import AttentionFeed, visit_on_open
            from kiro_tui.ui.source import SnapshotSource

            self.call_from_thread(self._apply_personal, ws)
            self._away_since = visit_on_open(self.root, ws.clock)
            self.attention = feed = AttentionFeed(self.root, self.post_message, ws.clock)
            self.source = SnapshotSource(
                ws,
                self.post_message,
                watch=self.watching,
                drive=self.drive,
                after_snapshot=feed.update,
            )
        finally:
            self._source_ready.set()
            if self.source is None:
                gc.enable()  # no source, no full snapshot: the collector is not kept off
        try:
            self.source.run(self.stop_event)
        finally:
            gc.enable()  # in case no full snapshot ever came
            feed.close()
            mark_visit(self.root, ws.clock.now())

    def _apply_personal(self, ws: Workspace) -> None:
        """The user config's theme, key map and name."""
        cfg = ws.config
        self.actor = cfg.user_name
        if cfg.theme and cfg.theme in self.available_themes:
            self.theme = cfg.theme
        self._saved_theme = self.theme
        if cfg.keymap:
            self.keymap = dict(cfg.keymap)
            self.set_keymap(self.keymap)

    def watch_theme(self, theme: str) -> None:
        if self._saved_theme is not None and theme != self._saved_theme:
            self._saved_theme = theme
            self._save_theme(theme)

    @work(thread=True, group="settings", exit_on_error=False)
    def _save_theme(self, theme: str) -> None:
        from kiro_tui.core.user_settings import save_setting

        save_setting("theme", theme)

    async def action_quit(self) -> None:
        self.stop_event.set()
        self.exit(0)

    def on_unmount(self) -> None:
        self.stop_event.set()
        gc.enable()
        gc.unfreeze()  # an app run in a longer process (tests): its garbage goes too

    # ------------------------------------------------------------------ messages
    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        current = self.snapshot
        if current is not None and message.snapshot.seq and message.snapshot.seq < current.seq:
            return
        self.snapshots_applied += 1
        self.snapshot = message.snapshot
        if message.snapshot.seq and not self.heap_frozen:
            # the first full snapshot is on screen: what exists now (modules, widgets, the
            # workspace) lives as long as the app. Frozen, the collector stops scanning it:
            # a full collection of that heap took 40-60 ms (a frame missed every few seconds
            # of moving through the tree); now it scans only what was made since.
            self.heap_frozen = True
            self.call_after_refresh(self._first_shown)

    def _first_shown(self) -> None:
        """The first full snapshot is on screen: what exists now is frozen, the collector on
        again, and the source may set up its watcher."""
        gc.freeze()
        gc.enable()
        if self.source is not None:
            self.source.shown.set()

    def watch_snapshot(self, snap: Snapshot | None) -> None:
        self.main.snapshot = snap

    def on_events_arrived(self, message: EventsArrived) -> None:
        self.main.add_events(message.events, message.initial, message.unreadable)

    def on_inbox_arrived(self, message: InboxArrived) -> None:
        from kiro_tui.ui.attention import announce
        from kiro_tui.ui.screens.inbox import InboxScreen

        if message.seq >= self.inbox_seq:
            self.inbox, self.inbox_seq = message.items, message.seq
            self.main.set_inbox(message.items)
            for screen in self.screen_stack:
                if isinstance(screen, InboxScreen):
                    screen.set_items(message.items, self.now())
        announce(self, message.notes)
        if self._recheck is not None:
            self._recheck.stop()
        self._recheck = None
        if message.recheck_in is not None:  # re-notify an item still open (notify.renotify_after)
            self._recheck = self.set_timer(message.recheck_in, self._recheck_attention)
        since, self._away_since = self._away_since, None
        if since is not None:
            self._make_digest(since, message.items)

    @work(thread=True, group="attention", exclusive=True, exit_on_error=False)
    def _recheck_attention(self) -> None:
        snap, feed = self.snapshot, self.attention
        if snap is not None and feed is not None:
            feed.update(snap)

    @work(thread=True, group="digest", exit_on_error=False)
    def _make_digest(self, since: datetime, items: tuple[InboxItem, ...]) -> None:
        from kiro_tui.core.digest import build_digest, digest_text

        d = build_digest(self.root / ".milestones", since, self.now(), gates=items)
        self.post_message(DigestReady(digest_text(d)))

    def on_digest_ready(self, message: DigestReady) -> None:
        from kiro_tui.ui.screens.digest import DigestScreen

        self.push_screen(DigestScreen(message.text))

    def on_action_done(self, message: ActionDone) -> None:
        self._notice(message.text, error=message.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker (the main screen's are passed on here): a result that is a string is the action's outcome; a failure is one
        line (a KiroError says what to do; anything else is an internal error)."""
        from kiro_tui.core.errors import KiroError

        worker = event.worker
        if event.state == WorkerState.SUCCESS and isinstance(worker.result, str):
            self._notice(worker.result)
        elif event.state == WorkerState.ERROR and worker.error is not None:
            exc = worker.error
            text = (
                str(exc)
                if isinstance(exc, KiroError)
                else f"internal error: {type(exc).__name__}: {exc}"
            )
            self._notice(" ".join(text.split()), error=True)

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's Screenshot (and `action_screenshot`): saved where a folder exists
        (ui/screenshot.py), and the path said."""
        from kiro_tui.ui.screenshot import save

        try:
            saved = save(self, filename, path)
        except OSError as exc:
            self._notice(f"screenshot not saved: {exc}", error=True)
            return None
        self._notice(f"screenshot saved to {saved}")
        return str(saved)

    def _notice(self, text: str, *, error: bool = False) -> None:
        self.last_notice = text
        self.notify(  # the text may quote repository text: never markup
            plain(text),
            severity="error" if error else "information",
            timeout=6 if error else 3,
            markup=False,
        )


def make_app(
    root: Path | str,
    *,
    drive: str | None = None,
    watch: bool = True,
    ws: Workspace | None = None,
    clock: Clock | None = None,
) -> KiroApp:
    """The one way to build the dashboard, shared by the CLI and the tests.

    The coordinator makes every snapshot. `watch=True` runs its loop (live files, the roles
    when driving `drive`); `watch=False` (snapshot tests) runs one cycle at start and one after
    each action, and nothing drives."""
    return KiroApp(Path(root), drive=drive, watch=watch, ws=ws, clock=clock)
