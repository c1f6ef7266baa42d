"""What one run is asked to do (`RunRequest`) and what it runs with (`RunContext`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.runs import budget as bud
from kiro_tui.core.runs.notices import RunEvent
from kiro_tui.core.runs.settings import ExecutorSettings


@dataclass(frozen=True, slots=True)
class RunRequest:
    milestone: Milestone
    task: Task
    phase: str
    resume_of: str | None = None  # a run whose agent session to resume
    reason: str | None = None  # why (a rejection's reason), put in the prompt
    retries: int = 0  # retries done before this run (for the same cause chain)
    retry_of: str | None = None
    no_result_retried: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.milestone.id, self.task.id, self.phase)


@dataclass(frozen=True, slots=True)
class RunContext:
    root: Path
    settings: ExecutorSettings
    environ: Mapping[str, str]
    host: str
    driver_pid: int
    driver_start_time: int | None
    # (phase spend, milestone spend) of the other runs, for a run's budget checks
    spend: Callable[[RunRequest, str], tuple[bud.Spend, bud.Spend]]
    emit: Callable[[RunEvent], None]
