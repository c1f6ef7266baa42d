"""Phase-weighted progress (FORMAT.md section 7)."""

from __future__ import annotations

import math

from kiro_tui.core.ids import PHASES
from kiro_tui.core.model import Milestone, Task

CREDIT = {"completed": 1.0, "approved": 1.0, "waiting_approval": 0.75, "in_progress": 0.5}


def phase_credit(status: str) -> float:
    return CREDIT.get(status, 0.0)


def task_progress(task: Task, weights: dict[str, float]) -> float:
    if not task.is_kiro:
        return {"completed": 100.0, "in_progress": 50.0}.get(task.status, 0.0)
    total = sum(weights[p] for p in PHASES)
    got = sum(weights[p.name] * phase_credit(p.status) for p in task.phases)
    return 100.0 * got / total


def milestone_progress(m: Milestone) -> float:
    weights = m.weight_map
    tasks = [t for t in m.tasks if t.status != "cancelled"]
    if not tasks:
        return 0.0
    return sum(task_progress(t, weights) for t in tasks) / len(tasks)


def shown(value: float) -> str:
    return f"{value:.1f}"


def written(value: float) -> int:
    return math.floor(value + 1e-9)


def tasks_completed(m: Milestone) -> int:
    return sum(1 for t in m.tasks if t.status == "completed")


def segments(task: Task, weights: dict[str, float]) -> list[tuple[str, float, float, str]]:
    """Per phase: (name, share of the bar 0..1, fill 0..1, status) for drawing a split bar."""
    total = sum(weights[p] for p in PHASES)
    out = []
    for name in PHASES:
        ph = task.phase(name)
        status = ph.status if ph else ("completed" if task.status == "completed" else "pending")
        out.append((name, weights[name] / total, phase_credit(status), status))
    return out
