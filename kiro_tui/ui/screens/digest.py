"""'Since you left': the one-screen digest shown once when the dashboard opens after a while.

The text is `core.digest.digest_text` (made in a worker); any key dismisses it.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class DigestScreen(ModalScreen[None]):
    """Shows the digest; any key (or a click) closes it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        head, _, rest = self.text.partition("\n")
        with Vertical(id="digest"):
            yield Static(Content.assemble((head, "bold")), id="digest-title")
            yield Static(Content(rest), id="digest-text")
            yield Static(Content.from_markup("[dim]Any key closes this.[/dim]"), id="digest-help")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(None)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.dismiss(None)
