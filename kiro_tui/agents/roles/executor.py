"""task_executor: moves phases forward when the files say they may move.

Rules (issue 3): complete an `in_progress` phase once its deliverables are present; start the
next phase once the previous one has passed (an approval may land from anywhere); start the
first phase of a pending task once its dependencies are completed; complete the milestone when
every task is done. With agents (issue 9, `snap.agents`), an `in_progress` phase gets a run
(`RUN_PHASE`) instead, unless one is busy; its outcome completes or blocks it (`RunsBridge`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from kiro_tui.agents.actions import (
    COMPLETE_MILESTONE,
    COMPLETE_PHASE,
    RUN_PHASE,
    START_PHASE,
    Action,
    Memory,
    recall,
)
from kiro_tui.core.deps import unmet_task_deps
from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.snapshot import Blocker, Snapshot

ROLE = "task_executor"


class AgentRunner(Protocol):
    """Runs the agents that do the phases' work (`agents_bridge.RunsBridge`), or nobody
    (`NoopRunner`: people write the deliverables). Called from the coordinator's thread."""

    @property
    def enabled(self) -> bool: ...
    def bind(self, wake: Callable[[], None]) -> None: ...
    def begin(self, milestone_id: str, session_id: str) -> None: ...
    def start(self, milestone: Milestone, task: Task, phase: str) -> None: ...
    def runs(self) -> dict[tuple[str, str, str], str]: ...
    def blockers(self) -> tuple[Blocker, ...]: ...
    def settle(self) -> int: ...
    def suspend(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self) -> None: ...


class NoopRunner:
    """No agents: work is done by whoever writes the deliverables."""

    enabled = False

    def bind(self, wake: Callable[[], None]) -> None:
        return None

    def begin(self, milestone_id: str, session_id: str) -> None:
        return None

    def start(self, milestone: Milestone, task: Task, phase: str) -> None:
        return None

    def runs(self) -> dict[tuple[str, str, str], str]:
        return {}

    def blockers(self) -> tuple[Blocker, ...]:
        return ()

    def settle(self) -> int:
        return 0

    def suspend(self) -> None:
        return None

    def resume(self) -> None:
        return None

    def stop(self) -> None:
        return None


def _refused_before(memory: Memory, key: str, signature: Any) -> bool:
    """An action the service refused for the same inputs is not proposed again."""
    return recall(memory, "refused").get(key) == (signature,)


def decide_milestone(m: Milestone, snap: Snapshot, memory: Memory) -> list[Action]:
    out: list[Action] = []
    if m.status != "in_progress":
        return out
    live = [t for t in m.tasks if t.status != "cancelled"]
    if live and all(t.status == "completed" for t in live):
        key = f"{m.id}:complete"
        if not _refused_before(memory, key, m.written_progress):
            out.append(Action(COMPLETE_MILESTONE, ROLE, m.id, key=key))
        return out
    for t in live:
        if not t.is_kiro or t.read_only or t.status in ("completed", "blocked"):
            continue
        ph = t.active_phase
        if ph is None:
            continue
        facts = snap.facts.get((m.id, t.id, ph.name))
        if ph.status == "in_progress" and snap.agents:
            # an agent does the work: start its run; the phase completes only when the run
            # ended well and verify passed (the bridge settles it), never while it is busy
            if (m.id, t.id, ph.name) not in snap.runs:
                key = f"{m.id}:{t.id}:{ph.name}:run"
                out.append(Action(RUN_PHASE, ROLE, m.id, t.id, ph.name, key=key))
        elif ph.status == "in_progress":
            if facts is not None and facts.complete:
                key = f"{m.id}:{t.id}:{ph.name}:complete"
                if not _refused_before(memory, key, facts.signature):
                    out.append(Action(COMPLETE_PHASE, ROLE, m.id, t.id, ph.name, key=key))
        elif ph.status == "pending":
            if unmet_task_deps(t, m):
                continue
            key = f"{m.id}:{t.id}:{ph.name}:start"
            if not _refused_before(memory, key, t.updated_at):
                out.append(Action(START_PHASE, ROLE, m.id, t.id, ph.name, key=key))
    return out


def decide(snap: Snapshot, now: datetime, memory: Memory) -> list[Action]:
    """Phase moves for the driven milestone; nothing while observing or paused."""
    if not snap.driving or snap.paused:
        return []
    m = snap.state.milestone(snap.driving)
    return decide_milestone(m, snap, memory) if m is not None else []


def refusal_signature(action: Action, snap: Snapshot) -> tuple[Any]:
    """What must change before a refused action is worth trying again, in a 1-tuple: a task
    with no `updated_at` (None) is remembered too, never forgotten (a refusal loop)."""
    m = snap.state.milestone(action.milestone_id or "")
    if action.kind == COMPLETE_MILESTONE:
        return (m.written_progress if m else None,)
    t = m.task(action.task_id or "") if m else None
    if action.kind == START_PHASE:
        return (t.updated_at if t else None,)
    facts = snap.facts.get((action.milestone_id or "", action.task_id or "", action.phase or ""))
    return (facts.signature if facts else None,)
