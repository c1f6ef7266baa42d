"""What the run manager tells its caller: typed events while runs go on, and one outcome per
run. The caller (the task executor) turns them into role log lines and blockers, and completes
or blocks the phase through the service: the manager never decides that a phase is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kiro_tui.core.runs.records import Usage

EventKind = Literal[
    "run_queued",
    "run_started",
    "agent_session",
    "tool_call",
    "agent_text",
    "agent_error",
    "tool_error",
    "final_message",
    "usage",
    "needs_input",
    "run_finished",
    "verification_failed",
    "deliverables_missing",
    "budget_warning",
    "budget_exceeded",
    "executor_untrusted",
    "preset_incompatible",
    "run_retry_scheduled",
    "run_interrupted",
    "run_frozen",
    "run_thawed",
]
LEVELS: dict[str, str] = {
    "agent_error": "warning",
    "tool_error": "warning",
    "needs_input": "warning",
    "verification_failed": "error",
    "deliverables_missing": "warning",
    "budget_warning": "warning",
    "budget_exceeded": "error",
    "executor_untrusted": "error",
    "preset_incompatible": "error",
    "run_interrupted": "warning",
}


@dataclass(frozen=True, slots=True)
class RunEvent:
    kind: EventKind
    run_id: str
    milestone_id: str
    task_id: str
    phase: str
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> str:
        if self.kind == "run_finished":
            return "info" if self.data.get("status") == "succeeded" else "warning"
        return LEVELS.get(self.kind, "info")

    def log_record(self, session_id: str | None = None) -> dict[str, Any]:
        """The event as a role log line of `execution.jsonl` (FORMAT.md section 8)."""
        rec: dict[str, Any] = {
            "event": self.kind,
            "milestone_id": self.milestone_id,
            "task_id": self.task_id,
            "phase": self.phase,
            "role": "task_executor",
            "level": self.level,
            "message": self.message,
            "data": {"run_id": self.run_id, **self.data},
        }
        if session_id:
            rec["session_id"] = session_id
        return rec


OutcomeStatus = Literal["succeeded", "blocked", "needs_input", "failed", "stopped"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one run ended. `succeeded`: the deliverables are present and verify passed.
    `kind` names the cause (ok, verification_failed, deliverables_missing, auth,
    preset_incompatible, executor_untrusted, budget_exceeded, timeout, turn_limit, needs_input,
    retryable, no_result, failed, stopped); `final` is False when the manager will retry."""

    run_id: str
    status: OutcomeStatus
    kind: str
    reason: str
    exit_code: int | None = None
    subtype: str | None = None
    duration_s: float | None = None
    usage: Usage = field(default_factory=Usage)
    session_id: str | None = None
    verify_tail: tuple[str, ...] = ()
    retryable: bool = False
    final: bool = True
    retry_in: float | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "kind": self.kind,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "subtype": self.subtype,
            "duration_s": self.duration_s,
            "cost_usd": self.usage.cost_usd,
            "tokens": self.usage.tokens,
            "session_id": self.session_id,
            "final": self.final,
            "retry_in": self.retry_in,
        }
