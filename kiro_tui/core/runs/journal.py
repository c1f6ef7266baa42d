"""A run's journal: its record (`meta.json`, rewritten on every change, under a lock since run
and reader threads both write it) and the events it reports to the manager's caller."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from kiro_tui.core.runs import records
from kiro_tui.core.runs.notices import EventKind, RunEvent
from kiro_tui.core.runs.records import RunRecord, Usage, now_iso
from kiro_tui.core.runs.request import RunContext, RunRequest
from kiro_tui.core.runs.stream import StreamEvent

STREAM_KINDS: dict[str, EventKind] = {
    "session": "agent_session",
    "tool_call": "tool_call",
    "tool_result": "tool_error",  # the dialects report only the failed tool results
    "text": "agent_text",
    "error": "agent_error",
    "usage": "usage",
    "needs_input": "needs_input",
    "result": "final_message",
}


class RunJournal:
    def __init__(self, ctx: RunContext, req: RunRequest, run_id: str) -> None:
        self._ctx = ctx
        self._req = req
        self.run_id = run_id
        self._lock = threading.Lock()
        m, t = req.milestone, req.task
        self._record = records.write(
            ctx.root,
            RunRecord(
                run_id,
                m.id,
                t.id,
                req.phase,
                status="queued",
                host=ctx.host,
                driver_pid=ctx.driver_pid,
                driver_start_time=ctx.driver_start_time,
                resume_of=req.resume_of,
                retry_of=req.retry_of,
                retries=req.retries,
                reason=req.reason,
                queued_at=now_iso(),
            ),
        )

    @property
    def record(self) -> RunRecord:
        return self._record

    def update(self, **changes: Any) -> RunRecord:
        """Change fields of the record and write it (atomically) at once."""
        with self._lock:
            self._record = records.write(self._ctx.root, replace(self._record, **changes))
            return self._record

    def emit(self, kind: EventKind, message: str = "", **data: Any) -> None:
        r = self._req
        self._ctx.emit(
            RunEvent(kind, self.run_id, r.milestone.id, r.task.id, r.phase, message, data)
        )

    def emit_stream(self, ev: StreamEvent, usage: Usage | None) -> None:
        """Report what the agent said (`usage`: its priced running total, for usage events)."""
        kind = STREAM_KINDS.get(ev.kind)
        if kind is None:
            return
        data: dict[str, Any] = {}
        if ev.tool:
            data["tool"] = ev.tool
        if ev.session_id:
            data["session_id"] = ev.session_id
        if usage is not None:
            data.update(tokens=usage.tokens, cost_usd=usage.cost_usd)
        if ev.kind == "result":
            data.update(subtype=ev.subtype, is_error=ev.is_error, num_turns=ev.num_turns)
        self.emit(kind, ev.text, **data)
