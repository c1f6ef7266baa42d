"""A small simulated agent for `kiro-tui demo`: every few seconds it writes one deliverable of a
phase in progress on the driven milestone, logs what it did, and completes the phase when every
deliverable is there (through the same service as everything else). Run as
`python -m kiro_tui.demo.agent ROOT [--interval S]`."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from kiro_tui.core import events
from kiro_tui.core.errors import KiroError
from kiro_tui.core.service import Workspace

AGENT = "demo-agent"
NOTES = (
    "reading the surrounding code",
    "drafting",
    "checking the acceptance criteria",
    "running the tests",
    "tidying up",
)


def step(ws: Workspace, tick: int) -> str | None:
    """One unit of work; returns what was done (None when there was nothing to do)."""
    from kiro_tui.core import deliverables as dl
    from kiro_tui.demo import write_deliverable

    mid = ws.current_milestone()
    state = ws.load()
    m = state.milestone(mid) if mid else None
    if m is None or m.status != "in_progress":
        return None
    log = ws.ms / "logs" / (m.session_id or "demo") / "execution.jsonl"
    mine = [t for t in m.tasks if t.assigned_to == AGENT]
    for t in mine:
        p = t.active_phase
        if p is None or p.status != "in_progress":
            continue
        rep = dl.report(ws.root, t.id, p)
        if rep.missing:
            name = rep.missing[0]
            write_deliverable(ws.root, t.id, p.name, name)
            events.append(
                log,
                {
                    "event": "deliverable_written",
                    "milestone_id": m.id,
                    "session_id": m.session_id,
                    "task_id": t.id,
                    "phase": p.name,
                    "role": "task_executor",
                    "level": "info",
                    "actor": AGENT,
                    "message": f"{NOTES[tick % len(NOTES)]}: wrote {name}",
                },
            )
            return f"wrote {t.id}/{p.name}/{name}"
        try:
            out = ws.complete_phase(
                m.id,
                t.id,
                p.name,
                AGENT,
                role="task_executor",
            )
        except KiroError as exc:
            events.append(
                log,
                {
                    "event": "executor_note",
                    "milestone_id": m.id,
                    "task_id": t.id,
                    "phase": p.name,
                    "role": "task_executor",
                    "level": "warning",
                    "actor": AGENT,
                    "message": str(exc),
                },
            )
            continue
        return out.message or f"completed {t.id}/{p.name}"
    for t in mine:  # nothing in progress: start the next phase that may start
        p = t.active_phase
        if p is None or p.status != "pending":
            continue
        try:
            ws.start_phase(m.id, t.id, p.name, AGENT, role="task_executor")
        except KiroError:
            continue
        return f"started {t.id}/{p.name}"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="kiro_tui.demo.agent")
    ap.add_argument("root")
    ap.add_argument("--interval", type=float, default=2.5)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many ticks (0: never)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ws = Workspace(Path(args.root).resolve(), persist_cache=False)
    tick = 0
    while args.steps == 0 or tick < args.steps:
        time.sleep(args.interval)
        try:
            step(ws, tick)
        except KiroError:
            pass
        tick += 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
