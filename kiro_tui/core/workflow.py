"""The phase state machine (FORMAT.md section 6) as edits of a round-trip milestone document.

Each action checks first and raises `Refused` before touching anything, then edits the document
in place and returns the events to log plus the file effects to apply after the write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiro_tui.core import deliverables as dl
from kiro_tui.core.clock import parse_ts
from kiro_tui.core.config import Config
from kiro_tui.core.errors import KiroError, NotFound, Refused
from kiro_tui.core.ids import PHASES, check_phase, is_valid_id, next_phase
from kiro_tui.core.model import norm_milestone_status, norm_task_status
from kiro_tui.core.parse import build_phase, build_task, is_kiro_task
from kiro_tui.core.yaml.roundtrip import quote_like

ACTIVE_PHASE = ("in_progress", "waiting_approval", "pending")
# kiro-tui's block records what it replaced, so that unblock puts it back (FORMAT.md section 6)
BLOCKED_FROM = "blocked_from"
PREVIOUS_BLOCKED_AT = "previous_blocked_at"


@dataclass
class Ctx:
    root: Path
    config: Config
    now: str
    actor: str


@dataclass
class Outcome:
    """What an action did: events to append, starter folders to create, and flags."""

    events: list[dict[str, Any]] = field(default_factory=list)
    starters: list[tuple[str, str]] = field(default_factory=list)  # (task_id, phase)
    milestone_completed: bool = False
    message: str = ""

    def add(self, event: str, **kw: Any) -> None:
        self.events.append({"event": event, **{k: v for k, v in kw.items() if v is not None}})


def find_task(doc: dict[str, Any], task_id: str) -> dict[str, Any]:
    for t in doc.get("tasks") or []:
        if isinstance(t, dict) and str(t.get("id")) == task_id:
            return t
    raise NotFound(f"milestone {doc.get('id')} has no task {task_id!r}")


def _phase_map(doc: dict[str, Any], task: dict[str, Any], phase: str) -> dict[str, Any]:
    if not is_valid_id(task.get("id")):
        raise Refused(
            f"task {task.get('id')!r} has an invalid id and is read only (rename it "
            f"with 'kiro-tui fix-ids {doc.get('id')}')"
        )
    if not is_kiro_task(task):
        raise Refused(
            f"task {task.get('id')} is a plain task with no kiro phases "
            f"(run 'kiro-tui migrate {doc.get('id')}' first)"
        )
    phases = task["kiro_workflow"].get("phases")
    if not isinstance(phases, dict) or not isinstance(phases.get(phase), dict):
        raise Refused(f"task {task.get('id')} has no {phase} phase")
    return phases[phase]


def _set(m: dict[str, Any], key: str, value: Any) -> None:
    """Set a key, keeping its place if it exists (ruamel keeps order and comments), with a
    string quoted like its neighbours."""
    m[key] = quote_like(value, m)


def _set_status(m: dict[str, Any], value: str, normalise: Any = None) -> None:
    """Write a status unless the current value already means the same (keeps `planning` etc.)."""
    cur = m.get("status")
    if normalise is not None and cur is not None and normalise(cur) == value:
        return
    m["status"] = value


def _phase_model(doc: dict[str, Any], task: dict[str, Any], phase: str, ctx: Ctx) -> Any:
    return build_phase(phase, task["kiro_workflow"]["phases"].get(phase), doc, ctx.config, [])


def _milestone_open(doc: dict[str, Any], what: str) -> None:
    status = norm_milestone_status(doc.get("status"))
    if status in ("paused", "completed", "cancelled"):
        raise Refused(f"cannot {what}: milestone {doc.get('id')} is {status}")


def _check_start(doc: dict[str, Any], task: dict[str, Any], phase: str, ctx: Ctx) -> None:
    tid = task.get("id")
    pm = _phase_map(doc, task, phase)
    status = str(pm.get("status") or "pending")
    if status != "pending":
        raise Refused(f"cannot start {phase} of {tid}: it is {status}, not pending")
    for earlier in PHASES[: PHASES.index(phase)]:
        ep = _phase_model(doc, task, earlier, ctx)
        if not ep.passed:
            need = "approved" if ep.gate else "completed"
            shown = (
                "completed, waiting for approval"
                if ep.waiting and ep.status == "completed"
                else ep.status
            )
            raise Refused(
                f"cannot start {phase} of {tid}: {earlier} is {shown}, it must be {need} first"
            )
    model = build_task(task, doc, ctx.config, [])
    unmet = []
    for dep in model.depends_on:
        try:
            other = find_task(doc, dep)
        except NotFound:
            unmet.append(f"{dep} (missing)")
            continue
        if norm_task_status(other.get("status")) != "completed":
            unmet.append(dep)
    if unmet:
        raise Refused(f"cannot start {phase} of {tid}: waiting for {', '.join(unmet)}")
    _milestone_open(doc, f"start {phase} of {tid}")


def _do_start(
    doc: dict[str, Any], task: dict[str, Any], phase: str, ctx: Ctx, out: Outcome
) -> None:
    pm = _phase_map(doc, task, phase)
    _set(pm, "status", "in_progress")
    _set(pm, "started_at", ctx.now)
    task["kiro_workflow"]["current_phase"] = phase
    if norm_task_status(task.get("status")) == "pending":
        task["status"] = "in_progress"
    out.starters.append((str(task["id"]), phase))
    out.add(
        "phase_started",
        task_id=str(task["id"]),
        phase=phase,
        message=f"{task['id']}: {phase} started",
    )


def start_phase(doc: dict[str, Any], task_id: str, phase: str, ctx: Ctx) -> Outcome:
    check_phase(phase)
    task = find_task(doc, task_id)
    _check_start(doc, task, phase, ctx)
    out = Outcome(message=f"{task_id}: {phase} started")
    _do_start(doc, task, phase, ctx, out)
    return out


def _advance(doc: dict[str, Any], task: dict[str, Any], phase: str, ctx: Ctx, out: Outcome) -> None:
    """After `phase` has passed: start the next one, or complete the task (and milestone)."""
    nxt = next_phase(phase)
    tid = str(task["id"])
    if nxt is None:
        if norm_task_status(task.get("status")) != "completed":
            task["status"] = "completed"
            _set(task, "completed_at", ctx.now)
            out.add("task_completed", task_id=tid, message=f"{tid} completed")
        maybe_complete_milestone(doc, ctx, out)
        return
    try:
        _check_start(doc, task, nxt, ctx)
    except Refused:
        return  # e.g. paused: the executor starts it later
    _do_start(doc, task, nxt, ctx, out)


def maybe_complete_milestone(doc: dict[str, Any], ctx: Ctx, out: Outcome) -> None:
    tasks = [t for t in doc.get("tasks") or [] if isinstance(t, dict)]
    live = [t for t in tasks if norm_task_status(t.get("status")) != "cancelled"]
    if not live or any(norm_task_status(t.get("status")) != "completed" for t in live):
        return
    if norm_milestone_status(doc.get("status")) == "completed":
        return
    doc["status"] = "completed"
    _set(doc, "completed_at", ctx.now)
    out.milestone_completed = True
    out.add("milestone_completed", message=f"milestone {doc.get('id')} completed")


def complete_phase(doc: dict[str, Any], task_id: str, phase: str, ctx: Ctx) -> Outcome:
    check_phase(phase)
    task = find_task(doc, task_id)
    pm = _phase_map(doc, task, phase)
    status = str(pm.get("status") or "pending")
    if status != "in_progress":
        raise Refused(f"cannot complete {phase} of {task_id}: it is {status}, not in_progress")
    _milestone_open(doc, f"complete {phase} of {task_id}")
    model = _phase_model(doc, task, phase, ctx)
    rep = dl.report(ctx.root, task_id, model)
    if rep.missing:
        detail = ", ".join(rep.missing[:5]) + (" ..." if len(rep.missing) > 5 else "")
        raise Refused(
            f"cannot complete {phase} of {task_id}: deliverables missing or still "
            f"templates: {detail}"
        )
    if pm.get("rejected_at"):
        before = pm.get("rejected_digest")
        if before:
            changed = dl.digest(ctx.root, task_id, model) != before
        else:  # rejected by another tool: compare times (an unreadable time cannot hold it)
            newest = dl.latest_mtime(ctx.root, task_id, model)
            rejected = parse_ts(pm.get("rejected_at"))
            changed = rejected is None or bool(newest and newest > rejected.timestamp())
        if not changed:
            raise Refused(
                f"cannot complete {phase} of {task_id}: no deliverable changed since "
                f"it was rejected at {pm.get('rejected_at')}"
            )
    _set(pm, "completed_at", ctx.now)
    started = parse_ts(pm.get("started_at"))
    ended = parse_ts(ctx.now)
    if started and ended:
        _set(pm, "actual_hours", round(max(0.0, (ended - started).total_seconds()) / 3600, 2))
    out = Outcome()
    if model.gate:
        pm["status"] = "waiting_approval"
        out.message = f"{task_id}: {phase} waiting for approval"
        out.add("phase_waiting_approval", task_id=task_id, phase=phase, message=out.message)
    else:
        pm["status"] = "completed"
        out.message = f"{task_id}: {phase} completed"
        out.add("phase_completed", task_id=task_id, phase=phase, message=out.message)
        _advance(doc, task, phase, ctx, out)
    return out


def _history(pm: dict[str, Any], entry: dict[str, Any]) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    hist = pm.get("review_history")
    if not isinstance(hist, list):
        pm["review_history"] = hist = CommentedSeq()
    item = CommentedMap()
    for k, v in entry.items():
        item[k] = quote_like(v, *[h for h in hist if isinstance(h, dict)], pm)
    hist.append(item)


def approve_phase(
    doc: dict[str, Any], task_id: str, phase: str, ctx: Ctx, note: str | None = None
) -> Outcome:
    check_phase(phase)
    task = find_task(doc, task_id)
    pm = _phase_map(doc, task, phase)
    model = _phase_model(doc, task, phase, ctx)
    if not model.waiting:
        raise Refused(
            f"cannot approve {phase} of {task_id}: it is {model.status}, not waiting_approval"
        )
    pm["status"] = "approved"
    _set(pm, "approved_at", ctx.now)
    _set(pm, "approved_by", ctx.actor)
    _set(pm, "approval_notes", note or "")
    digest = dl.digest(ctx.root, task_id, model)
    _set(pm, "approved_digest", digest)
    _history(pm, {"action": "approved", "by": ctx.actor, "at": ctx.now, "comment": note or ""})
    out = Outcome(message=f"{task_id}: {phase} approved by {ctx.actor}")
    out.add(
        "phase_approved",
        task_id=task_id,
        phase=phase,
        actor=ctx.actor,
        message=out.message,
        data={"note": note} if note else None,
        digest=digest,
    )
    _advance(doc, task, phase, ctx, out)
    return out


def reject_phase(doc: dict[str, Any], task_id: str, phase: str, ctx: Ctx, reason: str) -> Outcome:
    check_phase(phase)
    if not reason or not reason.strip():
        raise Refused(f"cannot reject {phase} of {task_id}: a reason is required")
    task = find_task(doc, task_id)
    pm = _phase_map(doc, task, phase)
    model = _phase_model(doc, task, phase, ctx)
    if not model.waiting:
        raise Refused(
            f"cannot reject {phase} of {task_id}: it is {model.status}, not waiting_approval"
        )
    pm["status"] = "in_progress"
    _set(pm, "rejected_at", ctx.now)
    _set(pm, "rejected_by", ctx.actor)
    _set(pm, "rejection_reason", reason)
    _set(pm, "rejected_digest", dl.digest(ctx.root, task_id, model))
    entry: dict[str, Any] = {
        "action": "request_changes",
        "by": ctx.actor,
        "at": ctx.now,
        "comment": reason,
    }
    # the phase is in progress again: the times that said it was done (the original commands
    # read `approved_at` as approved) are cleared, and kept in the history entry
    for key in ("completed_at", "approved_at"):
        if pm.get(key) is not None:
            entry[key] = str(pm[key])
            pm[key] = None
    _history(pm, entry)
    out = Outcome(message=f"{task_id}: {phase} sent back by {ctx.actor}: {reason}")
    out.add(
        "phase_rejected",
        task_id=task_id,
        phase=phase,
        actor=ctx.actor,
        level="warning",
        message=out.message,
        data={"reason": reason},
    )
    return out


def block_phase(doc: dict[str, Any], task_id: str, phase: str, ctx: Ctx, reason: str) -> Outcome:
    check_phase(phase)
    task = find_task(doc, task_id)
    pm = _phase_map(doc, task, phase)
    status = str(pm.get("status") or "pending")
    if status not in ACTIVE_PHASE and not _phase_model(doc, task, phase, ctx).waiting:
        raise Refused(f"cannot block {phase} of {task_id}: it is {status}")
    pm["status"] = "blocked"
    _set(pm, BLOCKED_FROM, status)
    _set(pm, "blocked_reason", reason or "blocked")
    if "blocked_at" in pm:  # e.g. the original's, written when it waited for approval
        pm[PREVIOUS_BLOCKED_AT] = pm["blocked_at"]
    _set(pm, "blocked_at", ctx.now)
    out = Outcome(message=f"{task_id}: {phase} blocked: {reason}")
    out.add(
        "phase_blocked",
        task_id=task_id,
        phase=phase,
        actor=ctx.actor,
        level="warning",
        message=out.message,
        reason=reason or "blocked",
    )
    return out


def unblock_phase(doc: dict[str, Any], task_id: str, phase: str, ctx: Ctx) -> Outcome:
    check_phase(phase)
    task = find_task(doc, task_id)
    pm = _phase_map(doc, task, phase)
    if pm.get("status") != "blocked":
        raise Refused(f"cannot unblock {phase} of {task_id}: it is {pm.get('status')}, not blocked")
    back = pm.get(BLOCKED_FROM)
    pm["status"] = back if back in (*ACTIVE_PHASE, "completed") else "in_progress"
    if BLOCKED_FROM in pm:
        # kiro-tui blocked it: put back the `blocked_at` it replaced, or drop the one it added
        if PREVIOUS_BLOCKED_AT in pm:
            pm["blocked_at"] = pm.pop(PREVIOUS_BLOCKED_AT)
        else:
            pm.pop("blocked_at", None)
    # blocked by another tool: its `blocked_at` is kept (the original never removes it)
    for key in (BLOCKED_FROM, "blocked_reason"):
        pm.pop(key, None)
    out = Outcome(message=f"{task_id}: {phase} unblocked")
    out.add("phase_unblocked", task_id=task_id, phase=phase, actor=ctx.actor, message=out.message)
    return out


PhaseStep = tuple[str, str, str]  # ("start" | "complete", task id, phase)


def phase_steps(
    doc: dict[str, Any], steps: list[PhaseStep], ctx: Ctx
) -> tuple[Outcome, list[KiroError | None]]:
    """Several phase starts and completions in one milestone as one edit: a burst of agent
    writes costs one write of the file, not one per phase. Each step is checked before it
    changes anything, so a refused step leaves the document as it was and the others go on;
    the second value holds each step's refusal (None when it was done)."""
    edits = {"start": start_phase, "complete": complete_phase}
    total = Outcome()
    errors: list[KiroError | None] = []
    for kind, task_id, phase in steps:
        try:
            out = edits[kind](doc, task_id, phase, ctx)
        except KiroError as exc:
            errors.append(exc)
            continue
        errors.append(None)
        total.events.extend(out.events)
        total.starters.extend(out.starters)
        total.milestone_completed = total.milestone_completed or out.milestone_completed
    done = sum(e is None for e in errors)
    total.message = f"{done} of {len(steps)} phase steps done"
    return total, errors
