"""The core of every action on a milestone (service.Workspace.act): lock, finish what a killed
action left (intent.settle), re-apply the decisions the file lost (decisions.reapply_in), edit,
write the intent record, rename, append the event lines, drop the record, unlock."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core import decisions, events, intent, safecreate, workflow
from kiro_tui.core.archive import archive_completed
from kiro_tui.core.errors import InvalidFile, KiroError, Refused
from kiro_tui.core.ids import is_valid_id
from kiro_tui.core.model import Phase
from kiro_tui.core.parse import build_phase
from kiro_tui.core.safewrite import edit_yaml
from kiro_tui.core.starters import write_starters
from kiro_tui.core.workflow import Ctx, Outcome

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace

Edit = Callable[[dict[str, Any], Ctx], Outcome]


class _RefusedAfter(Exception):
    """The action refused after lost decisions were re-applied in its document."""

    def __init__(self, error: KiroError) -> None:
        super().__init__(error.message)
        self.error = error


def _merge(pre: Outcome | None, out: Outcome) -> Outcome:
    """The re-applied decisions' events and effects first, then the action's own."""
    if pre is not None:
        out.events[:0] = pre.events
        out.starters[:0] = pre.starters
        out.milestone_completed = out.milestone_completed or pre.milestone_completed
    return out


def act(
    ws: Workspace,
    mid: str,
    fn: Edit,
    actor: str | None,
    role: str,
    log_path: Path | None,
    focus_task: str | None,
    reapply: bool,
) -> Outcome:
    """See Workspace.act. `reapply`: re-apply lost decisions in the same edit (the user's
    actions, logged to the execution log; the driver's DecisionGuard does it for its own)."""
    path = ws.milestone_path(mid)  # completed ones too (e.g. a late approval note)
    ctx = ws.context(actor)
    log = log_path or ws.execution_log(mid)
    ahead_path = intent.path_of(ws.ms, mid)
    session: list[str | None] = [None]
    started: list[tuple[str, str, Phase]] = []
    recent: list[events.Event] = []
    planned: list[Any] = [None, None]  # (the outcome an intent was written for, its records)

    def settle() -> None:  # under the lock, before the file is read
        intent.settle(ws, mid, path)
        if reapply and log_path is None:
            recent[:] = decisions.recent(log)

    def edit(doc: dict[str, Any]) -> Outcome:
        if str(doc.get("id")) != mid:
            raise InvalidFile(
                f"milestone id {doc.get('id')!r} does not match the file name", file=path
            )
        ex = doc.get("execution")
        sid = ex.get("session_id") if isinstance(ex, dict) else None
        session[0] = str(sid) if is_valid_id(sid) else None
        pre = decisions.reapply_in(doc, recent, mid, ctx, ws.root) if recent else None
        if refused:  # the second pass: the re-applied decisions alone
            own = Outcome()
        else:
            try:
                own = fn(doc, ctx)
            except Refused as exc:  # (a half-written file's errors are waited for: safewrite)
                if pre is None:
                    raise
                raise _RefusedAfter(exc) from None  # not with the re-applied ones: see below
        out = _merge(pre, own)
        started[:] = []  # the phases that started, as the document now says
        for task_id, phase in out.starters:
            with contextlib.suppress(Exception):
                raw = workflow.find_task(doc, task_id)["kiro_workflow"]["phases"][phase]
                started.append((task_id, phase, build_phase(phase, raw, doc, ctx.config, [])))
        return out

    def records(out: Outcome) -> list[dict[str, Any]]:
        return [
            ws.record(mid, {"timestamp": ctx.now, "actor": ctx.actor, **ev}, role, session[0])
            for ev in out.events
        ]

    def write_intent(out: Outcome, old: str, new: str) -> None:  # just before the rename
        planned[:] = [out, records(out)]
        if out.events:
            intent.write(ahead_path, ws.root, log, old, new, planned[1])
        else:  # an earlier attempt's record must not outlive this rename
            intent.clear(ahead_path)

    def log_events(out: Outcome) -> None:  # under the lock: the log agrees with the file
        recs = planned[1] if planned[0] is out else records(out)
        for rec in recs:
            events.append(log, rec)
        intent.finish_sessions(ws, recs)  # a pause's or resume's session file, still locked
        if planned[0] is not None:
            intent.clear(ahead_path)

    safecreate.check_appendable(log, ws.root)  # refused before any edit
    kw: dict[str, Any] = {"under_lock": log_events, "on_lock": settle, "ahead": write_intent}
    refused: list[KiroError] = []
    try:
        out, _written = edit_yaml(path, edit, focus_task=focus_task, **kw)
    except _RefusedAfter as exc:
        # the action refused a document in which lost decisions were re-applied (e.g. an
        # approval the file lost, approved again): those are still written, on their own, and
        # then the refusal is given (it says what the file now holds)
        refused.append(exc.error)
        out, _written = edit_yaml(path, edit, focus_task=focus_task, **kw)
    for task_id, phase, model in started:
        write_starters(ws.root, task_id, phase, model)
    if out.milestone_completed:
        said = archive_completed(ws, mid, path, ctx, session[0], commit=role == "user")
        out.message = "; ".join(x for x in (out.message, said) if x)
    others = [e for e in recent if e.task_id not in (None, focus_task)]
    if others and focus_task is not None and not out.milestone_completed:
        # decisions on tasks the focused edit did not hold in full: one more read of the file
        # (which our own write just parsed), and an edit only for a decision it lost
        with contextlib.suppress(KiroError):
            decisions.reapply(ws, mid, evs=others)
    if refused:
        raise refused[0]
    return out
