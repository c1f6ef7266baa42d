"""The driver's heartbeat: when it is due, and what a beat does.

A beat first reads the session: when another process took it over (its `driver_pid` is not
ours), the beat renews nothing and says so (a `driver_refused` Blocker; the coordinator then
releases without touching the session). Otherwise it renews the driver heartbeat in
`sessions/<id>.yaml` and the roles' heartbeats in `agents/state.json`; the watcher's report
of those two writes (and nothing else) is recognised by `only_own`, so an idle driver does not
rebuild its snapshot for its own heartbeat.
"""

from __future__ import annotations

import contextlib
import os
import time

from kiro_tui.agents.applier import ActionApplier
from kiro_tui.core import sessions
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Blocker
from kiro_tui.core.store import stat_key


class Heartbeat:
    """The heartbeat of one driver: `due()`, `next_at()`, `beat(...)`."""

    def __init__(self, ws: Workspace, applier: ActionApplier) -> None:
        self.ws = ws
        self.applier = applier
        self.last = 0.0  # time.time() of the last beat (or of the claim)
        self._own: dict[str, tuple[int, int, int, int]] = {}  # what the last beat wrote

    @property
    def interval(self) -> float:
        return float(self.ws.config.thresholds.heartbeat)

    def reset(self) -> None:
        """The driver was just claimed: the claim was the beat."""
        self.last = time.time()

    def due(self) -> bool:
        return time.time() - self.last >= self.interval

    def next_at(self) -> float:
        return self.last + self.interval

    def beat(self, session_id: str | None, driving: str | None) -> Blocker | None:
        """Renew the heartbeats; a Blocker (and nothing renewed) when the session was taken
        over by another process."""
        self.last = time.time()
        if not session_id or not driving:
            return None
        live = sessions.read_session(self.ws.root, session_id)
        pid = live.driver_pid if live is not None else None
        if pid not in (None, os.getpid()):
            return Blocker(
                "driver-lost-" + driving,
                "driver_refused",
                "warning",
                f"session {session_id} was taken over by pid {pid}",
                "",
                milestone_id=driving,
            )
        self.ws.heartbeat(session_id)
        self.applier.renew()
        self._own = {}
        for path in (
            sessions.session_path(self.ws.root, session_id),
            sessions.state_path(self.ws.root, session_id),
        ):
            with contextlib.suppress(OSError):
                self._own[os.path.realpath(path)] = stat_key(os.stat(path))
        return None

    def only_own(self, changed: set[str]) -> bool:
        """Whether every changed path is a file the last beat wrote, still as it wrote it (any
        other writer changes its inode, mtime or ctime): then there is nothing to rebuild."""
        if not self._own:
            return False
        for p in changed:
            real = os.path.realpath(p)
            want = self._own.get(real)
            try:
                if want is None or stat_key(os.stat(real)) != want:
                    return False
            except OSError:
                return False
        return True
