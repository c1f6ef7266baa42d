"""Milestone files that could not be loaded, as the dashboard shows them (issue 10, item 10):
one tree row each, with the located error, and a detail text saying how to fix it. Pure: no
Textual widgets, no IO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.markup import escape

if TYPE_CHECKING:
    from kiro_tui.core.errors import Problem
    from kiro_tui.core.store import WorkspaceState

MARK = "⚠"


@dataclass(frozen=True, slots=True)
class BrokenFile:
    """A milestone file of active/ or completed/ that did not load, and its first problem."""

    file: str  # relative to .milestones/
    stem: str
    problem: Problem

    @property
    def where(self) -> str:
        """`active/x.yaml:2:8`, as far as the problem is located."""
        p = self.problem
        loc = self.file
        if p.line is not None:
            loc += f":{p.line}"
            if p.column is not None:
                loc += f":{p.column}"
        return loc


def _is_milestone_file(rel: str) -> bool:
    parts = rel.split("/")
    if len(parts) == 2 and parts[0] in ("active", "completed"):
        return parts[1].endswith((".yaml", ".yml"))
    return len(parts) == 3 and parts[0] == "completed" and parts[2] == "definition.yaml"


def broken_files(state: WorkspaceState) -> list[BrokenFile]:
    """Each milestone file with an `invalid_file` problem that no loaded milestone comes
    from, in the order the problems were found."""
    loaded = {m.path.removeprefix(".milestones/") for m in state.milestones}
    out: dict[str, BrokenFile] = {}
    for p in state.problems:
        if p.kind != "invalid_file" or not _is_milestone_file(p.file) or p.file in loaded:
            continue
        if p.file not in out:
            parts = p.file.split("/")
            stem = parts[1] if len(parts) == 3 else parts[1].rsplit(".", 1)[0]
            out[p.file] = BrokenFile(p.file, stem, p)
    return list(out.values())


def row_label(b: BrokenFile) -> str:
    return f"{b.where}  {b.problem.message}"


def detail_markup(b: BrokenFile) -> str:
    return (
        f"[b $error]{escape(b.file)} could not be loaded[/]\n\n"
        f"{escape(b.where)}: {escape(b.problem.message)}\n\n"
        "Fix the file and it loads again by itself. Press [b]Enter[/b] on its blocker (b) to "
        "open it in your editor; [b]kiro-tui validate[/b] lists every problem."
    )


def empty_markup(state: WorkspaceState) -> str:
    """The detail pane with nothing selected and no milestone loaded."""
    broken = broken_files(state)
    if broken:
        files = "\n".join(f"  {escape(b.where)}: {escape(b.problem.message)}" for b in broken)
        return (
            f"[b $error]No milestone could be loaded: {len(broken)} file(s) have errors.[/]\n\n"
            f"{files}\n\nFix them and they appear here by themselves."
        )
    return (
        "[b]No milestones yet.[/b]\n\nCreate one with\n"
        '  kiro-tui new milestone-001 --title "First milestone"\n'
        "and it appears here by itself."
    )
