"""Milestone-level edits of a round-trip milestone document: starting, pausing, resuming and
completing a milestone, keeping its `progress` block, adding tasks and migrating plain tasks
(FORMAT.md sections 3, 6 and 7). The phase state machine itself is in workflow.py.
"""

from __future__ import annotations

from typing import Any

from kiro_tui.core.errors import Refused
from kiro_tui.core.ids import PHASES
from kiro_tui.core.model import norm_milestone_status, norm_task_status
from kiro_tui.core.parse import is_kiro_task
from kiro_tui.core.workflow import Ctx, Outcome, maybe_complete_milestone
from kiro_tui.core.yaml.roundtrip import quote_like


def migrate_task(task: dict[str, Any], enforcement: str, phases_template: Any) -> bool:
    """Give a plain task kiro phases per the enforcement level; True when it changed."""
    if is_kiro_task(task):
        return False
    hours = task.get("estimated_hours")
    hours = hours if isinstance(hours, int | float) and not isinstance(hours, bool) else 8
    if enforcement == "flexible":
        return False
    if enforcement == "progressive" and not hours > 4:
        return False
    status = norm_task_status(task.get("status"))
    statuses = {
        "pending": ("pending",) * 4,
        "in_progress": ("completed", "completed", "completed", "in_progress"),
        "completed": ("completed",) * 4,
    }.get(status, ("pending",) * 4)
    kw = phases_template(task, hours)
    for name, st in zip(PHASES, statuses, strict=True):
        kw["phases"][name]["status"] = st
    kw["current_phase"] = next(
        (p for p, s in zip(PHASES, statuses, strict=True) if s != "completed"), "execute"
    )
    task["kiro_workflow"] = kw
    return True


# ---------------------------------------------------------------------- milestone-level edits
# One named edit per Workspace action that is not a phase action; each is `(doc, ctx, ...)`.


def start_milestone(doc: dict[str, Any], ctx: Ctx, mid: str, sid: str, new: bool) -> Outcome:
    """Mark the milestone in progress and record its session (`new`: a session just made)."""
    from ruamel.yaml.comments import CommentedMap

    out = Outcome(
        message=f"{mid}: session {sid} started" if new else f"{mid}: session {sid} continues"
    )
    if norm_milestone_status(doc.get("status")) != "in_progress":
        doc["status"] = "in_progress"
    ex = doc.get("execution")
    if not isinstance(ex, dict):
        doc["execution"] = ex = CommentedMap()
    if not ex.get("started_at"):
        ex["started_at"] = quote_like(ctx.now, ex, doc)
    ex["session_id"] = quote_like(sid, ex, doc)
    if new:
        out.add("milestone_started", session_id=sid, actor=ctx.actor, message=out.message)
    return out


def pause_milestone(doc: dict[str, Any], ctx: Ctx, mid: str, sid: str) -> Outcome:
    status = norm_milestone_status(doc.get("status"))
    if status == "paused":
        raise Refused(f"milestone {mid} is already paused")
    if status != "in_progress":
        raise Refused(f"cannot pause {mid}: it is {status}, not in_progress")
    doc["status"] = "paused"
    out = Outcome(message=f"{mid}: paused by {ctx.actor}")
    out.add("session_paused", session_id=sid, actor=ctx.actor, message=out.message)
    return out


def resume_milestone(doc: dict[str, Any], ctx: Ctx, mid: str, sid: str) -> Outcome:
    status = norm_milestone_status(doc.get("status"))
    if status != "paused":
        raise Refused(f"cannot resume {mid}: it is {status}, not paused")
    doc["status"] = "in_progress"
    out = Outcome(message=f"{mid}: resumed by {ctx.actor}")
    out.add("session_resumed", session_id=sid, actor=ctx.actor, message=out.message)
    return out


def complete_milestone(doc: dict[str, Any], ctx: Ctx) -> Outcome:
    """Complete the milestone when every task that counts is completed (else nothing)."""
    out = Outcome(message=f"{doc.get('id')} completed")
    maybe_complete_milestone(doc, ctx, out)
    return out


def write_progress(
    doc: dict[str, Any], ctx: Ctx, percentage: int, completed: int, total: int
) -> Outcome:
    """Keep `progress` true; changes nothing when the values are already there."""
    from ruamel.yaml.comments import CommentedMap

    prog = doc.get("progress")
    if not isinstance(prog, dict):
        doc["progress"] = prog = CommentedMap()
    done_key = (
        "completed_tasks"
        if "completed_tasks" in prog and "tasks_completed" not in prog
        else "tasks_completed"
    )
    want = {"percentage": percentage, done_key: completed, "total_tasks": total}
    if any(prog.get(k) != v for k, v in want.items()):
        prog.update(want)
        prog["last_update"] = quote_like(ctx.now, prog, doc)
    return Outcome()


def add_task(
    doc: dict[str, Any],
    ctx: Ctx,
    mid: str,
    title: str,
    kind: str,
    deps: list[str],
    task_id: str | None,
    hours: float,
) -> Outcome:
    """Append a kiro task; the new id is the `task_added` event's `task_id`."""
    from ruamel.yaml.comments import CommentedSeq

    from kiro_tui.core.ids import check_id, task_id_from_title
    from kiro_tui.core.parse import milestone_gates, milestone_weights
    from kiro_tui.core.templates import new_task

    tasks = doc.get("tasks")
    if not isinstance(tasks, list):
        doc["tasks"] = tasks = CommentedSeq()
    if not (isinstance(hours, int | float) and 0 < hours < float("inf")):
        raise Refused(f"cannot add task: estimated hours must be a positive number, not {hours:g}")
    ids = {str(t.get("id")) for t in tasks if isinstance(t, dict)}
    for d in deps:
        if d not in ids:
            raise Refused(f"cannot add task: {mid} has no task {d!r} to depend on")
    tid = check_id(task_id, "task id") if task_id is not None else task_id_from_title(title, ids)
    if tid in ids:
        raise Refused(f"milestone {mid} already has a task {tid}")
    tasks.append(
        new_task(
            tid,
            title,
            kind,
            deps,
            ctx.config,
            ctx.now,
            hours,
            milestone_weights(doc, ctx.config),
            milestone_gates(doc, ctx.config),
        )
    )
    prog = doc.get("progress")
    if isinstance(prog, dict) and "total_tasks" in prog:
        prog["total_tasks"] = len(tasks)
    out = Outcome(message=f"{mid}: task {tid} added")
    out.add("task_added", task_id=tid, actor=ctx.actor, message=out.message)
    return out


def migrate_milestone(doc: dict[str, Any], ctx: Ctx, mid: str) -> Outcome:
    """Give every plain task kiro phases per the milestone's (or the config's) enforcement."""
    from kiro_tui.core.parse import milestone_gates, milestone_weights
    from kiro_tui.core.templates import kiro_workflow

    cfg = ctx.config
    kc = doc.get("kiro_configuration")
    level = kc.get("enforcement") if isinstance(kc, dict) else None
    level = level if level in ("strict", "flexible", "progressive") else cfg.enforcement
    weights = milestone_weights(doc, cfg)
    gates = milestone_gates(doc, cfg)
    out = Outcome()
    moved = []
    for t in doc.get("tasks") or []:
        if isinstance(t, dict) and migrate_task(
            t,
            level,
            lambda task, h: kiro_workflow(
                str(task.get("kind") or "feature"), h, cfg, weights, gates
            ),
        ):
            moved.append(str(t.get("id")))
            out.add(
                "task_migrated",
                task_id=str(t.get("id")),
                actor=ctx.actor,
                message=f"{t.get('id')} migrated to kiro phases ({level})",
            )
    out.message = (
        f"{mid}: migrated {', '.join(moved)} ({level})"
        if moved
        else f"{mid}: nothing to migrate under enforcement '{level}'"
    )
    return out
