"""The detail pane: phase-weighted bars for a milestone or task; everything about one phase.

Below it, `PhaseContent` (widgets/phase_content.py) shows the content of the selected phase's
deliverables (a selected task: its current phase's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.reactive import reactive

from kiro_tui.ui import broken
from kiro_tui.ui.view import GLYPH, Sel, markup_text
from kiro_tui.ui.widgets.markup_static import MarkupStatic

if TYPE_CHECKING:
    from kiro_tui.core.deliverables import DeliverableReport
    from kiro_tui.core.model import Milestone, Phase, Task
    from kiro_tui.core.snapshot import Snapshot

PHASES = ("design", "spec", "task", "execute")

COLOUR = {
    "completed": "$success",
    "approved": "$success",
    "in_progress": "$primary",
    "waiting_approval": "$warning",
    "blocked": "$error",
    "pending": "$text-muted",
    "paused": "$secondary",
    "planned": "$text-muted",
    "cancelled": "$text-muted",
}
URGENCY = ("blocked", "waiting_approval", "in_progress", "pending", "approved", "completed")
BAR_WIDTH = 48


def status_markup(status: str) -> str:
    colour = COLOUR.get(status, "$text-muted")
    return f"[{colour}]{GLYPH.get(status, '?')} {status.replace('_', ' ')}[/]"


def split_bar(parts: list[tuple[str, float, float, str]], width: int = BAR_WIDTH) -> str:
    """A bar with one segment per phase, sized by weight share, filled by credit."""
    out = []
    used = 0
    for i, (_name, share, fill, status) in enumerate(parts):
        cells = width - used if i == len(parts) - 1 else max(1, round(share * width))
        used += cells
        full = round(fill * cells)
        colour = COLOUR.get(status, "$text-muted")
        out.append(f"[{colour}]{'█' * full}{'░' * (cells - full)}[/]")
    return "".join(out)


def legend(parts: list[tuple[str, float, float, str]], weights: dict[str, float]) -> str:
    bits = []
    for name, _share, fill, status in parts:
        colour = COLOUR.get(status, "$text-muted")
        bits.append(f"[{colour}]{name} {weights[name]:g}:{fill * 100:.0f}%[/]")
    return "  ".join(bits)


def milestone_parts(m: Milestone) -> list[tuple[str, float, float, str]]:
    from kiro_tui.core.progress import phase_credit, segments

    weights = m.weight_map
    total = sum(weights[p] for p in PHASES)
    tasks = [t for t in m.tasks if t.status != "cancelled"]
    out = []
    for name in PHASES:
        statuses = [s[3] for t in tasks for s in segments(t, weights) if s[0] == name]
        fill = sum(phase_credit(s) for s in statuses) / len(statuses) if statuses else 0.0
        status = next((u for u in URGENCY if u in statuses), "pending")
        if statuses and all(s in ("completed", "approved") for s in statuses):
            status = "completed"
        out.append((name, weights[name] / total, fill, status))
    return out


def render_milestone(snap: Snapshot, m: Milestone) -> str:
    from kiro_tui.core.progress import milestone_progress, segments, task_progress

    parts = milestone_parts(m)
    lines = [
        f"[b]{markup_text(m.id)}[/b]  {markup_text(m.title)}",
        f"{status_markup(m.status)}   progress [b]{milestone_progress(m):.1f}%[/b]   "
        f"tasks {sum(t.status == 'completed' for t in m.tasks)}/{len(m.tasks)}",
        "",
        split_bar(parts),
        legend(parts, m.weight_map),
        "",
    ]
    if m.requires:
        lines.append(f"requires: {markup_text(', '.join(m.requires))}")
    if m.session_id:
        driving = "  (driven from this window)" if snap.driving == m.id else ""
        lines.append(f"session: {markup_text(m.session_id)}{driving}")
    if m.description and m.description != m.title:
        lines += ["", markup_text(m.description)]
    lines += ["", "[b]tasks[/b]"]
    for t in m.tasks:
        pct = task_progress(t, m.weight_map)
        bar = (
            split_bar(segments(t, m.weight_map), 16)
            if t.is_kiro
            else split_bar([("task", 1.0, pct / 100, t.status)], 16)
        )
        lines.append(f"  {status_markup(t.status)}  {markup_text(t.id)}  {pct:5.1f}%  {bar}")
    return "\n".join(lines)


def render_task(m: Milestone, t: Task) -> str:
    from kiro_tui.core.progress import segments, task_progress

    weights = m.weight_map
    parts = segments(t, weights)
    lines = [
        f"[b]{markup_text(t.id)}[/b]  {markup_text(t.title)}   [dim]in {markup_text(m.id)}[/dim]",
        f"{status_markup(t.status)}   progress [b]{task_progress(t, weights):.1f}%[/b]"
        + (f"   kind {markup_text(t.kind)}" if t.is_kiro else "   plain task (no kiro phases)"),
        "",
        split_bar(parts),
        legend(parts, weights),
        "",
    ]
    if t.depends_on:
        lines.append(f"depends on: {markup_text(', '.join(t.depends_on))}")
    if t.assigned_to:
        lines.append(f"assigned to: {markup_text(t.assigned_to)}")
    for p in t.phases:
        gate = "  [$warning]gate[/]" if p.gate else ""
        lines.append(f"  {p.name:<8} {status_markup(p.status)}{gate}")
    current = t.active_phase
    if current is not None and (current.acceptance_criteria or current.review_history):
        lines += ["", f"[b]{current.name}[/b] (current phase)"]
        lines += criteria_lines(current) + history_lines(current)
    return "\n".join(lines)


def criteria_lines(p: Phase) -> list[str]:
    """The acceptance criteria as a checklist (the files do not say which are met)."""
    if not p.acceptance_criteria:
        return []
    return ["", "[b]acceptance criteria[/b]"] + [
        f"  ☐ {markup_text(c)}" for c in p.acceptance_criteria
    ]


def history_lines(p: Phase) -> list[str]:
    """The reviewer history, oldest first."""
    if not p.review_history:
        return []
    lines = ["", "[b]review history[/b]"]
    for r in p.review_history:
        lines.append(
            f"  {markup_text(r.at or '?')}  {markup_text(r.action.replace('_', ' '))} by "
            f"{markup_text(r.by or '?')}" + (f": {markup_text(r.comment)}" if r.comment else "")
        )
    return lines


def gate_markup(p: Phase) -> str:
    if p.waiting:
        return "[$warning]⚑ waiting for you: a approves, x rejects[/]"
    return "gate: approval required" if p.gate else "no gate"


def render_phase(m: Milestone, t: Task, p: Phase, rep: DeliverableReport | None) -> str:
    lines = [
        f"[b]{markup_text(t.id)} › {p.name}[/b]  {markup_text(t.title)}",
        f"{status_markup(p.status)}   " + gate_markup(p),
        "",
    ]
    lines.append("[b]deliverables[/b]")
    if rep is None:
        lines.append("  [dim]checking…[/dim]")
    else:
        for d in p.deliverables:
            label = d.label
            if label in rep.present:
                lines.append(f"  [$success]✓ {markup_text(label)}[/]")
            elif label in rep.template:
                lines.append(f"  [$warning]◌ {markup_text(label)} (still a template)[/]")
            elif label in rep.invalid:
                lines.append(f"  [$error]✗ {markup_text(label)} (refused path)[/]")
            else:
                lines.append(f"  [$error]✗ {markup_text(label)} (missing)[/]")
        if not p.deliverables:
            lines.append("  [dim]none listed[/dim]")
    lines += criteria_lines(p)
    stamps = [
        ("started", p.started_at),
        ("completed", p.completed_at),
        ("approved", p.approved_at),
        ("rejected", p.rejected_at),
    ]
    shown = [f"{k} {markup_text(v)}" for k, v in stamps if v]
    if shown:
        lines += ["", "   ".join(shown)]
    if p.approved_by:
        note = f": {markup_text(p.approval_notes)}" if p.approval_notes else ""
        lines.append(f"approved by {markup_text(p.approved_by)}{note}")
    if p.rejection_reason:
        lines.append(
            f"[$error]rejected by {markup_text(p.rejected_by or '?')}: {markup_text(p.rejection_reason)}[/]"
        )
    if p.blocked_reason:
        lines.append(f"[$error]blocked: {markup_text(p.blocked_reason)}[/]")
    lines += history_lines(p)
    return "\n".join(lines)


class DetailPane(MarkupStatic):
    """Shows the selected milestone, task or phase. Set `snapshot`, `selection`, `report`."""

    snapshot: reactive[Snapshot | None] = reactive(None)
    """The snapshot to render from."""
    selection: reactive[Sel | None] = reactive(None)
    """What the tree has selected."""
    report: reactive[tuple[Sel, DeliverableReport] | None] = reactive(None)
    """Deliverable states for the selected phase, computed off the UI thread by the app."""

    def render_markup(self) -> str:
        snap, sel = self.snapshot, self.selection
        if snap is None:
            return "[dim]loading…[/dim]"
        if sel is None:
            if not snap.state.milestones:
                return broken.empty_markup(snap.state)
            return "[dim]select a milestone, task or phase[/dim]"
        if sel.file:
            found = next((b for b in broken.broken_files(snap.state) if b.file == sel.file), None)
            return (
                broken.detail_markup(found)
                if found
                else f"[dim]{markup_text(sel.file)} loads now[/dim]"
            )
        m = snap.state.milestone(sel.mid)
        if m is None:
            return f"[dim]{markup_text(sel.mid)} is gone[/dim]"
        t = m.task(sel.tid) if sel.tid else None
        if t is None:
            return render_milestone(snap, m)
        p = t.phase(sel.phase) if sel.phase else None
        if p is None:
            return render_task(m, t)
        return render_phase(m, t, p, self.report_for(sel))

    def report_for(self, sel: Sel) -> DeliverableReport | None:
        """The deliverable report shown for `sel`, if it is the one shown."""
        got = self.report
        return got[1] if got is not None and got[0] == sel else None

    def _refresh_content(self) -> None:
        self.show_markup(self.render_markup())

    def watch_snapshot(self) -> None:
        self._refresh_content()

    def watch_selection(self) -> None:
        self._refresh_content()

    def watch_report(self) -> None:
        self._refresh_content()
