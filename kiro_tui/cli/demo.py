"""`kiro-tui demo`: build a demo workspace, open the dashboard driving it; the executor runs
the stand-in agent (`kiro_tui.demo.fake_agent`) for every phase (`--no-agents`: the older
simulated writer instead)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from kiro_tui.cli.call import Call


def register(sub: Any) -> None:
    s = sub.add_parser("demo", help="open the dashboard on a live demo workspace")
    s.add_argument("--path", metavar="DIR", help="build the demo here and keep it")
    s.add_argument("--no-ui", action="store_true", help="only build the workspace")
    s.add_argument("--no-git", action="store_true", help="do not make it a git repository")
    s.add_argument("--interval", type=float, default=2.5, help="seconds between the agent's steps")
    s.add_argument(
        "--no-agents",
        action="store_true",
        help="no agent runs: a simulated writer does the work (the demo before issue 9)",
    )
    s.set_defaults(handler=run_demo)


def run_demo(call: Call) -> int:
    import shutil
    import tempfile

    from kiro_tui.demo import DRIVEN, build, start_agent, stop_agent

    args = call.args
    keep = args.path is not None
    root = Path(args.path).resolve() if keep else Path(tempfile.mkdtemp(prefix="kiro-demo-"))
    if keep and (root / ".milestones").exists():
        print(f"kiro-tui: {root} already holds a workspace; pick an empty folder", file=sys.stderr)
        return 1
    try:
        build(root, git=not args.no_git, clock=call.clock)
        if args.no_ui:
            print(f"demo workspace in {root}")
            return 0
        from kiro_tui.demo import agents

        proc = start_agent(root, args.interval) if args.no_agents else None
        runs = None if args.no_agents else agents.enable(root, args.interval)
        try:
            from kiro_tui.ui.app import make_app

            app = make_app(root, drive=DRIVEN, clock=call.clock)
            code = app.run()
        finally:
            if proc is not None:
                stop_agent(proc)
            if runs is not None:
                agents.disable(runs)
        print(f"demo workspace kept in {root}" if keep else "demo finished")
        return int(code or 0)
    finally:
        if not keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(root)
