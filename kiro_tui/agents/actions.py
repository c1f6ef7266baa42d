"""What the five roles share: actions, memory and small helpers for their pure `decide`.

A role is a module with `ROLE` (its name) and `decide(snapshot, now, memory) -> list[Action]`.
`decide` reads only its arguments. The coordinator applies the actions through the service and,
when an action worked, writes its `remember` entries into the role's memory, so the next
`decide` sees what was already done and proposes nothing new: that is what makes the loop quiet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiro_tui.core import clock

# Action kinds the coordinator knows how to apply.
START_PHASE = "start_phase"
COMPLETE_PHASE = "complete_phase"
COMPLETE_MILESTONE = "complete_milestone"
WRITE_PROGRESS = "write_progress"
LOG = "log"
OPEN_BLOCKER = "open_blocker"
RESOLVE_BLOCKER = "resolve_blocker"
REMEMBER = "remember"  # nothing to apply, only memory to update
GIT_BRANCH = "git_branch"  # git_integration: switch to milestone/<id>
GIT_COMMIT = "git_commit"  # git_integration: commit record["paths"] with record["message"]
GIT_PUSH = "git_push"  # git_integration: push the branch to record["remote"]

WRITES = (START_PHASE, COMPLETE_PHASE, COMPLETE_MILESTONE, WRITE_PROGRESS, LOG, OPEN_BLOCKER,
          RESOLVE_BLOCKER, GIT_BRANCH, GIT_COMMIT, GIT_PUSH)


@dataclass(frozen=True)
class Action:
    """One thing a role wants done. `remember` holds (section, key, value) set in the role's
    memory once the action succeeded (value None deletes the key)."""

    kind: str
    role: str
    milestone_id: str | None = None
    task_id: str | None = None
    phase: str | None = None
    record: dict[str, Any] | None = None  # LOG / OPEN_BLOCKER / RESOLVE_BLOCKER: the log line
    values: tuple[int, ...] = ()  # WRITE_PROGRESS: (percentage, completed, total)
    blocker: Any = None  # OPEN_BLOCKER / RESOLVE_BLOCKER: the snapshot.Blocker
    remember: tuple[tuple[str, str, Any], ...] = ()
    key: str = ""  # stable identity, used for failures and refusals

    @property
    def writes(self) -> bool:
        return self.kind in WRITES


Memory = dict[str, dict[str, Any]]


def new_memory() -> Memory:
    return {}


def recall(memory: Memory, section: str) -> dict[str, Any]:
    return memory.get(section) or {}


def remember(memory: Memory, entries: tuple[tuple[str, str, Any], ...]) -> None:
    for section, key, value in entries:
        sec = memory.setdefault(section, {})
        if value is None:
            sec.pop(key, None)
        else:
            sec[key] = value


@dataclass
class RoleOutput:
    """Counters the coordinator keeps per role (for the status line and the tests)."""

    actions: int = 0
    writes: int = 0
    errors: int = 0
    last_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def ts(value: str | None) -> float | None:
    """Epoch seconds of an ISO timestamp, or None."""
    parsed = clock.parse_ts(value)
    return parsed.timestamp() if parsed else None


def epoch(now: datetime) -> float:
    return now.timestamp()
