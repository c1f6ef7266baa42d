"""Reviewing a phase: the diff of its deliverables since its last approval or rejection.

`ReviewScreen` computes `core.review.diff_since_decision` in a thread worker (git when the
files are committed, else the copy kept at decision time) and shows one unified diff per file,
each headed by where the earlier version came from and whether it is exact. `y` copies the
path of the file at the top of the view; Escape, q or d closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from kiro_tui.ui.messages import DiffReady
from kiro_tui.ui.widgets.deliverable_viewer import printable

if TYPE_CHECKING:
    from kiro_tui.core.model import Milestone, Phase, Task
    from kiro_tui.core.review import FileDiff
    from kiro_tui.core.snapshot import Snapshot

STATUS_STYLE = {
    "modified": "$warning",
    "added": "$success",
    "deleted": "$error",
    "unchanged": "$text-muted",
    "missing": "$error",
}


@dataclass(frozen=True)
class PhaseRef:
    """One phase of the snapshot, with the workspace it is in (immutable models)."""

    root: Path
    milestone: Milestone
    task: Task
    phase: Phase

    def describe(self) -> str:
        return f"{self.milestone.id} › {self.task.id} › {self.phase.name}"


def diff_header(d: FileDiff, common_base: str | None) -> Content:
    """`path  modified`, with where its earlier version came from when that is not the
    `common_base` the summary names."""
    parts: list[str | tuple[str, str]] = [
        (printable(d.path), "bold"),
        "  ",
        (d.status.replace("_", " "), STATUS_STYLE.get(d.status, "")),
    ]
    if d.base != common_base:
        parts += ["  ", (f"since {d.base}; {'exact' if d.exact else 'approximate'}", "$text-muted")]
    return Content.assemble(*parts)


def summary_text(diffs: list[FileDiff]) -> tuple[str, str | None]:
    """The line above the diffs, and the base every file shares (None when they differ)."""
    bases = {(d.base, d.exact) for d in diffs}
    common = next(iter(bases)) if len(bases) == 1 else None
    changed = [d for d in diffs if d.status != "unchanged"]
    head = (
        f"{len(changed)} of {len(diffs)} file(s) changed"
        if changed
        else f"no change in {len(diffs)} file(s)"
    )
    if common is not None:
        head += f" since {common[0]} ({'exact' if common[1] else 'approximate'})"
    unchanged = [d.path.rsplit("/", 1)[-1] for d in diffs if d.status == "unchanged"]
    if changed and unchanged:
        head += "\nunchanged: " + printable(", ".join(unchanged))
    return head, common[0] if common is not None else None


class ReviewScreen(ModalScreen[None]):
    """The diff view of one phase."""

    BINDINGS = [
        Binding("escape,q,d", "close", "Close", id="review.close"),
        Binding("y", "copy", "Copy path", id="review.copy"),
    ]

    def __init__(self, ref: PhaseRef) -> None:
        super().__init__()
        self.ref = ref
        self.diffs: list[FileDiff] | None = None
        """None until computed."""

    def compose(self) -> ComposeResult:
        with Vertical(id="review"):
            yield Static(
                Content.assemble(("Diff ", "bold"), (self.ref.describe(), "bold $accent")),
                id="review-title",
            )
            with VerticalScroll(id="review-body"):
                yield Static(Content.from_markup("[dim]computing…[/dim]"), id="review-note")
            yield Static(
                Content.from_markup("[dim]y copies the first changed path · Escape closes[/dim]"),
                id="review-help",
            )

    def on_mount(self) -> None:
        self._compute()

    @work(thread=True, group="review", exclusive=True, exit_on_error=False)
    def _compute(self) -> None:
        from kiro_tui.core.review import diff_since_decision

        r = self.ref
        try:
            diffs = diff_since_decision(r.root, r.milestone, r.task, r.phase)
        except Exception as exc:  # the view says it, in one line
            self.post_message(DiffReady([], f"could not compute the diff: {exc}"))
            return
        self.post_message(DiffReady(diffs, None if diffs else "this phase lists no deliverables"))

    async def on_diff_ready(self, message: DiffReady) -> None:
        from rich.syntax import Syntax

        self.diffs = message.diffs
        body = self.query_one("#review-body", VerticalScroll)
        await body.remove_children()
        if message.note:
            await body.mount(Static(message.note, classes="review-note"))
            return
        summary, common = summary_text(message.diffs)
        widgets: list[Static] = [Static(Content(summary), classes="review-summary")]
        changed = [d for d in message.diffs if d.status != "unchanged"]
        for d in changed:
            widgets.append(Static(diff_header(d, common), classes="review-file"))
            if d.diff:
                widgets.append(
                    Static(
                        Syntax(printable(d.diff), "diff", theme="ansi_dark"), classes="review-diff"
                    )
                )
            elif d.status in ("binary", "too_large"):
                widgets.append(Static(Content("  (not shown)"), classes="review-diff"))
        await body.mount_all(widgets)

    @property
    def diff_text(self) -> str:
        """Every diff shown, as text (what a reader sees, without the colours)."""
        return "\n".join(d.diff for d in self.diffs or () if d.diff)

    def action_copy(self) -> None:
        first = next((d for d in self.diffs or () if d.status != "unchanged"), None)
        if first is None:
            self.notify("nothing changed to copy", severity="warning")
            return
        path = str(self.ref.root / first.path)
        self.app.copy_to_clipboard(path)
        self.notify(f"copied {path}", timeout=3, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


def phase_ref(
    root: Path, snap: Snapshot, mid: str, tid: str | None, phase: str | None
) -> PhaseRef | None:
    """The phase `mid/tid/phase` of `snap`, or None when it is not there."""
    m = snap.state.milestone(mid)
    t = m.task(tid) if m is not None and tid else None
    p = t.phase(phase) if t is not None and phase else None
    return None if m is None or t is None or p is None else PhaseRef(root, m, t, p)
