"""progress_monitor: keeps the milestone's `progress` block true and logs progress changes.

Writes the YAML only when a value changes (compared with what the file says and what this role
wrote last), and appends to progress.jsonl when a task's or the milestone's progress changes.
"""

from __future__ import annotations

from datetime import datetime

from kiro_tui.agents.actions import LOG, WRITE_PROGRESS, Action, LogLine, Memory, Progress, recall
from kiro_tui.core import progress as pg
from kiro_tui.core.snapshot import Snapshot

ROLE = "progress_monitor"
MILESTONE_KEY = "*"


def decide(snap: Snapshot, now: datetime, memory: Memory) -> list[Action]:
    if not snap.driving or snap.paused:
        return []
    m = snap.state.milestone(snap.driving)
    if m is None:
        return []
    out: list[Action] = []
    weights = m.weight_map
    logged = recall(memory, "logged")
    for t in m.tasks:
        if t.status == "cancelled":
            continue
        value = pg.shown(pg.task_progress(t, weights))
        if logged.get(t.id) != value:
            out.append(
                Action(
                    LOG,
                    ROLE,
                    m.id,
                    t.id,
                    payload=LogLine(
                        {
                            "event": "task_progress",
                            "task_id": t.id,
                            "message": f"{t.id}: {value}% ({t.status}"
                            + (
                                f", {t.active_phase.name} {t.active_phase.status})"
                                if t.active_phase
                                else ")"
                            ),
                            "data": {"progress": float(value), "status": t.status},
                        }
                    ),
                    remember=(("logged", t.id, value),),
                    key=f"progress:{t.id}",
                )
            )
    pct = pg.milestone_progress(m)
    value = pg.shown(pct)
    done = pg.tasks_completed(m)
    total = len(m.tasks)
    if logged.get(MILESTONE_KEY) != value:
        out.append(
            Action(
                LOG,
                ROLE,
                m.id,
                payload=LogLine(
                    {
                        "event": "milestone_progress",
                        "message": f"{m.id}: {value}% ({done}/{total} tasks)",
                        "data": {
                            "progress": float(value),
                            "completed_tasks": done,
                            "total_tasks": total,
                        },
                    }
                ),
                remember=(("logged", MILESTONE_KEY, value),),
                key="progress:*",
            )
        )
    want = (pg.written(pct), done, total)
    if recall(memory, "written").get(m.id) != want or m.written_progress != want[0]:
        # write_progress writes nothing when the file already says this (first check on start)
        out.append(
            Action(
                WRITE_PROGRESS,
                ROLE,
                m.id,
                payload=Progress(*want),
                remember=(("written", m.id, want),),
                key=f"progress-write:{m.id}",
            )
        )
    return out
