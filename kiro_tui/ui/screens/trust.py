"""The trust modal: the review `kiro-tui trust --show` prints (every command, env variable and
verify command the repository's executor settings set, with the warnings), and a confirm that
trusts exactly what was shown (`core.runs.trust.confirm`, the path `kiro-tui trust --yes`
takes). The app loads the review in a worker; this screen does no IO. `y` trusts, Escape or
`n` closes without trusting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from kiro_tui.core.text import plain

if TYPE_CHECKING:
    from kiro_tui.core.runs.trust import Review


def review_content(r: Review) -> Content:
    """The review's lines, plain (repository text is never markup); warnings stand out."""
    parts: list[Content] = []
    for line in (*r.lines, *(f"problem: {p}" for p in r.problems)):
        text = plain(line, one_line=True)
        style = "bold $warning" if "WARNING" in text or text.startswith("problem:") else ""
        parts.append(Content.styled(text, style) if style else Content(text))
    return Content("\n").join(parts)


class TrustScreen(ModalScreen[str | None]):
    """Dismisses with the reviewed fingerprint to trust (`y`), or None."""

    DEFAULT_CSS = """
    TrustScreen { align: center middle; }
    #trust { width: 90%; max-width: 110; height: auto; max-height: 90%;
             border: thick $warning; background: $surface; padding: 0 1; }
    #trust-lines { height: auto; max-height: 30; }
    #trust-title, #trust-help { height: auto; }
    """
    BINDINGS = [
        Binding("y", "trust", "Trust these settings", id="trust.yes"),
        Binding("escape,n,q", "close", "Close", id="trust.close"),
    ]

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review

    def compose(self) -> ComposeResult:
        r = self.review
        if not r.needs_trust:
            state = "nothing to trust"
        elif r.trusted:
            state = "status: trusted"
        else:
            state = "status: NOT trusted: none of these runs until you trust them"
        with Vertical(id="trust"):
            yield Static(
                Content.assemble(
                    ("Executor settings: review", "bold"), "  ", (state, "$text-muted")
                ),
                id="trust-title",
            )
            with VerticalScroll(id="trust-lines"):
                yield Static(review_content(r), id="trust-review")
            keys = "y trusts exactly these settings · " if r.needs_trust else ""
            yield Static(
                Content.styled(f"{keys}Escape closes (any later edit needs trust again)", "dim"),
                id="trust-help",
            )

    def action_trust(self) -> None:
        if not self.review.needs_trust:
            self.notify("the repository sets nothing to trust")
            return
        self.dismiss(self.review.fingerprint)

    def action_close(self) -> None:
        self.dismiss(None)
