"""The prompt of one run (markdown), its run id, and its place: `.milestones/runs/<id>/prompt.md`."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from kiro_tui.core.deliverables import TEMPLATE_MARKER
from kiro_tui.core.ids import PHASES, is_valid_id
from kiro_tui.core.model import Deliverable, Milestone, Phase, Task
from kiro_tui.core.runs.records import runs_dir

PHASE_GOALS = {
    "design": "Design the solution: architecture, data model, interfaces and security.",
    "spec": "Write the detailed technical specification and the test plan.",
    "task": "Break the work into implementation tasks with dependencies and risks.",
    "execute": "Implement the code and its tests, and document it.",
}


def deliverable_path(task_id: str, phase: str, d: Deliverable) -> str:
    """The deliverable's path relative to the repository root."""
    if d.path is not None:
        return d.path
    return f".milestones/deliverables/{task_id}/{phase}/{d.name}"


def new_run_id(
    root: Path, milestone_id: str, task_id: str, phase: str, now: datetime | None = None
) -> str:
    """`<milestone>-<task>-<phase>-<YYYYMMDD-HHMMSS>-<n>`, unique (its folder is created here),
    shortened with a hash when the ids are long so that it stays a valid id (FORMAT.md 2)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    head = f"{milestone_id}-{task_id}"
    if len(head) > 80:
        digest = hashlib.sha256(head.encode()).hexdigest()[:8]
        head = f"{milestone_id[:30]}-{task_id[:30]}-{digest}"
    base = runs_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        run_id = f"{head}-{phase}-{stamp}-{n}"
        if not is_valid_id(run_id):
            raise ValueError(f"cannot make a valid run id from {milestone_id!r}/{task_id!r}")
        try:
            os.mkdir(base / run_id)
            return run_id
        except FileExistsError:
            n += 1


def _phase_lines(task_id: str, p: Phase) -> list[str]:
    lines = [f"### {p.name} ({p.status})"]
    for d in p.deliverables:
        lines.append(f"- `{deliverable_path(task_id, p.name, d)}`")
    if p.approved_by or p.approval_notes:
        lines.append(
            f"- approved by {p.approved_by or 'someone'}"
            + (f": {p.approval_notes}" if p.approval_notes else "")
        )
    return lines


def compose(
    milestone: Milestone,
    task: Task,
    phase: str,
    *,
    reason: str | None = None,
    resume: bool = False,
    present: tuple[str, ...] = (),
) -> str:
    """The prompt for running `phase` of `task`: what to do, the exact files to write, the
    acceptance criteria, the earlier phases' deliverables, a rejection's reason and history,
    and on resume what is already on disk."""
    ph = task.phase(phase)
    if ph is None:
        raise ValueError(f"task {task.id} has no phase {phase}")
    out: list[str] = [
        f"# {task.title}: {phase} phase",
        "",
        f"You are doing the **{phase}** phase of task `{task.id}` in milestone `{milestone.id}` "
        f"({milestone.title}). {PHASE_GOALS.get(phase, '')}",
        "",
    ]
    if milestone.description:
        out += ["## Milestone", "", milestone.description.strip(), ""]
    desc = ph.description or ""
    out += ["## Task", "", f"**{task.title}** (`{task.id}`, kind {task.kind})"]
    if desc:
        out += ["", desc.strip()]
    out.append("")
    out += [
        "## Deliverables to write",
        "",
        "Write every one of these files (paths are relative to the repository root). "
        "A name without an extension is a folder: put at least one real file in it.",
        "",
    ]
    for d in ph.deliverables:
        out.append(f"- `{deliverable_path(task.id, phase, d)}`")
    out += [
        "",
        f"Starter files may already exist: they hold the marker line `{TEMPLATE_MARKER}`. "
        "Replace their content with real content and remove that marker line, or the "
        "deliverable does not count. `.yaml` and `.json` files must parse.",
        "",
    ]
    if ph.acceptance_criteria:
        out += ["## Acceptance criteria", ""]
        out += [f"- {c}" for c in ph.acceptance_criteria]
        out.append("")
    earlier = (
        [p for p in task.phases if p.name in PHASES[: PHASES.index(phase)]]
        if phase in PHASES
        else []
    )
    if earlier:
        out += ["## Earlier phases (read their deliverables first)", ""]
        for p in earlier:
            out += _phase_lines(task.id, p)
        out.append("")
    why = reason or ph.rejection_reason
    if why or ph.review_history:
        out += ["## Changes requested", ""]
        if why:
            out += [
                f"The reviewer{f' ({ph.rejected_by})' if ph.rejected_by else ''} asked for "
                f"changes: {why}",
                "",
            ]
        if ph.review_history:
            out.append("Review history:")
            for r in ph.review_history:
                out.append(
                    f"- {r.at or '?'} {r.action} by {r.by or '?'}"
                    + (f": {r.comment}" if r.comment else "")
                )
            out.append("")
    if resume or present:
        out += [
            "## Resuming",
            "",
            "This work was interrupted. Re-check what is on disk before you go on: do not "
            "trust your memory of earlier steps.",
        ]
        if present:
            out += ["", "Deliverables already present:"]
            out += [f"- `{p}`" for p in present]
        out.append("")
    out += [
        "## Rules",
        "",
        "- Work only inside this repository; write only what the task needs.",
        "- Do not ask questions: nobody can answer them during this run. If you cannot go "
        "on, say why in your final message and stop.",
        "- Do not mark the phase complete in any milestone file: kiro-tui checks the "
        "deliverables and completes it.",
        "",
    ]
    return "\n".join(out)


def write_prompt(root: Path, run_id: str, text: str) -> Path:
    path = runs_dir(root) / run_id / "prompt.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".prompt.md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def deliverable_paths(task: Task, phase: str) -> list[str]:
    ph = task.phase(phase)
    return [deliverable_path(task.id, phase, d) for d in (ph.deliverables if ph else ())]
