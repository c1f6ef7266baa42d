"""`kiro-tui demo` with real agent runs: the dashboard (Pilot, production coordinator) drives
the demo milestone, its executor runs the stand-in agent for each phase in progress, a gate
waits for a person, and quitting stops every agent."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kiro_tui.cli import main
from kiro_tui.core.runs import records, trust
from kiro_tui.core.runs.settings_parse import load_settings
from kiro_tui.core.service import Workspace
from kiro_tui.demo import DRIVEN, agents
from kiro_tui.ui.app import make_app
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import ready, wait_for

pytestmark = pytest.mark.slow


def phase(ws: Workspace, tid: str, ph: str) -> str:
    m = ws.load().milestone(DRIVEN)
    t = m.task(tid) if m else None
    p = t.phase(ph) if t else None
    return p.status if p else "?"


def header_text(app: object) -> str:
    return app.query_one(KiroHeader).render().plain  # type: ignore[attr-defined]


async def test_demo_agents_do_the_phases_and_stop_at_the_gates(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert main(["demo", "--path", str(root), "--no-ui", "--no-git"]) == 0
    demo = agents.enable(root, interval=1.0)
    try:
        assert trust.is_trusted(root, load_settings(root)[0])
        ws = Workspace(root, persist_cache=False)
        app = make_app(root, drive=DRIVEN)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            # while an agent runs, the header counts it and the tree marks its task's row
            tree = app.query_one(MilestoneTree)
            await wait_for(
                pilot,
                lambda: (
                    re.search(r"⚙ [1-9]\d* agents?\b", header_text(app))
                    and any(
                        c.data is not None and c.data.running and c.data.sel.tid
                        for m in tree.root.children
                        for c in m.children
                    )
                ),
                "the header and the tree to show a running agent",
                timeout=30,
            )
            # the stalled design of task-rate-limit is done by an agent and waits at its gate
            await wait_for(
                pilot,
                lambda: phase(ws, "task-rate-limit", "design") == "waiting_approval",
                "an agent to finish a design",
                timeout=30,
            )
            assert phase(ws, "task-rate-limit", "spec") == "pending"
            # the execute phase in progress is run by an agent too: the task completes
            await wait_for(
                pilot,
                lambda: phase(ws, "task-session-store", "execute") == "completed",
                "an agent to finish an execute phase",
                timeout=30,
            )
            ws.approve(DRIVEN, "task-rate-limit", "design", "dana")
            await wait_for(
                pilot,
                lambda: any(
                    r.task_id == "task-rate-limit" and r.phase == "spec"
                    for r in records.list_runs(root, DRIVEN)
                ),
                "the approval to start the next phase's agent",
                timeout=30,
            )
            await pilot.press("q")
        runs = records.list_runs(root, DRIVEN)
        assert {r.preset for r in runs} == {"claude"}
        assert not [r for r in runs if r.live]  # quitting stopped every agent
        for r in runs:
            if r.pgid:
                with pytest.raises(ProcessLookupError):
                    os.killpg(r.pgid, 0)
    finally:
        agents.disable(demo)
    assert not trust.is_trusted(root, load_settings(root)[0])  # the demo's trust is forgotten
