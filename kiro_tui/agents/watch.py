"""The watchfiles loop: batches of changed paths, woken early by timers or other threads.

Uses watchfiles' documented Rust backend (`RustNotify`) directly so that one watcher serves the
whole run while each wait gets its own timeout (the next timer that matters) and a wake-up
object (a stop event that is also set by `wake()`). Debounce and step are explicit; the
default debounce of watchfiles groups changes for up to 1.6 s.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from watchfiles._rust_notify import RustNotify  # documented as watchfiles' Rust backend

IGNORED_DIRS = (".locks", ".git", "__pycache__")


def interesting(path: str) -> bool:
    """Our filter: no lock files, no temporary files of safe writes, no editor swap files."""
    p = Path(path)
    for part in p.parts:
        if part in IGNORED_DIRS:
            return False
    name = p.name
    if ".tmp." in name or name.endswith((".tmp", ".swp", ".swx", "~")) or name.startswith(".#"):
        return False
    return not (name.startswith(".") and name.endswith(".pickle"))


def subdirs(base: Path, names: Iterable[str]) -> tuple[str, ...]:
    """`base/name/` for each name, as given and resolved (prefixes for `only_under`)."""
    bases = {str(base), os.path.realpath(base)}
    return tuple(os.path.join(b, n) + os.sep for b in sorted(bases) for n in names)


def only_under(paths: Iterable[str], prefixes: tuple[str, ...]) -> bool:
    """Whether every path lies under one of `prefixes` (True for none)."""
    return all(p.startswith(prefixes) for p in paths)


def only_named(paths: Iterable[str], prefixes: tuple[str, ...], name: str) -> bool:
    """Whether every path lies under one of `prefixes` and is called `name` (True for none)."""
    return all(p.startswith(prefixes) and os.path.basename(p) == name for p in paths)


class _Either:
    """Looks like an Event to RustNotify: set when the real stop or a wake-up is set."""

    def __init__(self, stop: threading.Event, wake: threading.Event) -> None:
        self.stop = stop
        self.wake = wake

    def is_set(self) -> bool:
        return self.stop.is_set() or self.wake.is_set()


IDLE_AFTER = 30.0
IDLE_STEP_MS = 40


class Pace:
    """How often the watcher looks: its own step, or IDLE_STEP_MS once nothing was shown and
    nothing asked for IDLE_AFTER seconds and no agent runs. Each look is a wake-up of the
    process (~50 us of CPU on a VM: 10 ms steps alone cost ~0.5 % of a core); the first change
    after a quiet spell is then seen within 40-80 ms instead of 10-20 ms."""

    def __init__(self, step_ms: int) -> None:
        self.step_ms = step_ms
        self.active_at = time.time()
        """When a change was last shown or a request came (time.time())."""

    def active(self) -> None:
        self.active_at = time.time()

    def step(self, agents_running: bool) -> int | None:
        """The step for the next wait: None (the watcher's own) unless idle."""
        if agents_running or time.time() - self.active_at < IDLE_AFTER:
            return None
        return max(self.step_ms, IDLE_STEP_MS)


class Watcher:
    """Wait for a batch of changes under some folders; returns an empty set on timeout or wake."""

    def __init__(self, paths: Iterable[Path], *, debounce_ms: int = 50, step_ms: int = 10) -> None:
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.paths: tuple[str, ...] = ()
        self._notify: RustNotify | None = None
        self.set_paths(paths)

    def set_paths(self, paths: Iterable[Path]) -> None:
        wanted = tuple(sorted({str(p) for p in paths if p.exists()}))
        if wanted == self.paths and self._notify is not None:
            return
        self.close()
        self.paths = wanted
        self._notify = RustNotify(list(wanted), False, False, 300, True, True)

    def wait(
        self,
        timeout_s: float,
        stop: threading.Event,
        wake: threading.Event,
        step_ms: int | None = None,
    ) -> set[str]:
        """Changed paths (filtered); empty when the timeout passed, `wake` or `stop` was set.

        watchfiles looks for changes (and at `stop`/`wake`) every `step_ms` (default: the
        watcher's), and yields a batch once a step passed with no new change: a change is
        seen 1-2 steps after it happened, and each step is a wake-up of the process."""
        assert self._notify is not None
        timeout_ms = max(1, int(timeout_s * 1000))
        step = self.step_ms if step_ms is None else step_ms
        raw = self._notify.watch(self.debounce_ms, step, timeout_ms, _Either(stop, wake))
        if isinstance(raw, str):
            return set()
        return {path for _change, path in raw if interesting(path)}

    def close(self) -> None:
        if self._notify is not None:
            self._notify.close()
            self._notify = None
