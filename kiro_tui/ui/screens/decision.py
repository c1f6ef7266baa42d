"""Modals that confirm a gate decision and return a typed result."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kiro_tui.ui.view import Target, markup_text


@dataclass(frozen=True, slots=True)
class Decision:
    target: Target
    approve: bool
    text: str  # the note (approve, may be empty) or the reason (reject, never empty)


class DecisionScreen(ModalScreen[Decision | None]):
    """Approve (optional note) or reject (required reason) one phase. Enter confirms."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="decision.cancel")]

    def __init__(self, target: Target, *, approve: bool, summary: str = "") -> None:
        super().__init__()
        self.target = target
        self.approve = approve
        self.summary = summary

    def compose(self) -> ComposeResult:
        verb = "Approve" if self.approve else "Reject"
        with Vertical(id="decision", classes="-approve" if self.approve else "-reject"):
            yield Label(
                Content.from_markup(f"[b]{verb}[/b] {markup_text(self.target.describe())}"),
                id="decision-title",
            )
            yield Static(
                Content.from_markup(
                    f"milestone {markup_text(self.target.mid)}: {markup_text(self.target.milestone_title)}\n"
                    + markup_text(self.summary)
                ),
                id="decision-summary",
            )
            yield Input(
                placeholder="note (optional)"
                if self.approve
                else "reason (required): what must change?",
                id="decision-text",
            )
            yield Label("Enter confirms · Escape cancels", id="decision-help")

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
