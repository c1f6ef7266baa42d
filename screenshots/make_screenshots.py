"""Render the README screenshots from the demo data: fixed clock, 120x40, textual-dark.

    /work/venv/bin/python screenshots/make_screenshots.py [NAME ...]

Writes screenshots/dashboard.svg, approval.svg, help.svg, inbox.svg, digest.svg, diff.svg,
run-view.svg (an agent run's output, from a hand-written run), trust.svg (the review of a
repository's executor commands) and dashboard-80x24.svg (the stacked layout)
(only the NAMEs given, when some are). The user folders (config, state) are temporary: the
developer's own settings stay out, notification toasts are off (they would cover the screens),
and the last visit is set for the digest.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZE = (120, 40)
FAKE_NOW = "2026-11-25T15:00:00Z"
DRIVEN = "demo-001"
SPEC_OF_LOGIN = (DRIVEN, "task-login-api", "spec")
RUN_OF = (DRIVEN, "task-session-store", "execute")
TRUST_EXECUTOR = {
    "agent": "mine",
    "presets": {"mine": {"argv": ["./tools/agent.sh", "--model", "fast"], "dialect": "text"}},
    "env": {"pass": ["OPENAI_*"]},
    "phases": {"execute": {"verify": [{"argv": ["make", "test"], "timeout": 300}]}},
}


async def shoot(
    root: Path,
    name: str,
    keys: tuple[str, ...],
    before: Callable[[Any], None] | None = None,
    size: tuple[int, int] = SIZE,
) -> Path:
    from textual.widgets import Input

    from kiro_tui.core.clock import Clock
    from kiro_tui.ui.app import make_app

    # no watcher: the coordinator runs one cycle (nothing drives, so the header says observing)
    app = make_app(root, watch=False, clock=Clock.from_env())
    async with app.run_test(size=size) as pilot:
        app.theme = "textual-dark"
        deadline = time.monotonic() + 20
        while not (app.snapshot is not None and app.query_one("#log").kept and app.inbox_seq >= 0):
            if time.monotonic() > deadline:
                raise SystemExit("the dashboard did not load")
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause()
        if before is not None:
            before(app)
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await _idle(app, pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await _idle(app, pilot)
        return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


async def _idle(app: Any, pilot: Any) -> None:
    """Every worker done but the run view's reader (it follows its run until closed), and
    the run view, when open, showing its run's lines."""
    from textual.worker import WorkerState

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        busy = [
            w
            for w in app.workers
            if w.group != "run-view" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]
        if not busy and getattr(app.screen, "lines_shown", 1):
            break
        await pilot.pause(0.05)
    await pilot.pause()


def _select(sel: tuple[str, ...]) -> Callable[[Any], None]:
    def go(app: Any) -> None:
        from kiro_tui.ui.view import Sel

        app.query_one("#tree").select(Sel(*sel))

    return go


def _approve_then_edit(root: Path) -> None:
    """Approve the spec of task-login-api (the service keeps a copy of its deliverables), then
    change one of them, so that `d` has something to show."""
    from kiro_tui.core.service import Workspace

    mid, tid, phase = SPEC_OF_LOGIN
    Workspace.open(root).approve(mid, tid, phase, note="ship it")
    folder = root / ".milestones" / "deliverables" / tid / phase
    first = sorted(p for p in folder.iterdir() if p.suffix == ".md")[0]
    lines = first.read_text(encoding="utf-8").splitlines()
    lines[len(lines) // 2 :] = [
        *lines[len(lines) // 2 + 1 :],
        "",
        "Tokens expire after 15 minutes.",
    ]
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sample_run(root: Path) -> None:
    from kiro_tui.demo.sample_run import write_sample_run

    write_sample_run(
        root, *RUN_OF, deliverables=("src/session_store.py", "tests/test_session_store.py")
    )


def _repo_preset(root: Path) -> None:
    """A repository preset that runs a script of the repository: it needs trust."""
    from ruamel.yaml import YAML

    cfg = root / ".milestones/config/kiro-config.yaml"
    yaml = YAML()
    data = yaml.load(cfg.read_text(encoding="utf-8")) or {}
    data["executor"] = TRUST_EXECUTOR
    with cfg.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    script = root / "tools/agent.sh"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text('#!/bin/sh\nexec my-agent "$@"\n', encoding="utf-8")


def _open_trust(app: Any) -> None:
    app.main.action_trust()


async def main(only: set[str]) -> None:
    os.environ["KIRO_TUI_FAKE_NOW"] = FAKE_NOW
    os.environ.setdefault("KIRO_USER", "dana")
    tmp = Path(tempfile.mkdtemp(prefix="kiro-shots-"))
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state")):
        os.environ[var] = str(tmp / sub)
    from datetime import timedelta

    from kiro_tui.core.clock import Clock
    from kiro_tui.core.digest import mark_visit
    from kiro_tui.core.notify import user_config_file
    from kiro_tui.demo import build

    cfg = user_config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("notify: {toast: false, bell: false, osc: false}\n", encoding="utf-8")
    try:
        root = build(tmp / "demo" / "demo-project")
        plain = build(tmp / "nogit" / "demo-project", git=False)  # the diff's base: the copy
        _approve_then_edit(plain)
        away = build(tmp / "away" / "demo-project")
        running = build(tmp / "run" / "demo-project", git=False)
        _sample_run(running)
        untrusted = build(tmp / "trust" / "demo-project", git=False)
        _repo_preset(untrusted)
        mark_visit(away, Clock.from_env().now() - timedelta(hours=3))
        shots: list[tuple[Path, str, tuple[str, ...], Callable[[Any], None] | None]] = [
            (away, "digest", (), None),
            (root, "dashboard", ("down", "down"), None),
            (root, "approval", ("n", "a"), None),
            (root, "help", ("question_mark",), None),
            (root, "inbox", ("i",), None),
            (plain, "diff", ("d",), _select(SPEC_OF_LOGIN)),
            (running, "run-view", ("r",), _select(RUN_OF)),
            (untrusted, "trust", (), _open_trust),
        ]
        for where, name, keys, before in shots:
            if not only or name in only:
                print(await shoot(where, name, keys, before))
        if not only or "dashboard-80x24" in only:
            print(await shoot(root, "dashboard-80x24", ("down", "down"), None, (80, 24)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main(set(sys.argv[1:])))
