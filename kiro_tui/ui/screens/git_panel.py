"""The git panel: the selected milestone's commits (summary, short sha, time, files).

The app loads the commits in a thread worker and posts `CommitsLoaded` here; this screen does
no IO. Escape closes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiro_tui.core.text import plain

if TYPE_CHECKING:
    from kiro_tui.core.git.repo import CommitInfo
    from kiro_tui.ui.messages import CommitsLoaded

MAX_FILES = 8  # files named per commit; the rest are counted


def commit_prompt(c: CommitInfo) -> Content:
    """Two lines: `abc1234  2026-11-25 15:00Z  summary`, then the files it changed."""
    when = c.time.replace("T", " ")[:16] + "Z" if c.time else "?"
    shown = ", ".join(c.files[:MAX_FILES])
    if len(c.files) > MAX_FILES:
        shown += f", … (+{len(c.files) - MAX_FILES})"
    head = Content.assemble((c.short, "bold $accent"), "  ", (when, "$text-muted"), "  ", c.summary)
    files = Content.assemble(
        "         ", (f"{len(c.files)} file(s): " + (shown or "none"), "$text-muted")
    )
    return Content("\n").join([head, files])


class GitPanelScreen(ModalScreen[None]):
    """Lists `milestone_id`'s commits once the app posts them; Escape closes."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="git_panel.close")]

    def __init__(self, milestone_id: str) -> None:
        super().__init__()
        self.milestone_id = milestone_id
        self.commits: list[CommitInfo] | None = None
        """None until loaded."""
        self.note: str | None = None
        """The one line shown instead of a list (not a repository, no commits, an error)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="git-panel"):
            yield Static(
                Content.from_markup("[b]Commits of $mid[/b]", mid=self.milestone_id),
                id="git-panel-title",
            )
            yield Static(Content.from_markup("[dim]loading…[/dim]"), id="git-panel-note")
            yield OptionList(id="git-panel-list")
            yield Static(
                Content.from_markup("[dim]Escape closes this panel.[/dim]"), id="git-panel-help"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False

    def on_commits_loaded(self, message: CommitsLoaded) -> None:
        if message.milestone_id != self.milestone_id:
            return
        self.commits, self.note = message.commits, message.note
        if message.branch:
            self.query_one("#git-panel-title", Static).update(
                Content.from_markup(
                    "[b]Commits of $mid[/b]  [dim]on $branch[/dim]",
                    mid=self.milestone_id,
                    branch=message.branch,
                )
            )
        note = self.query_one("#git-panel-note", Static)
        listing = self.query_one(OptionList)
        if message.note or not message.commits:
            note.update(Content(plain(message.note or f"no commits of {self.milestone_id} yet")))
            note.display, listing.display = True, False
            return
        note.display = False
        listing.clear_options()
        listing.add_options([Option(commit_prompt(c), id=c.sha) for c in message.commits])
        listing.display = True
        listing.focus()

    def action_close(self) -> None:
        self.dismiss(None)
