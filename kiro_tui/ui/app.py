"""The dashboard app: holds the current Snapshot, lays out the panes, turns keys into intents.

Everything that touches files runs in a named thread worker and comes back as a message.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, Input

from kiro_tui.ui.git_actions import GitActions
from kiro_tui.ui.messages import ActionDone, EventsArrived, ReportReady, SnapshotArrived
from kiro_tui.ui.screens.decision import Decision, DecisionScreen
from kiro_tui.ui.screens.help import HelpScreen
from kiro_tui.ui.source import SnapshotFeed
from kiro_tui.ui.view import Sel, find_waiting, next_needing_you
from kiro_tui.ui.widgets.blocker_table import BlockerTable
from kiro_tui.ui.widgets.detail import DetailPane
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

if TYPE_CHECKING:  # the core is imported by the workers, after the first frame
    from kiro_tui.core.snapshot import Snapshot


def _kiro_commands() -> Any:
    from kiro_tui.ui.commands import KiroCommands

    return KiroCommands


class KiroApp(SnapshotFeed, GitActions, App[int]):
    """kiro-tui's dashboard."""

    CSS_PATH = "app.tcss"
    TITLE = "kiro-tui"
    COMMANDS = App.COMMANDS | {lambda: _kiro_commands()}
    BINDINGS = [
        Binding("a", "approve", "Approve", id="kiro.approve"),
        Binding("x", "reject", "Reject", id="kiro.reject"),
        Binding("n", "next", "Next for you", id="kiro.next"),
        Binding("p", "pause", "Pause/resume", id="kiro.pause"),
        Binding("s", "start", "Start", id="kiro.start"),
        Binding("slash", "filter", "Filter", id="kiro.filter"),
        Binding("f", "follow", "Follow", id="kiro.follow"),
        Binding("l", "focus_log", "Log", id="kiro.focus_log"),
        Binding("b", "focus_blockers", "Blockers", id="kiro.focus_blockers"),
        Binding("t", "focus_tree", "Tree", id="kiro.focus_tree", show=False),
        Binding("question_mark", "help", "Help", id="kiro.help"),
        Binding("q", "quit", "Quit", id="kiro.quit"),
    ]
    COMMAND_ENTRIES = (
        ("Approve phase", "approve", "a", "approve the phase waiting under the selection"),
        ("Reject phase", "reject", "x", "send it back with a reason"),
        ("Next thing needing you", "next", "n", "a gate waiting, then a critical blocker"),
        ("Pause or resume session", "pause", "p", "the selected milestone's session"),
        ("Start session here", "start", "s", "start the selected milestone, driven from here"),
        ("Filter tree", "filter", "/", "by id, title or status"),
        ("Follow log on/off", "follow", "f", "scroll with new log lines or stay put"),
        ("Focus log", "focus_log", "l", "move the cursor to the log"),
        ("Focus blockers", "focus_blockers", "b", "Enter there jumps to the task"),
        ("Focus tree", "focus_tree", "t", "back to the milestone tree"),
        ("Help", "help", "?", "every key"),
        ("Quit", "quit", "q", "stops driving cleanly"),
    )

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    """The current snapshot; replaced whole, only on the UI thread."""

    def __init__(self, root: Path, *, drive: str | None = None, watch: bool = True,
                 coordinator: bool | None = None, ws: Any = None) -> None:
        super().__init__()
        self.root = root
        self.drive = drive
        self.watching = watch
        self.use_coordinator = coordinator
        self._ws = ws
        self._ws_lock = threading.Lock()
        self.source: Any = None
        self.stop_event = threading.Event()
        self._first_snapshot = True
        self._filter_log = False
        self.last_notice: str | None = None
        """The last action outcome shown to the user (one line)."""

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        def titled(widget: Any, title: str) -> Any:
            widget.border_title = title  # set before mounting: no extra layout pass
            return widget

        yield KiroHeader(id="header")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder="filter: id, title or status (Escape clears)",
                            id="filter")
                yield titled(MilestoneTree(id="tree"), "Milestones")
            with Vertical(id="right"):
                with titled(VerticalScroll(id="detail-scroll"), "Detail"):
                    yield DetailPane(id="detail")
                yield titled(BlockerTable(id="blockers"), "Blockers")
        yield titled(EventLog(id="log"), "Log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(MilestoneTree).focus()
        # the UI thread answers keys quickly while a worker loads (the default is 5 ms)
        sys.setswitchinterval(0.001)
        # read after the first frame is on screen: the data must not delay it
        self.call_after_refresh(self._fill_log)
        self.call_after_refresh(self._start_source)

    # ------------------------------------------------------------------ messages
    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        current = self.snapshot
        if current is not None and message.snapshot.seq and \
                message.snapshot.seq < current.seq:
            return
        self.snapshot = message.snapshot

    def watch_snapshot(self, snap: Snapshot | None) -> None:
        if snap is None:
            return
        tree = self.query_one(MilestoneTree)
        tree.update_snapshot(snap)
        self.query_one(KiroHeader).snapshot = snap
        self.query_one(DetailPane).snapshot = snap
        self.query_one(BlockerTable).set_blockers(snap.blockers)
        if self._first_snapshot:
            self._first_snapshot = False
            from kiro_tui.ui.view import ordered_milestones

            first = snap.driving or next(
                (m.id for m in ordered_milestones(snap.state) if not m.finished), None)
            if first is not None and tree.select(Sel(first)):
                node = tree.cursor_node
                if node is not None:
                    node.expand()
        sel = tree.selection
        if sel is not None and sel.phase:
            self._compute_report(sel, snap)

    def on_events_arrived(self, message: EventsArrived) -> None:
        log = self.query_one(EventLog)
        if message.initial:  # lines that arrived live before the first fill stay after it
            log.set_events([*message.events, *log.kept])
        else:
            log.add_events(message.events)

    def on_milestone_tree_selection_changed(self, message: MilestoneTree.SelectionChanged
                                            ) -> None:
        self.query_one(DetailPane).selection = message.sel
        if message.sel is not None and message.sel.phase and self.snapshot is not None:
            self._compute_report(message.sel, self.snapshot)

    def on_report_ready(self, message: ReportReady) -> None:
        self.query_one(DetailPane).report = (message.sel, message.report)

    def on_action_done(self, message: ActionDone) -> None:
        self.last_notice = message.text
        self.notify(message.text, severity="error" if message.error else
                    "warning" if message.warning else "information",
                    timeout=6 if message.error or message.warning else 3)

    def on_blocker_table_jump(self, message: BlockerTable.Jump) -> None:
        tree = self.query_one(MilestoneTree)
        if tree.select(message.sel):
            tree.focus()
        else:
            self.notify(f"{message.sel.mid} is not in the tree", severity="warning")

    @work(thread=True, group="detail", exclusive=True, exit_on_error=False)
    def _compute_report(self, sel: Sel, snap: Snapshot) -> None:
        from kiro_tui.core.deliverables import report

        m = snap.state.milestone(sel.mid)
        t = m.task(sel.tid) if m and sel.tid else None
        p = t.phase(sel.phase) if t and sel.phase else None
        if p is not None:
            self.post_message(ReportReady(sel, report(snap.state.root, sel.tid or "", p)))

    # ------------------------------------------------------------------ filter input
    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_log:
            self.query_one(EventLog).text_filter = event.value.strip()
        else:
            self.query_one(MilestoneTree).filter_text = event.value.strip()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        (self.query_one(EventLog) if self._filter_log else self.query_one(MilestoneTree)).focus()

    def on_key(self, event: Any) -> None:
        flt = self.query_one("#filter", Input)
        if event.key == "escape" and flt.has_focus:
            flt.value = ""
            flt.display = False
            self._filter_submitted()
            event.stop()

    # ------------------------------------------------------------------ actions
    def _selection(self) -> Sel | None:
        sel = self.query_one(MilestoneTree).selection
        if sel is None:
            self.notify("select a milestone, task or phase first", severity="warning")
        return sel

    def _decide(self, approve: bool) -> None:
        sel = self._selection()
        if sel is None or self.snapshot is None:
            return
        target = find_waiting(self.snapshot.state, sel)
        if target is None:
            what = "/".join(x for x in (sel.mid, sel.tid, sel.phase) if x)
            self.notify(f"nothing waiting for approval under {what}", severity="warning")
            return
        m = self.snapshot.state.milestone(target.mid)
        t = m.task(target.tid) if m else None
        p = t.phase(target.phase) if t else None
        summary = ""
        if p is not None:
            summary = ("deliverables: " + ", ".join(d.label for d in p.deliverables)
                       if p.deliverables else "no deliverables listed")
            if p.acceptance_criteria:
                summary += "\ncriteria: " + "; ".join(p.acceptance_criteria)

        def done(decision: Decision | None) -> None:
            if decision is not None:
                self._apply_decision(decision)

        self.push_screen(DecisionScreen(target, approve=approve, summary=summary), done)

    def action_approve(self) -> None:
        self._decide(True)

    def action_reject(self) -> None:
        self._decide(False)

    def _service(self, fn_name: str, *args: Any, drive: str | None = None) -> None:
        """Run a Workspace method in the actions worker and report the outcome in one line."""
        from kiro_tui.core.errors import KiroError

        try:
            ws = self.workspace()
            out = getattr(ws, fn_name)(*args)
            if drive is not None and self.source is not None and hasattr(self.source, "drive"):
                self.source.drive(drive)
            self.post_message(ActionDone(getattr(out, "message", None) or f"{fn_name}: done"))
        except KiroError as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        except Exception as exc:  # a traceback in front of a user is a bug; say it in one line
            self.post_message(ActionDone(f"internal error: {type(exc).__name__}: {exc}",
                                         error=True))
            return
        self._refresh_now()

    @work(thread=True, group="actions", exit_on_error=False)
    def _apply_decision(self, d: Decision) -> None:
        t = d.target
        if d.approve:
            self._service("approve", t.mid, t.tid, t.phase, None, d.text or None)
        else:
            self._service("reject", t.mid, t.tid, t.phase, d.text, None)

    @work(thread=True, group="actions", exit_on_error=False)
    def _pause_or_resume(self, mid: str, paused: bool) -> None:
        self._service("resume" if paused else "pause", mid, None)

    @work(thread=True, group="actions", exit_on_error=False)
    def _start(self, mid: str) -> None:
        self.drive = mid
        self._service("start_milestone", mid, None, drive=mid)

    def action_pause(self) -> None:
        sel = self._selection()
        if sel is None or self.snapshot is None:
            return
        m = self.snapshot.state.milestone(sel.mid)
        self._pause_or_resume(sel.mid, bool(m and m.status == "paused"))

    def action_start(self) -> None:
        sel = self._selection()
        if sel is not None:
            self._start(sel.mid)

    def action_next(self) -> None:
        if self.snapshot is None:
            return
        tree = self.query_one(MilestoneTree)
        sel = next_needing_you(self.snapshot, tree.selection)
        if sel is None:
            self.notify("nothing needs you right now")
            return
        tree.select(sel)
        tree.focus()

    def action_filter(self) -> None:
        """Filter the tree, or the log's lines when the log has focus."""
        flt = self.query_one("#filter", Input)
        log = self.query_one(EventLog)
        self._filter_log = log.has_focus
        flt.placeholder = ("filter the log: text (Escape clears)" if self._filter_log else
                           "filter: id, title or status (Escape clears)")
        flt.value = log.text_filter if self._filter_log else \
            self.query_one(MilestoneTree).filter_text
        flt.display = True
        flt.focus()

    def action_follow(self) -> None:
        log = self.query_one(EventLog)
        log.follow = not log.follow
        self.notify("log follows new lines" if log.follow else "log stays put", timeout=2)

    def action_focus_log(self) -> None:
        self.query_one(EventLog).focus()

    def action_focus_blockers(self) -> None:
        self.query_one(BlockerTable).focus()

    def action_focus_tree(self) -> None:
        self.query_one(MilestoneTree).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def set_log_filter(self, *, role: str | None = None, level: str | None = None,
                       text: str | None = None) -> None:
        log = self.query_one(EventLog)
        if role is not None:
            log.role_filter = role
        if level is not None:
            log.level_filter = level
        if text is not None:
            log.text_filter = text

    async def action_quit(self) -> None:
        self.stop_event.set()
        self.exit(0)

    def on_unmount(self) -> None:
        self.stop_event.set()


def make_app(root: Path | str, *, drive: str | None = None, watch: bool = True,
             coordinator: bool | None = None, ws: Any = None) -> KiroApp:
    """The one way to build the dashboard, shared by `launch` and the tests.

    `watch=True` runs the coordinator (live files, roles when driving). `watch=False` loads
    once and starts no watcher (snapshot tests), with the coordinator's blockers only when
    `coordinator=True` (else only the blockers of files that failed to load: no clock).
    """
    return KiroApp(Path(root), drive=drive, watch=watch, coordinator=coordinator, ws=ws)
