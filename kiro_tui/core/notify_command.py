"""`notify.command`: the user's own notifier (an argv from the USER config), run detached in its
own process group with the inbox item as JSON on stdin, stopped after a timeout; a failure is
reported, never raised, and no run outlives kiro-tui."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiro_tui.core.inbox import clean

log = logging.getLogger("kiro_tui.notify")

COMMAND_TIMEOUT = 10.0


@dataclass
class CommandRun:
    argv: tuple[str, ...]
    proc: subprocess.Popen[bytes] | None
    thread: threading.Thread | None
    outcome: str = "running"  # ok | failed: ... | timeout | could not start: ...

    def wait(self, timeout: float | None = None) -> str:
        if self.thread is not None:
            self.thread.join(timeout)
        return self.outcome


class CommandRunner:
    """Runs `notify.command` detached: its own process group, the payload on stdin, output
    discarded, stopped (group TERM, then KILL) after `timeout`. A failure goes to `report`
    (default: the `kiro_tui.notify` logger) and is never raised. `close()` stops every run
    still going, so none outlives kiro-tui."""

    def __init__(self, report: Callable[[str], None] | None = None) -> None:
        self.report = report or (lambda msg: log.warning("%s", msg))
        self._runs: list[CommandRun] = []
        self._lock = threading.Lock()

    def run(self, argv: Sequence[str], data: str, timeout: float = COMMAND_TIMEOUT) -> CommandRun:
        argv = tuple(argv)
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            run = CommandRun(argv, None, None, f"could not start: {exc.strerror or exc}")
            self.report(f"notify.command {argv[0]!r} could not start: {exc.strerror or exc}")
            return run
        run = CommandRun(argv, proc, None)
        run.thread = threading.Thread(
            target=self._supervise, args=(run, data, timeout), name="notify-command", daemon=True
        )
        with self._lock:
            self._runs = [r for r in self._runs if r.outcome == "running"] + [run]
        run.thread.start()
        return run

    def _supervise(self, run: CommandRun, data: str, timeout: float) -> None:
        proc = run.proc
        assert proc is not None
        try:
            _out, err = proc.communicate(data.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            for pipe in (proc.stdin, proc.stderr):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
            run.outcome = "timeout"
            self.report(
                f"notify.command {run.argv[0]!r} did not finish within {timeout:g} s "
                "and was stopped"
            )
            return
        except OSError as exc:  # e.g. it closed stdin without reading it
            proc.wait()
            err = str(exc).encode()
        _kill_group(proc, 0.0)  # what it left behind in its group goes with it
        if proc.returncode == 0:
            run.outcome = "ok"
        else:
            lines = (err or b"").decode("utf-8", "replace").strip().splitlines()
            tail = clean(lines[-1], 200) if lines else ""
            run.outcome = f"failed: exit {proc.returncode}"
            self.report(
                f"notify.command {run.argv[0]!r} failed (exit {proc.returncode})"
                + (f": {tail}" if tail else "")
            )

    def running(self) -> list[CommandRun]:
        with self._lock:
            return [r for r in self._runs if r.outcome == "running"]

    def close(self, grace: float = 1.0) -> None:
        for run in self.running():
            if run.proc is not None and run.proc.poll() is None:
                _kill_group(run.proc, grace)
            run.wait(grace + 1.0)


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 1.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # the group may hold children that outlive the leader: make sure they are gone
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
