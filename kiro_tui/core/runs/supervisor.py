"""The RunManager: one object owning every agent run of a driver. The task executor calls it
from the coordinator's thread; its callbacks come from run and reader threads (never while it
holds its lock, so a callback may call back into it). It queues (`RunQueue`), retries
(`RetryPolicy`), pauses and resumes, stops everything on shutdown and recovers after a crash
(`recovery`); it reports an outcome per run and never decides that a phase is complete."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kiro_tui.core.ids import check_id, check_phase
from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.runs import budget as bud
from kiro_tui.core.runs import records
from kiro_tui.core.runs.groups import become_subreaper
from kiro_tui.core.runs.notices import Outcome, RunEvent
from kiro_tui.core.runs.prompt import new_run_id
from kiro_tui.core.runs.queue import RunQueue
from kiro_tui.core.runs.records import RunRecord, Usage
from kiro_tui.core.runs.recovery import adopt_orphans
from kiro_tui.core.runs.request import RunContext, RunRequest
from kiro_tui.core.runs.retry import RetryPolicy
from kiro_tui.core.runs.runner import Run
from kiro_tui.core.runs.settings import ExecutorSettings
from kiro_tui.core.runs.trust import describe, is_trusted

Key = tuple[str, str, str]
Refresh = Callable[[str, str], tuple[Milestone, Task] | None]


@dataclass(frozen=True, slots=True)
class ActiveRun:
    run_id: str
    status: str  # queued | running | verifying
    frozen: bool
    usage: Usage
    retries: int


@dataclass(frozen=True, slots=True)
class _Paused:
    req: RunRequest
    run_id: str


class RunManager:
    def __init__(
        self,
        root: Path,
        settings: ExecutorSettings,
        *,
        on_event: Callable[[RunEvent], None] | None = None,
        on_outcome: Callable[[Outcome, RunRequest], None] | None = None,
        environ: Mapping[str, str] | None = None,
        state_dir: Path | None = None,
        rng: random.Random | None = None,
        reap_orphans: bool = True,
    ) -> None:
        self.root = Path(root)
        self.settings = settings
        self._on_event = on_event
        self._on_outcome = on_outcome
        self._state_dir = state_dir
        self._retry = RetryPolicy(settings.retries, rng)
        self._lock = threading.RLock()
        self._runs: dict[str, Run] = {}
        self._queue = RunQueue()
        self._paused = False
        self._paused_runs: list[_Paused] = []
        self._outcomes: dict[str, Outcome] = {}
        self._closing = False
        self.callback_errors: list[BaseException] = []
        if reap_orphans:
            become_subreaper()
        self._ctx = RunContext(
            root=self.root,
            settings=settings,
            environ=dict(os.environ if environ is None else environ),
            host=records.hostname(),
            driver_pid=os.getpid(),
            driver_start_time=records.proc_start_time(os.getpid()),
            spend=self._spend,
            emit=self._emit,
        )

    # -------------------------------------------------------------- callbacks

    def _emit(self, ev: RunEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(ev)
        except Exception as exc:  # the caller's bug must not kill a reader thread
            self.callback_errors.append(exc)

    def _spend(self, req: RunRequest, exclude: str) -> tuple[bud.Spend, bud.Spend]:
        with self._lock:
            live = {
                rid: (r.usage, r.proc.running_seconds())
                for rid, r in self._runs.items()
                if rid != exclude and r.record.live and r.proc is not None
            }
        return bud.spend_now(self.root, req.key, exclude, live)

    # -------------------------------------------------------------- starting

    def start(
        self,
        milestone: Milestone,
        task: Task,
        phase: str,
        resume_of: str | None = None,
        reason: str | None = None,
    ) -> str:
        """Queue a run of `phase` of `task`; returns its run id (the active one when that
        phase already has a run queued, running or verifying)."""
        check_id(milestone.id, "milestone id")
        check_id(task.id, "task id")
        check_phase(phase)
        if task.phase(phase) is None:
            raise ValueError(f"task {task.id} has no phase {phase}")
        req = RunRequest(milestone, task, phase, resume_of=resume_of, reason=reason)
        with self._lock:
            existing = self._active_id(req.key)
            if existing is not None:
                return existing
            if self._closing:
                raise RuntimeError("the run manager is shut down")
        return self._submit(req)

    def _submit(self, req: RunRequest, delay: float = 0.0) -> str:
        run_id = new_run_id(self.root, *req.key)
        run = Run(self._ctx, req, run_id)
        if not is_trusted(self.root, self.settings, state_dir=self._state_dir):
            out = run.refuse_untrusted(describe(self.root, self.settings))
            with self._lock:
                self._runs[run_id] = run
            self._settle(run, out)
            return run_id
        run.emit("run_queued", "queued", retries=req.retries, resume_of=req.resume_of)
        with self._lock:
            self._runs[run_id] = run
            if delay > 0:
                self._queue.push_later(run_id, delay, self._enqueue)
            else:
                self._queue.push(run_id)
        self._pump()
        return run_id

    def _enqueue(self, run_id: str) -> None:
        with self._lock:
            if not self._queue.due(run_id):
                return  # cancelled meanwhile
        self._pump()

    def _pump(self) -> None:
        to_start: list[Run] = []
        with self._lock:
            if self._paused or self._closing:
                return
            ids = self._queue.take(self.settings.concurrency, lambda i: self._runs[i].req.phase)
            to_start = [self._runs[i] for i in ids]
        for run in to_start:
            threading.Thread(
                target=self._thread, args=(run,), daemon=True, name=f"run-{run.run_id}"
            ).start()

    def _thread(self, run: Run) -> None:
        try:
            out = run.execute()
        except Exception as exc:  # a bug in a run must still settle it
            out = run.finish("failed", "failed", f"internal error: {exc!r}")
        with self._lock:
            self._queue.finished(run.run_id)
        self._settle(run, out)
        self._pump()

    def _settle(self, run: Run, out: Outcome) -> None:
        """After a run ended: retry, keep for resume after a pause, or report it final."""
        req = run.req
        retry: RunRequest | None = None
        delay = 0.0
        with self._lock:
            blocked = self._closing
            if out.status == "stopped" and run.record.stop_reason == "pause" and not blocked:
                self._paused_runs.append(_Paused(req, run.run_id))
                out = replace(out, final=False)
            elif not blocked and (got := self._retry.retry(req, out)) is not None:
                retry, delay = got
            if retry is not None:
                out = replace(out, final=False, retry_in=round(delay, 3))
            self._outcomes[run.run_id] = out
        self._emit(
            RunEvent(
                "run_finished",
                run.run_id,
                req.milestone.id,
                req.task.id,
                req.phase,
                f"{out.status}: {out.reason}",
                out.as_data(),
            )
        )
        if retry is not None:
            self._emit(
                RunEvent(
                    "run_retry_scheduled",
                    run.run_id,
                    req.milestone.id,
                    req.task.id,
                    req.phase,
                    f"retry {retry.retries} in {delay:.1f} s",
                    {"delay": delay, "attempt": retry.retries},
                )
            )
            self._submit(retry, delay)
        if self._on_outcome is not None:
            try:
                self._on_outcome(out, req)
            except Exception as exc:
                self.callback_errors.append(exc)
        run.done.set()

    # -------------------------------------------------------------- stopping

    def stop(
        self, run_id: str, reason: str = "user", *, wait: bool = False, timeout: float | None = None
    ) -> bool:
        """Stop one run (queued, waiting for a retry, running or verifying). False when it is
        unknown or already over."""
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.done.is_set():
                return False
            queued = self._queue.cancel(run_id)
            started = self._queue.is_running(run_id)
        if queued and not started:
            self._settle(run, run.cancel_queued(reason))
        else:
            run.request_stop(reason)
            if wait:
                run.done.wait(timeout)
        return True

    def stop_all(
        self, reason: str = "shutdown", *, wait: bool = True, timeout: float | None = None
    ) -> list[str]:
        with self._lock:
            if reason == "shutdown":
                self._closing = True
            ids = [rid for rid, r in self._runs.items() if not r.done.is_set()]
            self._paused_runs = [] if reason == "shutdown" else self._paused_runs
        for rid in ids:
            self.stop(rid, reason)
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for rid in ids:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                self._runs[rid].done.wait(left)
        return ids

    def close(self, timeout: float | None = None) -> None:
        """Stop every agent (reason `shutdown`): nothing keeps running detached."""
        self.stop_all("shutdown", wait=True, timeout=timeout)

    # -------------------------------------------------------------- pause and resume

    def pause_all(self, *, wait: bool = True, timeout: float | None = None) -> list[str]:
        """Pause: a graceful stop that keeps the agents' session ids for `resume_all`, or with
        `pause: {mode: freeze}` a SIGSTOP of each group (a stop after `freeze_max`). Queued runs
        wait. Returns the run ids paused."""
        with self._lock:
            self._paused = True
            running = [self._runs[i] for i in self._queue.running()]
        if self.settings.pause.mode == "freeze":
            return [r.run_id for r in running if r.freeze(self.settings.pause.freeze_max)]
        for r in running:
            r.request_stop("pause")
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for r in running:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                r.done.wait(left)
        return [r.run_id for r in running]

    def resume_all(self, refresh: Refresh | None = None) -> list[str]:
        """Thaw frozen runs, and start again every run a pause stopped, through its CLI's resume
        (with the list of deliverables already present). `refresh(mid, tid)` gives the current
        milestone and task (None: drop that run). Returns the new run ids."""
        with self._lock:
            self._paused = False
            entries, self._paused_runs = self._paused_runs, []
            running = [self._runs[i] for i in self._queue.running()]
        for r in running:
            r.thaw()
        out = []
        for e in entries:
            m, t = e.req.milestone, e.req.task
            if refresh is not None:
                got = refresh(m.id, t.id)
                if got is None:
                    continue
                m, t = got
            out.append(
                self._submit(
                    RunRequest(
                        m,
                        t,
                        e.req.phase,
                        resume_of=e.run_id,
                        reason=e.req.reason,
                        retries=e.req.retries,
                    )
                )
            )
        self._pump()
        return out

    @property
    def paused(self) -> bool:
        return self._paused

    # -------------------------------------------------------------- looking

    def _active_id(self, key: Key) -> str | None:
        for rid, r in self._runs.items():
            if r.req.key == key and not r.done.is_set():
                return rid
        return None

    def active(self) -> dict[Key, ActiveRun]:
        """The runs queued (or waiting for a retry), running or verifying, by phase."""
        with self._lock:
            return {
                r.req.key: ActiveRun(rid, r.status, r.frozen, r.usage, r.req.retries)
                for rid, r in self._runs.items()
                if not r.done.is_set()
            }

    def is_busy(self, milestone_id: str, task_id: str, phase: str) -> bool:
        """Whether that phase has a run that is not over (queued, retrying, running,
        verifying, or stopped by a pause and waiting for `resume_all`): while it is, the
        executor must not complete the phase."""
        key = (milestone_id, task_id, phase)
        with self._lock:
            return self._active_id(key) is not None or any(
                p.req.key == key for p in self._paused_runs
            )

    def outcome(self, run_id: str) -> Outcome | None:
        with self._lock:
            return self._outcomes.get(run_id)

    def wait(self, run_id: str, timeout: float | None = None) -> Outcome | None:
        """Block until `run_id` ended (not its retries); its outcome."""
        run = self._runs.get(run_id)
        if run is None:
            return None
        run.done.wait(timeout)
        return self.outcome(run_id)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no run is queued, retrying or running (retries included)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [r for r in self._runs.values() if not r.done.is_set()]
            if not pending:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            pending[0].done.wait(left)

    def final_outcome(self, run_id: str, timeout: float = 60.0) -> Outcome | None:
        """Follow `run_id` through its retries to the last outcome."""
        deadline = time.monotonic() + timeout
        out = self.wait(run_id, timeout)
        while out is not None and not out.final:
            with self._lock:
                nxt = [rid for rid, r in self._runs.items() if r.req.retry_of == run_id]
            if not nxt:
                return out
            run_id = nxt[0]
            out = self.wait(run_id, max(0.0, deadline - time.monotonic()))
        return out

    # -------------------------------------------------------------- crash recovery

    def adopt_orphans(self) -> list[RunRecord]:
        """Stop the still-alive agents of runs a crashed driver on this host left behind and
        mark those runs interrupted (see `recovery.adopt_orphans`)."""
        return adopt_orphans(self.root, self.settings.stop, self._emit)
