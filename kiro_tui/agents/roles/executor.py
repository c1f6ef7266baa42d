"""task_executor: moves phases forward when the files say they may move.

Rules (issue 3): complete an `in_progress` phase once its deliverables are present; start the
next phase once the previous one has passed (an approval may land from anywhere); start the
first phase of a pending task once its dependencies are completed; complete the milestone when
every task is done. Running real agent processes is a later issue: `AgentRunner` is the seam.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from kiro_tui.agents.actions import (
    COMPLETE_MILESTONE,
    COMPLETE_PHASE,
    START_PHASE,
    Action,
    Memory,
    recall,
)
from kiro_tui.core.deps import unmet_task_deps
from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.snapshot import Snapshot

ROLE = "task_executor"


class AgentRunner(Protocol):
    """Runs the agent that does a phase's work. The default does nothing (people do the work)."""

    def start(self, task: Task, phase: str) -> None: ...
    def suspend(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self) -> None: ...


class NoopRunner:
    """The default runner: work is done by whoever writes the deliverables."""

    def start(self, task: Task, phase: str) -> None:
        return None

    def suspend(self) -> None:
        return None

    def resume(self) -> None:
        return None

    def stop(self) -> None:
        return None


def make_runner(executor_config: dict[str, Any]) -> AgentRunner:
    """The runner configured in `executor:` of kiro-config.yaml. Only the no-op one exists yet."""
    return NoopRunner()


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
        if ph.status == "in_progress":
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
