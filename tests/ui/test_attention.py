"""Attention in the dashboard (issue 12): a gate written by another process is announced (toast,
`App.bell`, an OSC 9 sequence in the driver's output) once, also across a restart; the inbox
lists it with its age; `n` and Enter reach it; `a` resolves it and it leaves the inbox; the
header shows the count. Every app runs the production coordinator, watching the files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import OptionList

from kiro_tui.core.notify import Notifier
from kiro_tui.ui.app import KiroApp, make_app
from kiro_tui.ui.screens.decision import DecisionScreen
from kiro_tui.ui.screens.inbox import InboxScreen
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import phase_of, quiet, ready, wait_for

SIZE = (120, 40)
M1 = "milestone-001"
DESIGN2 = Sel(M1, "task-002", "design")
SPEC = Sel(M1, "task-001", "spec")
COMPLETE_DESIGN = ("phase", "complete", M1, "task-002", "design")


class Channels:
    """What one app emitted: toasts (App.notify), bells (App.bell), the driver's output."""

    def __init__(self, app: KiroApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.toasts: list[str] = []
        self.bells = 0
        self.out: list[str] = []
        real_notify = app.notify

        def notify(message: str, **kw: Any) -> None:
            if kw.get("title") == "needs you":
                self.toasts.append(message)
            real_notify(message, **kw)

        def bell() -> None:
            self.bells += 1

        monkeypatch.setattr(app, "notify", notify)
        monkeypatch.setattr(app, "bell", bell)
        outputs = self.out

        def write(driver: HeadlessDriver, data: str) -> None:  # the driver's terminal output
            if getattr(driver, "_app", None) is app:
                outputs.append(data)

        monkeypatch.setattr(HeadlessDriver, "write", write)

    def osc9(self, text: str) -> list[str]:
        return [o for o in self.out if "\x1b]9;" in o and text in o]


def other_process_completes_design(root: Path) -> None:
    """Another kiro-tui (a child process) completes task-002's design: its gate now waits."""
    folder = root / ".milestones/deliverables/task-002/design"
    for name in ("root_cause_analysis.md", "fix_approach.md", "regression_prevention.md"):
        (folder / name).write_text(f"# {name}\n\nWritten by the agent.\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), *COMPLETE_DESIGN],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def inbox_has(app: KiroApp, sel: Sel) -> bool:
    return any(
        (i.milestone_id, i.task_id, i.phase) == (sel.mid, sel.tid, sel.phase) and i.is_gate
        for i in app.inbox
    )


async def started(pilot: Any) -> None:
    app = pilot.app
    await ready(pilot)
    await wait_for(pilot, lambda: app.inbox_seq >= 0, "the first inbox")
    await quiet(pilot)


async def test_a_gate_from_another_process_is_announced_once_also_after_a_restart(
    seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(seed)
    ch = Channels(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # the spec gate that waited before the dashboard opened was never announced: it is now
        assert ch.bells == 1 and any("task-001 > spec" in t for t in ch.toasts)
        assert ch.osc9("spec of task-001")
        assert app.query_one(KiroHeader).attention == (1, False)
        other_process_completes_design(seed)
        await wait_for(pilot, lambda: inbox_has(app, DESIGN2), "the new gate in the inbox")
        await wait_for(pilot, lambda: ch.bells == 2, "a second bell")
        assert any("task-002 > design" in t for t in ch.toasts)
        assert ch.osc9("design of task-002"), ch.out
        assert "\x1b]777;notify;" in ch.osc9("design of task-002")[0]
        assert app.query_one(KiroHeader).attention == (2, False)
        await quiet(pilot)
    notified = Notifier(seed).notified()
    assert any(k.startswith(f"gate:{M1}:task-002:design:") for k in notified)

    again = make_app(seed)
    ch2 = Channels(again, monkeypatch)
    async with again.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert inbox_has(again, DESIGN2) and inbox_has(again, SPEC)
        assert ch2.bells == 0 and ch2.toasts == [] and ch2.osc9("") == []


async def test_each_channel_can_be_turned_off(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiro_tui.core.notify import user_config_file

    cfg = user_config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("notify: {bell: false, osc: false, toast: true}\n", encoding="utf-8")
    app = make_app(seed)
    ch = Channels(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert any("task-001 > spec" in t for t in ch.toasts)
        assert ch.bells == 0 and ch.osc9("") == []


async def test_an_item_still_open_is_announced_again_after_renotify_after(
    seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `notify.renotify_after: 1`, the waiting gate is announced again about a second
    later, with no file changing in between (a timer, not polling)."""
    from kiro_tui.core.notify import user_config_file

    cfg = user_config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("notify: {renotify_after: 1}\n", encoding="utf-8")
    app = make_app(seed)
    ch = Channels(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert ch.bells >= 1
        await wait_for(pilot, lambda: ch.bells >= 2, "the gate announced again")
        assert sum("task-001 > spec" in t for t in ch.toasts) >= 2


async def test_notify_command_gets_the_item_as_json(seed: Path, tmp_path: Path) -> None:
    """`notify.command` from the user config runs (detached) with the new item on stdin."""
    import json

    from kiro_tui.core.notify import user_config_file

    got = tmp_path / "got.json"
    script = tmp_path / "hook.py"
    script.write_text(  # written whole, then renamed: the test never reads half of it
        f"import os, sys\nopen({str(got)!r} + '.tmp', 'w').write(sys.stdin.read())\n"
        f"os.replace({str(got)!r} + '.tmp', {str(got)!r})\n",
        encoding="utf-8",
    )
    cfg = user_config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(
        f"notify: {{command: [{json.dumps(sys.executable)}, {json.dumps(str(script))}]}}\n",
        encoding="utf-8",
    )
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await wait_for(pilot, got.is_file, "the hook's input")
        doc = json.loads(got.read_text())
        assert doc["event"] == "attention" and doc["repository"] == str(seed)
        assert (doc["item"]["task_id"], doc["item"]["phase"]) == ("task-001", "spec")


async def test_inbox_lists_with_age_enter_jumps_and_a_resolves(seed: Path) -> None:
    other_process_completes_design(seed)
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: inbox_has(app, DESIGN2), "both gates in the inbox")
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert [(i.task_id, i.phase) for i in screen.items] == [
            ("task-001", "spec"),  # the oldest gate first (completed 2026-11-22)
            ("task-002", "design"),  # completed just now
        ]
        listing = screen.query_one(OptionList)
        first = str(listing.get_option_at_index(0).prompt)
        second = str(listing.get_option_at_index(1).prompt)
        assert "milestone-001 > task-001 > spec" in first and "(a/x)" in first
        age = screen.items[0].age(app.now())
        assert age is not None and age > 86400  # days old: shown as days
        assert "d" in first.split("spec", 1)[1].split("(a/x)")[0]
        assert "waits for approval" in second
        # Enter jumps to the highlighted item in the main screen's tree
        await pilot.press("down", "enter")
        assert not isinstance(app.screen, InboxScreen)
        assert app.query_one(MilestoneTree).selection == DESIGN2
        # a on a gate in the inbox opens the decision; confirming resolves it
        await pilot.press("i")
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("down", "a")
        assert isinstance(app.screen, DecisionScreen) and app.screen.target.tid == "task-002"
        await pilot.press(*"fine", "enter")
        await wait_for(
            pilot,
            lambda: phase_of(seed, M1, "task-002", "design").status == "approved",
            "design approved on disk",
        )
        await wait_for(pilot, lambda: not inbox_has(app, DESIGN2), "the gate leaves the inbox")
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)  # still open, and it followed
        await wait_for(
            pilot, lambda: [i.task_id for i in inbox.items] == ["task-001"], "the inbox follows"
        )
        await pilot.press("escape")
        assert app.query_one(KiroHeader).attention == (1, False)
        await quiet(pilot)


async def test_n_walks_the_inbox_in_order(seed: Path) -> None:
    other_process_completes_design(seed)
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: inbox_has(app, DESIGN2), "both gates in the inbox")
        tree = app.query_one(MilestoneTree)
        await pilot.press("n")
        assert tree.selection == SPEC
        await pilot.press("n")
        assert tree.selection == DESIGN2
        await pilot.press("n")
        assert tree.selection == SPEC


async def test_a_critical_blocker_comes_before_the_gates(seed: Path) -> None:
    """A broken milestone file is a critical blocker: the inbox lists it first (oldest critical
    first, then the oldest gate) and the header's count turns to the error colour; `n` goes to
    the broken file's row first, then to the gate."""
    (seed / ".milestones/active/milestone-009.yaml").write_text(
        "id: milestone-009\ntitle: [unclosed\n", encoding="utf-8"
    )
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        items = app.inbox
        assert items and items[0].severity == "critical" and not items[0].is_gate
        count, critical = app.query_one(KiroHeader).attention
        assert count == len(items) and critical
        await pilot.press("i")
        assert isinstance(app.screen, InboxScreen)
        assert "critical" in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("escape")
        await pilot.press("n")
        here = app.query_one(MilestoneTree).selection
        assert here is not None and (here.file or "").endswith("milestone-009.yaml")
        await pilot.press("n")
        assert app.query_one(MilestoneTree).selection == SPEC
