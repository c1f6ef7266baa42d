"""Actions -> Workspace calls, with logging, memory, failures and the roles' states.

`ActionApplier` owns, for the session it drives: each role's memory (rebuilt from the role's log
on a resumed session), the failures per role (kept until the action is no longer proposed),
and the role states, kept in memory and merged into `sessions/<sid>/agents/state.json` only
when they change (or when forced: heartbeat, start, stop). Every action goes through the
Workspace (never behind its back) and is logged to the role's JSONL file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from kiro_tui.agents.actions import (
    COMPLETE_MILESTONE,
    COMPLETE_PHASE,
    LOG,
    OPEN_BLOCKER,
    RESOLVE_BLOCKER,
    RUN_PHASE,
    START_PHASE,
    WRITE_PROGRESS,
    Action,
    LogLine,
    Memory,
    Progress,
    remember,
)
from kiro_tui.agents.roles import executor, monitor
from kiro_tui.agents.roles import git as git_role
from kiro_tui.core import events, sessions
from kiro_tui.core.errors import Refused
from kiro_tui.core.ids import ROLES
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import RoleStatus, Snapshot

ACTOR = "kiro-tui"
_STEP = {START_PHASE: "start", COMPLETE_PHASE: "complete"}


def _phase_group(acts: list[Action], i: int) -> list[Action]:
    """`acts[i]` and the phase starts/completions of the same milestone right after it."""
    first = acts[i]
    if first.kind not in _STEP:
        return [first]
    j = i + 1
    while j < len(acts) and acts[j].kind in _STEP and acts[j].milestone_id == first.milestone_id:
        j += 1
    return acts[i:j]


class ActionApplier:
    """Applies the roles' actions for one driven session at a time (see `start`)."""

    def __init__(self, ws: Workspace, runner: executor.AgentRunner) -> None:
        self.ws = ws
        self.runner = runner
        self.git = git_role.GitEffects(ws)
        self.milestone_id: str | None = None
        self.session_id: str | None = None
        self.memory: dict[str, Memory] = {r: {} for r in ROLES}
        self.writes = 0  # actions that wrote something (for tests and the bench)
        self.git_steps = 0  # git steps applied since the builder last read the repository
        self._failures: dict[str, dict[str, str]] = {}  # role -> action key -> error
        self._role_errors: dict[str, str] = {}
        self._git_idle: str | None = git_role.IDLE_REASON
        self._status = "starting"
        self._states: dict[str, RoleStatus] = {}
        self._written: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ session
    def start(self, milestone_id: str, session_id: str) -> None:
        """Begin applying for `session_id`: fresh memory, rebuilt from the session's logs."""
        self.milestone_id, self.session_id = milestone_id, session_id
        self.memory = {r: {} for r in ROLES}
        self._failures, self._role_errors, self._written = {}, {}, {}
        self._seed_memory()

    def stop(self) -> None:
        self.milestone_id = self.session_id = None

    @property
    def failures(self) -> Mapping[str, str]:
        """`"<role> <action key>" -> error` for the snapshot."""
        return MappingProxyType(
            {
                f"{role} {key}": err
                for role, keys in self._failures.items()
                for key, err in keys.items()
            }
        )

    @property
    def roles(self) -> Mapping[str, RoleStatus]:
        """The role states as last set (in memory; the file is written only on change)."""
        return MappingProxyType(dict(self._states))

    # ------------------------------------------------------------------ applying
    def apply_all(
        self, role: str, acts: list[Action], snap: Snapshot, stopping: Callable[[], bool]
    ) -> int:
        wrote = 0
        proposed = set()
        i = 0
        while i < len(acts) and not stopping():
            group = _phase_group(acts, i)
            i += len(group)
            if len(group) > 1:  # a burst: one write of the milestone file for all of them
                results = self._apply_steps(group)
            else:
                try:
                    results = [(self._apply(group[0]), None)]
                except Exception as exc:
                    results = [(0, exc)]
            for a, (done, err) in zip(group, results, strict=True):
                proposed.add(a.key)
                wrote += done + self._settle(role, a, err, snap)
        if not stopping():
            mine = self._failures.get(role, {})
            for key in [k for k in mine if k not in proposed]:
                del mine[key]  # no longer wanted: no longer failing
        if self._failures.get(role):
            self._role_errors[role] = next(reversed(self._failures[role].values()))
        else:
            self._role_errors.pop(role, None)
        return wrote

    def _settle(self, role: str, a: Action, err: BaseException | None, snap: Snapshot) -> int:
        """Remember, log or report one action's result; the log lines written (0 or 1)."""
        if err is None:
            remember(self.memory[role], a.remember)
            self._failures.get(role, {}).pop(a.key, None)
            return 0
        if isinstance(err, Refused):
            sig = executor.refusal_signature(a, snap)
            remember(self.memory[role], (("refused", a.key, sig),))
            self.log(
                role,
                {
                    "event": "action_refused",
                    "task_id": a.task_id,
                    "phase": a.phase,
                    "message": f"{a.kind} refused: {err}",
                },
            )
            return 1
        msg = f"{type(err).__name__}: {err}"  # a failure the blocker detector reports
        mine = self._failures.setdefault(role, {})
        if mine.get(a.key) == msg:
            return 0
        mine[a.key] = msg
        with contextlib.suppress(Exception):
            self.log(
                role,
                {
                    "event": "action_failed",
                    "level": "warning",
                    "task_id": a.task_id,
                    "phase": a.phase,
                    "message": f"{a.kind} failed: {msg}",
                },
            )
            return 1
        return 0

    def _apply_steps(self, group: list[Action]) -> list[tuple[int, BaseException | None]]:
        """Phase starts and completions of one milestone, applied in one edit."""
        ws, a0, sid = self.ws, group[0], self.session_id or ""
        mid = a0.milestone_id or self.milestone_id or ""
        steps = [(_STEP[a.kind], a.task_id or "", a.phase or "") for a in group]
        path = sessions.role_log_path(ws.root, sid, a0.role)
        try:
            errors: list[BaseException | None] = list(
                ws.phase_steps(mid, steps, ACTOR, role=a0.role, log_path=path)
            )
        except Exception as exc:
            return [(0, exc)] * len(group)
        self.writes += sum(e is None for e in errors)  # agents start with RUN_PHASE
        return [(int(e is None), e) for e in errors]

    def _apply(self, a: Action) -> int:
        ws, mid, sid = self.ws, a.milestone_id or self.milestone_id or "", self.session_id or ""
        path = sessions.role_log_path(ws.root, sid, a.role)
        if a.kind == START_PHASE:
            ws.start_phase(mid, a.task_id or "", a.phase or "", ACTOR, role=a.role, log_path=path)
        elif a.kind == RUN_PHASE:
            m = ws.milestone(mid)  # fresh: the run's prompt is made from what the file says
            t = m.task(a.task_id or "") if m else None
            if m is None or t is None:
                return 0
            self.runner.start(m, t, a.phase or "")
        elif a.kind == COMPLETE_PHASE:
            ws.complete_phase(
                mid, a.task_id or "", a.phase or "", ACTOR, role=a.role, log_path=path
            )
        elif a.kind == COMPLETE_MILESTONE:
            ws.complete_milestone(mid, ACTOR, role=a.role, log_path=path)
        elif a.kind == WRITE_PROGRESS and isinstance(a.payload, Progress):
            p = a.payload
            ws.write_progress(mid, p.percentage, p.completed, p.total, role=a.role, log_path=path)
        elif a.kind in (LOG, OPEN_BLOCKER, RESOLVE_BLOCKER) and isinstance(a.payload, LogLine):
            self.log(a.role, dict(a.payload.record), mid)
        elif a.kind in git_role.KINDS:
            self.git_steps += 1
            self.git.apply(a, sid, lambda rec: self.log(a.role, rec, mid))
        else:
            return 0
        self.writes += 1
        return 1

    def log(self, role: str, record: dict[str, Any], mid: str | None = None) -> None:
        if not self.session_id:
            return
        self.ws.log(
            mid or self.milestone_id or "",
            dict(record),
            role=role,
            session_id=self.session_id,
            path=sessions.role_log_path(self.ws.root, self.session_id, role),
        )

    def log_driver_started(self, takeover_note: str | None = None) -> None:
        """The executor's log: this process drives the session (and took it over, if so)."""
        pid = os.getpid()
        self.log(
            "task_executor",
            {
                "event": "driver_started",
                "message": f"pid {pid} drives session {self.session_id}",
                "data": {"pid": pid},
            },
        )
        if takeover_note:
            self.log(
                "task_executor",
                {"event": "driver_takeover", "level": "warning", "message": takeover_note},
            )

    def log_driver_stopped(self, *, taken_over: bool) -> None:
        why = ": taken over" if taken_over else ""
        self.log(
            "task_executor",
            {"event": "driver_stopped", "message": f"pid {os.getpid()} stopped driving{why}"},
        )

    # ------------------------------------------------------------------ role states
    def note_git_idle(self, snap: Snapshot) -> None:
        self._git_idle = git_role.idle_reason(snap)

    def set_status(self, status: str, *, force: bool = False) -> None:
        """Every role's state for `status`; written to state.json when it changed (or forced:
        the heartbeat renews each role's `heartbeat` there)."""
        if not self.session_id:
            return
        self._status = status
        want: dict[str, dict[str, Any]] = {}
        for role in ROLES:
            st, detail = status, None
            if role == "git_integration" and status in ("running", "starting") and self._git_idle:
                st, detail = "idle", self._git_idle
            err = self._role_errors.get(role)
            if err and status == "running":
                st = "error"
            want[role] = {"status": st, "last_error": err, "detail": detail}
        if not force and want == self._written:
            return
        now = self.ws.clock.now_str()
        self.ws.write_role_state(
            self.session_id, {r: {**v, "heartbeat": now} for r, v in want.items()}
        )
        self._written = want
        self._states = {
            r: RoleStatus(r, v["status"], now, v["last_error"], v["detail"])
            for r, v in want.items()
        }

    def renew(self) -> None:
        """The heartbeat: write the current states again with a fresh `heartbeat`."""
        self.set_status(self._status, force=True)

    # ------------------------------------------------------------------ memory
    def _seed_memory(self) -> None:
        """Rebuild what each role already said in this session from its log."""
        if not self.session_id:
            return
        for role in ROLES:
            path = sessions.role_log_path(self.ws.root, self.session_id, role)
            mem = self.memory[role]
            for ev in events.tail(path, 5000).events:
                d = ev.data
                if ev.event == "blocker_detected" and ev.raw.get("blocker_id"):
                    remember(mem, (("open", str(ev.raw["blocker_id"]), ev.raw),))
                elif ev.event == "blocker_resolved" and ev.raw.get("blocker_id"):
                    remember(mem, (("open", str(ev.raw["blocker_id"]), None),))
                elif ev.event in ("task_progress", "milestone_progress") and isinstance(
                    d.get("progress"), int | float
                ):
                    key = ev.task_id if ev.event == "task_progress" else monitor.MILESTONE_KEY
                    if key:
                        remember(mem, (("logged", key, f"{float(d['progress']):.1f}"),))
                elif ev.event in ("dependency_issue", "dependency_waiting") and d.get("finding"):
                    remember(mem, (("findings", str(d["finding"]), ev.message or ""),))
                elif ev.event == "dependency_cleared" and d.get("finding"):
                    remember(mem, (("findings", str(d["finding"]), None),))
        git_role.seed(self.memory["git_integration"], self.ws.root, self.session_id)
