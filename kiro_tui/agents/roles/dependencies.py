"""dependency_validator: unmet `requires`, cycles, tasks waiting on others, shared deliverables.

`findings(snapshot)` is shared with the blocker detector. Each finding is logged to
dependencies.jsonl once when it appears and once when it clears.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiro_tui.agents.actions import LOG, Action, LogLine, Memory, recall
from kiro_tui.core.deps import (
    find_cycles,
    milestone_graph,
    task_graph,
    unmet_requires,
    unmet_task_deps,
)
from kiro_tui.core.snapshot import Snapshot

ROLE = "dependency_validator"


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    kind: str  # dependency_unmet | dependency_cycle | waiting | path_conflict
    message: str
    milestone_id: str | None = None
    task_id: str | None = None
    blocking: bool = True  # 'waiting' is information, not a blocker


_LAST: list[Any] = [None, None, ()]  # milestones tuple, scope, findings: the last computed


def findings(snap: Snapshot, scope: tuple[str, ...] | None = None) -> list[Finding]:
    """What is wrong with the dependencies of `scope` (default: the snapshot's). A pure function
    of the loaded milestones: kept while the loader hands back the same milestones (idle
    cycles, the blocker detector asking again in the same cycle)."""
    ids = scope if scope is not None else snap.scope
    milestones = snap.state.milestones
    if _LAST[0] is milestones and _LAST[1] == ids:
        return list(_LAST[2])
    out = _findings(snap, ids)
    _LAST[:] = [milestones, ids, tuple(out)]
    return out


def _findings(snap: Snapshot, ids: tuple[str, ...]) -> list[Finding]:
    state = snap.state
    out: list[Finding] = []
    for cyc in find_cycles(milestone_graph(state.milestones)):
        if ids and not set(cyc) & set(ids):
            continue
        out.append(
            Finding(
                f"mcycle:{'>'.join(cyc)}",
                "dependency_cycle",
                "milestone dependency cycle: " + " -> ".join([*cyc, cyc[0]]),
                cyc[0],
            )
        )
    claims: dict[str, list[str]] = {}
    for m in state.milestones:
        if m.finished:
            continue
        for t in m.tasks:
            for ph in t.phases:
                for d in ph.deliverables:
                    if d.path is not None:
                        owners = claims.setdefault(os.path.normpath(d.path), [])
                        if m.id not in owners:
                            owners.append(m.id)
    for path, owners in sorted(claims.items()):
        if len(owners) > 1 and (not ids or set(owners) & set(ids)):
            out.append(
                Finding(
                    f"path:{path}",
                    "path_conflict",
                    f"deliverable path {path} is claimed by {', '.join(owners)}",
                    owners[0],
                )
            )
    for mid in ids:
        mm = state.milestone(mid)
        if mm is None or mm.finished:
            continue
        m = mm
        unmet = unmet_requires(m, state.by_id)
        if unmet and m.status in ("in_progress", "paused", "blocked"):
            out.append(
                Finding(
                    f"requires:{m.id}:{','.join(unmet)}",
                    "dependency_unmet",
                    f"{m.id} requires {', '.join(unmet)} to be completed first",
                    m.id,
                )
            )
        known = {t.id for t in m.tasks}
        for cyc in find_cycles(task_graph(m)):
            out.append(
                Finding(
                    f"tcycle:{m.id}:{'>'.join(cyc)}",
                    "dependency_cycle",
                    f"{m.id}: task dependency cycle: " + " -> ".join([*cyc, cyc[0]]),
                    m.id,
                    cyc[0],
                )
            )
        for t in m.tasks:
            missing = [d for d in t.depends_on if d not in known]
            if missing:
                out.append(
                    Finding(
                        f"unknown:{m.id}:{t.id}:{','.join(missing)}",
                        "dependency_unmet",
                        f"{t.id} depends on unknown task(s) {', '.join(missing)}",
                        m.id,
                        t.id,
                    )
                )
            elif t.status == "pending" and m.status == "in_progress":
                waiting = unmet_task_deps(t, m)
                if waiting:
                    out.append(
                        Finding(
                            f"waiting:{m.id}:{t.id}:{','.join(waiting)}",
                            "waiting",
                            f"{t.id} waits for {', '.join(waiting)}",
                            m.id,
                            t.id,
                            blocking=False,
                        )
                    )
    return out


def decide(snap: Snapshot, now: datetime, memory: Memory) -> list[Action]:
    if not snap.driving or snap.paused:
        return []
    current = {f.id: f for f in findings(snap)}
    logged = recall(memory, "findings")
    out: list[Action] = []
    for fid, f in current.items():
        if fid not in logged:
            out.append(
                Action(
                    LOG,
                    ROLE,
                    f.milestone_id or snap.driving,
                    f.task_id,
                    payload=LogLine(
                        {
                            "event": "dependency_issue" if f.blocking else "dependency_waiting",
                            "level": "warning" if f.blocking else "info",
                            "message": f.message,
                            "data": {"finding": fid, "kind": f.kind},
                        }
                    ),
                    remember=(("findings", fid, f.message),),
                    key=f"dep:{fid}",
                )
            )
    for fid, message in logged.items():
        if fid not in current:
            out.append(
                Action(
                    LOG,
                    ROLE,
                    snap.driving,
                    payload=LogLine(
                        {
                            "event": "dependency_cleared",
                            "message": f"cleared: {message}",
                            "data": {"finding": fid},
                        }
                    ),
                    remember=(("findings", fid, None),),
                    key=f"dep-clear:{fid}",
                )
            )
    return out
