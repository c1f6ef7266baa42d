"""Milestone and session actions of `service.Workspace`: start, pause, resume."""

from __future__ import annotations

import contextlib
from typing import Any

from kiro_tui.core import sessions
from kiro_tui.core.errors import KiroError, NotFound, Refused
from kiro_tui.core.ids import is_valid_id
from kiro_tui.core.model import Milestone, norm_milestone_status
from kiro_tui.core.safewrite import atomic_write
from kiro_tui.core.workflow import Ctx, Outcome
from kiro_tui.core.workspace_base import WorkspaceBase
from kiro_tui.core.yaml.focused_edit import TOP_LEVEL
from kiro_tui.core.yaml.roundtrip import quote_like


class MilestoneActions(WorkspaceBase):
    """Starting a milestone's session, pausing and resuming it."""

    def start_milestone(self, mid: str, actor: str | None = None) -> Outcome:
        """Start (or continue) a session: checks `requires`, writes session and current.txt."""
        from kiro_tui.core.deps import unmet_requires

        m = self.milestone(mid)
        if m is None:
            raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
        if m.finished:
            raise Refused(f"cannot start {mid}: it is {m.status}")
        required: dict[str, Milestone] = {}
        for req in m.requires:
            with contextlib.suppress(KiroError):
                other = self.milestone(req) if is_valid_id(req) else None
                if other is not None and other.id == req:
                    required[req] = other
        unmet = unmet_requires(m, required)
        if unmet:
            raise Refused(f"cannot start {mid}: it requires {', '.join(unmet)} to be completed "
                          "first")
        if m.status == "paused":
            raise Refused(f"cannot start {mid}: it is paused (use 'kiro-tui resume {mid}')")
        existing = m.session_id
        live = sessions.read_session(self.root, existing) if existing else None
        ctx = self._ctx(actor)
        if live is not None and live.status in ("active", "paused") and m.status == "in_progress":
            sid = live.id
            new = False
        else:
            sid = sessions.session_id_for(mid, ctx.now)
            new = True

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from ruamel.yaml.comments import CommentedMap

            out = Outcome(message=f"{mid}: session {sid} started" if new else
                          f"{mid}: session {sid} continues")
            if norm_milestone_status(doc.get("status")) != "in_progress":
                doc["status"] = "in_progress"
            ex = doc.get("execution")
            if not isinstance(ex, dict):
                doc["execution"] = ex = CommentedMap()
            if not ex.get("started_at"):
                ex["started_at"] = quote_like(c.now, ex, doc)
            ex["session_id"] = quote_like(sid, ex, doc)
            if new:
                out.add("milestone_started", session_id=sid, actor=c.actor, message=out.message)
            return out

        if new:
            sessions.create_session(self.root, mid, sid, ctx.now, ctx.actor)
        out = self.act(mid, fn, ctx.actor, focus_task=TOP_LEVEL)
        atomic_write(self.ms / "active" / "current.txt", f"{mid}\n")
        return out

    def _session_for(self, mid: str) -> str:
        m = self.milestone(mid)
        if m is None:
            raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
        if not m.session_id or sessions.read_session(self.root, m.session_id) is None:
            raise Refused(f"milestone {mid} has no execution session (start it with "
                          f"'kiro-tui start {mid}')")
        return m.session_id

    def pause(self, mid: str, actor: str | None = None) -> Outcome:
        sid = self._session_for(mid)

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            status = norm_milestone_status(doc.get("status"))
            if status == "paused":
                raise Refused(f"milestone {mid} is already paused")
            if status != "in_progress":
                raise Refused(f"cannot pause {mid}: it is {status}, not in_progress")
            doc["status"] = "paused"
            out = Outcome(message=f"{mid}: paused by {c.actor}")
            out.add("session_paused", session_id=sid, actor=c.actor, message=out.message)
            return out

        out = self.act(mid, fn, actor, focus_task=TOP_LEVEL)
        ctx = self._ctx(actor)
        sessions.set_session_status(self.root, sid, "paused", ctx.now, ctx.actor)
        return out

    def resume(self, mid: str, actor: str | None = None) -> Outcome:
        sid = self._session_for(mid)

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            status = norm_milestone_status(doc.get("status"))
            if status != "paused":
                raise Refused(f"cannot resume {mid}: it is {status}, not paused")
            doc["status"] = "in_progress"
            out = Outcome(message=f"{mid}: resumed by {c.actor}")
            out.add("session_resumed", session_id=sid, actor=c.actor, message=out.message)
            return out

        out = self.act(mid, fn, actor, focus_task=TOP_LEVEL)
        ctx = self._ctx(actor)
        sessions.set_session_status(self.root, sid, "active", ctx.now, ctx.actor)
        return out
