"""Render the README screenshots from the demo data: fixed clock, 120x40, textual-dark.

    /work/venv/bin/python screenshots/make_screenshots.py

Writes screenshots/dashboard.svg, screenshots/approval.svg, screenshots/help.svg and
screenshots/dashboard-80x24.svg (the stacked layout).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (120, 40)
FAKE_NOW = "2026-11-25T15:00:00Z"


async def shoot(root: Path, name: str, keys: tuple[str, ...], size: tuple[int, int] = SIZE) -> Path:
    from textual.widgets import Input

    from kiro_tui.core.clock import Clock
    from kiro_tui.ui.app import make_app

    # no watcher: the coordinator runs one cycle (nothing drives, so the header says observing)
    app = make_app(root, watch=False, clock=Clock.from_env())
    async with app.run_test(size=size) as pilot:
        app.theme = "textual-dark"
        deadline = time.monotonic() + 20
        while not (app.snapshot is not None and app.query_one("#log").kept):
            if time.monotonic() > deadline:
                raise SystemExit("the dashboard did not load")
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        if keys:
            await pilot.press(*keys)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await app.workers.wait_for_complete()
        await pilot.pause()
        return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


async def main() -> None:
    os.environ["KIRO_TUI_FAKE_NOW"] = FAKE_NOW
    os.environ.setdefault("KIRO_USER", "dana")
    from kiro_tui.demo import build

    tmp = Path(tempfile.mkdtemp(prefix="kiro-shots-"))
    try:
        root = build(tmp / "demo-project")
        for name, keys in (
            ("dashboard", ("down", "down")),
            ("approval", ("n", "a")),
            ("help", ("question_mark",)),
        ):
            print(await shoot(root, name, keys))
        print(await shoot(root, "dashboard-80x24", ("down", "down"), (80, 24)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
