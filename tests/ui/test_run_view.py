"""The run view (key r) and the trust modal, through the real app driving a milestone whose
phases the stand-in agent (`claude` on PATH) does: the streamed text appears, stop is a request
the driver acts on (the run ends stopped, no process left), retry starts a new run, the header
counts agents and shows the spend; an untrusted repository preset is reviewed and trusted from
the dashboard and then runs."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Log

from kiro_tui.core.runs import records, trust
from kiro_tui.core.runs.settings_parse import load_settings
from kiro_tui.ui.app import make_app
from kiro_tui.ui.screens.run_view import RunViewScreen
from kiro_tui.ui.screens.trust import TrustScreen
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.blocker_table import BlockerTable
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree
from tests.unit.agents_support import Driver, agents_workspace, kiro, phase_of, runs_of
from tests.unit.test_agents_runs import AGENT_SCRIPT

from .helpers import ready, wait_for

pytestmark = pytest.mark.slow


def header(app: object) -> str:
    return app.query_one(KiroHeader).render().plain  # type: ignore[attr-defined]


def log_text(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, RunViewScreen)
    return "\n".join(screen.query_one(Log).lines)


async def test_run_view_streams_stops_and_retries_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    ws = agents_workspace(
        root, monkeypatch, ("a",), scenario="slow", slow_lines="400", slow_interval="0.05"
    )
    app = make_app(root, drive="m")
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: any(r.status == "running" for r in runs_of(root)), "a run")
        tree = app.query_one(MilestoneTree)
        await wait_for(pilot, lambda: tree.select(Sel("m", "a", "design")), "the phase's row")
        await wait_for(pilot, lambda: "⚙ 1 agent" in header(app), "the header to count it")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunViewScreen), "the run view")
        await wait_for(pilot, lambda: "working 3" in log_text(app), "the agent's streamed text")
        head = str(app.screen.query_one("#run-head").render())
        first = runs_of(root)[0]
        assert first.run_id in head and "running" in head and "elapsed" in head
        # stop: a request the driving process (this window's coordinator) acts on
        await pilot.press("s")
        await wait_for(
            pilot,
            lambda: records.read(root, first.run_id).status == "stopped",  # type: ignore[union-attr]
            "the run to end stopped",
        )
        rec = records.read(root, first.run_id)
        assert rec is not None and rec.stop_reason == "user" and rec.pgid
        with pytest.raises(ProcessLookupError):
            os.killpg(rec.pgid, 0)
        await wait_for(pilot, lambda: phase_of(ws, "a", "design") == "blocked", "blocked")
        await wait_for(
            pilot, lambda: "stopped" in str(app.screen.query_one("#run-head").render()), "shown"
        )
        # retry: the phase is unblocked and the driver starts a new run; the view follows it
        await pilot.press("R")
        await wait_for(pilot, lambda: len(runs_of(root)) == 2, "a new run")
        second = runs_of(root)[-1]
        assert second.run_id != first.run_id
        await wait_for(
            pilot,
            lambda: (
                (app.screen.record is not None)  # type: ignore[attr-defined]
                and app.screen.record.run_id == second.run_id
            ),  # type: ignore[attr-defined]
            "the view to follow the new run",
        )
        await wait_for(pilot, lambda: f"--- run {second.run_id} ---" in log_text(app), "marker")
        await pilot.press("escape")
        await pilot.press("q")
    # quitting stops every agent: the app's coordinator thread ends them as it stops (the
    # process waits for that thread at exit; here the test waits for the records to say so)
    deadline = time.monotonic() + 30
    while [r for r in records.list_runs(root, "m") if r.live]:
        assert time.monotonic() < deadline, "a run outlived the dashboard"
        time.sleep(0.05)
    for r in records.list_runs(root, "m"):
        if r.pgid:
            with pytest.raises(ProcessLookupError):
                os.killpg(r.pgid, 0)


async def test_header_shows_the_spend_of_the_runs_when_observing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    ws = agents_workspace(root, monkeypatch, ("a",))
    driver = Driver(root)  # `kiro-tui run m` in another process does the work
    try:
        end = time.monotonic() + 30
        while phase_of(ws, "a", "design") != "waiting_approval" and time.monotonic() < end:
            time.sleep(0.05)
        assert phase_of(ws, "a", "design") == "waiting_approval"
        assert runs_of(root)[0].usage.cost_usd == pytest.approx(0.0123)
        app = make_app(root)  # observing: nothing drives here
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot)
            await wait_for(pilot, lambda: "⚙ 0 agents · $0.01" in header(app), "the spend")
    finally:
        driver.proc.send_signal(signal.SIGTERM)
        driver.finish()


async def test_trust_modal_reviews_and_trusts_then_the_executor_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    preset = {"argv": [sys.executable, "tools/agent.py"]}
    ws = agents_workspace(
        root, monkeypatch, ("a",), repo_executor={"agent": "mine", "presets": {"mine": preset}}
    )
    (root / "tools").mkdir()
    (root / "tools/agent.py").write_text(AGENT_SCRIPT)
    app = make_app(root, drive="m")
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: phase_of(ws, "a", "design") == "blocked", "untrusted", 20)
        assert not (root / "ran.txt").exists()
        await wait_for(
            pilot,
            lambda: any(b.kind == "executor_untrusted" for b in app.snapshot.blockers),  # type: ignore[union-attr]
            "the executor_untrusted blocker",
        )
        # Enter on the blocker opens the review; so does the palette; Escape trusts nothing
        table = app.query_one(BlockerTable)
        await pilot.press("b")
        await wait_for(pilot, lambda: table.row_count > 0, "the blockers' rows")
        for _ in range(table.row_count):
            if table.current is not None and table.current.kind == "executor_untrusted":
                break
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TrustScreen), "the modal (blocker)")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TrustScreen), "closed")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"review and trust")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TrustScreen), "the modal (palette)")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TrustScreen), "closed")
        assert not trust.is_trusted(root, load_settings(root)[0])
        # Enter on the inbox item opens the review
        await pilot.press("i")
        await wait_for(
            pilot, lambda: app.screen.id != "_default" and app.screen.query("#inbox-list"), "inbox"
        )
        listing = app.screen.query_one("#inbox-list")
        items = app.screen.items  # type: ignore[attr-defined]
        listing.highlighted = next(i for i, x in enumerate(items) if x.kind == "executor_untrusted")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TrustScreen), "the trust modal")
        shown = str(app.screen.query_one("#trust-review").render())
        assert "preset mine" in shown and "tools/agent.py" in shown and "WARNING" in shown
        assert "NOT trusted" in str(app.screen.query_one("#trust-title").render())
        await pilot.press("y")
        await wait_for(
            pilot, lambda: trust.is_trusted(root, load_settings(root)[0]), "trust recorded"
        )
        assert "status: trusted" in kiro(root, "trust", "--show").stdout
        await wait_for(
            pilot,
            lambda: phase_of(ws, "a", "design") == "waiting_approval",
            "the trusted preset to run",
            20,
        )
        assert (root / "ran.txt").read_text().count("ran") == 1
        await pilot.press("q")


async def test_an_observing_run_view_asks_the_other_driver_to_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    ws = agents_workspace(
        root, monkeypatch, ("a",), scenario="slow", slow_lines="400", slow_interval="0.05"
    )
    driver = Driver(root)
    try:
        app = make_app(root)  # observing: `kiro-tui run` drives in another process
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot)
            await wait_for(
                pilot, lambda: any(r.status == "running" for r in runs_of(root)), "a run", 30
            )
            await wait_for(pilot, lambda: "⚙ 1 agent" in header(app), "the header to count it")
            tree = app.query_one(MilestoneTree)
            await wait_for(pilot, lambda: tree.select(Sel("m", "a")), "the task's row")
            await pilot.press("r")
            await wait_for(pilot, lambda: "working 2" in log_text(app), "the streamed text")
            await pilot.press("s")
            await wait_for(
                pilot,
                lambda: (
                    app.last_notice is not None and "asked the driving process" in app.last_notice
                ),
                "the notice that another process drives it",
            )
            first = runs_of(root)[0]
            await wait_for(
                pilot,
                lambda: records.read(root, first.run_id).status == "stopped",  # type: ignore[union-attr]
                "the other driver to stop the run",
            )
            await wait_for(pilot, lambda: phase_of(ws, "a", "design") == "blocked", "blocked")
            rec = records.read(root, first.run_id)
            assert rec is not None and rec.pgid and rec.stop_reason == "user"
            with pytest.raises(ProcessLookupError):
                os.killpg(rec.pgid, 0)
            await pilot.press("escape")
            await pilot.press("q")
    finally:
        driver.proc.send_signal(signal.SIGTERM)
        driver.finish()
