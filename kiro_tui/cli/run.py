"""`kiro-tui run MILESTONE [--json]`: drive a milestone headless until it completes.

Starts or resumes the milestone's session (a paused one stays paused until resumed from
anywhere), claims the driver (refused while another driver's heartbeat is fresh; taken over
after `thresholds.takeover`), prints one line per event, and exits 0 when the milestone
completes, or on SIGINT/SIGTERM, leaving the session resumable and state.json 'stopped'.
The signal handlers are installed before anything is loaded: a signal while the workspace
loads ends the load at once (exit 0, nothing started, nothing printed); once driving, it asks
the coordinator to stop, so no write is cut short.
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


class _Stopped(BaseException):
    """SIGINT/SIGTERM while loading: raised where the loading is, so it ends at once."""


def run(call: Call) -> int:
    import signal
    import threading

    stop = threading.Event()
    loading = [True]  # while True a signal interrupts the load; afterwards it asks to stop

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        if loading[0]:
            loading[0] = False
            raise _Stopped

    # before anything is loaded: a run stuck on a slow or huge workspace still ends on a signal
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _run(call, stop, loading)
    except _Stopped:
        return 0  # stopped while loading: nothing was started, nothing to say
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _run(call: Call, stop: Any, loading: list[bool]) -> int:
    import json

    args = call.args
    mid = args.milestone
    ws = call.ws
    ws.milestone_path(mid)
    ws.load()  # the slow part (parsed once: the coordinator's first snapshot reuses it)

    from kiro_tui.agents.coordinator import Coordinator
    from kiro_tui.core.events import Event
    from kiro_tui.core.logview import format_event

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

    coord = Coordinator(ws, on_events=show, exit_when_complete=True)
    loading[0] = False  # from here a signal only asks to stop: writes are never cut short
    note = coord.start_driving(mid)  # raises Refused: the CLI prints one line and exits 1
    if note and not args.json:
        print(f"kiro-tui: {note}", file=sys.stderr, flush=True)
    coord.run(stop)  # returns at once (releasing the driver) when a signal came meanwhile
    m = coord.snapshot.state.milestone(mid)
    if m is not None and m.status == "completed" and not args.json:
        print(f"kiro-tui: milestone {mid} completed", file=sys.stderr, flush=True)
    return 0
