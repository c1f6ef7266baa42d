"""The milestone › task › phase tree. Children are added when a node is expanded; a new
snapshot updates labels in place and adds or removes only what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive, var
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from kiro_tui.ui import broken, pane_keys
from kiro_tui.ui.agent_marks import RUN_MARK, agent_running
from kiro_tui.ui.view import (
    BLOCKED_MARK,
    GLYPH,
    WAITING_MARK,
    Sel,
    blocked_milestone_ids,
    blocked_task_ids,
    matches,
    milestone_label,
    ordered_milestones,
    phase_label,
    plain_text,
    task_blocked,
    task_label,
    task_matches,
    task_waiting,
)

if TYPE_CHECKING:
    from kiro_tui.core.model import Milestone, Task
    from kiro_tui.core.snapshot import Snapshot

STATUS_CLASS = {
    "completed": "done",
    "approved": "done",
    "in_progress": "active",
    "waiting_approval": "waiting",
    "blocked": "blocked",
    "paused": "paused",
    "cancelled": "muted",
    "pending": "muted",
    "planned": "muted",
    "broken": "blocked",
}


@dataclass(frozen=True, slots=True)
class NodeInfo:
    sel: Sel
    status: str
    waiting: bool = False
    blocked: bool = False
    running: bool = False  # its agent runs (issue 9)


class MilestoneTree(Tree[NodeInfo]):
    """Milestones (active first, finished collapsed at the end) › tasks › phases."""

    BINDINGS = pane_keys.TREE

    COMPONENT_CLASSES = {
        "milestone-tree--done",
        "milestone-tree--active",
        "milestone-tree--waiting",
        "milestone-tree--blocked",
        "milestone-tree--paused",
        "milestone-tree--muted",
        "milestone-tree--marker-waiting",
        "milestone-tree--marker-blocked",
        "milestone-tree--marker-running",
    }

    filter_text: reactive[str] = reactive("")
    """Show only milestones and tasks whose id, title or status contains this text."""

    highlighted: var[Sel | None] = var(None)
    """The highlighted node's selection. The main screen watches it (`watch`) rather than a
    message: the watcher runs as the cursor moves, so the detail pane changes in the same frame
    as the highlight; a message reached the screen after that frame was painted, and the detail
    showed one frame and one layout later (~30 ms)."""

    def __init__(self, **kw: object) -> None:
        super().__init__("milestones", **kw)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 3
        self._snap: Snapshot | None = None
        self._by_sel: dict[Sel, TreeNode[NodeInfo]] = {}
        self._pending_select: Sel | None = None
        self._seen: dict[str, Milestone] = {}
        self._last_blockers: tuple[object, ...] = ()
        self._blocked_of: tuple[object, frozenset[str], frozenset[str]] | None = None
        self.node_updates = 0
        """Nodes added or relabelled so far (counted by tests: work, not time)."""
        self.blocked_sets = 0
        """Times the blocked ids were derived from a snapshot's blockers (tests)."""

    # ------------------------------------------------------------------ rendering
    def process_label(self, label: str | Text) -> Text:
        """A label is repository text (titles): plain, never parsed as markup."""
        return super().process_label(plain_text(label) if isinstance(label, str) else label)

    def render_label(self, node: TreeNode[NodeInfo], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        info = node.data
        if info is None:
            return text
        cls = STATUS_CLASS.get(info.status, "muted")
        glyph = Text(
            GLYPH.get(info.status, "?") + " ",
            style=self.get_component_rich_style(f"milestone-tree--{cls}", partial=True),
        )
        # insert the glyph after the expand icon
        icon = len(self.ICON_NODE) if node.allow_expand else 0
        out = text[:icon] + glyph + text[icon:]
        for mark, part in _marks(info):
            out.append(mark, self.get_component_rich_style(part, partial=True))
        return out

    def get_label_width(self, node: TreeNode[NodeInfo]) -> int:
        """What `render_label(node).cell_len` gives, without rendering the label (Textual
        measures every line's label each time the tree's lines change: at 2,000 milestones
        loading, most of the UI thread's time)."""
        label = node.label
        width = label.cell_len if isinstance(label, Text) else cell_len(label)
        width += cell_len(self.ICON_NODE) if node.allow_expand else 0
        info = node.data
        if info is None:
            return width
        width += cell_len(GLYPH.get(info.status, "?") + " ")
        return width + sum(cell_len(mark) for mark, _part in _marks(info))

    # ------------------------------------------------------------------ data
    @property
    def selection(self) -> Sel | None:
        node = self.cursor_node
        return node.data.sel if node is not None and node.data is not None else None

    def update_snapshot(self, snap: Snapshot) -> None:
        """Bring the tree in line with `snap`, touching only nodes that changed."""
        self._snap = snap
        self._sync_root()
        if self._pending_select is not None:
            self.select(self._pending_select)

    def action_clear_filter(self) -> None:
        self.filter_text = ""

    def watch_filter_text(self) -> None:
        if self._snap is not None:
            self._sync_root(refilter=True)

    def _blocked(self, snap: Snapshot) -> tuple[frozenset[str], frozenset[str]]:
        """The blocked task ids and milestone ids of `snap`, computed once per blocker tuple
        (not once per milestone or task: there may be thousands of each)."""
        got = self._blocked_of
        if got is None or got[0] is not snap.blockers:
            got = (snap.blockers, blocked_task_ids(snap), blocked_milestone_ids(snap))
            self._blocked_of = got
            self.blocked_sets += 1
        return got[1], got[2]

    def _milestone_info(self, m: Milestone, snap: Snapshot) -> NodeInfo:
        blocked_ids, blocked_mids = self._blocked(snap)
        return NodeInfo(
            Sel(m.id),
            m.status,
            waiting=any(task_waiting(t) for t in m.tasks),
            blocked=m.status == "blocked"
            or m.id in blocked_mids
            or any(task_blocked(t, blocked_ids) for t in m.tasks),
        )

    def _task_info(self, m: Milestone, t: Task, snap: Snapshot) -> NodeInfo:
        return NodeInfo(
            Sel(m.id, t.id),
            t.status,
            waiting=task_waiting(t),
            blocked=task_blocked(t, self._blocked(snap)[0]),
            running=agent_running(snap, m.id, t.id),
        )

    def _set(self, node: TreeNode[NodeInfo], info: NodeInfo, label: str) -> None:
        if node.data != info or str(node.label) != label:
            node.data = info
            node.set_label(label)
            self.node_updates += 1

    def _sync_children(
        self,
        parent: TreeNode[NodeInfo],
        wanted: list[tuple[Sel, NodeInfo, str, bool]],
        rebuild: bool,
    ) -> None:
        """Make `parent`'s children be `wanted` (sel, info, label, expandable), in order."""
        current = {c.data.sel: c for c in parent.children if c.data is not None}
        order = [c.data.sel for c in parent.children if c.data is not None]
        want_order = [w[0] for w in wanted]
        if not rebuild and order == want_order:
            for sel, info, label, _exp in wanted:
                self._set(current[sel], info, label)
            return
        if not rebuild and [s for s in want_order if s in current] == order:
            # only additions: add the new ones at their places (the next kept node, found in
            # one backward pass: linear in the children, however many are new)
            nexts: list[TreeNode[NodeInfo] | None] = [None] * len(wanted)
            after: TreeNode[NodeInfo] | None = None
            for i in range(len(wanted) - 1, -1, -1):
                nexts[i] = after
                if want_order[i] in current:
                    after = current[want_order[i]]
            for i, (sel, info, label, exp) in enumerate(wanted):
                if sel in current:
                    self._set(current[sel], info, label)
                    continue
                node = parent.add(label, info, before=nexts[i], allow_expand=exp)
                self._by_sel[sel] = node
                self.node_updates += 1
            return
        # removals or reordering: rebuild this level (rare), keeping expansion state
        expanded = {s for s, c in current.items() if c.is_expanded}
        for c in list(parent.children):
            self._forget(c)
            c.remove()
        for sel, info, label, exp in wanted:
            node = parent.add(label, info, allow_expand=exp)
            self._by_sel[sel] = node
            self.node_updates += 1
            if sel in expanded:
                node.expand()

    def _forget(self, node: TreeNode[NodeInfo]) -> None:
        if node.data is not None:
            self._by_sel.pop(node.data.sel, None)
        for c in node.children:
            self._forget(c)

    def _sync_root(self, refilter: bool = False) -> None:
        snap = self._snap
        assert snap is not None
        ms = [m for m in ordered_milestones(snap.state) if matches(m, self.filter_text)]
        same_blockers = snap.blockers == self._last_blockers
        self._last_blockers = snap.blockers
        wanted = []
        for m in ms:
            node = self._by_sel.get(Sel(m.id))
            if node is not None and node.data is not None and self._seen.get(m.id) is m:
                # the loader hands back the same object for an unchanged file: its label is
                # the same, and so is its info unless the blockers changed
                info = node.data if same_blockers else self._milestone_info(m, snap)
                wanted.append((Sel(m.id), info, str(node.label), True))
            else:
                wanted.append((Sel(m.id), self._milestone_info(m, snap), milestone_label(m), True))
            self._seen[m.id] = m
        wanted[:0] = broken_rows(snap, self.filter_text)  # files that failed to load: first
        self._sync_children(self.root, wanted, refilter)
        for m in ms:
            node = self._by_sel.get(Sel(m.id))
            if node is not None and node.children:
                self._fill_milestone(node, m, refilter)

    def _fill_milestone(self, node: TreeNode[NodeInfo], m: Milestone, refilter: bool) -> None:
        snap = self._snap
        assert snap is not None
        text = "" if matches_self(m, self.filter_text) else self.filter_text
        tasks = [t for t in m.tasks if task_matches(t, text)]
        wanted = [
            (Sel(m.id, t.id), self._task_info(m, t, snap), task_label(m, t), t.is_kiro)
            for t in tasks
        ]
        self._sync_children(node, wanted, refilter)
        for t in tasks:
            tnode = self._by_sel.get(Sel(m.id, t.id))
            if tnode is not None and (tnode.is_expanded or tnode.children):
                self._fill_task(tnode, m, t)

    def _fill_task(self, node: TreeNode[NodeInfo], m: Milestone, t: Task) -> None:
        wanted = [
            (
                Sel(m.id, t.id, p.name),
                NodeInfo(
                    Sel(m.id, t.id, p.name),
                    p.status,
                    waiting=p.waiting,
                    blocked=p.status == "blocked",
                    running=self._snap is not None
                    and agent_running(self._snap, m.id, t.id, p.name),
                ),
                phase_label(p),
                False,
            )
            for p in t.phases
        ]
        self._sync_children(node, wanted, False)

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeInfo]) -> None:
        node = event.node
        if node.data is None or self._snap is None or node.children:
            return
        sel = node.data.sel
        m = self._snap.state.milestone(sel.mid)
        if m is None:
            return
        if sel.kind == "milestone":
            self._fill_milestone(node, m, False)
        elif sel.kind == "task":
            t = m.task(sel.tid or "")
            if t is not None:
                self._fill_task(node, m, t)

    def watch_cursor_line(self, previous_line: int, line: int) -> None:
        super().watch_cursor_line(previous_line, line)
        self.highlighted = self.selection

    # ------------------------------------------------------------------ navigation
    def select(self, sel: Sel) -> bool:
        """Move the cursor to `sel`, expanding its parents; False when it is not shown."""
        snap = self._snap
        if snap is None:
            self._pending_select = sel
            return False
        self._pending_select = None
        if sel.file:  # a file that failed to load: its own row
            row = self._by_sel.get(sel)
            if row is not None:
                self.move_cursor(row)
            return row is not None
        m = snap.state.milestone(sel.mid)
        mnode = self._by_sel.get(Sel(sel.mid))
        if m is None or mnode is None:
            return False
        target = mnode
        if sel.tid:
            mnode.expand()
            self._fill_milestone(mnode, m, False)
            tnode = self._by_sel.get(Sel(sel.mid, sel.tid))
            t = m.task(sel.tid)
            if tnode is not None and t is not None:
                target = tnode
                if sel.phase:
                    tnode.expand()
                    self._fill_task(tnode, m, t)
                    target = self._by_sel.get(sel, tnode)
        _ = self.last_line  # lays the lines out again, so that new nodes have a line
        self.move_cursor(target)
        return True


def _marks(info: NodeInfo) -> list[tuple[str, str]]:
    """The marks after a node's label: (text, component class)."""
    marks = []
    if info.waiting:
        marks.append((f" {WAITING_MARK} gate", "milestone-tree--marker-waiting"))
    if info.blocked:
        marks.append((f" {BLOCKED_MARK} blocked", "milestone-tree--marker-blocked"))
    if info.running:
        marks.append((f" {RUN_MARK} agent", "milestone-tree--marker-running"))
    return marks


def broken_rows(snap: Snapshot, text: str) -> list[tuple[Sel, NodeInfo, str, bool]]:
    """A row for each milestone file that could not be loaded (matching the filter)."""
    out = []
    for b in broken.broken_files(snap.state):
        label = broken.row_label(b)
        if text and text.lower() not in label.lower() and text.lower() not in "broken":
            continue
        sel = Sel(b.stem, file=b.file)
        out.append((sel, NodeInfo(sel, "broken"), label, False))
    return out


def matches_self(m: Milestone, text: str) -> bool:
    """True when the milestone itself matches (then all its tasks are shown)."""
    if not text:
        return True
    needle = text.lower()
    return any(needle in f.lower() for f in (m.id, m.title, m.status) if f)
