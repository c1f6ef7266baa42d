"""One run from start to outcome: prompt, record, spawn, watch (timeouts, budget, freeze),
parse, classify, then the verdict (deliverables and verify, see `judge`). Runs in a thread of
its own; `request_stop`, `freeze` and `thaw` may be called from any thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from kiro_tui.core import deliverables as dl
from kiro_tui.core.runs import records
from kiro_tui.core.runs.budget_guard import BudgetGuard
from kiro_tui.core.runs.classify import End, classify
from kiro_tui.core.runs.dialects import parser_for
from kiro_tui.core.runs.environment import run_env
from kiro_tui.core.runs.journal import RunJournal
from kiro_tui.core.runs.judge import Workspace, judge
from kiro_tui.core.runs.notices import EventKind, Outcome, OutcomeStatus
from kiro_tui.core.runs.output import Line, RawLog
from kiro_tui.core.runs.presets import Invocation, PresetError, build_argv, lookup
from kiro_tui.core.runs.pricing import Pricer
from kiro_tui.core.runs.process import AgentProcess
from kiro_tui.core.runs.prompt import compose, deliverable_paths, write_prompt
from kiro_tui.core.runs.records import RunRecord, Usage, now_iso
from kiro_tui.core.runs.request import RunContext, RunRequest
from kiro_tui.core.runs.stream import StreamEvent
from kiro_tui.core.runs.watchdog import FOREVER, Limits, due


class Run:
    def __init__(self, ctx: RunContext, req: RunRequest, run_id: str) -> None:
        self.ctx = ctx
        self.req = req
        self.run_id = run_id
        self.parser = parser_for("text")
        self.proc: AgentProcess | None = None
        self.outcome: Outcome | None = None
        self._lock = threading.RLock()
        self._parse_lock = threading.Lock()
        self._wake = threading.Event()
        self._cancel = threading.Event()
        self._stop_reason: str | None = None
        self._result_at: float | None = None
        self._last_meta = 0.0
        self._freeze_at: float | None = None
        self.done = threading.Event()
        self.journal = RunJournal(ctx, req, run_id)
        self.budget = BudgetGuard(
            self.journal, ctx.settings.budget_for(req.phase), lambda: ctx.spend(req, run_id)
        )
        self.pricer = Pricer(ctx.settings)

    # -------------------------------------------------------------- thread-safe controls

    @property
    def record(self) -> RunRecord:
        return self.journal.record

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def usage(self) -> Usage:
        """The agent's usage so far, its cost from the price table when it reports none."""
        s = self.parser.summary
        return self.pricer.usage(s.usage, s.model)

    @property
    def session_id(self) -> str | None:
        return self.parser.summary.session_id or self.record.session_id

    @property
    def frozen(self) -> bool:
        return self.proc is not None and self.proc.frozen

    def request_stop(self, reason: str) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
        self._cancel.set()
        self._wake.set()

    def freeze(self, max_seconds: float) -> bool:
        proc = self.proc
        if proc is None or proc.exited or self.record.status != "running":
            return False
        proc.freeze()
        self._freeze_at = time.monotonic() + max_seconds
        self.emit("run_frozen", "agent frozen (SIGSTOP)")
        self._wake.set()
        return True

    def thaw(self) -> None:
        proc = self.proc
        if proc is not None and proc.frozen:
            proc.thaw()
            self._freeze_at = None
            self.emit("run_thawed", "agent thawed (SIGCONT)")
            self._wake.set()

    def cancel_queued(self, reason: str) -> Outcome:
        """End a run that never started."""
        return self.finish(
            "stopped", "stopped", f"stopped before it started ({reason})", stop_reason=reason
        )

    def refuse_untrusted(self, lines: list[str]) -> Outcome:
        """End a run that the repository's untrusted executor settings forbid to start;
        `lines` are what `kiro-tui trust --show` would list."""
        self.emit(
            "executor_untrusted",
            "the repository's executor settings are not trusted: "
            "run `kiro-tui trust` after reviewing them",
            lines=lines,
        )
        return self.finish(
            "blocked", "executor_untrusted", "executor settings not trusted (kiro-tui trust --show)"
        )

    # -------------------------------------------------------------- records and events

    def emit(self, kind: EventKind, message: str = "", **data: Any) -> None:
        """Report an event of this run to the manager's caller."""
        self.journal.emit(kind, message, **data)

    def finish(
        self,
        status: OutcomeStatus,
        kind: str,
        reason: str,
        *,
        end: End | None = None,
        stop_reason: str | None = None,
        verify_tail: tuple[str, ...] = (),
        exit_code: int | None = None,
    ) -> Outcome:
        """End the run as `status`/`kind`: write the final record and keep the outcome."""
        s = self.parser.summary
        started = self.record.started_at
        duration = None
        if self.proc is not None:
            duration = round(self.proc.running_seconds(), 3)
        rec_status = {"succeeded": "succeeded", "failed": "failed", "stopped": "stopped"}.get(
            status, "blocked"
        )
        out = Outcome(
            self.run_id,
            status,
            kind,
            reason,
            exit_code=exit_code,
            subtype=s.subtype,
            duration_s=duration,
            usage=self.usage,
            session_id=self.session_id,
            verify_tail=verify_tail,
            retryable=bool(end and end.retryable),
        )
        self.journal.update(
            status=rec_status,
            outcome=kind,
            message=reason,
            exit_code=exit_code,
            stop_reason=stop_reason or self.record.stop_reason,
            subtype=s.subtype,
            ended_at=now_iso(),
            duration_s=duration,
            usage=self.usage,
            session_id=self.session_id,
            lines=s.lines,
            unparsed_lines=s.unparsed,
            started_at=started,
        )
        self.outcome = out
        return out

    # -------------------------------------------------------------- the run

    def execute(self) -> Outcome:
        """Run to the end (blocking). `done` is set by the manager once it settled the run."""
        ctx, req = self.ctx, self.req
        settings = ctx.settings
        if self._stop_reason:
            return self.cancel_queued(self._stop_reason)
        try:
            preset = lookup(settings.agent_for(req.phase), settings)
        except PresetError as exc:
            return self._blocked_before_start(
                "preset_incompatible", "preset_incompatible", exc.message, cause=exc.kind
            )
        self.parser = parser_for(preset.dialect)
        session = None
        if req.resume_of:
            prev = records.read(ctx.root, req.resume_of)
            session = prev.session_id if prev else None
        text = compose(
            req.milestone,
            req.task,
            req.phase,
            reason=req.reason,
            resume=bool(req.resume_of),
            present=self._present() if req.resume_of else (),
        )
        prompt_path = write_prompt(ctx.root, self.run_id, text)
        # budget: refuse to start past a limit, warn near one
        over = self.budget.before_start()
        if over is not None:
            return self.finish("blocked", "budget_exceeded", over.text())
        try:
            inv = build_argv(
                preset,
                settings,
                req.phase,
                str(prompt_path),
                session_id=session,
                budget_usd=self.budget.remaining_usd(),
            )
        except PresetError as exc:
            return self._blocked_before_start(
                "preset_incompatible", "preset_incompatible", exc.message, cause=exc.kind
            )
        self.pricer = Pricer(settings, inv.preset.name, inv.argv)
        return self._spawn_and_watch(inv, prompt_path)

    def _present(self) -> tuple[str, ...]:
        """The deliverables already on disk, by path (told to a resumed agent)."""
        req = self.req
        ph = req.task.phase(req.phase)
        if ph is None:
            return ()
        rep = dl.report(self.ctx.root, req.task.id, ph)
        labels = [d.label for d in ph.deliverables]
        paths = dict(zip(labels, deliverable_paths(req.task, req.phase), strict=False))
        return tuple(paths.get(lbl, lbl) for lbl in rep.present if lbl in labels)

    def _blocked_before_start(
        self, kind: str, event: EventKind, reason: str, **data: Any
    ) -> Outcome:
        self.emit(event, reason, **data)
        return self.finish("blocked", kind, reason)

    def _cwd(self) -> Path:
        cwd = self.ctx.settings.cwd
        return (self.ctx.root / cwd).resolve() if cwd else self.ctx.root

    def _spawn_and_watch(self, inv: Invocation, prompt_path: Path) -> Outcome:
        ctx = self.ctx
        cwd = self._cwd()
        env = run_env(ctx, self.req, self.run_id, inv.preset.env_pass)
        self.journal.update(
            argv=inv.argv,
            cwd=str(cwd),
            preset=inv.preset.name,
            dialect=inv.preset.dialect,
            session_id=None,
        )
        raw = RawLog(records.run_dir(ctx.root, self.run_id) / "raw.jsonl")
        try:
            with self._lock:
                if self._stop_reason:
                    raw.close()
                    return self.cancel_queued(self._stop_reason)
                try:
                    self.proc = AgentProcess(
                        inv.argv,
                        cwd=cwd,
                        env=env,
                        stdin_path=prompt_path if inv.stdin_prompt else None,
                        raw=raw,
                        on_line=self._on_line,
                        on_exit=self._wake.set,
                    )
                except OSError as exc:
                    reason = f"cannot start {inv.argv[0]}: {exc.strerror or exc}"
                    raw.close()
                    return self._blocked_before_start(
                        "preset_incompatible", "preset_incompatible", reason, cause="not_found"
                    )
            proc = self.proc
            self.journal.update(
                status="running",
                pid=proc.pid,
                pgid=proc.pgid,
                start_time=records.proc_start_time(proc.pid),
                started_at=now_iso(),
            )
            self.emit(
                "run_started",
                f"{inv.preset.name} started (pid {proc.pid})",
                pid=proc.pid,
                argv=list(inv.argv),
                preset=inv.preset.name,
                resumed=inv.resumed,
            )
            stop_reason = self._watch(proc)
            # whatever is left of the group goes first: a child that holds the pipes open
            # would otherwise keep the readers waiting for an end of file
            proc.cleanup_group()
            proc.join_readers()
            code = proc.returncode
            end = classify(
                inv.preset.dialect,
                code,
                self.parser.summary,
                stop_reason=stop_reason,
                exit_meaningful=inv.preset.exit_meaningful,
            )
            self.journal.update(stop_reason=stop_reason, exit_code=code)
            v = judge(
                end,
                ctx=ctx,
                req=self.req,
                journal=self.journal,
                workspace=Workspace(cwd, env, raw),
                cancelled=self._cancel,
                stop_reason=lambda: self._stop_reason,
            )
            return self.finish(
                v.status,
                v.kind,
                v.reason,
                end=end,
                exit_code=code,
                stop_reason=v.stop_reason or stop_reason,
                verify_tail=v.verify_tail,
            )
        finally:
            raw.close()

    def _watch(self, proc: AgentProcess) -> str | None:
        """Wait for the exit, enforcing the limits; returns why we stopped it (or None)."""
        s = self.ctx.settings
        limits = Limits(
            run=s.phase(self.req.phase).timeout or s.timeouts.run,
            budget_seconds=self.budget.remaining_seconds(),
            idle=s.timeouts.idle,
            after_result=s.timeouts.after_result,
        )
        while not proc.exited:
            reason, wait = self._stop_reason, FOREVER
            if reason is None:
                reason, wait = due(
                    proc,
                    limits,
                    now=time.monotonic(),
                    freeze_at=self._freeze_at,
                    result_at=self._result_at,
                )
                if reason == "budget_exceeded":
                    self.emit("budget_exceeded", "time budget reached", what="seconds")
            if reason is not None:
                with self._lock:
                    self._stop_reason = self._stop_reason or reason
                last = proc.stop(s.stop.interrupt, s.stop.terminate)
                self.journal.update(stop_reason=reason)
                self.emit(
                    "agent_error",
                    f"stopped ({reason}) with {last}",
                    stop_reason=reason,
                    signal=last,
                )
                return reason
            self._wake.wait(max(0.01, wait))
            self._wake.clear()
        return self._stop_reason

    def _on_line(self, line: Line) -> None:
        """Called from the reader threads for every line."""
        with self._parse_lock:
            events = self.parser.feed(line)
        for ev in events:
            self._on_stream_event(ev)

    def _on_stream_event(self, ev: StreamEvent) -> None:
        if ev.kind == "session" and ev.session_id:
            self.journal.update(session_id=ev.session_id)
        elif ev.kind == "result":
            self._result_at = time.monotonic()
            self._wake.set()
        usage = self.usage if ev.usage is not None else None
        self.journal.emit_stream(ev, usage)
        if ev.kind == "usage" and usage is not None:
            self._check_budget(usage)

    def _check_budget(self, usage: Usage) -> None:
        now = time.monotonic()
        if now - self._last_meta > 1.0:  # keep the record's usage fresh (crash, other views)
            self._last_meta = now
            self.journal.update(usage=usage)
        if self.budget.on_usage(usage, stopping=self._stop_reason is not None):
            self.request_stop("budget_exceeded")
