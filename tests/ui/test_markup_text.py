"""Rich markup in repository text (`[bold]`, `[/]`, `[link=...]`, an unbalanced `[`) shows as
plain text in every widget that shows repository text, and never crashes the dashboard
(issue 11: "render repository text as plain text everywhere")."""

from __future__ import annotations

import json
from pathlib import Path

from kiro_tui.core.service import Workspace
from kiro_tui.ui.app import make_app
from kiro_tui.ui.screens.decision import DecisionScreen
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.blocker_table import BlockerTable
from kiro_tui.ui.widgets.detail import DetailPane
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree
from tests.conftest import copy_fixture

from .helpers import quiet, ready, wait_for

SIZE = (200, 50)
M1 = "milestone-001"
SID = "exec-milestone-001-20251121-100000"
TITLE = "[bold]Auth[/] [link=https://evil.example]click[/link] [$error]x [@click=app.quit]q ["
TASK = "[/] Login [red]api \\[b]"
REASON = "[/bold] legal [link=x]"
MESSAGE = "[bold]boom[/] [link=https://evil.example]y[/link] ["
ROLE = "[/]spawning"
BAD_FILE = "[link=x]bad.yaml"
REPO = "[bold]repo[link=x]"


def _hostile(tmp_path: Path) -> Path:
    root = copy_fixture("seed-basic", tmp_path / REPO)
    ms = root / ".milestones"
    m1 = ms / "active/milestone-001.yaml"
    text = m1.read_text()
    text = text.replace('title: "User authentication"', f"title: {json.dumps(TITLE)}", 1)
    text = text.replace('title: "Login API"', f"title: {json.dumps(TASK)}", 1)
    m1.write_text(text)
    (ms / "active" / BAD_FILE).write_text("id: [unclosed\n")
    with open(ms / "logs/execution-milestone-001.jsonl", "a") as fh:
        rec = {"timestamp": "2026-11-22T11:00:00Z", "event": "note", "milestone_id": M1}
        fh.write(json.dumps({**rec, "message": MESSAGE}) + "\n")
    state = ms / "sessions" / SID / "agents" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"agents": {"task_executor": ROLE}}))
    return root


async def test_markup_in_repository_text_is_shown_as_text(tmp_path: Path) -> None:
    root = _hostile(tmp_path)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await quiet(pilot)
        # a person blocks the spec phase with markup in the reason: the detail pane shows it
        Workspace(root, persist_cache=False).block(M1, "task-001", "spec", REASON, "alice")
        tree = app.query_one(MilestoneTree)
        detail = app.query_one(DetailPane)

        # the tree: milestone and task labels
        assert tree.select(Sel(M1))
        labels = [str(n.label) for n in tree._by_sel.values()]
        assert any(TITLE in x for x in labels), labels
        await wait_for(pilot, lambda: TITLE in str(detail.render()), "the milestone's detail")

        # the detail of the task and of the blocked phase
        assert tree.select(Sel(M1, "task-001"))
        await wait_for(pilot, lambda: TASK in str(detail.render()), "the task's detail")
        assert any(TASK in str(n.label) for n in tree._by_sel.values())
        assert tree.select(Sel(M1, "task-001", "spec"))
        await wait_for(pilot, lambda: REASON in str(detail.render()), "the blocked reason")

        # blockers: the broken file's row, with its name as written
        table = app.query_one(BlockerTable)
        await wait_for(
            pilot,
            lambda: any(BAD_FILE in b.message for b in table.blockers),
            "the broken file's blocker",
        )
        cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
        assert any(BAD_FILE in c for c in cells), cells

        # the log: the message as written
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: any(MESSAGE in line for line in log.lines), "the log")

        # the header: the repository's folder name and a role status from state.json
        header = str(app.query_one(KiroHeader).render())
        assert REPO in header and ROLE in header, header

        # the decision modal on the gate waiting in that milestone (its title holds markup)
        Workspace(root, persist_cache=False).unblock(M1, "task-001", "spec", "alice")
        await wait_for(
            pilot,
            lambda: app.snapshot.state.milestone(M1).task("task-001").phase("spec").waiting,
            "the gate waiting again",
        )
        tree.focus()
        gate = Sel(M1, "task-001", "spec")
        for _ in range(6):  # `n` walks the inbox (critical blockers first) to the gate
            if tree.selection == gate:
                break
            await pilot.press("n")
        assert tree.selection == gate
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionScreen), "the modal")
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert TITLE in shown and TASK in shown, shown
        await pilot.press("escape")
        # a notice that quotes repository text (a refusal naming the bad file)
        app._notice(f"{BAD_FILE}: refused [/]")
        await pilot.press("question_mark")
        await pilot.press("escape")
        await quiet(pilot)
    assert app.return_code in (None, 0)
