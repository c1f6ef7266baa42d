"""When a running agent must be stopped: the run and idle timeouts, the time budget, the grace
after a terminal event, and the cap on a freeze. Frozen time counts for none of the timeouts."""

from __future__ import annotations

from dataclasses import dataclass

from kiro_tui.core.runs.process import AgentProcess

FOREVER = 3600.0


@dataclass(frozen=True, slots=True)
class Limits:
    run: float | None  # whole run (the phase's timeout, else timeouts.run)
    budget_seconds: float | None  # what the time budget leaves
    idle: float | None  # no output
    after_result: float  # a terminal event was seen but the process did not exit


def due(
    proc: AgentProcess,
    limits: Limits,
    *,
    now: float,
    freeze_at: float | None,
    result_at: float | None,
) -> tuple[str | None, float]:
    """(why the run must stop now, or None; seconds until a limit could next be reached)."""
    waits: list[float] = []
    if proc.frozen:
        if freeze_at is None:
            return None, FOREVER
        if now >= freeze_at:
            return "pause", 0.0  # frozen too long: it becomes a stop
        return None, freeze_at - now
    active = now - proc.started - proc.frozen_total
    for limit, why in ((limits.run, "timeout_run"), (limits.budget_seconds, "budget_exceeded")):
        if limit is not None:
            if active >= limit:
                return why, 0.0
            waits.append(limit - active)
    if limits.idle:
        idle = proc.idle_for()
        if idle >= limits.idle:
            return "timeout_idle", 0.0
        waits.append(limits.idle - idle)
    if result_at is not None:
        since = now - result_at
        if since >= limits.after_result:
            return "after_result", 0.0
        waits.append(limits.after_result - since)
    return None, min(waits, default=FOREVER)
