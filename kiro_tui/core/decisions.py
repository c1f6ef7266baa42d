"""Decisions a person made are never lost: finding and re-applying the ones a file lost.

Every user decision (approve, reject with its reason, block, unblock, pause, resume) is a line in
`logs/execution-<id>.jsonl` (role `user`). A writer that takes no lock (yq -i, an editor, a
script) can write an older copy of the milestone over kiro-tui's result; the decision is then
still in the log but no longer in the YAML. `lost_decisions` compares the latest decision per
phase (and per milestone for pause/resume) with the document and returns those the document
contradicts; `reapply` applies them again through the workflow's own edit functions, under the
lock, and logs `decision_reapplied` for each.

Who re-applies: every action a person takes (Workspace.act, from the CLI or the dashboard)
does, in its own locked edit (`reapply_in`, over the decision lines at the end of the log:
`recent`), after a killed action's leftovers were finished (intent.settle: a half-done pause
is completed, never read as a lost resume); a focused edit leaves other tasks' decisions to
`reapply` right after. The driver calls `reapply(ws, milestone_id)` in every cycle where the
milestone file or its log changed (agents/decision_guard.py). Commands that only look
(`status`, `validate`, the dashboard's view when it does not drive) never write: a read must
not race the driver or change a checkout behind the user's back; the next action fixes it.

The rules (the document "contradicts" the latest decision when):
- approve: the phase is `waiting_approval` again; re-applied only when the deliverables still
  have the digest that was approved (the `digest` of the event), else reported as stale;
- reject: the phase is `waiting_approval` with no `rejected_at` of that decision, and it was not
  completed again after the rejection;
- block: the phase is active (pending, in_progress, waiting_approval) with no `blocked_at`;
  unblock: the phase is `blocked` since before the unblock;
- pause / resume: the milestone is `in_progress` / `paused`, and the session file (which the
  other writer did not touch) agrees with the decision.
A phase whose own timestamps are newer than the decision moved on after it: left alone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core import clock
from kiro_tui.core.errors import InvalidFile, KiroError
from kiro_tui.core.events import Event, read_all
from kiro_tui.core.model import norm_milestone_status

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace as WorkspaceBase
    from kiro_tui.core.workflow import Outcome

DECISION_EVENTS = {
    "phase_approved": "approve",
    "phase_rejected": "reject",
    "phase_blocked": "block",
    "phase_unblocked": "unblock",
    "session_paused": "pause",
    "session_resumed": "resume",
}
MILESTONE_KEY = ("", "")
_PHASE_TIMES = ("started_at", "completed_at", "approved_at", "rejected_at", "blocked_at")


@dataclass(frozen=True)
class Decision:
    """One user decision, as its event line says it."""

    kind: str  # approve | reject | block | unblock | pause | resume
    milestone_id: str
    task_id: str | None
    phase: str | None
    timestamp: str
    actor: str | None
    note: str | None = None  # approval note, rejection or block reason
    digest: str | None = None  # the deliverables' digest an approval was given for
    order: int = 0  # position in the log (later lines win on equal timestamps)

    @property
    def key(self) -> tuple[str, str]:
        if self.kind in ("pause", "resume"):
            return MILESTONE_KEY
        return (self.task_id or "", self.phase or "")

    def describe(self) -> str:
        where = f"{self.task_id} {self.phase}" if self.task_id else self.milestone_id
        return f"{self.kind} of {where} by {self.actor or 'unknown'} at {self.timestamp}"


@dataclass(frozen=True)
class Reapplied:
    decision: Decision
    result: str  # reapplied | stale (deliverables changed since) | refused (why in `detail`)
    detail: str = ""


def decisions_from(evs: Iterable[Event], milestone_id: str) -> list[Decision]:
    """The user decisions about `milestone_id` in `evs`, in log order."""
    out: list[Decision] = []
    for i, ev in enumerate(evs):
        kind = DECISION_EVENTS.get(ev.event)
        if kind is None or ev.role not in (None, "user"):
            continue
        if ev.milestone_id not in (None, milestone_id):
            continue
        if kind not in ("pause", "resume") and not (ev.task_id and ev.phase):
            continue
        raw = ev.raw
        note = ev.data.get("reason") or raw.get("reason") or ev.data.get("note")
        digest = raw.get("digest") or ev.data.get("digest")
        out.append(
            Decision(
                kind,
                milestone_id,
                ev.task_id,
                ev.phase,
                ev.timestamp,
                ev.actor,
                str(note) if note else None,
                str(digest) if digest else None,
                i,
            )
        )
    return out


def latest(decisions: Iterable[Decision]) -> dict[tuple[str, str], Decision]:
    """The last decision per phase (and per milestone for pause/resume), by log order."""
    out: dict[tuple[str, str], Decision] = {}
    for d in decisions:
        out[d.key] = d
    return out


def _ts(value: Any) -> datetime | None:
    return clock.parse_ts(value if not isinstance(value, str) else value.strip())


def _phase(doc: dict[str, Any], task_id: str, phase: str) -> dict[str, Any] | None:
    for t in doc.get("tasks") or []:
        if isinstance(t, dict) and str(t.get("id")) == task_id:
            wf = t.get("kiro_workflow")
            phases = wf.get("phases") if isinstance(wf, dict) else None
            pm = phases.get(phase) if isinstance(phases, dict) else None
            return pm if isinstance(pm, dict) else None
    return None


def _moved_on(pm: dict[str, Any], when: datetime | None) -> bool:
    """The phase's own times say something happened after the decision."""
    if when is None:
        return False
    for key in _PHASE_TIMES:
        t = _ts(pm.get(key))
        if t is not None and t > when:
            return True
    return False


def contradicts(doc: dict[str, Any], d: Decision, session_status: str | None = None) -> bool:
    """Whether the document lost decision `d` (see the module's rules)."""
    when = _ts(d.timestamp)
    if d.kind in ("pause", "resume"):
        status = norm_milestone_status(doc.get("status"))
        if d.kind == "pause":
            return status == "in_progress" and session_status in (None, "paused")
        return status == "paused" and session_status in (None, "active")
    pm = _phase(doc, d.task_id or "", d.phase or "")
    if pm is None or _moved_on(pm, when):
        return False
    status = str(pm.get("status") or "pending")
    if d.kind == "approve":
        return status == "waiting_approval"
    if d.kind == "reject":
        return status == "waiting_approval" and str(pm.get("rejected_at") or "") != d.timestamp
    if d.kind == "block":
        return status in ("pending", "in_progress", "waiting_approval")
    if d.kind == "unblock":
        return status == "blocked"
    return False


def lost_decisions(
    doc: dict[str, Any], evs: Iterable[Event], milestone_id: str, session_status: str | None = None
) -> list[Decision]:
    """The latest decisions that `doc` contradicts, oldest first: what to re-apply."""
    found = [
        d
        for d in latest(decisions_from(evs, milestone_id)).values()
        if contradicts(doc, d, session_status)
    ]
    return sorted(found, key=lambda d: d.order)


def _apply_one(doc: dict[str, Any], d: Decision, ctx: Any) -> Outcome:
    from kiro_tui.core import deliverables as dl
    from kiro_tui.core import workflow
    from kiro_tui.core.errors import Refused

    c = replace(ctx, actor=d.actor or ctx.actor)
    tid, ph = d.task_id or "", d.phase or ""
    if d.kind == "approve":
        if d.digest:
            task = workflow.find_task(doc, tid)
            model = workflow._phase_model(doc, task, ph, c)
            if dl.digest(c.root, tid, model) != d.digest:
                raise _Stale("the deliverables changed since they were approved")
        return workflow.approve_phase(doc, tid, ph, c, d.note)
    if d.kind == "reject":
        return workflow.reject_phase(doc, tid, ph, c, d.note or "changes requested")
    if d.kind == "block":
        return workflow.block_phase(doc, tid, ph, c, d.note or "blocked")
    if d.kind == "unblock":
        return workflow.unblock_phase(doc, tid, ph, c)
    out = workflow.Outcome()
    if d.kind == "pause":
        doc["status"] = "paused"
    elif d.kind == "resume":
        doc["status"] = "in_progress"
    else:  # pragma: no cover - DECISION_EVENTS lists every kind
        raise Refused(f"unknown decision {d.kind}")
    return out


class _Stale(KiroError):
    """An approval whose deliverables changed since: not re-applied."""


def reapply(
    ws: WorkspaceBase,
    milestone_id: str,
    *,
    session_status: str | None = None,
    evs: list[Event] | None = None,
) -> list[Reapplied]:
    """Re-apply every decision the milestone file lost, and log one `decision_reapplied` line
    for each (the workflow's own event lines are logged too).

    Each lost decision is one locked edit focused on its task (the top level for pause and
    resume), so that a big milestone is not round-tripped whole; under the lock the log is read
    again and the decision checked again. `session_status`: the status of the milestone's
    session file, which must agree before a lost pause or resume is re-applied (None: not
    checked). `evs`: the decision events to go by (default: the whole log). Returns what was
    done per decision; an empty list when nothing was lost (then nothing is written)."""
    from kiro_tui.core.yaml.focused_edit import TOP_LEVEL

    source = f"logs/execution-{milestone_id}.jsonl"
    if evs is None:
        evs = read_all(ws.execution_log(milestone_id), source).events
    if not any(DECISION_EVENTS.get(e.event) for e in evs):
        return []
    lost = lost_decisions(_quick_doc(ws, milestone_id), evs, milestone_id, session_status)
    done: list[Reapplied] = []
    for d in lost:  # the usual case: none, nothing round-tripped or written
        got: list[Reapplied] = []
        ws.act(
            milestone_id,
            _edit_for(ws, d, source, session_status, got),
            "kiro-tui",
            focus_task=d.task_id or TOP_LEVEL,
            reapply=False,
        )
        done.extend(got)
    return done


def _edit_for(
    ws: WorkspaceBase, d: Decision, source: str, session_status: str | None, got: list[Reapplied]
) -> Any:
    from kiro_tui.core.workflow import Outcome

    def fn(doc: dict[str, Any], ctx: Any) -> Outcome:
        got.clear()
        # read again under the lock: every kiro-tui action appends its lines before it lets
        # go of the lock (service.Workspace.act), so this log agrees with the file being edited
        fresh = read_all(ws.execution_log(d.milestone_id), source).events
        still = latest(decisions_from(fresh, d.milestone_id)).get(d.key)
        same = still is not None and (still.kind, still.timestamp) == (d.kind, d.timestamp)
        if not same or not contradicts(doc, d, session_status):
            return Outcome()  # settled meanwhile
        try:
            out = _apply_one(doc, d, ctx)
        except _Stale as exc:
            got.append(Reapplied(d, "stale", exc.message))
            return Outcome()
        except KiroError as exc:
            got.append(Reapplied(d, "refused", exc.message))
            return Outcome()
        got.append(Reapplied(d, "reapplied"))
        _log_reapplied(out, d)
        return out

    return fn


def _quick_doc(ws: WorkspaceBase, milestone_id: str) -> dict[str, Any]:
    from kiro_tui.core import safeio
    from kiro_tui.core.safewrite import settled
    from kiro_tui.core.yaml.roundtrip import load_fast

    path = ws.milestone_path(milestone_id)

    def load() -> dict[str, Any]:
        try:
            text = safeio.read_text(path, ws.root, max_bytes=ws.config.max_file_bytes)
        except UnicodeDecodeError:
            raise InvalidFile("not valid UTF-8 text", file=path) from None
        doc = load_fast(text, path)
        if not isinstance(doc, dict):
            raise InvalidFile("top level is not a mapping", file=path, line=1)
        return doc

    try:
        return settled(path, load)  # a file being written in place is waited for
    except InvalidFile as exc:
        if exc.message == "top level is not a mapping":
            return {}
        raise


# ---------------------------------------------------------------- re-applied by the next action
RECENT_BYTES = 1 << 18  # how much of the log's end the next action reads for decisions
_NAMES = tuple(f'"{name}"'.encode() for name in DECISION_EVENTS)


def recent(log: Path) -> list[Event]:
    """The decision events in the last RECENT_BYTES of `log` (read from the end, bounded):
    the latest decision of a phase that is in there is the latest of the whole log. Lines
    that name no decision are not parsed."""
    from kiro_tui.core import safeio
    from kiro_tui.core.events import parse_line

    try:
        fd = safeio.open_read(log)
    except (OSError, KiroError):
        return []
    try:
        size = os.fstat(fd).st_size
        start = max(0, size - RECENT_BYTES)
        data = os.pread(fd, size - start, start)
    finally:
        os.close(fd)
    lines = data.split(b"\n")
    if start:
        lines = lines[1:]  # cut in the middle
    out: list[Event] = []
    for line in lines[:-1]:  # the last one has no newline yet (or is empty)
        if any(n in line for n in _NAMES):
            ev = parse_line(line, log.name)
            if ev is not None:
                out.append(ev)
    return out


def reapply_in(
    doc: dict[str, Any], evs: list[Event], milestone_id: str, ctx: Any, root: Path
) -> Outcome | None:
    """Re-apply, in the document an action is about to edit (under its lock), the decisions
    it lost; the events to log before the action's own (None: nothing lost). Decisions on
    tasks the document does not hold in full (a focused edit's other tasks) are left to
    `reapply`."""
    from kiro_tui.core import sessions
    from kiro_tui.core.workflow import Outcome

    if not evs:
        return None
    found = latest(decisions_from(evs, milestone_id))
    live: str | None = None
    if MILESTONE_KEY in found:
        ex = doc.get("execution")
        sid = ex.get("session_id") if isinstance(ex, dict) else None
        with contextlib.suppress(KiroError):
            s = sessions.read_session(root, str(sid)) if sid else None
            live = s.status if s is not None else None
    lost = sorted((d for d in found.values() if contradicts(doc, d, live)), key=lambda d: d.order)
    if not lost:
        return None
    out = Outcome()
    for d in lost:
        try:
            got = _apply_one(doc, d, ctx)
        except KiroError:  # stale or refused: reapply() reports it; the action goes on
            continue
        out.events.extend(got.events)
        out.starters.extend(got.starters)
        out.milestone_completed = out.milestone_completed or got.milestone_completed
        _log_reapplied(out, d)
    return out if out.events else None


def _log_reapplied(out: Outcome, d: Decision) -> None:
    out.add(
        "decision_reapplied",
        task_id=d.task_id,
        phase=d.phase,
        actor=d.actor,
        message=f"re-applied the lost {d.describe()}",
        data={"decision": d.kind, "original_timestamp": d.timestamp},
    )
