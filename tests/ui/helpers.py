"""Waiting on conditions with a deadline (never a fixed sleep), and reading the files back."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

DEADLINE = 15.0


async def wait_for(
    pilot: Pilot[Any], cond: Callable[[], Any], what: str, timeout: float = DEADLINE
) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def ready(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await wait_for(
        pilot,
        lambda: app.snapshot is not None and app.query_one("#tree").selection,
        "the first snapshot",
    )
    await pilot.pause()


async def quiet(pilot: Pilot[Any], timeout: float = DEADLINE) -> None:
    """Every worker but the coordinator's loop has finished, and the coordinator has gone
    idle after that (a condition, never a fixed sleep)."""
    from textual.worker import WorkerState

    app = pilot.app
    await wait_for(
        pilot,
        lambda: all(
            w.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
            for w in app.workers
            if w.group != "coordinator"
        ),
        "the workers to finish",
        timeout,
    )
    source = app.source
    if source is not None and source.watch:
        source.coordinator.wake()
        await wait_for(
            pilot, lambda: source.coordinator.wait_idle(0), "the coordinator idle", timeout
        )
    await pilot.pause()


def phase_of(root: Path, mid: str, tid: str, phase: str) -> Any:
    from kiro_tui.core.service import Workspace

    m = Workspace(root, persist_cache=False).load().milestone(mid)
    assert m is not None
    t = m.task(tid)
    assert t is not None
    return t.phase(phase)


def milestone_status(root: Path, mid: str) -> str:
    from kiro_tui.core.service import Workspace

    m = Workspace(root, persist_cache=False).load().milestone(mid)
    assert m is not None
    return m.status


def log_records(root: Path, mid: str) -> list[dict[str, Any]]:
    path = root / ".milestones" / "logs" / f"execution-{mid}.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
