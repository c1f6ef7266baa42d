"""A driver's heartbeat is not a change: an observing dashboard rebuilds nothing for it.

A real `kiro-tui run` drives the milestone (heartbeat every 0.2 s) while the dashboard observes
through the production coordinator; rebuilds are counted (`KiroApp.snapshots_applied`), never
timed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiro_tui.core import sessions
from kiro_tui.ui.app import make_app
from tests.unit.test_agents_coordinator import phase_status, small_workspace
from tests.unit.test_run_cli import Run, session_of

from .helpers import quiet, ready, wait_for

pytestmark = pytest.mark.slow


def _heartbeat(root: Path, sid: str) -> str | None:
    s = sessions.read_session(root, sid)
    return s.heartbeat if s is not None else None


def _others(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file of the workspace but the heartbeat's two (session file, role states)."""
    ms = root / ".milestones"
    out = []
    for p in sorted(ms.rglob("*")):
        if not p.is_file() or p.parent.name == "sessions" or p.name == "state.json":
            continue
        st = p.stat()
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


async def test_a_heartbeat_only_change_rebuilds_nothing(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path, thresholds={"heartbeat": 0.2})
    run = Run(tmp_path)
    try:
        deadline = time.monotonic() + 30
        while phase_status(ws, "a", "design") != "in_progress":
            assert time.monotonic() < deadline, "the driver did not start a's design"
            time.sleep(0.02)
        sid = session_of(ws)
        app = make_app(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            # the driver is done with everything but its heartbeat: nothing else changes
            # while the heartbeat moves on three times
            seen: list[object] = []

            def settled() -> bool:
                now = (_others(tmp_path), _heartbeat(tmp_path, sid))
                if seen and seen[-1][0] != now[0]:  # type: ignore[index]
                    seen.clear()
                if not seen or seen[-1][1] != now[1]:  # type: ignore[index]
                    seen.append(now)
                return len(seen) >= 4

            await wait_for(pilot, settled, "the driver to be left with its heartbeat", 30)
            await quiet(pilot)
            before, cycles = app.snapshots_applied, app.source.coordinator.cycles  # type: ignore[union-attr]
            beats = {_heartbeat(tmp_path, sid)}

            def five_more() -> bool:
                beats.add(_heartbeat(tmp_path, sid))
                return len(beats) >= 6

            await wait_for(pilot, five_more, "five more heartbeats", 30)
            await quiet(pilot)
            assert _others(tmp_path) == seen[-1][0]  # type: ignore[index]
            # the dashboard's coordinator saw the writes (it ran cycles) and published nothing
            assert app.source.coordinator.cycles > cycles  # type: ignore[union-attr]
            assert app.snapshots_applied == before
            # a real change still reaches the screen
            ws.block("m", "a", "design", "waiting for a decision")
            await wait_for(pilot, lambda: app.snapshots_applied > before, "the change shown")
    finally:
        run.kill(15)
        run.finish(30)
