"""The coordinator's acting half: applying the roles' actions, with logging and role state.

`Acting` is mixed into `Coordinator` (see coordinator.py for the interface); it holds no state
of its own beyond what `Coordinator.__init__` sets. Actions go through `Workspace` (never
behind its back) and are logged to the role's JSONL file in the driven session; refusals are
remembered, failures are kept per role until the action is no longer proposed; role states
are written to `sessions/<sid>/agents/state.json` only when they change (or when forced); and a
resumed session's role memory is rebuilt from its logs.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from kiro_tui.agents.actions import (
    COMPLETE_MILESTONE,
    COMPLETE_PHASE,
    LOG,
    OPEN_BLOCKER,
    RESOLVE_BLOCKER,
    START_PHASE,
    WRITE_PROGRESS,
    Action,
    Memory,
    remember,
)
from kiro_tui.agents.roles import executor, monitor
from kiro_tui.agents.roles import git as git_role
from kiro_tui.core import clock, events, sessions
from kiro_tui.core.errors import Refused
from kiro_tui.core.ids import ROLES
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Snapshot
from kiro_tui.core.workflow import Outcome, maybe_complete_milestone

ACTOR = "kiro-tui"


class Acting:
    """Action applying for `Coordinator`; the attributes are set by its `__init__`."""

    ws: Workspace
    runner: executor.AgentRunner
    driving: str | None
    session_id: str | None
    writes: int
    _stop: threading.Event | None
    _memory: dict[str, Memory]
    _git: git_role.GitEffects
    _git_steps: int
    _git_idle: str | None
    _failures: dict[str, dict[str, str]]
    _role_errors: dict[str, str]
    _written_roles: dict[str, dict[str, Any]]
    _status: str


    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _apply_all(self, role: str, acts: list[Action], snap: Snapshot) -> int:
        wrote = 0
        proposed = set()
        for a in acts:
            if self._stopping():
                break
            proposed.add(a.key)
            try:
                wrote += self._apply(a)
            except Refused as exc:
                sig = executor.refusal_signature(a, snap)
                remember(self._memory[role], (("refused", a.key, sig),))
                self._log(role, {"event": "action_refused", "task_id": a.task_id,
                                 "phase": a.phase, "message": f"{a.kind} refused: {exc}"})
                wrote += 1
            except Exception as exc:  # a failure the blocker detector reports
                msg = f"{type(exc).__name__}: {exc}"
                mine = self._failures.setdefault(role, {})
                if mine.get(a.key) != msg:
                    mine[a.key] = msg
                    with contextlib.suppress(Exception):
                        self._log(role, {"event": "action_failed", "level": "warning",
                                         "task_id": a.task_id, "phase": a.phase,
                                         "message": f"{a.kind} failed: {msg}"})
                        wrote += 1
            else:
                remember(self._memory[role], a.remember)
                self._failures.get(role, {}).pop(a.key, None)
        if not self._stopping():
            mine = self._failures.get(role, {})
            for key in [k for k in mine if k not in proposed]:
                del mine[key]  # no longer wanted: no longer failing
        if self._failures.get(role):
            self._role_errors[role] = next(reversed(self._failures[role].values()))
        else:
            self._role_errors.pop(role, None)
        return wrote

    def _apply(self, a: Action) -> int:
        ws, mid, sid = self.ws, a.milestone_id or self.driving or "", self.session_id or ""
        path = sessions.role_log_path(ws.root, sid, a.role)
        if a.kind == START_PHASE:
            ws.start_phase(mid, a.task_id or "", a.phase or "", ACTOR, role=a.role,
                           log_path=path)
            m = ws.load().milestone(mid)
            t = m.task(a.task_id or "") if m else None
            if t is not None:
                self.runner.start(t, a.phase or "")
        elif a.kind == COMPLETE_PHASE:
            ws.complete_phase(mid, a.task_id or "", a.phase or "", ACTOR, role=a.role,
                              log_path=path)
        elif a.kind == COMPLETE_MILESTONE:
            def fn(doc: dict[str, Any], c: Any) -> Outcome:
                out = Outcome(message=f"{mid} completed")
                maybe_complete_milestone(doc, c, out)
                return out

            ws.act(mid, fn, ACTOR, role=a.role, log_path=path)
        elif a.kind == WRITE_PROGRESS:
            pct, done, total = a.values
            ws.write_progress(mid, pct, done, total, role=a.role, log_path=path)
        elif a.kind in (LOG, OPEN_BLOCKER, RESOLVE_BLOCKER):
            self._log(a.role, dict(a.record or {}), mid)
        elif a.kind in git_role.KINDS:
            self._git_steps += 1
            self._git.apply(a, sid, lambda rec: self._log(a.role, rec, mid))
        else:
            return 0
        self.writes += 1
        return 1

    def _log(self, role: str, record: dict[str, Any], mid: str | None = None) -> None:
        if not self.session_id:
            return
        self.ws.log(mid or self.driving or "", dict(record), role=role,
                    session_id=self.session_id,
                    path=sessions.role_log_path(self.ws.root, self.session_id, role))

    def _desired(self, status: str) -> dict[str, dict[str, Any]]:
        out = {}
        for role in ROLES:
            st, detail = status, None
            if role == "git_integration" and status in ("running", "starting") and \
                    self._git_idle:
                st, detail = "idle", self._git_idle
            err = self._role_errors.get(role)
            if err and status == "running":
                st = "error"
            out[role] = {"status": st, "last_error": err, "detail": detail}
        return out

    def _write_roles(self, status: str, force: bool = False) -> None:
        if not self.session_id:
            return
        self._status = status
        want = self._desired(status)
        if not force and want == self._written_roles:
            return
        now = clock.now_str()
        sessions.write_role_state(self.ws.root, self.session_id,
                                  {r: {**v, "heartbeat": now} for r, v in want.items()})
        self._written_roles = want

    def _seed_memory(self) -> None:
        """Rebuild what each role already said in this session from its log."""
        if not self.session_id:
            return
        for role in ROLES:
            path = sessions.role_log_path(self.ws.root, self.session_id, role)
            mem = self._memory[role]
            for ev in events.tail(path, 5000).events:
                d = ev.data
                if ev.event == "blocker_detected" and ev.raw.get("blocker_id"):
                    remember(mem, (("open", str(ev.raw["blocker_id"]), ev.raw),))
                elif ev.event == "blocker_resolved" and ev.raw.get("blocker_id"):
                    remember(mem, (("open", str(ev.raw["blocker_id"]), None),))
                elif ev.event in ("task_progress", "milestone_progress") and \
                        isinstance(d.get("progress"), int | float):
                    key = ev.task_id if ev.event == "task_progress" else monitor.MILESTONE_KEY
                    if key:
                        remember(mem, (("logged", key, f"{float(d['progress']):.1f}"),))
                elif ev.event in ("dependency_issue", "dependency_waiting") and d.get("finding"):
                    remember(mem, (("findings", str(d["finding"]), ev.message or ""),))
                elif ev.event == "dependency_cleared" and d.get("finding"):
                    remember(mem, (("findings", str(d["finding"]), None),))
        git_role.seed(self._memory["git_integration"], self.ws.root, self.session_id)
