"""What the dashboard shows of agent runs (issue 9), from the snapshot only: how many agents
run, and whether a task or phase has its agent running (the tree's mark)."""

from __future__ import annotations

from kiro_tui.core.snapshot import Snapshot

RUN_MARK = "⚙"
ACTIVE = ("running", "verifying")


def agents_running(snap: Snapshot) -> int:
    return sum(1 for status in snap.runs.values() if status in ACTIVE)


def agent_running(snap: Snapshot, mid: str, tid: str, phase: str | None = None) -> bool:
    """Whether the phase (any phase of the task, when `phase` is None) has its agent running."""
    return any(
        status in ACTIVE and k[0] == mid and k[1] == tid and (phase is None or k[2] == phase)
        for k, status in snap.runs.items()
    )


def header_markup(snap: Snapshot) -> str:
    """`⚙ 2 agents` while driving with agents (Content markup, with trailing spaces), else ''."""
    if not snap.agents:
        return ""
    n = agents_running(snap)
    colour = "$success" if n else "$text-muted"
    return f"[{colour}]{RUN_MARK} {n} agent{'' if n == 1 else 's'}[/]   "
