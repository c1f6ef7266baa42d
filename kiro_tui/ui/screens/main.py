"""The dashboard's main screen: the panes, their messages, and the keys' actions.

Attributes go down (`snapshot` is bound into the header and the detail pane with `data_bind`;
the tree and the blocker table are given it), messages come up (`@on(..., "#id")`). Every call
that changes a file runs in a named thread worker through the app's `Workspace`; a worker that
fails is reported, in one line, by the app's `Worker.StateChanged` handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input

from kiro_tui.ui import attention_nav, keys
from kiro_tui.ui.messages import CommitsLoaded, ReportReady
from kiro_tui.ui.screens.decision import Decision, DecisionScreen
from kiro_tui.ui.screens.help import HelpScreen
from kiro_tui.ui.screens.review import phase_ref
from kiro_tui.ui.view import Sel, find_waiting, ordered_milestones
from kiro_tui.ui.widgets.blocker_table import BlockerTable
from kiro_tui.ui.widgets.detail import DetailPane
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

if TYPE_CHECKING:  # the core is imported by the workers, after the first frame
    from kiro_tui.core.deliverables import DeliverableReport
    from kiro_tui.core.events import Event
    from kiro_tui.core.inbox import InboxItem
    from kiro_tui.core.snapshot import Snapshot
    from kiro_tui.ui.app import KiroApp

TREE_FILTER = "filter: id, title or status (Escape clears)"
LOG_FILTER = "filter the log: text (Escape clears)"


def _titled(widget: Widget, title: str) -> Widget:
    widget.border_title = title  # set before mounting: no extra layout pass
    return widget


class MainScreen(Screen[None]):
    """Header, tree, detail, blockers, log and footer."""

    BINDINGS = keys.BINDINGS

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    """The app's current snapshot (set by the app, only on the UI thread)."""

    def __init__(self) -> None:
        super().__init__()
        self._first_snapshot = True
        self._filter_log = False
        self._report_seq = 0  # the newest report asked for: older answers are dropped
        self._pending_events: list[tuple[list[Event], bool]] = []

    @property
    def kiro(self) -> KiroApp:
        from kiro_tui.ui.app import KiroApp

        assert isinstance(self.app, KiroApp)
        return self.app

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield KiroHeader(id="header").data_bind(MainScreen.snapshot)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder=TREE_FILTER, id="filter")
                yield _titled(MilestoneTree(id="tree"), "Milestones")
            with Vertical(id="right"):
                with _titled(VerticalScroll(id="detail-scroll"), "Detail"):
                    yield DetailPane(id="detail").data_bind(MainScreen.snapshot)
                yield _titled(BlockerTable(id="blockers"), "Blockers")
        yield _titled(EventLog(id="log"), "Log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(MilestoneTree).focus()
        if self._pending_events:
            for events, initial in self._pending_events:
                self.add_events(events, initial)
            self._pending_events.clear()
        self.watch_snapshot(self.snapshot)
        self.set_inbox(self.kiro.inbox)

    # ------------------------------------------------------------------ data coming down
    def watch_snapshot(self, snap: Snapshot | None) -> None:
        trees = self.query(MilestoneTree)
        if snap is None or not self.is_mounted or not trees:  # none while the app closes
            return
        tree = trees.first()
        tree.update_snapshot(snap)
        self.query_one(BlockerTable).set_blockers(snap.blockers)
        if self._first_snapshot and snap.state.milestones:
            self._first_snapshot = False
            first = snap.driving or next(
                (m.id for m in ordered_milestones(snap.state) if not m.finished), None
            )
            if first is not None and tree.select(Sel(first)):
                node = tree.cursor_node
                if node is not None:
                    node.expand()
        sel = tree.selection
        if sel is not None and sel.phase:
            self._ask_report(sel, snap)

    def add_events(self, events: list[Event], initial: bool) -> None:
        if not self.is_mounted:
            self._pending_events.append((events, initial))
            return
        log = self.query_one(EventLog)
        if initial:  # lines that arrived live before the first fill stay after it
            log.set_events([*events, *log.kept])
        else:
            log.add_events(events)

    # ------------------------------------------------------------------ messages going up
    @on(MilestoneTree.SelectionChanged, "#tree")
    def _selection_changed(self, message: MilestoneTree.SelectionChanged) -> None:
        self.query_one(DetailPane).selection = message.sel
        if message.sel is not None and message.sel.phase and self.snapshot is not None:
            self._ask_report(message.sel, self.snapshot)

    @on(BlockerTable.Jump, "#blockers")
    def _jump(self, message: BlockerTable.Jump) -> None:
        self._jump_to(message.sel)

    def _jump_to(self, sel: Sel | None) -> None:
        tree = self.query_one(MilestoneTree)
        if sel is None:
            return
        if tree.select(sel):
            tree.focus()
        else:
            self.notify(f"{sel.mid} is not in the tree", severity="warning")

    def _ask_report(self, sel: Sel, snap: Snapshot) -> None:
        self._report_seq += 1
        self._compute_report(self._report_seq, sel, snap)

    @work(thread=True, group="detail", exclusive=True, exit_on_error=False)
    def _compute_report(self, seq: int, sel: Sel, snap: Snapshot) -> None:
        from kiro_tui.core.deliverables import report

        m = snap.state.milestone(sel.mid)
        t = m.task(sel.tid) if m and sel.tid else None
        p = t.phase(sel.phase) if t and sel.phase else None
        if p is not None:
            self.post_message(ReportReady(sel, report(snap.state.root, sel.tid or "", p), seq))

    def on_report_ready(self, message: ReportReady) -> None:
        if message.seq < self._report_seq:
            return  # an older answer, overtaken by a newer question
        self.query_one(DetailPane).report = (message.sel, message.report)

    def report_of(self, sel: Sel) -> DeliverableReport | None:
        got = self.query_one(DetailPane).report
        return got[1] if got is not None and got[0] == sel else None

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

    def on_worker_state_changed(self, event: Any) -> None:
        """Worker.StateChanged does not bubble: the app's one handler reports it."""
        self.kiro.on_worker_state_changed(event)

    # ------------------------------------------------------------------ gate decisions
    def _selection(self) -> Sel | None:
        sel = self.query_one(MilestoneTree).selection
        if sel is None:
            self.notify("select a milestone, task or phase first", severity="warning")
        return sel

    def _decide(self, approve: bool) -> None:
        sel = self._selection()
        if sel is not None:
            self.decide_on(sel, approve)

    def decide_on(self, sel: Sel, approve: bool) -> None:
        """The decision modal on the phase waiting under `sel` (also from the inbox)."""
        if self.snapshot is None:
            return
        target = find_waiting(self.snapshot.state, sel)
        if target is None:
            what = "/".join(x for x in (sel.mid, sel.tid, sel.phase) if x)
            self.notify(f"nothing waiting for approval under {what}", severity="warning")
            return
        ref = phase_ref(self.kiro.root, self.snapshot, target.mid, target.tid, target.phase)

        def done(decision: Decision | None) -> None:
            if decision is not None:
                self._apply_decision(decision)

        self.app.push_screen(DecisionScreen(target, approve=approve, ref=ref), done)

    def action_approve(self) -> None:
        self._decide(True)

    def action_reject(self) -> None:
        self._decide(False)

    @work(thread=True, group="actions", exit_on_error=False)
    def _apply_decision(self, d: Decision) -> str:
        t, app = d.target, self.kiro
        ws = app.workspace()
        if d.approve:
            out = ws.approve(t.mid, t.tid, t.phase, app.actor, d.text or None)
        else:
            out = ws.reject(t.mid, t.tid, t.phase, d.text, app.actor)
        app.source_refresh()
        return out.message or "done"

    # ------------------------------------------------------------------ sessions
    def action_pause(self) -> None:
        sel = self._selection()
        if sel is None or self.snapshot is None:
            return
        m = self.snapshot.state.milestone(sel.mid)
        self._pause_or_resume(sel.mid, bool(m and m.status == "paused"))

    @work(thread=True, group="actions", exit_on_error=False)
    def _pause_or_resume(self, mid: str, paused: bool) -> str:
        app = self.kiro
        ws = app.workspace()
        out = ws.resume(mid, app.actor) if paused else ws.pause(mid, app.actor)
        app.source_refresh()
        return out.message or "done"

    def action_start(self) -> None:
        sel = self._selection()
        if sel is not None:
            self._start(sel.mid)

    @work(thread=True, group="actions", exit_on_error=False)
    def _start(self, mid: str) -> str | None:
        """Drive `mid` from this window; an app that does not watch only starts the session
        (nothing would drive it)."""
        app = self.kiro
        if app.drive_here(mid):
            return None  # the coordinator answers when it has claimed the driver
        out = app.workspace().start_milestone(mid, app.actor)
        app.source_refresh()
        return out.message or "done"

    # ------------------------------------------------------------------ git
    def action_git_commits(self) -> None:
        """Open the git panel on the selected milestone's commits."""
        from kiro_tui.ui.screens.git_panel import GitPanelScreen

        sel = self._selection()
        if sel is None:
            return
        screen = GitPanelScreen(sel.mid)
        self.app.push_screen(screen)
        self._load_commits(sel.mid, screen)

    @work(thread=True, group="git", exit_on_error=False)
    def _load_commits(self, mid: str, screen: Screen[None]) -> None:
        from kiro_tui.core import git as gitops

        ws = self.kiro.workspace()
        try:
            info = gitops.info(ws.root, ws.config.git.remote)
            if not info.is_repo:
                msg = CommitsLoaded(mid, [], f"{ws.root} is not inside a git repository")
            elif info.error:
                msg = CommitsLoaded(mid, [], f"cannot read the repository: {info.error}")
            else:
                commits = gitops.milestone_commits(ws.root, mid)
                branch = f"detached at {info.branch}" if info.detached else info.branch
                msg = CommitsLoaded(
                    mid,
                    commits,
                    None if commits else f"no commits of {mid} on {branch} yet",
                    branch=branch,
                )
        except Exception as exc:  # the panel says it, in one line
            msg = CommitsLoaded(mid, [], f"could not list commits: {exc}")
        screen.post_message(msg)

    def action_git_push(self) -> None:
        """Push the current branch to the configured remote (`git.remote`)."""
        sel = self.query_one(MilestoneTree).selection  # where to log it; none is fine
        self._push(sel.mid if sel is not None else None)

    @work(thread=True, group="actions", exit_on_error=False)
    def _push(self, mid: str | None) -> str:
        app = self.kiro
        result = app.workspace().push(mid)
        app.source_refresh()
        return result.message

    # ------------------------------------------------------------------ moving around
    def set_inbox(self, items: tuple[InboxItem, ...]) -> None:
        """The app's inbox changed: the header shows its count (on mount, if not yet)."""
        for header in self.query(KiroHeader):  # none before mount or while the app closes
            header.attention = attention_nav.header_attention(items)

    def action_next(self) -> None:
        """The next inbox item after the selection, in the inbox's order."""
        tree = self.query_one(MilestoneTree)
        sel = attention_nav.next_item(self.kiro, tree.selection)
        if sel is None:
            self.notify("nothing needs you right now")
            return
        tree.select(sel)
        tree.focus()

    def action_inbox(self) -> None:
        from kiro_tui.ui.screens.inbox import InboxScreen

        self.app.push_screen(
            InboxScreen(attention_nav.current_inbox(self.kiro), self.kiro.now()), self._jump_to
        )

    # ------------------------------------------------------------------ review
    def action_diff(self) -> None:
        attention_nav.show_diff(self.kiro, self.query_one(MilestoneTree).selection)

    def action_open(self) -> None:
        attention_nav.open_selected(self.kiro, self.query_one(MilestoneTree).selection)
        self._refresh()  # what the editor changed shows on return

    @work(thread=True, group="actions", exit_on_error=False)
    def _refresh(self) -> None:
        self.kiro.source_refresh()

    def action_copy(self) -> None:
        attention_nav.copy_selected(self.kiro, self.query_one(MilestoneTree).selection)

    def action_filter(self) -> None:
        """Filter the tree, or the log's lines when the log has focus."""
        flt = self.query_one("#filter", Input)
        log = self.query_one(EventLog)
        self._filter_log = log.has_focus
        flt.placeholder = LOG_FILTER if self._filter_log else TREE_FILTER
        flt.value = (
            log.text_filter if self._filter_log else self.query_one(MilestoneTree).filter_text
        )
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
        self.app.push_screen(HelpScreen(self.kiro.keymap))

    async def action_quit(self) -> None:
        await self.app.action_quit()

    def set_log_filter(
        self, *, role: str | None = None, level: str | None = None, text: str | None = None
    ) -> None:
        log = self.query_one(EventLog)
        if role is not None:
            log.role_filter = role
        if level is not None:
            log.level_filter = level
        if text is not None:
            log.text_filter = text
