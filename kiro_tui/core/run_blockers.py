"""What a run that ended badly means for its phase: the blocker kind (issue 9's ids), the
`blocked_reason`, the suggestion, and the blockers of the runs already on disk (so that a new
driver shows the blockers an earlier one raised). Pure data and reading; the task executor's
bridge applies them through the service."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kiro_tui.core.runs import records
from kiro_tui.core.snapshot import Blocker

Key = tuple[str, str, str]

# the outcome's kind -> the blocker's kind
KINDS: dict[str, str] = {
    "verification_failed": "verification_failed",
    "executor_untrusted": "executor_untrusted",
    "budget_exceeded": "budget_exceeded",
    "preset_incompatible": "preset_incompatible",
    "needs_input": "agent_needs_input",
}
SUGGESTIONS: dict[str, str] = {
    "verification_failed": "fix what the verify command reports, then unblock the phase",
    "executor_untrusted": "review with 'kiro-tui trust --show', then 'kiro-tui trust' "
    "and unblock the phase",
    "budget_exceeded": "raise the budget (user config) or finish by hand; then unblock the "
    "phase and resume the milestone",
    "preset_incompatible": "check the agent's CLI version and the preset "
    "(docs/agents.md), then unblock the phase",
    "agent_needs_input": "answer in the deliverables or the task, or allow the tool; "
    "then unblock the phase",
    "executor_failed": "see 'kiro-tui runs show RUN'; fix the cause and unblock the phase",
}
MAX_LINES = 40
FAILED_STATUSES = ("blocked", "failed")


@dataclass(frozen=True, slots=True)
class Failure:
    """How a phase is blocked after its run `run_id` ended badly."""

    run_id: str
    blocker_kind: str
    reason: str  # the phase's blocked_reason
    lines: tuple[str, ...] = ()

    @property
    def pauses_milestone(self) -> bool:
        return self.blocker_kind == "budget_exceeded"


def blocker_kind(outcome_kind: str) -> str:
    return KINDS.get(outcome_kind, "executor_failed")


def failure(run_id: str, outcome_kind: str, reason: str, lines: tuple[str, ...] = ()) -> Failure:
    kind = blocker_kind(outcome_kind)
    text = " ".join(reason.split()) or outcome_kind
    return Failure(run_id, kind, f"{kind}: {text} (run {run_id})", tuple(lines[-MAX_LINES:]))


def blocker(key: Key, f: Failure) -> Blocker:
    mid, tid, phase = key
    raw = f"{f.blocker_kind}:{mid}:{tid}:{phase}:{f.run_id}"
    return Blocker(
        "blk-" + hashlib.sha1(raw.encode()).hexdigest()[:12],
        f.blocker_kind,
        "critical" if f.blocker_kind != "agent_needs_input" else "warning",
        f"{tid} {phase}: {f.reason}",
        SUGGESTIONS[f.blocker_kind],
        mid,
        tid,
        phase,
        lines=f.lines,
    )


def latest_runs(root: Path, milestone_id: str) -> dict[Key, records.RunRecord]:
    """The newest run record of each phase of `milestone_id`."""
    out: dict[Key, records.RunRecord] = {}
    for rec in records.list_runs(root, milestone_id):
        key = (rec.milestone_id, rec.task_id, rec.phase)
        prev = out.get(key)
        if prev is None or (rec.queued_at or "", rec.run_id) >= (
            prev.queued_at or "",
            prev.run_id,
        ):
            out[key] = rec
    return out


def failures_on_disk(root: Path, milestone_id: str) -> dict[Key, Failure]:
    """The failure of each phase whose newest run ended badly (its outcome kind recorded)."""
    return {
        key: failure(rec.run_id, rec.outcome or "failed", rec.message or rec.status)
        for key, rec in latest_runs(root, milestone_id).items()
        if rec.status in FAILED_STATUSES
    }


def resumable(rec: records.RunRecord | None, *, after_rejection: bool = False) -> str | None:
    """The run to resume for the next run of a phase: one a pause, shutdown or crash stopped,
    or (after a rejection) the one whose work was rejected, when its agent session is known."""
    if rec is None or not rec.session_id:
        return None
    if rec.status in ("stopped", "interrupted"):
        return rec.run_id
    if after_rejection and rec.status == "succeeded":
        return rec.run_id
    return None
