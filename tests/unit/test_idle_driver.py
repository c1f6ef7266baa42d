"""An idle driver costs nothing: its heartbeat renews the session and the role states, and
nothing else is parsed, rebuilt or written (work counted, never timed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.core.service import Workspace
from tests.unit.test_agents_coordinator import DEADLINE, Running, small_workspace, wait_for


def test_an_idle_driver_beats_without_parsing_rebuilding_or_saving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_workspace(tmp_path, {"heartbeat": 0.2})
    ws = Workspace(tmp_path)  # with the parse cache file, as `kiro-tui run` has it
    parses: list[str] = []
    real_build = ws.loader._build

    def build(path: Path, rel: str, *a: Any) -> Any:
        parses.append(rel)
        return real_build(path, rel, *a)

    monkeypatch.setattr(ws.loader, "_build", build)
    coord = Coordinator(ws, drive="m")
    beats: list[int] = []
    real_beat = coord.heart.beat
    monkeypatch.setattr(coord.heart, "beat", lambda *a: (beats.append(1), real_beat(*a))[1])
    yaml = tmp_path / ".milestones/active/m.yaml"
    with Running(coord):
        assert coord.wait_idle(DEADLINE)
        wait_for(lambda: len(beats) >= 1, "a first heartbeat")
        n_parses, n_saves, n_beats = len(parses), ws.loader.cache.saves, len(beats)
        cycles, writes, before = coord.cycles, coord.writes, yaml.stat().st_mtime_ns
        wait_for(lambda: len(beats) >= n_beats + 5, "five more heartbeats")
        n = len(beats) - n_beats
        cycle_work = coord.cycles - cycles
    assert parses[n_parses:] == []  # nothing parsed again
    assert ws.loader.cache.saves == n_saves  # the parse cache was not rewritten
    assert coord.writes == writes and yaml.stat().st_mtime_ns == before  # no action
    # one cycle per heartbeat (its timer): the beat's own two writes wake nothing
    assert cycle_work <= n + 1, (cycle_work, n)
    live = coord.snapshot
    assert live.driving == "m"


def test_a_quiet_driver_looks_for_changes_less_often_and_a_change_brings_the_pace_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiro_tui.agents import watch
    from kiro_tui.agents.watch import Watcher

    monkeypatch.setattr(watch, "IDLE_AFTER", 0.5)
    small_workspace(tmp_path, {"heartbeat": 0.2})
    steps: list[int | None] = []
    real_wait = Watcher.wait

    def wait(self: Watcher, *a: Any) -> set[str]:
        steps.append(a[3] if len(a) > 3 else None)
        return real_wait(self, *a)

    monkeypatch.setattr(Watcher, "wait", wait)
    coord = Coordinator(Workspace(tmp_path), drive="m")
    yaml = tmp_path / ".milestones/active/m.yaml"
    with Running(coord):
        assert coord.wait_idle(DEADLINE)
        # heartbeats every 0.2 s write the session and the role states: not activity
        wait_for(lambda: steps and steps[-1] == watch.IDLE_STEP_MS, "the idle pace")
        slow_from = len(steps)
        wait_for(lambda: len(steps) >= slow_from + 3, "more waits at the idle pace")
        assert set(steps[slow_from:]) == {watch.IDLE_STEP_MS}
        # a change from outside (an editor) is activity: the next waits are at the usual step
        active = coord.pace.active_at
        yaml.write_text(yaml.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        wait_for(lambda: coord.pace.active_at > active, "the edit seen")
        at = len(steps)
        wait_for(lambda: len(steps) > at, "a wait after the edit")
        assert steps[at] is None  # the watcher's own 10 ms step


def test_an_observer_of_a_driven_milestone_goes_quiet_although_the_driver_beats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another driver's heartbeat (its session file and role states, every 0.2 s here) wakes an
    observer (a dashboard), but shows nothing new: the observer slows down all the same."""
    from kiro_tui.agents import watch

    monkeypatch.setattr(watch, "IDLE_AFTER", 0.5)
    small_workspace(tmp_path, {"heartbeat": 0.2})
    driver = Coordinator(Workspace(tmp_path), drive="m")
    observer = Coordinator(Workspace(tmp_path))
    with Running(driver), Running(observer):
        assert driver.wait_idle(DEADLINE) and observer.wait_idle(DEADLINE)
        assert observer.snapshot.state.milestone("m") is not None
        wait_for(
            lambda: observer.pace.step(False) == watch.IDLE_STEP_MS, "the observer's idle pace"
        )
        cycles = observer.cycles
        wait_for(lambda: observer.cycles >= cycles + 3, "three heartbeats seen by the observer")
        assert observer.pace.step(False) == watch.IDLE_STEP_MS
        assert driver.driving == "m" and observer.driving is None
