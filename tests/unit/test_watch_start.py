"""The coordinator shows its first snapshot before it sets up its watcher (whose set-up holds
the interpreter in a big tree), and a change made before the watcher was there is still seen."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from kiro_tui.agents import coordinator as coordinator_module
from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Snapshot
from tests.unit.test_agents_coordinator import small_workspace, wait_for


def test_first_snapshot_then_watcher_and_a_change_in_between_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_workspace(tmp_path)
    ws = Workspace(tmp_path, persist_cache=False)
    order: list[str] = []
    snaps: list[Snapshot] = []
    real_watcher = coordinator_module.Watcher

    def watcher(*a: Any, **kw: Any) -> Any:
        order.append("watcher")
        w = real_watcher(*a, **kw)
        real_wait = w.wait
        w.wait = lambda *a, **kw: (order.append("wait"), real_wait(*a, **kw))[1]  # type: ignore[method-assign]
        return w

    monkeypatch.setattr(coordinator_module, "Watcher", watcher)

    def on_snapshot(s: Snapshot) -> None:
        m = s.state.milestone("m")
        order.append(f"snapshot {m.title if m else None}")
        snaps.append(s)

    yaml = tmp_path / ".milestones/active/m.yaml"

    def before_watching() -> None:
        order.append("shown")
        # another tool edits the file after the first cycle read it, before anything watches
        yaml.write_text(yaml.read_text().replace("title: Small", "title: Renamed", 1))

    coord = Coordinator(ws, on_snapshot=on_snapshot)
    stop = threading.Event()
    thread = threading.Thread(
        target=coord.run, args=(stop,), kwargs={"before_watching": before_watching}, daemon=True
    )
    thread.start()
    try:
        wait_for(
            lambda: any(s.state.milestone("m").title == "Renamed" for s in snaps),
            "the change made before the watcher was set up",
        )
    finally:
        stop.set()
        thread.join(10)
    # seen by the cycle right after the watcher's set-up, before any wait for a change
    assert order[:4] == ["snapshot Small", "shown", "watcher", "snapshot Renamed"], order
    first = snaps[0].state.milestone("m")
    assert first is not None and first.title == "Small"
