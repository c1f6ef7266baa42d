"""The driver's check that the milestone file still holds every decision a person made.

A writer that takes no lock (yq -i, an editor) can put an older copy of the milestone over one
that held an approval, a rejection, a block or a pause. The decision is still a line in
`logs/execution-<id>.jsonl`; `decisions.reapply` finds the decisions the file contradicts and
applies them again (logging `decision_reapplied`). The driver runs it whenever the milestone
file or its execution log changed since the last check (their identity: inode, mtime, size),
so an unchanged workspace costs two `stat` calls per cycle and nothing is read.
"""

from __future__ import annotations

import os

from kiro_tui.core import decisions, sessions
from kiro_tui.core.errors import KiroError
from kiro_tui.core.service import Workspace

Key = tuple[tuple[int, int, int], ...]


class DecisionGuard:
    """Re-applies lost decisions of the driven milestone when its files changed."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._seen: dict[str, Key] = {}
        self.reapplied = 0  # decisions re-applied so far (for tests and the bench)
        self.last_error: str | None = None

    def _key(self, mid: str) -> Key:
        out: list[tuple[int, int, int]] = []
        for path in (self.ws.milestone_path(mid), self.ws.execution_log(mid)):
            try:
                st = os.stat(path)
            except OSError:
                out.append((0, 0, 0))
            else:
                out.append((st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def check(self, mid: str, session_id: str | None) -> int:
        """Re-apply what the file lost; the number of decisions re-applied."""
        try:
            key = self._key(mid)
        except KiroError:
            return 0
        if self._seen.get(mid) == key:
            return 0
        live = sessions.read_session(self.ws.root, session_id) if session_id else None
        try:
            done = decisions.reapply(
                self.ws, mid, session_status=live.status if live is not None else None
            )
            self.last_error = None
        except KiroError as exc:  # a broken file: its own blocker says so; try on change
            done, self.last_error = [], exc.message
        n = sum(1 for r in done if r.result == "reapplied")
        self.reapplied += n
        if n:
            self._seen.pop(mid, None)  # check again after our own write: it finds nothing
        else:
            self._seen[mid] = key  # as it was before the check: a change meanwhile is seen
        return n
