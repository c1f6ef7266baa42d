"""Pure helpers the dashboard uses to turn a Snapshot into what it shows. No Textual, no IO."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the core is imported when data arrives, not before the first frame
    from rich.text import Text

    from kiro_tui.core.model import Milestone, Phase, Task
    from kiro_tui.core.snapshot import Blocker, Snapshot
    from kiro_tui.core.store import WorkspaceState

GLYPH = {
    "pending": "·",
    "planned": "·",
    "in_progress": "◐",
    "completed": "✓",
    "approved": "✔",
    "waiting_approval": "?",
    "blocked": "✗",
    "paused": "‖",
    "cancelled": "—",
    "broken": "✗",
}
WAITING_MARK = "⚑"
BLOCKED_MARK = "⛔"
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def markup_text(text: object) -> str:
    """Repository text to place inside Content markup, shown exactly as written: `[bold]`,
    `[/]`, `[link=...]`, `[$var]` and a lone `[` are text, never markup (each `[` gets the
    markup's backslash escape); control characters are made visible (core.text.plain)."""
    from kiro_tui.core.text import plain

    return plain(text).replace("[", "\\[")


def plain_text(text: object) -> Text:
    """Repository text as a Rich `Text` that is never parsed as markup (tree labels, table
    cells): control characters made visible, one line."""
    from rich.text import Text

    from kiro_tui.core.text import plain

    return Text(plain(text, one_line=True))


@dataclass(frozen=True, slots=True)
class Sel:
    """What is selected: a milestone, a task in it, or a phase of that task; or a file that
    could not be loaded (`file`, relative to `.milestones/`; `mid` is its name's stem)."""

    mid: str
    tid: str | None = None
    phase: str | None = None
    file: str | None = None

    @property
    def kind(self) -> str:
        if self.file:
            return "file"
        return "phase" if self.phase else "task" if self.tid else "milestone"


@dataclass(frozen=True, slots=True)
class Target:
    """A phase a user action applies to."""

    mid: str
    tid: str
    phase: str
    task_title: str
    milestone_title: str

    def describe(self) -> str:
        return f"{self.mid} › {self.tid} ({self.task_title}) › {self.phase}"


def ordered_milestones(state: WorkspaceState) -> list[Milestone]:
    """Active milestones first (in file order), finished ones at the end."""
    live = [m for m in state.milestones if not m.finished]
    done = [m for m in state.milestones if m.finished]
    return live + done


def task_waiting(t: Task) -> bool:
    return t.waiting


def task_blocked(t: Task, blocked_ids: frozenset[str]) -> bool:
    return (
        t.status == "blocked" or any(p.status == "blocked" for p in t.phases) or t.id in blocked_ids
    )


def blocked_task_ids(snap: Snapshot) -> frozenset[str]:
    return frozenset(b.task_id for b in snap.blockers if b.task_id)


def blocked_milestone_ids(snap: Snapshot) -> frozenset[str]:
    return frozenset(b.milestone_id for b in snap.blockers if b.milestone_id)


def milestone_label(m: Milestone) -> str:
    from kiro_tui.core.progress import milestone_progress

    return f"{m.id}  {m.title}  {milestone_progress(m):.1f}%"


def task_label(m: Milestone, t: Task) -> str:
    from kiro_tui.core.progress import task_progress

    return f"{t.id}  {t.title}  {task_progress(t, m.weight_map):.1f}%"


def phase_label(p: Phase) -> str:
    gate = " (gate)" if p.gate else ""
    return f"{p.name}  {p.status.replace('_', ' ')}{gate}"


def matches(m: Milestone, text: str) -> bool:
    """Whether a milestone (or one of its tasks) matches the filter by id, title or status."""
    if not text:
        return True
    needle = text.lower()

    def hit(*fields: str | None) -> bool:
        return any(f and needle in f.lower() for f in fields)

    if hit(m.id, m.title, m.status):
        return True
    return any(hit(t.id, t.title, t.status) for t in m.tasks)


def task_matches(t: Task, text: str) -> bool:
    if not text:
        return True
    needle = text.lower()
    return any(f and needle in f.lower() for f in (t.id, t.title, t.status)) or any(
        needle in p.status for p in t.phases
    )


def find_waiting(state: WorkspaceState, sel: Sel | None) -> Target | None:
    """The phase waiting for approval under the selection (the selection itself when it is one)."""
    if sel is None:
        return None
    m = state.milestone(sel.mid)
    if m is None:
        return None
    tasks = [t for t in m.tasks if sel.tid is None or t.id == sel.tid]
    for t in tasks:
        for p in t.phases:
            if sel.phase and p.name != sel.phase:
                continue
            if p.waiting:
                return Target(m.id, t.id, p.name, t.title, m.title)
    return None


def waiting_phases(state: WorkspaceState) -> Iterator[Sel]:
    for m in ordered_milestones(state):
        for t in m.tasks:
            for p in t.phases:
                if p.waiting:
                    yield Sel(m.id, t.id, p.name)


def blocker_sel(b: Blocker) -> Sel | None:
    """Where a blocker is: its milestone, task and phase, else its file."""
    if b.milestone_id:
        return Sel(b.milestone_id, b.task_id, b.phase)
    if b.file:
        return Sel(b.file.rsplit("/", 1)[-1].rsplit(".", 1)[0], file=b.file)
    return None


def session_state(snap: Snapshot) -> str:
    if snap.paused:
        return "paused"
    if snap.driving:
        return "driving"
    return "observing"
