"""The run queue: which runs wait (now, or for a retry's timer), which run, and which may start
next under the concurrency limit (execute-phase runs in one working tree are always serial).
Not thread-safe on its own: the RunManager calls it under its lock."""

from __future__ import annotations

import threading
from collections.abc import Callable


class RunQueue:
    def __init__(self) -> None:
        self._waiting: list[str] = []
        self._running: set[str] = set()
        self._timers: dict[str, threading.Timer] = {}

    def push(self, run_id: str) -> None:
        self._waiting.append(run_id)

    def push_later(self, run_id: str, delay: float, on_due: Callable[[str], None]) -> None:
        """Wait `delay` seconds, then call `on_due(run_id)` from a timer thread (which should
        call `due` under the owner's lock)."""
        timer = threading.Timer(delay, on_due, args=(run_id,))
        timer.daemon = True
        self._timers[run_id] = timer
        timer.start()

    def due(self, run_id: str) -> bool:
        """A timer fired: queue the run, unless it was cancelled meanwhile (then False)."""
        if self._timers.pop(run_id, None) is None:
            return False
        self._waiting.append(run_id)
        return True

    def cancel(self, run_id: str) -> bool:
        """Take a run that has not started off the queue (or its timer); False if it was not
        waiting."""
        waited = run_id in self._waiting
        if waited:
            self._waiting.remove(run_id)
        timer = self._timers.pop(run_id, None)
        if timer is not None:
            timer.cancel()
            waited = True
        return waited

    def is_running(self, run_id: str) -> bool:
        return run_id in self._running

    def running(self) -> list[str]:
        return list(self._running)

    def finished(self, run_id: str) -> None:
        self._running.discard(run_id)

    def take(self, concurrency: int, phase_of: Callable[[str], str]) -> list[str]:
        """Move the runs that may start now from waiting to running, oldest first."""
        slots = max(1, concurrency) - len(self._running)
        execute_busy = any(phase_of(i) == "execute" for i in self._running)
        out: list[str] = []
        for rid in list(self._waiting):
            if slots <= 0:
                break
            is_execute = phase_of(rid) == "execute"
            if is_execute and execute_busy:
                continue  # one working tree: execute runs are serial
            self._waiting.remove(rid)
            self._running.add(rid)
            slots -= 1
            execute_busy = execute_busy or is_execute
            out.append(rid)
        return out
