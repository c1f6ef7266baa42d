"""From how an agent's run ended to the run's verdict: for a good end the deliverables must be
present (and parse), then the phase's `verify` commands run; every other end maps to stopped,
needs input, blocked or failed. Completion is never the agent's word."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiro_tui.core.runs import records
from kiro_tui.core.runs.classify import End
from kiro_tui.core.runs.journal import RunJournal
from kiro_tui.core.runs.notices import OutcomeStatus
from kiro_tui.core.runs.output import RawLog
from kiro_tui.core.runs.process import AgentProcess
from kiro_tui.core.runs.request import RunContext, RunRequest
from kiro_tui.core.runs.verify import check_deliverables, run_verify

BLOCKING = ("auth", "preset_incompatible", "timeout", "turn_limit", "budget_exceeded")


@dataclass(frozen=True, slots=True)
class Verdict:
    status: OutcomeStatus
    kind: str
    reason: str
    stop_reason: str | None = None  # None: the one the record holds
    verify_tail: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Workspace:
    """Where the agent ran: verify commands run there too, with its environment and log."""

    cwd: Path
    env: dict[str, str]
    raw: RawLog


def judge(
    end: End,
    *,
    ctx: RunContext,
    req: RunRequest,
    journal: RunJournal,
    workspace: Workspace,
    cancelled: threading.Event,
    stop_reason: Callable[[], str | None],
) -> Verdict:
    """The verdict on a run that ended as `end`. `stop_reason()` says why the run was asked to
    stop, as of now (a stop may arrive while the verify commands run)."""
    if end.kind in ("ok", "deliverables"):
        return _check_work(ctx, req, journal, workspace, cancelled, stop_reason)
    if end.kind == "needs_input":
        return Verdict("needs_input", "needs_input", end.reason)
    if end.kind == "stopped":
        return Verdict("stopped", "stopped", end.reason)
    if end.kind in BLOCKING:
        if end.kind == "preset_incompatible":
            journal.emit("preset_incompatible", end.reason, cause="usage_error")
        return Verdict("blocked", end.kind, end.reason)
    return Verdict("failed", end.kind, end.reason)


def _check_work(
    ctx: RunContext,
    req: RunRequest,
    journal: RunJournal,
    ws: Workspace,
    cancelled: threading.Event,
    stop_reason: Callable[[], str | None],
) -> Verdict:
    ph = req.task.phase(req.phase)
    if ph is None:
        return Verdict("failed", "failed", f"no phase {req.phase}")
    chk = check_deliverables(ctx.root, req.task.id, ph)
    if not chk.complete:
        journal.emit(
            "deliverables_missing",
            chk.reason(),
            missing=list(chk.missing),
            template=list(chk.template),
        )
        return Verdict("blocked", "deliverables_missing", chk.reason())
    cmds = ctx.settings.phase(req.phase).verify
    if cmds:
        journal.update(status="verifying")

        def spawned(p: AgentProcess | None) -> None:
            journal.update(
                verify_pid=p.pid if p else None,
                verify_start_time=records.proc_start_time(p.pid) if p else None,
            )

        res = run_verify(
            cmds,
            cwd=ws.cwd,
            env=ws.env,
            raw=ws.raw,
            on_spawn=spawned,
            grace=ctx.settings.stop,
            cancelled=cancelled,
        )
        if not res.ok:
            if res.error == "cancelled":
                return Verdict(
                    "stopped", "stopped", "stopped while verifying", stop_reason=stop_reason()
                )
            journal.emit(
                "verification_failed",
                res.reason(),
                command=list(res.failed.argv) if res.failed else None,
                exit_code=res.exit_code,
                tail=list(res.tail),
            )
            return Verdict("blocked", "verification_failed", res.reason(), verify_tail=res.tail)
    return Verdict("succeeded", "ok", "deliverables present, verify passed")
