"""The content of the selected phase's deliverables, under the detail pane.

Attributes down: `snapshot` (bound by the main screen) and `selection` (set by it). The phase is
the selected one, or a selected task's current phase. Its files are read in one exclusive
thread worker (moving through the tree cancels the read in flight, between two files: reads
never queue up), and only when what is read would differ: another phase, the phase itself
changed in the snapshot, or its deliverable facts did (`Snapshot.facts`: a file of it changed).
A snapshot that changed something else reads nothing.

Each file is cut at PANE_BYTES and at most MAX_FILES are read (the approval modal shows one file
at a time, larger); the widgets are the approval modal's (`deliverable_viewer.content_widgets`):
Markdown rendered, YAML, JSON and code highlighted, the rest plain, never markup. Every change to
the children is made by this widget's own handler, in order, after the frame that follows each
answer (`Draw`), and only when what it would show differs from what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from kiro_tui.ui.view import Sel, markup_text
from kiro_tui.ui.widgets.deliverable_viewer import content_widgets, file_prompt

if TYPE_CHECKING:
    from kiro_tui.core.deliverable_view import Content as FileContent
    from kiro_tui.core.model import Phase
    from kiro_tui.core.snapshot import Snapshot

PANE_BYTES = 32 << 10  # of each file; the approval modal shows more
MAX_FILES = 12
GROUP = "detail-content"
READING_AFTER = 0.12  # s: a read slower than this shows "reading…" (most answer in a few ms)


@dataclass(frozen=True)
class Shown:
    """What is read: a phase as the snapshot has it, and its deliverable facts then."""

    sel: Sel  # milestone, task and phase
    phase: Phase
    facts: Any  # core.snapshot.PhaseFacts | None
    current: bool  # the task is selected: this is its current phase


def current_phase(snap: Snapshot, sel: Sel | None) -> tuple[Sel, Phase, bool] | None:
    """The selected phase, or the selected task's current phase (the one moving now, else the
    one its file names), with whether it is the latter."""
    if sel is None or sel.file or not sel.tid:
        return None
    m = snap.state.milestone(sel.mid)
    t = m.task(sel.tid) if m is not None else None
    if t is None:
        return None
    if sel.phase:
        p = t.phase(sel.phase)
    else:
        p = t.active_phase or (t.phase(t.current_phase) if t.current_phase else None)
    return (Sel(sel.mid, sel.tid, p.name), p, not sel.phase) if p is not None else None


class PhaseContent(Vertical, can_focus=False):
    """The deliverables of one phase, each file's name above its content."""

    DEFAULT_CSS = """
    PhaseContent { height: auto; }
    PhaseContent > .content-head { margin-top: 1; }
    PhaseContent > .content-file { margin-top: 1; }
    PhaseContent > .viewer-markdown { margin: 0; padding: 0 1; }
    """

    snapshot: reactive[Snapshot | None] = reactive(None)
    selection: reactive[Sel | None] = reactive(None)

    class Read(Message):
        """The files of `key` (None: nothing to show), or None while they are being read."""

        def __init__(
            self,
            key: Shown | None,
            files: list[tuple[str, str, FileContent]] | None,
            total: int = 0,
        ) -> None:
            super().__init__()
            self.key = key
            self.files = files
            self.total = total

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key: Shown | None = None
        """What is (being) read for."""
        self.shown: tuple[str, ...] = ()
        """The paths whose content is on screen."""
        self.shown_key: Shown | None = None
        """What the content on screen was read for (None: nothing, or still reading)."""
        self.reads = 0
        """How many reads were started."""
        self.remounts = 0
        """How many times the children were replaced (counted by tests: work, not time)."""
        self._drawn: tuple[object, ...] | None = None
        """What the children show: the head's inputs and the files read (equal: kept)."""

    def watch_snapshot(self) -> None:
        self._update()

    def watch_selection(self) -> None:
        self._update()

    def _update(self) -> None:
        snap = self.snapshot
        found = current_phase(snap, self.selection) if snap is not None else None
        if found is None or snap is None:
            if self.key is not None:
                self.key = None
                self.workers.cancel_group(self, GROUP)
                self.post_message(self.Read(None, []))
            return
        sel, phase, current = found
        key = Shown(sel, phase, snap.facts.get((sel.mid, sel.tid or "", phase.name)), current)
        if key == self.key:
            return  # nothing the files' content depends on changed
        moved = self.key is None or self.key.sel != sel
        self.key = key
        if moved:  # another phase: not the last one's content for long, but no flash of
            # "reading…" either (each change of the children re-lays the whole screen out)
            self.set_timer(READING_AFTER, lambda: self._still_reading(key))
        self.reads += 1
        self._read(key, snap.state.root)

    @work(thread=True, group=GROUP, exclusive=True, exit_on_error=False)
    def _read(self, key: Shown, root: Path) -> None:
        from textual.worker import get_current_worker

        from kiro_tui.core.deliverable_view import deliverable_content
        from kiro_tui.core.review import phase_files

        worker = get_current_worker()
        files = phase_files(root, key.sel.tid or "", key.phase)
        out: list[tuple[str, str, FileContent]] = []
        for label, path in files[:MAX_FILES]:
            if worker.is_cancelled:
                return
            out.append((label, path, deliverable_content(root / path, PANE_BYTES)))
        if not worker.is_cancelled:
            self.post_message(self.Read(key, out, len(files)))

    def _still_reading(self, key: Shown) -> None:
        if self.key == key and self.shown_key != key:
            self.post_message(self.Read(key, None))

    def on_phase_content_read(self, message: Read) -> None:
        message.stop()
        # after the next frame: a key that moved the cursor shows the new detail header first,
        # and the content (a remount and a layout, 5-35 ms) follows in the frame after; drawn
        # by this widget's own handler (an await on the screen's callback would hold the screen)
        self.call_after_refresh(self.post_message, self.Draw(message))

    class Draw(Message):
        """Draw this answer now (posted after the frame that followed it)."""

        def __init__(self, read: PhaseContent.Read) -> None:
            super().__init__()
            self.read = read

    async def on_phase_content_draw(self, draw: Draw) -> None:
        draw.stop()
        message = draw.read
        if message.key != self.key:
            return  # overtaken by another question
        if message.files is None and message.key is not None and self.shown_key == message.key:
            return  # "reading…" after the answer was shown
        key = message.key
        drawn = (
            (key.phase.name, key.current, message.files, message.total) if key is not None else None
        )
        if drawn != self._drawn:  # else the same files, read again after a status change
            widgets = _widgets(message)
            self._drawn = drawn
            self.remounts += 1
            with self.app.batch_update():
                await self.remove_children()
                await self.mount_all(widgets)
        self.shown = tuple(path for _label, path, _c in message.files or ())
        self.shown_key = message.key if message.files is not None else None


def _widgets(message: PhaseContent.Read) -> list[Widget]:
    key = message.key
    if key is None:
        return []
    name = markup_text(key.phase.name)
    head = (
        f"[b]{name} (current phase): deliverables[/b]"
        if key.current
        else "[b]deliverables' content[/b]"
    )
    out: list[Widget] = [Static(Content.from_markup(head), classes="content-head")]
    if message.files is None:
        out.append(Static(Content.from_markup("[dim]reading…[/dim]")))
        return out
    if not message.files:
        out.append(Static(Content.from_markup("[dim]this phase lists no deliverables[/dim]")))
    for label, path, content in message.files:
        out.append(Static(file_prompt(label, path), classes="content-file"))
        out += content_widgets(path, content)
    left = message.total - len(message.files)
    if left > 0:
        more = f"[dim]{left} more file(s) not shown here: the approval modal lists them[/dim]"
        out.append(Static(Content.from_markup(more), classes="content-file"))
    return out
