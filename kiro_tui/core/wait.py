"""`kiro-tui wait`: block until something needs a person, without the coordinator.

The snapshot is built the cheap way (`cheap_snapshot`): the workspace as `Workspace.load()`
gives it (parse cache by stat), the file problems as critical blockers, and the blockers that
a driver's blocker_detector recorded as open in the latest session of each milestone
(`logs/<session>/blockers.jsonl`, followed by byte offset). What a full coordinator snapshot
adds on top: blockers computed live from deliverable facts and times (stale_approval,
stalled_task, stalled_execution, approval_waiting), dependency findings, open error events,
role and git failures (executor_failed, git_conflict); while a driver runs, those reach `wait`
through its blockers.jsonl anyway.

Waiting uses watchfiles' Rust watcher on `.milestones/` with an explicit debounce of 50 ms and
step of 10 ms, a stop event and our own filter: no polling.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiro_tui.core import clock
from kiro_tui.core.errors import Problem
from kiro_tui.core.events import Follower
from kiro_tui.core.ids import is_valid_id
from kiro_tui.core.inbox import InboxItem, build_inbox, phase_event_times
from kiro_tui.core.snapshot import SEVERITIES, Blocker, Snapshot
from kiro_tui.core.store import WorkspaceState

DEBOUNCE_MS = 50
STEP_MS = 10
WATCHED_TOP = frozenset({"active", "completed", "logs", "config", "sessions"})


def problem_blocker(p: Problem, ms_dir: Path | None = None) -> Blocker:
    """A file problem as the critical blocker the blocker_detector role opens for it (same
    `blocker_id` formula, so the inbox item keeps its id when a coordinator takes over);
    `since` is the file's modification time when `ms_dir` is given."""
    raw = f"invalid_file:{p.file}:{p.message}"
    bid = "blk-" + hashlib.sha1(raw.encode()).hexdigest()[:12]
    since = None
    if ms_dir is not None:
        try:
            since = clock.fmt(datetime.fromtimestamp((ms_dir / p.file).stat().st_mtime, UTC))
        except (OSError, ValueError):
            since = None
    return Blocker(
        bid,
        "invalid_file",
        "critical",
        f"{p.file}: {p.message}",
        "fix the file; 'kiro-tui validate' shows every problem",
        file=p.file,
        since=since,
    )


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


class LoggedBlockers:
    """The blockers recorded as open (`blocker_detected` without a later `blocker_resolved`)
    in the latest session of each unfinished milestone, read incrementally."""

    def __init__(self, ms_dir: Path) -> None:
        self.ms_dir = ms_dir
        self._followers: dict[Path, Follower] = {}
        self._open: dict[Path, dict[str, Blocker]] = {}

    def current(self, state: WorkspaceState) -> list[Blocker]:
        out: list[Blocker] = []
        wanted: set[Path] = set()
        for m in state.milestones:
            if m.finished or not is_valid_id(m.session_id):
                continue
            path = self.ms_dir / "logs" / str(m.session_id) / "blockers.jsonl"
            wanted.add(path)
            out.extend(self._read(path, m.id))
        for gone in [p for p in self._followers if p not in wanted]:
            del self._followers[gone]
            self._open.pop(gone, None)
        return out

    def _read(self, path: Path, mid: str) -> list[Blocker]:
        f = self._followers.get(path)
        if f is None:
            f = self._followers[path] = Follower(
                path, f"logs/{path.parent.name}/{path.name}", start_at_end=False
            )
        opened = self._open.setdefault(path, {})
        for ev in f.read_new():
            raw = ev.raw
            bid = _s(raw.get("blocker_id"))
            if not bid:
                continue
            if ev.event == "blocker_detected":
                sev = str(raw.get("severity") or "warning")
                opened[bid] = Blocker(
                    bid,
                    str(raw.get("kind") or "unknown"),
                    sev if sev in SEVERITIES else "warning",
                    str(raw.get("message") or ev.text()),
                    str(raw.get("suggestion") or ""),
                    _s(raw.get("milestone_id")) or mid,
                    _s(raw.get("task_id")),
                    _s(raw.get("phase")),
                    _s(raw.get("file")),
                    ev.timestamp or None,
                )
            elif ev.event == "blocker_resolved":
                opened.pop(bid, None)
        return list(opened.values())


def cheap_snapshot(ws: Any, logged: LoggedBlockers | None = None) -> Snapshot:
    """The snapshot `wait` and `inbox` decide on; `ws` is a `service.Workspace`."""
    state = ws.load()
    found = [problem_blocker(p, ws.ms) for p in state.problems]
    if logged is not None:
        found += logged.current(state)
    return Snapshot(state=state, blockers=tuple(found), taken_at=time.time())


def check_milestone(ws: Any, milestone: str) -> None:
    """NotFound (one line) when there is no file for `milestone`; a file that does not parse
    is fine (its problem is an inbox item)."""
    from kiro_tui.core.errors import Refused

    try:
        ws.milestone_path(milestone)
    except Refused:  # the archive form: read only, but it exists
        pass


def current_inbox(ws: Any, milestone: str | None = None) -> list[InboxItem]:
    """What `kiro-tui inbox` prints: the cheap snapshot's inbox, a gate with no
    `completed_at` dated by its latest event. Raises NotFound for an unknown milestone."""
    snap = cheap_snapshot(ws, LoggedBlockers(ws.ms))
    if milestone and snap.state.milestone(milestone) is None:
        check_milestone(ws, milestone)
    last = phase_event_times(ws.ms) if any(i.since is None for i in build_inbox(snap)) else None
    return build_inbox(snap, milestone=milestone, last_events=last)


def _dated(ws: Any, item: InboxItem) -> InboxItem:
    """`item`, with `since` from its phase's latest event when it has none."""
    if item.since is not None or not (item.milestone_id and item.task_id and item.phase):
        return item
    when = phase_event_times(ws.ms).get((item.milestone_id, item.task_id, item.phase))
    return replace(item, since=when) if when else item


def interesting(ms_dir: Path, path: str) -> bool:
    """Our filter: milestone files, logs, config and sessions; never locks, temporary files of
    safe writes, agent runs (raw output streams) or review copies."""
    try:
        rel = Path(path).relative_to(ms_dir)
    except ValueError:
        return False
    parts = rel.parts
    if not parts or parts[0] not in WATCHED_TOP:
        return False
    name = parts[-1]
    if ".tmp." in name or name.endswith((".tmp", ".swp", ".swx", "~")) or name.startswith(".#"):
        return False
    return not any(p.startswith(".") for p in parts)


@dataclass(frozen=True)
class WaitResult:
    item: InboxItem | None
    reason: str  # "item" | "timeout" | "stopped"
    waited: float  # seconds


class _Until:
    """Looks like a threading.Event to the watcher: set when `stop` is set or time is up."""

    def __init__(self, stop: threading.Event, deadline: float | None) -> None:
        self.stop = stop
        self.deadline = deadline

    def is_set(self) -> bool:
        return self.stop.is_set() or (
            self.deadline is not None and time.monotonic() >= self.deadline
        )


def wait_for_item(
    root: Path,
    milestone: str | None = None,
    *,
    timeout: float | None = None,
    any_item: bool = False,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
) -> WaitResult:
    """Block until an inbox item appears that was not there at the start (with `any_item`,
    return at once when there is one), `timeout` seconds pass, or `stop` is set. `ready` is
    set once the watcher runs and the starting inbox is known (tests and the bench write
    after it). Raises NotFound for a milestone that does not exist."""
    from watchfiles._rust_notify import RustNotify  # watchfiles' documented Rust backend

    from kiro_tui.core.service import Workspace

    started = time.monotonic()
    deadline = None if timeout is None else started + max(0.0, timeout)
    stop = stop or threading.Event()
    ws = Workspace.open(root)
    ms = ws.ms
    logged = LoggedBlockers(ms)
    notify = RustNotify([str(ms)], False, False, 300, True, True)  # watching from here on
    try:
        snap = cheap_snapshot(ws, logged)
        if milestone and snap.state.milestone(milestone) is None:
            check_milestone(ws, milestone)
        items = build_inbox(snap, milestone=milestone)
        if ready is not None:
            ready.set()
        if any_item and items:
            return WaitResult(_dated(ws, items[0]), "item", time.monotonic() - started)
        known = {i.id for i in items}
        until = _Until(stop, deadline)
        while True:
            if stop.is_set():
                return WaitResult(None, "stopped", time.monotonic() - started)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return WaitResult(None, "timeout", time.monotonic() - started)
            step_ms = 60_000 if left is None else max(1, int(left * 1000) + 1)
            raw = notify.watch(DEBOUNCE_MS, STEP_MS, step_ms, until)
            if raw == "signal":  # a signal arrived while the Rust side waited (Ctrl-C)
                raise KeyboardInterrupt
            if isinstance(raw, str):  # "timeout" or "stop"
                continue
            if not any(interesting(ms, p) for _change, p in raw):
                continue
            items = build_inbox(cheap_snapshot(ws, logged), milestone=milestone)
            fresh = [i for i in items if i.id not in known]
            if fresh:
                return WaitResult(_dated(ws, fresh[0]), "item", time.monotonic() - started)
            known = {i.id for i in items}  # an item that left and comes back is new again
    finally:
        notify.close()


def wait_text(result: WaitResult, now: datetime | None = None) -> str:
    """One line for the terminal: the item (its age at `now`), or why waiting ended."""
    from kiro_tui.core.inbox import item_line

    if result.item is not None:
        return item_line(result.item, now or clock.SYSTEM.now())
    return "timed out: nothing needs you" if result.reason == "timeout" else "stopped"
