"""What the dashboard shows of agent runs (issue 9), from the snapshot only: how many agents
run, and whether a task or phase has its agent running (the tree's mark)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the core's snapshot (and its store, model, git) loads after the first paint
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


def spend_milestone(snap: Snapshot, selected: str | None = None) -> str | None:
    """Whose spend the header shows: the driven milestone, else the selected one, else the one
    whose agents run, else the only milestone with runs."""
    totals = snap.run_totals
    if snap.driving:
        return snap.driving
    if selected and selected in totals:
        return selected
    running = [mid for mid, t in totals.items() if t.running]
    if running:
        return max(running, key=lambda mid: totals[mid].running)
    return next(iter(totals)) if len(totals) == 1 else None


def header_text(snap: Snapshot, selected: str | None = None) -> str:
    """`2 agents · $0.42`: the agents running (this driver's runs, or, observing, the run
    records whose driver is alive) and the milestone's spend from its run records ("cost
    unknown" when no run reported one, never $0); '' when no agent ever ran and none drives."""
    totals = snap.run_totals
    mid = spend_milestone(snap, selected)
    t = totals.get(mid) if mid else None
    n = agents_running(snap) if snap.agents else sum(x.running for x in totals.values())
    if not snap.agents and not n and t is None:
        return ""
    text = f"{n} agent{'' if n == 1 else 's'}"
    if t is not None and t.runs:
        text += " · " + ("cost unknown" if t.usd is None else f"${t.usd:.2f}")
        if t.usd is not None and t.partial:
            text += "+"  # some runs reported no cost: the real spend may be higher
    return text


def header_markup(snap: Snapshot, selected: str | None = None) -> str:
    """`⚙ 2 agents · $0.42` (Content markup, with trailing spaces), or ''."""
    text = header_text(snap, selected)
    if not text:
        return ""
    colour = "$success" if not text.startswith("0 ") else "$text-muted"
    return f"[{colour}]{RUN_MARK} {text}[/]   "
