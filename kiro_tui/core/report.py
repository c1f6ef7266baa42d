"""The `status` report: a JSON-ready structure (schema 1) and the compact text table."""

from __future__ import annotations

from typing import Any

from kiro_tui.core import deliverables as dl
from kiro_tui.core.cells import cut, fit
from kiro_tui.core.deps import startable
from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.progress import milestone_progress, task_progress
from kiro_tui.core.store import WorkspaceState
from kiro_tui.core.text import plain
from kiro_tui.core.validate import check


def task_json(
    state: WorkspaceState, m: Milestone, t: Task, folders: frozenset[str] | None = None
) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    for ph in t.phases:
        rep = dl.report(state.root, t.id, ph, folders)
        phases[ph.name] = {
            "status": ph.status,
            "gate": ph.gate,
            "deliverables": {"present": list(rep.present), "missing": list(rep.missing)},
        }
    return {
        "id": t.id,
        "title": t.title,
        "status": t.status,
        "progress": round(task_progress(t, m.weight_map), 1),
        "kind": "kiro" if t.is_kiro else "plain",
        "current_phase": t.current_phase,
        "depends_on": list(t.depends_on),
        "phases": phases,
    }


def milestone_json(
    state: WorkspaceState, m: Milestone, folders: frozenset[str] | None = None
) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "status": m.status,
        "location": m.location,
        "progress": round(milestone_progress(m), 1),
        "requires": list(m.requires),
        "startable": startable(m, state.by_id),
        "tasks": [task_json(state, m, t, folders) for t in m.tasks],
    }


def status_json(state: WorkspaceState, only: str | None = None) -> dict[str, Any]:
    ms = [m for m in state.milestones if only is None or m.id == only]
    folders = dl.task_folders(state.root)
    return {
        "schema": 1,
        "root": str(state.root),
        "milestones": [milestone_json(state, m, folders) for m in ms],
        "problems": [{"file": p.file, "line": p.line, "message": p.message} for p in check(state)],
    }


def bar(pct: float, width: int = 20) -> str:
    filled = round(width * max(0.0, min(100.0, pct)) / 100)
    return "█" * filled + "░" * (width - filled)


PHASE_GLYPH = {
    "pending": "·",
    "in_progress": "▶",
    "completed": "✓",
    "waiting_approval": "?",
    "approved": "✔",
    "blocked": "✗",
}


def status_text(state: WorkspaceState, only: str | None = None, width: int = 80) -> str:
    lines: list[str] = []
    for m in state.milestones:
        if only is not None and m.id != only:
            continue
        pct = milestone_progress(m)
        head = plain(f"{m.id}  {m.title}", one_line=True)
        tail = f"{m.status:<11} {bar(pct, 16)} {pct:5.1f}%"
        room = width - len(tail) - 1
        lines.append(f"{fit(head, room)} {tail}")
        if m.requires:
            lines.append(
                f"  requires: {', '.join(m.requires)}"
                + ("" if startable(m, state.by_id) or m.finished else "  (not startable)")
            )
        for t in m.tasks:
            tp = task_progress(t, m.weight_map)
            glyphs = (
                " ".join(PHASE_GLYPH.get(p.status, "?") + p.name[0].upper() for p in t.phases)
                if t.is_kiro
                else "plain      "
            )
            # the gate column is always there, so rows with and without ⚑ line up
            waiting = " ⚑" if t.waiting else "  "
            ttail = f"{glyphs}  {t.status:<11} {bar(tp, 10)} {tp:5.1f}%{waiting}"
            room = width - len(ttail) - 3
            label = plain(f"{t.id} {t.title}", one_line=True)
            lines.append(f"  {fit(label, room)} {ttail}".rstrip())
        lines.append("")
    problems = check(state)
    if problems:
        lines.append(f"{len(problems)} problem(s) (run 'kiro-tui validate'):")
        for p in problems[:10]:
            lines.append(f"  {p}")
    if not state.milestones and not problems:
        lines.append("no milestones yet (create one with 'kiro-tui new ID --title TEXT')")
    # repository text (titles, ids, messages) may hold escapes: made visible, never sent
    return "\n".join(clip(plain(line, one_line=True), width) for line in lines).rstrip() + "\n"


def clip(line: str, width: int) -> str:
    """A line cut to `width` cells, ending in an ellipsis when something was cut."""
    return cut(line, width)
