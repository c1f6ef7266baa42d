"""The milestone commands: status, validate, log, init, new, add-task, migrate, fix-ids, start,
pause, resume, approve, reject, phase. Each is a thin function over `Workspace`."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from typing import Any

from kiro_tui.cli.call import Call


def register(sub: Any) -> None:
    s = sub.add_parser("status", help="milestones, tasks and progress")
    s.add_argument("milestone", nargs="?", help="only this milestone (default: all)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=status)
    s = sub.add_parser("validate", help="check every file; exit 1 when there are errors")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=validate)
    s = sub.add_parser("start", help="start (or continue) an execution session")
    s.add_argument("milestone", help="the milestone to start")
    s.add_argument("--by")
    s.set_defaults(handler=start)
    for name, helptext, fn in (
        ("approve", "approve a phase waiting for approval", approve),
        ("reject", "send a phase back with a reason", reject),
    ):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("milestone", help="the milestone of the gate")
        s.add_argument("task", help="the task id (see 'kiro-tui status MILESTONE')")
        s.add_argument("phase", help="design, spec, task or execute")
        s.add_argument("--by")
        if name == "approve":
            s.add_argument("--note")
        else:
            s.add_argument("--reason", required=True)
        s.set_defaults(handler=fn)
    s = sub.add_parser("phase", help="start, complete, block or unblock a phase")
    s.add_argument(
        "action",
        choices=["start", "complete", "block", "unblock"],
        metavar="ACTION",
        help="start, complete, block or unblock",
    )
    s.add_argument("milestone", help="the milestone of the task")
    s.add_argument("task", help="the task id (see 'kiro-tui status MILESTONE')")
    s.add_argument("phase", help="design, spec, task or execute")
    s.add_argument("--reason", help="why (for block)")
    s.add_argument("--by")
    s.set_defaults(handler=phase)
    for name, fn in (("pause", pause), ("resume", resume)):
        s = sub.add_parser(name, help=f"{name} a milestone's session")
        s.add_argument("milestone", help=f"the milestone to {name}")
        s.add_argument("--by")
        s.set_defaults(handler=fn)
    sub.add_parser("init", help="create .milestones/ here").set_defaults(handler=init)
    s = sub.add_parser("new", help="create a milestone")
    s.add_argument("milestone", help="the new milestone's id (e.g. milestone-003)")
    s.add_argument("--title", required=True)
    s.add_argument("--description")
    s.add_argument(
        "--requires", nargs="*", default=[], metavar="ID", help="milestones to complete first"
    )
    s.set_defaults(handler=new)
    s = sub.add_parser("add-task", help="add a kiro task to a milestone")
    s.add_argument("milestone", help="the milestone to add the task to")
    s.add_argument("--title", required=True)
    s.add_argument("--id", dest="task_id")
    s.add_argument(
        "--kind", default="feature", choices=["feature", "bugfix", "api", "frontend", "other"]
    )
    s.add_argument("--depends-on", nargs="*", default=[], metavar="TASK")
    s.add_argument("--hours", type=float, default=8, help="estimated hours (positive; 8)")
    s.set_defaults(handler=add_task)
    s = sub.add_parser("migrate", help="give plain tasks kiro phases per the enforcement level")
    s.add_argument("milestone", help="the milestone whose plain tasks to migrate")
    s.set_defaults(handler=migrate)
    s = sub.add_parser("fix-ids", help="rename a milestone's invalid task ids to valid slugs")
    s.add_argument("milestone", help="the milestone whose task ids to fix")
    s.set_defaults(handler=fix_ids)
    s = sub.add_parser("log", help="show (and follow) the event logs")
    s.add_argument("milestone", nargs="?", help="only this milestone's events (default: all)")
    s.add_argument("-n", type=int, default=20)
    s.add_argument("--follow", "-f", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=log)


def _say(out: Any) -> int:
    print(out.message or "done")
    return 0


# ---------------------------------------------------------------------- reading
def status(call: Call) -> int:
    import os

    from kiro_tui.core.errors import NotFound
    from kiro_tui.core.report import status_json, status_text

    args = call.args
    gc.disable()  # a short run that builds many small objects and frees them all at exit
    ws = call.ws
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


def validate(call: Call) -> int:
    from kiro_tui.core.validate import check

    gc.disable()
    ws = call.ws
    problems = check(ws.load())
    if call.args.json:
        json.dump(
            {
                "schema": 1,
                "root": str(ws.root),
                "ok": not problems,
                "problems": [p.as_json() for p in problems],
            },
            sys.stdout,
        )
        sys.stdout.write("\n")
    else:
        for p in problems:
            print(f".milestones/{p}")
        print("ok: no problems" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def log(call: Call) -> int:
    from kiro_tui.core.events import merged_read
    from kiro_tui.core.logview import follow, format_event

    args, ws = call.args, call.ws
    if args.milestone:
        ws.milestone_path(args.milestone)
    got = merged_read(ws.ms, max(args.n, 0), args.milestone)
    for ev in got.events:
        print(json.dumps(ev.raw, ensure_ascii=False) if args.json else format_event(ev), flush=True)
    if not args.json:
        if not got.events and args.n > 0:
            whose = f" of {args.milestone}" if args.milestone else ""
            more = "; waiting for new ones (Ctrl-C stops)" if args.follow else ""
            print(f"no events{whose} in .milestones/logs yet{more}", flush=True)
        if got.unreadable:
            print(
                f"kiro-tui: {got.unreadable} log line(s) could not be read (not JSON, or no "
                "event name) and are not shown",
                file=sys.stderr,
            )
    if args.follow:
        with contextlib.suppress(KeyboardInterrupt):
            for ev in follow(ws.ms, args.milestone):
                print(
                    json.dumps(ev.raw, ensure_ascii=False) if args.json else format_event(ev),
                    flush=True,
                )
    return 0


# ---------------------------------------------------------------------- creating
def init(call: Call) -> int:
    from kiro_tui.core.service import Workspace

    print(f"initialised {Workspace.init(call.start.resolve())}")
    return 0


def new(call: Call) -> int:
    a, ws = call.args, call.ws
    path = ws.new_milestone(a.milestone, a.title, a.requires, description=a.description)
    print(f"created {path.relative_to(ws.root)}")
    return 0


def add_task(call: Call) -> int:
    a = call.args
    tid = call.ws.add_task(
        a.milestone, a.title, a.kind, a.depends_on, task_id=a.task_id, hours=a.hours
    )
    print(f"{a.milestone}: added {tid}")
    return 0


def fix_ids(call: Call) -> int:
    from kiro_tui.core.fix_ids import fix_milestone

    ws, mid = call.ws, call.args.milestone
    path = ws.milestone_path(mid)
    for line in fix_milestone(ws.root, path).lines():
        print(f"{mid}: {line}")
    return 0


def migrate(call: Call) -> int:
    return _say(call.ws.migrate(call.args.milestone))


# ---------------------------------------------------------------------- sessions and phases
def start(call: Call) -> int:
    mid = call.args.milestone
    _say(call.ws.start_milestone(mid, call.args.by))
    print(
        f"next: 'kiro-tui run {mid}' drives it with the agents; or open the dashboard "
        f"('kiro-tui') and press s on it; or work by hand with 'kiro-tui phase start {mid} "
        "TASK design' (tasks: 'kiro-tui status " + mid + "')"
    )
    return 0


def pause(call: Call) -> int:
    return _say(call.ws.pause(call.args.milestone, call.args.by))


def resume(call: Call) -> int:
    return _say(call.ws.resume(call.args.milestone, call.args.by))


def approve(call: Call) -> int:
    a = call.args
    return _say(call.ws.approve(a.milestone, a.task, a.phase, a.by, a.note))


def reject(call: Call) -> int:
    a = call.args
    return _say(call.ws.reject(a.milestone, a.task, a.phase, a.reason, a.by))


def phase(call: Call) -> int:
    a, ws = call.args, call.ws
    if a.action == "start":
        return _say(ws.start_phase(a.milestone, a.task, a.phase, a.by))
    if a.action == "complete":
        return _say(ws.complete_phase(a.milestone, a.task, a.phase, a.by))
    if a.action == "block":
        return _say(ws.block(a.milestone, a.task, a.phase, a.reason or "blocked by hand", a.by))
    return _say(ws.unblock(a.milestone, a.task, a.phase, a.by))
