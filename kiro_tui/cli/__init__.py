"""Command line: headless commands, and the dashboard when no command is given."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from kiro_tui import __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(2, f"kiro-tui: {message} (see 'kiro-tui --help')\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kiro-tui", description="Mission control for spec-driven milestones.")
    p.add_argument("-C", dest="cwd", metavar="PATH", help="run as if started in PATH")
    p.add_argument("--version", action="version", version=f"kiro-tui {__version__}")
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)

    s = sub.add_parser("status", help="milestones, tasks and progress")
    s.add_argument("milestone", nargs="?")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("validate", help="check every file; exit 1 when there are errors")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("start", help="start (or continue) an execution session")
    s.add_argument("milestone")
    s.add_argument("--by")
    for name, helptext in (("approve", "approve a phase waiting for approval"),
                           ("reject", "send a phase back with a reason")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("milestone")
        s.add_argument("task")
        s.add_argument("phase")
        s.add_argument("--by")
        if name == "approve":
            s.add_argument("--note")
        else:
            s.add_argument("--reason", required=True)
    s = sub.add_parser("phase", help="start, complete, block or unblock a phase")
    s.add_argument("action", choices=["start", "complete", "block", "unblock"])
    s.add_argument("milestone")
    s.add_argument("task")
    s.add_argument("phase")
    s.add_argument("--reason", help="why (for block)")
    s.add_argument("--by")
    for name in ("pause", "resume"):
        s = sub.add_parser(name, help=f"{name} a milestone's session")
        s.add_argument("milestone")
        s.add_argument("--by")
    sub.add_parser("init", help="create .milestones/ here")
    s = sub.add_parser("new", help="create a milestone")
    s.add_argument("milestone")
    s.add_argument("--title", required=True)
    s.add_argument("--description")
    s.add_argument("--requires", nargs="*", default=[], metavar="ID")
    s = sub.add_parser("add-task", help="add a kiro task to a milestone")
    s.add_argument("milestone")
    s.add_argument("--title", required=True)
    s.add_argument("--id", dest="task_id")
    s.add_argument("--kind", default="feature",
                   choices=["feature", "bugfix", "api", "frontend", "other"])
    s.add_argument("--depends-on", nargs="*", default=[], metavar="TASK")
    s.add_argument("--hours", type=float, default=8)
    s = sub.add_parser("migrate", help="give plain tasks kiro phases per the enforcement level")
    s.add_argument("milestone")
    s = sub.add_parser("log", help="show (and follow) the event logs")
    s.add_argument("milestone", nargs="?")
    s.add_argument("-n", type=int, default=20)
    s.add_argument("--follow", "-f", action="store_true")
    s.add_argument("--json", action="store_true")
    _extend(sub)
    return p


def _extend(sub: Any) -> None:
    """Commands that live in other modules register here, when those modules exist."""
    for modname in ("kiro_tui.cli.run", "kiro_tui.demo", "kiro_tui.cli.git"):
        try:
            mod = __import__(modname, fromlist=["register"])
        except ImportError:
            continue
        mod.register(sub)


def _workspace(args: argparse.Namespace) -> Any:
    from kiro_tui.core.service import Workspace

    return Workspace.open(args.cwd or os.getcwd())


def _say(out: Any) -> int:
    print(out.message or "done")
    return 0


def _status(args: argparse.Namespace) -> int:
    from kiro_tui.core.errors import NotFound
    from kiro_tui.core.report import status_json, status_text

    gc.disable()  # a short run that builds many small objects and frees them all at exit
    ws = _workspace(args)
    state = ws.load()
    if args.milestone and state.milestone(args.milestone) is None:
        ws.milestone_path(args.milestone)
        raise NotFound(f"milestone {args.milestone} could not be loaded (see 'kiro-tui validate')")
    if args.json:
        # dumps (C encoder) then one write: json.dump streams through the pure Python encoder
        sys.stdout.write(json.dumps(status_json(state, args.milestone), ensure_ascii=False) + "\n")
    else:
        width = min(max(os.get_terminal_size(1).columns if sys.stdout.isatty() else 80, 60), 120)
        sys.stdout.write(status_text(state, args.milestone, width))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from kiro_tui.core.validate import check

    gc.disable()
    ws = _workspace(args)
    problems = check(ws.load())
    if args.json:
        json.dump({"schema": 1, "root": str(ws.root), "ok": not problems,
                   "problems": [p.as_json() for p in problems]}, sys.stdout)
        sys.stdout.write("\n")
    else:
        for p in problems:
            print(f".milestones/{p}")
        print("ok: no problems" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def _log(args: argparse.Namespace) -> int:
    from kiro_tui.core.events import merged_tail
    from kiro_tui.core.logview import follow, format_event

    ws = _workspace(args)
    if args.milestone:
        ws.milestone_path(args.milestone)
    evs = merged_tail(ws.ms, max(args.n, 0), args.milestone)
    for ev in evs:
        print(json.dumps(ev.raw, ensure_ascii=False) if args.json else format_event(ev),
              flush=True)
    if args.follow:
        try:
            for ev in follow(ws.ms, args.milestone):
                print(json.dumps(ev.raw, ensure_ascii=False) if args.json else format_event(ev),
                      flush=True)
        except KeyboardInterrupt:
            pass
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    from kiro_tui.core.service import Workspace

    cmd = args.cmd
    if cmd == "status":
        return _status(args)
    if cmd == "validate":
        return _validate(args)
    if cmd == "log":
        return _log(args)
    if cmd == "init":
        root = Path(args.cwd or os.getcwd()).resolve()
        ms = Workspace.init(root)
        print(f"initialised {ms}")
        return 0
    if hasattr(args, "handler"):
        return int(args.handler(args))
    ws = _workspace(args)
    by = getattr(args, "by", None)
    if cmd == "start":
        return _say(ws.start_milestone(args.milestone, by))
    if cmd == "approve":
        return _say(ws.approve(args.milestone, args.task, args.phase, by, args.note))
    if cmd == "reject":
        return _say(ws.reject(args.milestone, args.task, args.phase, args.reason, by))
    if cmd == "phase":
        if args.action == "start":
            return _say(ws.start_phase(args.milestone, args.task, args.phase, by))
        if args.action == "complete":
            return _say(ws.complete_phase(args.milestone, args.task, args.phase, by))
        if args.action == "block":
            return _say(ws.block(args.milestone, args.task, args.phase,
                                 args.reason or "blocked by hand", by))
        return _say(ws.unblock(args.milestone, args.task, args.phase, by))
    if cmd == "pause":
        return _say(ws.pause(args.milestone, by))
    if cmd == "resume":
        return _say(ws.resume(args.milestone, by))
    if cmd == "new":
        path = ws.new_milestone(args.milestone, args.title, args.requires,
                                description=args.description)
        print(f"created {path.relative_to(ws.root)}")
        return 0
    if cmd == "add-task":
        tid = ws.add_task(args.milestone, args.title, args.kind, args.depends_on,
                          task_id=args.task_id, hours=args.hours)
        print(f"{args.milestone}: added {tid}")
        return 0
    if cmd == "migrate":
        return _say(ws.migrate(args.milestone))
    raise AssertionError(cmd)


def main(argv: list[str] | None = None) -> int:
    from kiro_tui.core.errors import KiroError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage error (2), or --help / --version (0)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    try:
        if args.cmd is None:
            from kiro_tui.ui.launch import launch

            return launch(args)
        return _dispatch(args)
    except KiroError as exc:
        print(f"kiro-tui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `kiro-tui log | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the final flush at exit cannot fail
        except (OSError, ValueError):
            pass
        return 0
    except Exception as exc:  # a traceback in front of a user is a bug; say it in one line
        if os.environ.get("KIRO_TUI_DEBUG"):
            raise
        print(f"kiro-tui: internal error: {type(exc).__name__}: {exc} "
              "(set KIRO_TUI_DEBUG=1 for details)", file=sys.stderr)
        return 1
