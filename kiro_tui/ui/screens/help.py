"""The help screen: every key the dashboard answers to, made from `ui.keys.GROUPS` and `ui.keys.PANE`."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

from kiro_tui.ui.keys import GROUPS, PANE, key_label

PALETTE = ("ctrl+p", "command palette: every action, plus git and log filters")


def help_rows(keymap: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(group title, key, what it does) for every binding, then the palette key."""
    rows = [
        (g.title, key_label(b, keymap), b.tooltip or b.description)
        for g in GROUPS
        for b in g.bindings
    ]
    rows.append(("The app", *PALETTE))
    rows += [(PANE.title, key_label(b, keymap), b.tooltip or b.description) for b in PANE.bindings]
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = keymap or {}

    def compose(self) -> ComposeResult:
        lines: list[str] = []
        group = None
        for title, key, what in help_rows(self.keymap):
            if title != group:
                lines.append(f"\n[b]{escape(title)}[/b]")
                group = title
            lines.append(f"  [b $accent]{escape(key):>7}[/]  {escape(what)}")
        with Vertical(id="help"):
            yield Static(
                Content.from_markup(
                    "[b]kiro-tui keys[/b]\n"
                    + "\n".join(lines)
                    + "\n\n[dim]Escape closes this help.[/dim]"
                ),
                id="help-text",
            )

    def action_close(self) -> None:
        self.dismiss(None)
