"""Crash recovery: after a driver died, stop the agents (and verify commands) of its runs that
are still alive on this host (pid and start time must match: never by name) and mark those
runs interrupted, to be resumed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiro_tui.core.runs import records
from kiro_tui.core.runs.groups import stop_group
from kiro_tui.core.runs.notices import RunEvent
from kiro_tui.core.runs.records import RunRecord
from kiro_tui.core.runs.settings import StopGrace


def adopt_orphans(
    root: Path, grace: StopGrace, emit: Callable[[RunEvent], None]
) -> list[RunRecord]:
    """Stop what dead drivers left running and mark their runs interrupted (a `run_interrupted`
    event each). Returns the interrupted records (the caller resumes them with
    `RunManager.start(..., resume_of=record.run_id)`)."""
    for orphan in records.find_orphans(root):
        stop_group(orphan.pid, grace.interrupt, grace.terminate)
    out = []
    for rec in records.dead_driver_runs(root):
        rec = records.mark(
            root, rec, status="interrupted", stop_reason="driver_lost", ended_at=records.now_iso()
        )
        out.append(rec)
        emit(
            RunEvent(
                "run_interrupted",
                rec.run_id,
                rec.milestone_id,
                rec.task_id,
                rec.phase,
                "its driver died; the agent was stopped",
                {"session_id": rec.session_id, "pid": rec.pid},
            )
        )
    return out
