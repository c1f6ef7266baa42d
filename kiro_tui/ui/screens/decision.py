"""Modals that confirm a gate decision and return a typed result.

The approval modal also shows what is decided on: the phase's deliverable files with the
content of the highlighted one (read in a worker, one file at a time), the acceptance criteria
as a checklist and the reviewer history. The note / reason field has the focus; Tab moves to
the files, where `d` shows the diff since the last decision, `o` opens the file in the editor
(its new content shows on return) and `y` copies its path.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kiro_tui.ui.messages import ContentReady, FilesListed
from kiro_tui.ui.screens.review import PhaseRef, ReviewScreen
from kiro_tui.ui.view import Target, markup_text
from kiro_tui.ui.widgets.deliverable_viewer import DeliverableViewer

HELP = "Enter confirms · Escape cancels · Tab: files (d diff, o open, y copy)"


@dataclass(frozen=True, slots=True)
class Decision:
    target: Target
    approve: bool
    text: str  # the note (approve, may be empty) or the reason (reject, never empty)


def review_text(ref: PhaseRef) -> str:
    """The criteria as a checklist and the reviewer history, as plain text."""
    p = ref.phase
    lines = [f"☐ {c}" for c in p.acceptance_criteria] or ["no acceptance criteria listed"]
    for r in p.review_history[-4:]:
        what = f"{r.action.replace('_', ' ')} by {r.by or '?'} at {r.at or '?'}"
        lines.append(f"history: {what}" + (f": {r.comment}" if r.comment else ""))
    return "\n".join(lines)


class DecisionScreen(ModalScreen[Decision | None]):
    """Approve (optional note) or reject (required reason) one phase. Enter confirms."""

    AUTO_FOCUS = "#decision-text"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="decision.cancel"),
        # priority, and a focus change made at once: a key typed right after Tab must reach
        # the field Tab moved to (Widget.focus would move it only after that key)
        Binding("tab,shift+tab", "switch", "Files/field", id="decision.switch", priority=True),
        Binding("d", "diff", "Diff", id="decision.diff"),
        Binding("o", "open", "Open", id="decision.open"),
        Binding("y", "copy", "Copy path", id="decision.copy"),
    ]

    def __init__(
        self, target: Target, *, approve: bool, summary: str = "", ref: PhaseRef | None = None
    ) -> None:
        super().__init__()
        self.target = target
        self.approve = approve
        self.summary = summary
        self.ref = ref

    def compose(self) -> ComposeResult:
        verb = "Approve" if self.approve else "Reject"
        with Vertical(id="decision", classes="-approve" if self.approve else "-reject"):
            yield Label(
                Content.from_markup(f"[b]{verb}[/b] {markup_text(self.target.describe())}"),
                id="decision-title",
            )
            summary = self.summary if self.ref is None else review_text(self.ref)
            yield Static(
                Content.from_markup(
                    f"milestone {markup_text(self.target.mid)}: {markup_text(self.target.milestone_title)}\n"
                    + markup_text(summary)
                ),
                id="decision-summary",
            )
            if self.ref is not None:
                yield DeliverableViewer(id="decision-files")
            yield Input(
                placeholder="note (optional)"
                if self.approve
                else "reason (required): what must change?",
                id="decision-text",
            )
            yield Label(
                HELP if self.ref is not None else HELP.split(" · Tab")[0], id="decision-help"
            )

    def on_mount(self) -> None:
        if self.ref is not None:
            self._list_files()

    # ------------------------------------------------------------------ the files
    @work(thread=True, group="decision-files", exclusive=True, exit_on_error=False)
    def _list_files(self) -> None:
        from kiro_tui.core.review import phase_files

        r = self.ref
        assert r is not None
        self.post_message(FilesListed(phase_files(r.root, r.task.id, r.phase)))

    def on_files_listed(self, message: FilesListed) -> None:
        self.query_one(DeliverableViewer).set_files(message.files)

    @on(DeliverableViewer.Highlighted)
    def _highlighted(self, message: DeliverableViewer.Highlighted) -> None:
        self._load(message.path)

    @work(thread=True, group="decision-content", exclusive=True, exit_on_error=False)
    def _load(self, path: str) -> None:
        from kiro_tui.core.deliverable_view import deliverable_content

        assert self.ref is not None
        self.post_message(ContentReady(path, deliverable_content(self.ref.root / path)))

    async def on_content_ready(self, message: ContentReady) -> None:
        viewer = self.query_one(DeliverableViewer)
        if message.path == viewer.selected:
            await viewer.show(message.path, message.content)

    def action_switch(self) -> None:
        """Between the note / reason field and the file list."""
        field = self.query_one("#decision-text", Input)
        files = self.query("#viewer-files")
        target = files.first() if field.has_focus and files else field
        self.set_focus(target)

    def _selected_path(self) -> str | None:
        if self.ref is None:
            return None
        path = self.query_one(DeliverableViewer).selected
        if path is None:
            self.notify("no deliverable file to act on", severity="warning")
        return path

    def action_diff(self) -> None:
        if self.ref is not None:
            self.app.push_screen(ReviewScreen(self.ref))

    def action_open(self) -> None:
        from kiro_tui.ui.editor import open_in_editor

        path = self._selected_path()
        if path is None or self.ref is None:
            return
        problem = open_in_editor(self.app, self.ref.root / path)
        if problem:
            self.notify(problem, severity="warning", markup=False)
        self._load(path)  # what the editor changed shows at once

    def action_copy(self) -> None:
        path = self._selected_path()
        if path is None or self.ref is None:
            return
        full = str(self.ref.root / path)
        self.app.copy_to_clipboard(full)
        self.notify(f"copied {full}", timeout=3, markup=False)

    # ------------------------------------------------------------------ deciding
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not self.approve and not text:
            self.query_one("#decision-help", Label).update(
                Content.from_markup("[$error]a reason is required to reject[/]")
            )
            return
        self.dismiss(Decision(self.target, self.approve, text))

    def action_cancel(self) -> None:
        self.dismiss(None)
