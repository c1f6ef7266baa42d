"""The dashboard's main screen: the panes, their messages, and the keys' actions.

Attributes go down (`snapshot` is bound into the header and the detail pane with `data_bind`;
the tree and the blocker table are given it), messages come up (`@on(..., "#id")`). Every call
that changes a file runs in a named thread worker through the app's `Workspace`; a worker that
fails is reported, in one line, by the app's `Worker.StateChanged` handler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from kiro_tui.ui import attention_nav, keys, screen_actions
from kiro_tui.ui.messages import ReportReady
from kiro_tui.ui.pane_filters import PaneFilters
from kiro_tui.ui.screens.decision import Decision, DecisionScreen
from kiro_tui.ui.screens.help import HelpScreen
from kiro_tui.ui.screens.review import phase_ref
from kiro_tui.ui.view import Sel, blocker_sel, find_waiting, ordered_milestones
from kiro_tui.ui.widgets.blocker_note import BlockerNote
from kiro_tui.ui.widgets.blocker_table import BlockerTable
from kiro_tui.ui.widgets.detail import DetailPane
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.key_footer import KeyFooter
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree
from kiro_tui.ui.widgets.phase_content import PhaseContent, current_phase

if TYPE_CHECKING:  # the core is imported by the workers, after the first frame
    from kiro_tui.core.deliverables import DeliverableReport
    from kiro_tui.core.events import Event
    from kiro_tui.core.inbox import InboxItem
    from kiro_tui.core.snapshot import Snapshot
    from kiro_tui.ui.app import KiroApp

TREE_FILTER = "filter: id, title or status (Escape clears)"
LOG_FILTER = "filter the log: text (Escape clears)"
NARROW, SHORT, TINY = 100, 30, 16  # columns under which panes stack; rows: log shrinks, goes


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
        self._report_seq = 0  # the newest report asked for: older answers are dropped
        self._pending_events: list[tuple[list[Event], bool, int]] = []
        self.filters = PaneFilters(self)

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
                    yield PhaseContent(id="detail-content").data_bind(MainScreen.snapshot)
                yield _titled(BlockerTable(id="blockers"), "Blockers")
                yield BlockerNote(id="blocker-note")
        yield Input(placeholder=LOG_FILTER, id="log-filter")  # above the log it filters
        yield _titled(EventLog(id="log"), "Log")
        yield KeyFooter()

    def on_resize(self, event: Any) -> None:
        """Stack the panes under NARROW columns; shrink the log first when rows are few."""
        w, h = event.size.width, event.size.height
        self.set_class(w < NARROW, "-narrow")
        self.set_class(h < SHORT, "-short")
        self.set_class(h < TINY, "-tiny")
        self._blocker_note()

    def on_mount(self) -> None:
        tree = self.query_one(MilestoneTree)
        tree.focus()
        self.watch(tree, "highlighted", self._selection_changed)
        self.filters.watch()
        if self._pending_events:
            for events, initial, unreadable in self._pending_events:
                self.add_events(events, initial, unreadable)
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
        self._blocker_note()
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

    def add_events(self, events: list[Event], initial: bool, unreadable: int = 0) -> None:
        logs = self.query(EventLog)
        if not self.is_mounted or not logs:  # before mount; while the app closes it goes too
            self._pending_events.append((events, initial, unreadable))
            return
        log = logs.first()
        if initial:  # lines that arrived live before the first fill stay after it
            log.unreadable = unreadable
            log.set_events([*events, *log.kept])
        else:
            log.add_events(events)

    # ------------------------------------------------------------------ messages going up
    def _selection_changed(self, sel: Sel | None) -> None:
        """The tree's cursor moved (a watcher of `MilestoneTree.highlighted`: see there)."""
        self.query_one(DetailPane).selection = sel
        self.query_one(PhaseContent).selection = sel
        self.query_one(KiroHeader).selected = sel.mid if sel else None
        if sel is not None and sel.phase and self.snapshot is not None:
            self._ask_report(sel, self.snapshot)

    @on(BlockerTable.Highlighted, "#blockers")
    def _blocker_note(self) -> None:
        """The selected blocker in full; with few rows, only while the blockers have focus."""
        tables, notes = self.query(BlockerTable), self.query(BlockerNote)
        if not tables or not notes:  # focus moves while the screen comes up or goes away
            return
        roomy = not self.has_class("-short") or tables.first().has_focus
        notes.first().show(tables.first().current if roomy else None)

    def on_descendant_focus(self) -> None:
        self._blocker_note()

    def on_descendant_blur(self) -> None:
        self._blocker_note()

    @on(BlockerTable.Jump, "#blockers")
    def _jump(self, message: BlockerTable.Jump) -> None:
        b = message.table.current
        if b is not None and b.kind == "executor_untrusted":  # Enter reviews the settings
            self.action_trust()
            return
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

        found = current_phase(snap, sel)  # sel names a phase
        if found is not None:
            rep = report(snap.state.root, sel.tid or "", found[1])
            self.post_message(ReportReady(sel, rep, seq))

    def on_report_ready(self, message: ReportReady) -> None:
        if message.seq < self._report_seq:
            return  # an older answer, overtaken by a newer question
        self.query_one(DetailPane).report = (message.sel, message.report)

    def report_of(self, sel: Sel) -> DeliverableReport | None:
        return self.query_one(DetailPane).report_for(sel)

    # ------------------------------------------------------------------ filter inputs
    @on(Input.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filters.changed(event)

    @on(Input.Submitted)
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.filters.submitted(event)

    def on_key(self, event: Any) -> None:
        self.filters.escape(event)

    def on_worker_state_changed(self, event: Any) -> None:
        """Worker.StateChanged does not bubble: the app's one handler reports it."""
        self.kiro.on_worker_state_changed(event)

    def run_in_thread(self, fn: Callable[..., Any], *args: Any, group: str = "actions") -> None:
        """`fn(app, *args)` in a worker thread (see ui/screen_actions.py); its result or
        refusal is reported by the app's worker handler."""
        self.run_worker(
            functools.partial(fn, self.kiro, *args),
            thread=True,
            group=group,
            exit_on_error=False,
        )

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
                self.run_in_thread(screen_actions.apply_decision, decision)

        self.app.push_screen(DecisionScreen(target, approve=approve, ref=ref), done)

    def action_approve(self) -> None:
        self._decide(True)

    def action_reject(self) -> None:
        self._decide(False)

    # ------------------------------------------------------------------ sessions
    def action_pause(self) -> None:
        sel = self._selection()
        if sel is None or self.snapshot is None:
            return
        m = self.snapshot.state.milestone(sel.mid)
        paused = bool(m and m.status == "paused")
        self.run_in_thread(screen_actions.pause_or_resume, sel.mid, paused)

    def action_start(self) -> None:
        sel = self._selection()
        if sel is not None:
            self.run_in_thread(screen_actions.start, sel.mid)

    # ------------------------------------------------------------------ git
    def action_git_commits(self) -> None:
        """Open the git panel on the selected milestone's commits."""
        from kiro_tui.ui.screens.git_panel import GitPanelScreen

        sel = self._selection()
        if sel is None:
            return
        screen = GitPanelScreen(sel.mid)
        self.app.push_screen(screen)
        self.run_in_thread(screen_actions.load_commits, sel.mid, screen, group="git")

    def action_git_push(self) -> None:
        """Push the current branch to the configured remote (`git.remote`)."""
        sel = self.query_one(MilestoneTree).selection  # where to log it; none is fine
        self.run_in_thread(screen_actions.push, sel.mid if sel is not None else None)

    # ------------------------------------------------------------------ moving around
    def set_inbox(self, items: tuple[InboxItem, ...]) -> None:
        """The app's inbox changed: the header shows its count (on mount, if not yet)."""
        for header in self.query(KiroHeader):  # none before mount or while the app closes
            header.attention = attention_nav.header_attention(items)

    def action_next(self) -> None:
        """The next inbox item after the selection (or the blocker under the cursor), in the
        inbox's order."""
        tree, table = self.query_one(MilestoneTree), self.query_one(BlockerTable)
        here = table.current if table.has_focus else None
        sel = attention_nav.next_item(self.kiro, blocker_sel(here) if here else tree.selection)
        if sel is None:
            self.notify("nothing needs you right now")
            return
        if sel.file and not tree.select(sel):  # a file with no row of its own: its blocker
            table.show_file(sel.file)
            table.focus()
            return
        tree.select(sel)
        tree.focus()

    def action_inbox(self) -> None:
        from kiro_tui.ui.screens.inbox import InboxScreen

        self.app.push_screen(
            InboxScreen(attention_nav.current_inbox(self.kiro), self.kiro.now()), self._jump_to
        )

    # ------------------------------------------------------------------ agents
    def action_run_view(self) -> None:
        from kiro_tui.ui.run_actions import open_run_view

        open_run_view(self.kiro, self._selection())

    def action_trust(self) -> None:
        from kiro_tui.ui.run_actions import open_trust

        open_trust(self.kiro)

    # ------------------------------------------------------------------ review
    def action_diff(self) -> None:
        attention_nav.show_diff(self.kiro, self.query_one(MilestoneTree).selection)

    def action_open(self) -> None:
        attention_nav.open_selected(self.kiro, self.query_one(MilestoneTree).selection)
        self.run_in_thread(screen_actions.refresh)  # what the editor changed shows on return

    def action_copy(self) -> None:
        attention_nav.copy_selected(self.kiro, self.query_one(MilestoneTree).selection)

    def action_filter(self) -> None:
        """Filter the tree, or the log's lines when the log has focus (see pane_filters)."""
        self.filters.open()

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
        """The help screen, built once per key map and kept installed: pressed again, it is
        shown without composing, styling and laying out its text again."""
        app, keymap = self.app, dict(self.kiro.keymap)
        if app.is_screen_installed("help"):
            if getattr(app.get_screen("help"), "keymap", None) == keymap:
                app.push_screen("help")
                return
            app.uninstall_screen("help")  # the key map was loaded after it was built
        app.install_screen(HelpScreen(keymap), "help")
        app.push_screen("help")

    async def action_quit(self) -> None:
        await self.app.action_quit()

    def set_log_filter(
        self, *, role: str | None = None, level: str | None = None, text: str | None = None
    ) -> None:
        self.filters.set_log(role, level, text)
