"""`kiro-tui run MILESTONE [--json]`: drive a milestone headless until it completes.

Starts or resumes the milestone's session (a paused one stays paused until resumed from
anywhere), claims the driver (refused while another driver's heartbeat is fresh; taken over
after `thresholds.takeover`), prints one line per event, and exits 0 when the milestone
completes, or on SIGINT/SIGTERM, leaving the session resumable and state.json 'stopped'.
"""

from __future__ import annotations

import sys
from typing import Any

from kiro_tui.cli.call import Call


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="drive a milestone: the five roles act until it completes")
    p.add_argument("milestone", help="the milestone to drive")
    p.add_argument("--json", action="store_true", help="one JSON object per event line")
    p.set_defaults(handler=run)


def run(call: Call) -> int:
    import json
    import signal
    import threading

    from kiro_tui.agents.coordinator import Coordinator
    from kiro_tui.core.events import Event
    from kiro_tui.core.logview import format_event

    args, ws = call.args, call.ws
    mid = args.milestone
    ws.milestone_path(mid)

    def show(evs: list[Event]) -> None:
        for ev in evs:
            if ev.milestone_id not in (None, mid):
                continue
            line = (
                json.dumps(
                    ev.raw
                    or {
                        "timestamp": ev.timestamp,
                        "event": ev.event,
                        "level": ev.level,
                        "message": ev.message,
                    },
                    ensure_ascii=False,
                )
                if args.json
                else format_event(ev)
            )
            try:
                print(line, flush=True)
            except BrokenPipeError:
                pass

    stop = threading.Event()
    coord = Coordinator(ws, on_events=show, exit_when_complete=True)
    note = coord.start_driving(mid)  # raises Refused: the CLI prints one line and exits 1
    if note and not args.json:
        print(f"kiro-tui: {note}", file=sys.stderr, flush=True)

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        coord.run(stop)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    m = coord.snapshot.state.milestone(mid)
    if m is not None and m.status == "completed" and not args.json:
        print(f"kiro-tui: milestone {mid} completed", file=sys.stderr, flush=True)
    return 0
