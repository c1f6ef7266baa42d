"""The help screen: every key the dashboard answers to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("a", "approve the phase waiting for approval under the selection"),
    ("x", "reject it, with a reason"),
    ("n", "jump to what needs you next: a gate, then a critical blocker"),
    ("p", "pause the selected milestone's session, or resume it"),
    ("s", "start a session on the selected milestone, driven from this window"),
    ("/", "filter the tree (id, title, status), or the log when it has focus"),
    ("f", "follow the log on or off"),
    ("l", "focus the log"),
    ("b", "focus the blockers (Enter jumps to the task)"),
    ("t", "focus the tree"),
    ("?", "this help"),
    ("ctrl+p", "command palette: every action, plus log filters by role and level"),
    ("q", "quit (stops driving cleanly)"),
)


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"  [b $accent]{k:>7}[/]  {what}" for k, what in KEYS)
        with Vertical(id="help"):
            yield Static(Content.from_markup(
                "[b]kiro-tui keys[/b]\n\n" + rows + "\n\n[dim]Escape closes this help.[/dim]"), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
