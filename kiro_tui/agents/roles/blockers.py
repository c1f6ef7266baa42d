"""blocker_detector: opens and resolves blocker records (FORMAT.md section 8).

`detect(snapshot, now)` is the current set of blockers, computed whether this process drives
or observes. `decide` compares it with the open set in memory (rebuilt from blockers.jsonl on
start) and writes a record once when a blocker appears and once when it clears.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from kiro_tui.agents.actions import (
    OPEN_BLOCKER,
    RESOLVE_BLOCKER,
    Action,
    LogLine,
    Memory,
    recall,
    ts,
)
from kiro_tui.agents.roles.dependencies import findings
from kiro_tui.core import clock
from kiro_tui.core.snapshot import Blocker, Snapshot

ROLE = "blocker_detector"


def _bid(*parts: object) -> str:
    raw = ":".join("" if p is None else str(p) for p in parts)
    return "blk-" + hashlib.sha1(raw.encode()).hexdigest()[:12]


def _age(seconds: float) -> str:
    return clock.age_text(seconds)


def _iso(epoch: float) -> str:
    """When a time-based blocker's cause began (its `since`, for the age column)."""
    return clock.fmt(datetime.fromtimestamp(epoch, UTC))


def detect(snap: Snapshot, now: datetime) -> list[Blocker]:
    th = snap.state.config.thresholds
    t_now = now.timestamp()
    out: list[Blocker] = []
    for p in snap.state.problems:
        out.append(
            Blocker(
                _bid("invalid_file", p.file, p.message),
                "invalid_file",
                "critical",
                f"{p.file}: {p.message}",
                "fix the file; 'kiro-tui validate' shows every problem",
                file=p.file,
            )
        )
    for f in findings(snap):
        if not f.blocking:
            continue
        out.append(
            Blocker(
                _bid(f.kind, f.id),
                "dependency_cycle" if f.kind == "dependency_cycle" else "dependency_unmet",
                "warning" if f.kind != "dependency_cycle" else "critical",
                f.message,
                "complete or remove the dependency"
                if f.kind != "dependency_cycle"
                else "break the cycle by removing one dependency",
                milestone_id=f.milestone_id,
                task_id=f.task_id,
            )
        )
    for mid in snap.scope:
        m = snap.state.milestone(mid)
        if m is None or m.finished:
            continue
        paused = m.status == "paused"
        newest = 0.0
        for t in m.tasks:
            act = snap.activity.get((m.id, t.id)) or ts(t.updated_at) or 0.0
            newest = max(newest, act)
            for ph in t.phases:
                facts = snap.facts.get((m.id, t.id, ph.name))
                if ph.waiting:
                    since = ts(ph.completed_at) or act
                    if since and t_now - since > th.approval_waiting:
                        out.append(
                            Blocker(
                                _bid("approval_waiting", m.id, t.id, ph.name, ph.completed_at),
                                "approval_waiting",
                                "warning",
                                f"{t.id} {ph.name} has waited {_age(t_now - since)} for approval",
                                f"kiro-tui approve {m.id} {t.id} {ph.name} (or reject with a reason)",
                                m.id,
                                t.id,
                                ph.name,
                                since=_iso(since),
                            )
                        )
                if (
                    ph.status == "approved"
                    and ph.approved_digest
                    and facts is not None
                    and facts.digest
                    and facts.digest != ph.approved_digest
                ):
                    out.append(
                        Blocker(
                            _bid("stale_approval", m.id, t.id, ph.name, ph.approved_digest),
                            "stale_approval",
                            "warning",
                            f"{t.id} {ph.name}: deliverables changed after approval",
                            "review the change; revert it or have the phase approved again",
                            m.id,
                            t.id,
                            ph.name,
                        )
                    )
            cur = t.active_phase
            if (
                not paused
                and cur is not None
                and cur.status == "in_progress"
                and t.status != "blocked"
                and act
                and t_now - act > th.stalled_task
            ):
                out.append(
                    Blocker(
                        _bid("stalled_task", m.id, t.id, cur.name),
                        "stalled_task",
                        "warning",
                        f"{t.id} {cur.name}: no change for {_age(t_now - act)}",
                        "write the deliverables, or block the phase with a reason",
                        m.id,
                        t.id,
                        cur.name,
                        since=_iso(act),
                    )
                )
        if m.id == snap.driving and not paused and m.status == "in_progress":
            since = max(newest, snap.active_since or 0.0)
            if since and t_now - since > th.stalled_execution:
                out.append(
                    Blocker(
                        _bid("stalled_execution", m.id, snap.session_id),
                        "stalled_execution",
                        "warning",
                        f"session {snap.session_id}: no progress for {_age(t_now - since)}",
                        "check the agents or pause the session",
                        m.id,
                        since=_iso(since),
                    )
                )
    for ev in snap.open_errors:
        out.append(
            Blocker(
                _bid("error_event", ev.source, ev.task_id, ev.phase, ev.event),
                "error_event",
                "critical",
                f"{ev.source}: {ev.text()}",
                "see the log; the blocker clears when the task moves again",
                ev.milestone_id,
                ev.task_id,
                ev.phase,
                file=ev.source,
                since=ev.timestamp,
            )
        )
    for b in snap.run_blockers:  # while the phase its run ended badly stays blocked
        rm = snap.state.milestone(b.milestone_id or "")
        rt = rm.task(b.task_id or "") if rm else None
        rph = rt.phase(b.phase or "") if rt else None
        if rph is not None and rph.status == "blocked":
            out.append(b)
    for key, err in sorted(snap.failures.items()):
        if key.startswith("git_integration "):
            out.append(_git_blocker(key, err, snap.driving))
            continue
        out.append(
            Blocker(
                _bid("executor_failed", key),
                "executor_failed",
                "critical",
                f"{key}: {err}",
                "see the role logs; fix the cause and it retries",
                snap.driving,
            )
        )
    seen: set[str] = set()
    unique = []
    for b in out:
        if b.blocker_id not in seen:
            seen.add(b.blocker_id)
            unique.append(b)
    return unique


def _git_blocker(key: str, err: str, mid: str | None) -> Blocker:
    """A git step the git_integration role could not take (GitBlocked: "reason; suggestion")."""
    reason, _, hint = err.removeprefix("GitBlocked: ").partition("; ")
    return Blocker(
        _bid("git_conflict", key),
        "git_conflict",
        "critical",
        f"git: {reason}",
        hint or "see git.jsonl; fix the cause and kiro-tui retries",
        mid,
    )


def decide(snap: Snapshot, now: datetime, memory: Memory) -> list[Action]:
    """Open and resolve blockers. While paused only the blockers of agent runs are opened
    (a budget overrun pauses the milestone: that blocker must still be said); none resolve."""
    if not snap.driving:
        return []
    found = detect(snap, now)
    if snap.paused:
        runs = {b.blocker_id for b in snap.run_blockers}
        found = [b for b in found if b.blocker_id in runs]
    current = {b.blocker_id: b for b in found}
    known = recall(memory, "open")
    out: list[Action] = []
    for bid, b in current.items():
        if bid not in known:
            rec = {
                "event": "blocker_detected",
                **b.as_record(),
                "level": "warning" if b.severity != "info" else "info",
            }
            out.append(
                Action(
                    OPEN_BLOCKER,
                    ROLE,
                    b.milestone_id or snap.driving,
                    b.task_id,
                    b.phase,
                    payload=LogLine(rec, b),
                    remember=(("open", bid, rec),),
                    key=f"blk:{bid}",
                )
            )
    for bid, rec in known.items():
        if bid not in current and not snap.paused:
            out.append(
                Action(
                    RESOLVE_BLOCKER,
                    ROLE,
                    rec.get("milestone_id") or snap.driving,
                    rec.get("task_id"),
                    rec.get("phase"),
                    payload=LogLine(
                        {
                            "event": "blocker_resolved",
                            "blocker_id": bid,
                            "kind": rec.get("kind"),
                            "severity": rec.get("severity"),
                            "message": f"resolved: {rec.get('message')}",
                        }
                    ),
                    remember=(("open", bid, None),),
                    key=f"blk-clear:{bid}",
                )
            )
    return out


def with_since(memory: Memory, found: list[Blocker]) -> list[Blocker]:
    """The blockers, each with `since` set from the record that opened it, when known (one
    lookup per blocker: a 500-milestone workspace has thousands, on every cycle)."""
    opened = recall(memory, "open")
    if not opened:
        return list(found)
    from dataclasses import replace

    out = []
    for b in found:
        rec = None if b.since else opened.get(b.blocker_id)
        when = rec.get("timestamp") if isinstance(rec, dict) else None
        out.append(replace(b, since=when) if when else b)
    return out


def next_deadline(snap: Snapshot, now: datetime) -> float | None:
    """The earliest future moment (epoch s) at which a time-based blocker would open."""
    th = snap.state.config.thresholds
    t_now = now.timestamp()
    times: list[float] = []
    for mid in snap.scope:
        m = snap.state.milestone(mid)
        if m is None or m.finished or m.status == "paused":
            continue
        newest = 0.0
        for t in m.tasks:
            act = snap.activity.get((m.id, t.id)) or ts(t.updated_at) or 0.0
            newest = max(newest, act)
            for ph in t.phases:
                if ph.waiting:
                    since = ts(ph.completed_at) or act
                    if since:
                        times.append(since + th.approval_waiting)
            cur = t.active_phase
            if cur is not None and cur.status == "in_progress" and act:
                times.append(act + th.stalled_task)
        if m.id == snap.driving:
            since = max(newest, snap.active_since or 0.0)
            if since:
                times.append(since + th.stalled_execution)
    future = [x for x in times if x > t_now]
    return min(future) if future else None
