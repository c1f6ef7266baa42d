"""What the five roles share: actions with typed payloads, memory and small helpers.

A role is a module with `ROLE` (its name) and `decide(snapshot, now, memory) -> list[Action]`.
`decide` reads only its arguments. The coordinator applies the actions through the service and,
when an action worked, writes its `remember` entries into the role's memory, so the next
`decide` sees what was already done and proposes nothing new: that is what makes the loop quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiro_tui.core import clock
from kiro_tui.core.snapshot import Blocker

# Action kinds the coordinator knows how to apply.
START_PHASE = "start_phase"
COMPLETE_PHASE = "complete_phase"
RUN_PHASE = "run_phase"  # an agent run of the phase (issue 9)
COMPLETE_MILESTONE = "complete_milestone"
WRITE_PROGRESS = "write_progress"  # payload: Progress
LOG = "log"  # payload: LogLine
OPEN_BLOCKER = "open_blocker"  # payload: LogLine with its blocker
RESOLVE_BLOCKER = "resolve_blocker"  # payload: LogLine
GIT_BRANCH = "git_branch"  # git_integration: switch to milestone/<id>
GIT_COMMIT = "git_commit"  # payload: Commit
GIT_PUSH = "git_push"  # payload: Push


@dataclass(frozen=True, slots=True)
class LogLine:
    """A line for the role's log (`record` has at least `event`)."""

    record: dict[str, Any]
    blocker: Blocker | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    percentage: int
    completed: int
    total: int


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit of the git role: `paths` with `message`, for the event `key` of `event`."""

    message: str
    paths: tuple[str, ...]
    key: str
    event: str
    on_milestone_branch: bool = False


@dataclass(frozen=True, slots=True)
class Push:
    """The `n`-th push of the session, due after `tasks` completed tasks."""

    remote: str
    n: int
    tasks: int


Payload = LogLine | Progress | Commit | Push


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a role wants done. `remember` holds (section, key, value) set in the role's
    memory once the action succeeded (value None deletes the key)."""

    kind: str
    role: str
    milestone_id: str | None = None
    task_id: str | None = None
    phase: str | None = None
    payload: Payload | None = None
    remember: tuple[tuple[str, str, Any], ...] = ()
    key: str = ""  # stable identity, used for failures and refusals


Memory = dict[str, dict[str, Any]]


def recall(memory: Memory, section: str) -> dict[str, Any]:
    return memory.get(section) or {}


def remember(memory: Memory, entries: tuple[tuple[str, str, Any], ...]) -> None:
    for section, key, value in entries:
        sec = memory.setdefault(section, {})
        if value is None:
            sec.pop(key, None)
        else:
            sec[key] = value


def ts(value: str | None) -> float | None:
    """Epoch seconds of an ISO timestamp, or None."""
    parsed = clock.parse_ts(value)
    return parsed.timestamp() if parsed else None
