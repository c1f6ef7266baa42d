"""A phase's deliverable files and the content of the highlighted one.

Attributes down: `set_files` (label, path) and `show(path, content)`, a
`core.deliverable_view.Content` read by the screen's worker. Messages up: `Highlighted` when
the user moves to another file (the screen then loads it: only the file looked at is read).
Markdown is rendered with Textual's `Markdown`, YAML, JSON and code with syntax highlighting,
anything else as plain text; a cut file says how much is shown. No IO here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from kiro_tui.core.deliverable_view import Content as FileContent

_CONTROLS = {c: "\ufffd" for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))}
_CONTROLS.update(
    {ord(c): "\ufffd" for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
)


def printable(text: str) -> str:
    """Repository text made safe to draw: control characters (an escape sequence in a file
    would reach the terminal) and bidirectional overrides become U+FFFD; tabs and newlines
    stay."""
    return text.translate(_CONTROLS)


MARKDOWN_LIMIT = 64 << 10  # larger Markdown is shown as plain text (rendering it is slow)
LEXERS = {"yaml": "yaml", "json": "json"}


class DeliverableViewer(Vertical, can_focus=False):
    """The file list (focusable) above the content of the highlighted file."""

    class Highlighted(Message):
        """The user moved to the file `path` (relative to the workspace root)."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.files: list[tuple[str, str]] = []
        self.shown: str | None = None
        """The path whose content is on screen."""

    def compose(self) -> ComposeResult:
        yield OptionList(id="viewer-files")
        with VerticalScroll(id="viewer-body"):
            yield Static(Content.from_markup("[dim]loading…[/dim]"), id="viewer-note")

    @property
    def selected(self) -> str | None:
        """The highlighted file's path."""
        n = self.query_one(OptionList).highlighted
        return self.files[n][1] if n is not None and 0 <= n < len(self.files) else None

    def set_files(self, files: list[tuple[str, str]]) -> None:
        self.files = files
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options([Option(file_prompt(label, path), id=path) for label, path in files])
        if files:
            listing.highlighted = 0
        else:
            self.query_one("#viewer-note", Static).update("this phase lists no deliverables")

    @on(OptionList.OptionHighlighted, "#viewer-files")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_id:
            self.post_message(self.Highlighted(event.option_id))

    async def show(self, path: str, content: FileContent) -> None:
        """Show `content` (of `path`) in place of what is shown."""
        body = self.query_one("#viewer-body", VerticalScroll)
        await body.remove_children()
        self.shown = path
        await body.mount_all(content_widgets(path, content))


def content_widgets(path: str, content: FileContent) -> list[Widget]:
    """The widgets that show one file's content (also the detail pane's): a note when it is
    missing, binary, a folder or cut; Markdown rendered, YAML, JSON and code highlighted,
    anything else plain. Never markup: the text is the repository's."""
    out: list[Widget] = []
    note = _note(content)
    if note:
        out.append(Static(Content.from_markup(note), classes="viewer-note"))
    if content.text is None:
        return out
    text = printable(content.text)
    if content.kind == "markdown" and len(text) <= MARKDOWN_LIMIT:
        from textual.widgets import Markdown  # markdown-it: ~35 ms, not before the first paint

        out.append(Markdown(text, classes="viewer-markdown"))
    elif content.kind in ("yaml", "json", "code"):
        from rich.syntax import Syntax

        lexer = LEXERS.get(content.kind) or Syntax.guess_lexer(path, text)
        syntax = Syntax(text, lexer, line_numbers=True, word_wrap=False, theme="ansi_dark")
        out.append(Static(syntax, classes="viewer-code"))
    else:
        out.append(Static(Content(text), classes="viewer-text"))
    return out


def file_prompt(label: str, path: str) -> Content:
    """The deliverable's label, then the file's place when it is not simply that name (a file
    in a folder deliverable, or a deliverable with its own path)."""
    name = path.rsplit("/", 1)[-1]
    label, shown = printable(label), printable(path)
    if name == label:
        return Content.assemble((label, "bold"))
    return Content.assemble((label, "bold"), "  ", (shown, "$text-muted"))


def _note(c: FileContent) -> str:
    """The line above the content: missing, binary, a folder, or cut to the first part."""
    if c.kind == "missing":
        return f"[$error]missing[/]: {escape(c.error or 'no such file')}"
    if c.binary:
        return f"[dim]binary file, {c.size} bytes: not shown[/dim]"
    if c.kind == "folder":
        return "[dim]an empty folder[/dim]"
    if c.truncated and c.text is not None:
        return f"[dim]the first {len(c.text.encode())} of {c.size} bytes[/dim]"
    return ""
