"""What the main screen's attention and review keys act on: the inbox in order (`n`, `i`), the
phase under the selection (`d`), the file to open (`o`) and the text to copy (`y`).

The inbox is the app's (made by `core.inbox.build_inbox` in the attention feed); before the
feed has answered for the newest snapshot it is built here from that snapshot, the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiro_tui.ui.screens.review import PhaseRef, phase_ref
from kiro_tui.ui.view import Sel, find_waiting

if TYPE_CHECKING:
    from kiro_tui.core.inbox import InboxItem
    from kiro_tui.ui.app import KiroApp


def current_inbox(app: KiroApp) -> tuple[InboxItem, ...]:
    """The inbox of the app's newest snapshot."""
    from kiro_tui.core.inbox import build_inbox

    snap = app.snapshot
    if snap is None:
        return app.inbox
    if app.inbox_seq == snap.seq:
        return app.inbox
    return tuple(build_inbox(snap))


def next_item(app: KiroApp, current: Sel | None) -> Sel | None:
    """The place of the inbox item after `current` (the first when `current` is none of
    them): its milestone, task and phase, or the file of a file-level blocker (a milestone
    file that cannot be loaded); items with neither are skipped."""
    sels: list[Sel] = []
    for i in current_inbox(app):
        if i.milestone_id:
            s: Sel | None = Sel(i.milestone_id, i.task_id, i.phase)
        elif i.file:
            s = Sel(i.file.rsplit("/", 1)[-1].rsplit(".", 1)[0], file=i.file)
        else:
            s = None
        if s is not None and s not in sels:
            sels.append(s)
    if not sels:
        return None
    if current in sels:
        return sels[(sels.index(current) + 1) % len(sels)]
    return sels[0]


def selected_phase(app: KiroApp, sel: Sel | None) -> PhaseRef | None:
    """The selected phase, or the phase waiting under a selected task or milestone."""
    snap = app.snapshot
    if sel is None or snap is None:
        return None
    if sel.phase:
        return phase_ref(app.root, snap, sel.mid, sel.tid, sel.phase)
    target = find_waiting(snap.state, sel)
    if target is None:
        return None
    return phase_ref(app.root, snap, target.mid, target.tid, target.phase)


def file_to_open(app: KiroApp, sel: Sel | None) -> Path | None:
    """A selected phase's first deliverable file that exists, else the milestone's file."""
    from kiro_tui.core.errors import KiroError
    from kiro_tui.core.review import phase_files

    if sel is None:
        return None
    ref = phase_ref(app.root, app.snapshot, sel.mid, sel.tid, sel.phase) if app.snapshot else None
    if ref is not None:
        for _label, rel in phase_files(ref.root, ref.task.id, ref.phase):
            if (ref.root / rel).is_file():
                return ref.root / rel
    try:
        return app.workspace().milestone_path(sel.mid)
    except KiroError:
        return None


def header_attention(items: tuple[InboxItem, ...]) -> tuple[int, bool]:
    """(count, whether one is a critical blocker) for the header."""
    return len(items), any(i.severity == "critical" and not i.is_gate for i in items)


def show_diff(app: KiroApp, sel: Sel | None) -> None:
    """`d`: the diff view of the selected phase (or of the one waiting under the selection)."""
    from kiro_tui.ui.screens.review import ReviewScreen

    ref = selected_phase(app, sel)
    if ref is None:
        app.notify("select a phase (or a task with one waiting) first", severity="warning")
        return
    app.push_screen(ReviewScreen(ref))


def open_selected(app: KiroApp, sel: Sel | None) -> None:
    """`o`: run the editor on `file_to_open`; a problem is one line."""
    from kiro_tui.ui.editor import open_in_editor

    path = file_to_open(app, sel)
    problem = "select a milestone or a phase first" if path is None else open_in_editor(app, path)
    if problem:
        app.notify(problem, severity="warning", markup=False)


def copy_selected(app: KiroApp, sel: Sel | None) -> None:
    """`y`: copy `copy_text` to the clipboard (OSC 52)."""
    text = copy_text(app, sel)
    if text is None:
        app.notify("select a milestone, task or phase first", severity="warning")
        return
    app.copy_to_clipboard(text)
    app.notify(f"copied {text}", timeout=3, markup=False)


def copy_text(app: KiroApp, sel: Sel | None) -> str | None:
    """A milestone's or task's id; a phase's deliverable folder."""
    from kiro_tui.core.deliverables import phase_dir

    if sel is None:
        return None
    if sel.phase and sel.tid:
        return str(phase_dir(app.root, sel.tid, sel.phase))
    return sel.tid or sel.mid
