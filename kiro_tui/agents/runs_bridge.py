"""The task executor's agents: one `RunManager` per driven workspace, and what its runs' ends
mean for the phases, applied through the `Workspace` service.

    bridge = RunsBridge(ws)            # or make_runner(ws): a NoopRunner without `executor:`
    bridge.bind(coord.wake)            # an outcome wakes the coordinator's loop
    bridge.begin(mid, session_id)      # driving starts: adopt a crashed driver's runs
    bridge.start(milestone, task, ph)  # the executor's RUN_PHASE (not while a run is busy)
    bridge.runs()                      # {(mid, tid, phase): status} of the busy phases
    bridge.settle()                    # in the coordinator's thread: apply finished runs
    bridge.suspend() / resume()        # the milestone paused / resumed
    bridge.stop()                      # driving stops (quit, `run` ends): every agent stops

Outcomes: verified success completes the phase (to `waiting_approval` at a gate); any other
final end blocks it with a `blocked_reason` and a blocker (`core.run_blockers`), and a budget
overrun also pauses the milestone. Runs a pause or shutdown stopped are resumed through their
agent's session on the next run of that phase; so is a rejected phase's run (with the
reviewer's reason in the prompt). Run events go to the session's `execution.jsonl`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiro_tui.agents.roles.executor import AgentRunner, NoopRunner
from kiro_tui.core import run_blockers, sessions
from kiro_tui.core.errors import KiroError, Refused
from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.runs import control, records
from kiro_tui.core.runs.notices import Outcome, RunEvent
from kiro_tui.core.runs.request import RunRequest
from kiro_tui.core.runs.settings import ExecutorSettings
from kiro_tui.core.runs.settings_parse import load_settings
from kiro_tui.core.runs.supervisor import RunManager
from kiro_tui.core.runs.trust import describe
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Blocker

ACTOR = "kiro-tui"
ROLE = "task_executor"
QUIET = ("agent_text",)  # the agent's prose stays in raw.jsonl (the run view shows it)
Key = tuple[str, str, str]


def make_runner(ws: Workspace) -> AgentRunner:
    """Agents do the phases' work when an `executor:` mapping is set (repository or user
    config); otherwise people do, and the executor completes a phase when its files are there."""
    return RunsBridge(ws) if ws.config.executor else NoopRunner()


class RunsBridge:
    enabled = True

    def __init__(
        self,
        ws: Workspace,
        *,
        settings: ExecutorSettings | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.ws = ws
        self._settings = settings
        self._environ = environ
        self._wake: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self._mgr: RunManager | None = None
        self.milestone_id: str | None = None
        self.session_id: str | None = None
        self._pending: dict[Key, tuple[Outcome, RunRequest]] = {}  # final, not yet applied
        self._paused: set[Key] = set()  # stopped by a pause, resumed by `resume`
        self._failures: dict[Key, run_blockers.Failure] = {}
        self.problems: list[str] = []  # the settings' problems, one line each

    # ------------------------------------------------------------------ wiring
    def bind(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    @property
    def manager(self) -> RunManager:
        if self._mgr is None:
            self._mgr = RunManager(
                self.ws.root,
                self._settings or self._load(),
                on_event=self._on_event,
                on_outcome=self._on_outcome,
                environ=self._environ,
            )
        return self._mgr

    def _load(self) -> ExecutorSettings:
        settings, problems = load_settings(self.ws.root)
        lines = [str(p) for p in problems]
        if lines != self.problems:
            for line in lines:
                self._log({"event": "executor_config", "level": "warning", "message": line})
        self.problems = lines
        return settings

    def _reload(self) -> None:
        """The settings as the files say now: an edited config takes effect (and needs
        trust again) for the next run, once no run of the old settings is going on."""
        if self._settings is not None or self._mgr is None or self._mgr.active():
            return
        fresh = self._load()
        if fresh != self._mgr.settings:
            self._mgr.close()
            self._mgr = None

    def begin(self, milestone_id: str, session_id: str) -> None:
        """Driving `milestone_id` starts: stop and mark interrupted what a crashed driver
        left running (its phases resume through their runs' sessions)."""
        self.milestone_id, self.session_id = milestone_id, session_id
        self._failures = run_blockers.failures_on_disk(self.ws.root, milestone_id)
        self.manager.adopt_orphans()

    # ------------------------------------------------------------------ starting
    def start(self, milestone: Milestone, task: Task, phase: str) -> None:
        key = (milestone.id, task.id, phase)
        ph = task.phase(phase)
        rejected = bool(ph and ph.rejected_at and ph.rejection_reason)
        latest = run_blockers.latest_runs(self.ws.root, milestone.id).get(key)
        resume_of = run_blockers.resumable(latest, after_rejection=rejected)
        reason = ph.rejection_reason if rejected and ph else None
        with self._lock:
            self._failures.pop(key, None)
        self._reload()
        self.manager.start(milestone, task, phase, resume_of=resume_of, reason=reason)

    # ------------------------------------------------------------------ looking
    def runs(self) -> dict[Key, str]:
        """The phases whose run is not over, with its status (`paused` for a run a pause
        stopped; `settling` for one whose end is not applied yet)."""
        out: dict[Key, str] = {}
        if self._mgr is not None:
            out.update({k: a.status for k, a in self._mgr.active().items()})
        with self._lock:
            out.update({k: "paused" for k in self._paused if k not in out})
            out.update({k: "settling" for k in self._pending if k not in out})
        return out

    def blockers(self) -> tuple[Blocker, ...]:
        with self._lock:
            return tuple(run_blockers.blocker(k, self._failures[k]) for k in sorted(self._failures))

    # ------------------------------------------------------------------ callbacks (threads)
    def _on_event(self, ev: RunEvent) -> None:
        if ev.kind in QUIET:
            return
        self._log(ev.log_record(self.session_id), ev.milestone_id)

    def _on_outcome(self, out: Outcome, req: RunRequest) -> None:
        with self._lock:
            if not out.final:
                if out.retry_in is None:  # a pause stopped it: it waits for `resume`
                    self._paused.add(req.key)
                return
            self._paused.discard(req.key)
            self._pending[req.key] = (out, req)
        self._wake()

    # ------------------------------------------------------------------ applying
    def settle(self) -> int:
        """Apply the ends of the runs that finished (the coordinator's thread). Returns the
        number of writes."""
        self._stop_requested()
        with self._lock:
            items, self._pending = list(self._pending.items()), {}
        n = 0
        for key, (out, req) in items:
            try:
                n += self._apply(key, out, req)
            except KiroError as exc:
                self._log(
                    {
                        "event": "run_outcome_failed",
                        "level": "warning",
                        "task_id": key[1],
                        "phase": key[2],
                        "message": f"the end of run {out.run_id} could not be applied: {exc}",
                    },
                    key[0],
                )
                n += 1
        return n

    def _stop_requested(self) -> None:
        """Stop the runs someone asked to stop (`control.request_stop`, e.g. the dashboard's
        run view, from any process): one stat per active run."""
        if self._mgr is None:
            return
        active = {a.run_id: k for k, a in self._mgr.active().items()}
        for rid in control.take_stop_requests(self.ws.root, active):
            key = active[rid]
            self._log(
                {
                    "event": "run_stop_requested",
                    "task_id": key[1],
                    "phase": key[2],
                    "message": f"run {rid}: a stop was asked for; stopping the agent",
                },
                key[0],
            )
            self._mgr.stop(rid, "user")

    def _apply(self, key: Key, out: Outcome, req: RunRequest) -> int:
        mid, tid, phase = key
        kw: dict[str, Any] = {"role": ROLE, "log_path": self._role_log()}
        if not self._in_progress(key):  # moved meanwhile (by a person): the run's end is moot
            self._log(
                {
                    "event": "run_outcome_ignored",
                    "task_id": tid,
                    "phase": phase,
                    "message": f"run {out.run_id} ended {out.status}, but {tid} {phase} is "
                    "no longer in progress: nothing changed",
                },
                mid,
            )
            return 1
        if out.status == "succeeded":
            try:
                self.ws.complete_phase(mid, tid, phase, ACTOR, **kw)
                return 1
            except Refused as exc:
                return self._block(key, run_blockers.failure(out.run_id, "failed", str(exc)), kw)
        if out.status == "stopped" and out.kind == "stopped" and self._stopping_reason(out):
            return 0  # shutdown: the next driver resumes it
        lines = out.verify_tail
        if out.kind == "executor_untrusted":
            lines = tuple(describe(self.ws.root, self.manager.settings))
        return self._block(key, run_blockers.failure(out.run_id, out.kind, out.reason, lines), kw)

    def _in_progress(self, key: Key) -> bool:
        m = self.ws.milestone(key[0])
        t = m.task(key[1]) if m else None
        ph = t.phase(key[2]) if t else None
        return ph is not None and ph.status == "in_progress"

    def _stopping_reason(self, out: Outcome) -> bool:
        rec = records.read(self.ws.root, out.run_id)
        return rec is not None and rec.stop_reason in ("shutdown", "pause")

    def _block(self, key: Key, f: run_blockers.Failure, kw: dict[str, Any]) -> int:
        mid, tid, phase = key
        with self._lock:
            self._failures[key] = f
        n = 0
        with contextlib.suppress(Refused):  # no longer active (someone moved it meanwhile)
            self.ws.block(mid, tid, phase, f.reason, ACTOR, **kw)
            n += 1
        if f.pauses_milestone:
            with contextlib.suppress(Refused):
                self.ws.pause(mid, ACTOR)
                n += 1
        return n

    # ------------------------------------------------------------------ pause, stop
    def suspend(self) -> None:
        if self._mgr is not None:
            self._mgr.pause_all(wait=False)

    def resume(self) -> None:
        if self._mgr is None:
            return
        with self._lock:
            self._paused.clear()
        self._mgr.resume_all(self._refresh)

    def _refresh(self, mid: str, tid: str) -> tuple[Milestone, Task] | None:
        with contextlib.suppress(KiroError):
            m = self.ws.milestone(mid)
            t = m.task(tid) if m else None
            if m is not None and t is not None and not m.finished:
                return m, t
        return None

    def stop(self) -> None:
        """Stop every agent (reason `shutdown`) and forget the manager: nothing outlives the
        driver. A later `begin` makes a new one."""
        mgr, self._mgr = self._mgr, None
        if mgr is not None:
            mgr.close()
        with self._lock:
            self._pending.clear()
            self._paused.clear()

    # ------------------------------------------------------------------ logging
    def _role_log(self) -> Path | None:
        if not self.session_id:
            return None
        return sessions.role_log_path(self.ws.root, self.session_id, ROLE)

    def _log(self, record: dict[str, Any], mid: str | None = None) -> None:
        mid = mid or self.milestone_id
        if not mid or not self.session_id:
            return
        with contextlib.suppress(Exception):  # a log line must never kill a reader thread
            self.ws.log(
                mid,
                dict(record),
                role=ROLE,
                session_id=self.session_id,
                path=self._role_log(),
            )
