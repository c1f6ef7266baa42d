"""'Since you left': what happened in a repository since the user last looked.

The last-visit time is kept per repository in the user state folder (`visit.json`). The
digest is read from the event logs (from their end, back to the last visit): phases completed,
decisions taken, tasks and milestones completed, blockers opened and resolved, and the cost
that `usage` / `run_finished` events report in `cost_usd` ("cost unknown" when none does); the
gates waiting now come from the inbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiro_tui.core import clock, events
from kiro_tui.core.events import Event
from kiro_tui.core.inbox import InboxItem, clean, item_line
from kiro_tui.core.userstate import locked, read_json, repo_state_dir, write_json

VISIT_FILE = "visit.json"
AWAY = 600.0  # seconds away before the digest is worth showing
COMPLETED = ("phase_completed", "phase_waiting_approval")
DECIDED = ("phase_approved", "phase_rejected")
COST_EVENTS = ("usage", "run_finished")


# ------------------------------------------------------------------------- the last visit
def visit_file(root: Path, state_dir: Path | None = None) -> Path:
    return repo_state_dir(root, state_dir) / VISIT_FILE


def last_visit(root: Path, state_dir: Path | None = None) -> datetime | None:
    data = read_json(visit_file(root, state_dir)) or {}
    return clock.parse_ts(data.get("last_visit"))


def mark_visit(root: Path, when: datetime | None = None, state_dir: Path | None = None) -> None:
    """Remember `when` (now by default) as the last visit; never moves it backwards."""
    path = visit_file(root, state_dir)
    when = when or clock.SYSTEM.now()
    try:
        with locked(path):
            before = clock.parse_ts((read_json(path) or {}).get("last_visit"))
            if before is None or when > before:
                write_json(path, {"schema": 1, "root": str(root), "last_visit": clock.fmt(when)})
    except Exception:  # an unwritable state folder only means the next digest is longer
        pass


def should_show(last: datetime | None, now: datetime, away: float = AWAY) -> bool:
    """Whether the user was away long enough (a first visit shows no digest)."""
    return last is not None and (now - last).total_seconds() >= away


# ------------------------------------------------------------------------- reading the logs
def events_since(ms_dir: Path, since: datetime, block: int = 500) -> list[Event]:
    """Every event newer than `since`, oldest first, reading each log back from its end only
    as far as `since` (lines with no readable time are left out)."""
    out: list[Event] = []
    for path, source in events.log_files(ms_dir):
        n = block
        while True:
            res = events.tail(path, n, source)
            oldest = clock.parse_ts(res.events[0].timestamp) if res.events else None
            if len(res.events) < n or (oldest is not None and oldest <= since):
                break
            n *= 4
        for ev in res.events:
            when = clock.parse_ts(ev.timestamp)
            if when is not None and when > since:
                out.append(ev)
    out.sort(key=lambda e: clock.parse_ts(e.timestamp) or since)
    return out


@dataclass(frozen=True, slots=True)
class Entry:
    at: str
    text: str
    milestone_id: str | None = None
    task_id: str | None = None
    phase: str | None = None

    @property
    def where(self) -> str:
        return " > ".join(clean(p, 80) for p in (self.milestone_id, self.task_id, self.phase) if p)


@dataclass(frozen=True)
class Digest:
    since: datetime
    now: datetime
    phases_completed: tuple[Entry, ...] = ()
    decisions: tuple[Entry, ...] = ()
    tasks_completed: tuple[Entry, ...] = ()
    milestones_completed: tuple[Entry, ...] = ()
    blockers_opened: tuple[Entry, ...] = ()
    blockers_resolved: tuple[Entry, ...] = ()
    gates_waiting: tuple[InboxItem, ...] = ()
    cost_usd: float | None = None  # None: no event reported a cost
    cost_reports: int = 0  # events that reported a cost
    cost_unreported: int = 0  # usage/run_finished events without one
    runs_finished: int = 0
    events: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.phases_completed
            or self.decisions
            or self.tasks_completed
            or self.milestones_completed
            or self.blockers_opened
            or self.blockers_resolved
            or self.gates_waiting
            or self.cost_reports
            or self.runs_finished
        )

    def as_json(self) -> dict[str, Any]:
        def entries(xs: Iterable[Entry]) -> list[dict[str, Any]]:
            return [
                {
                    "at": e.at,
                    "text": clean(e.text),
                    "milestone_id": e.milestone_id,
                    "task_id": e.task_id,
                    "phase": e.phase,
                }
                for e in xs
            ]

        return {
            "schema": 1,
            "since": clock.fmt(self.since),
            "now": clock.fmt(self.now),
            "phases_completed": entries(self.phases_completed),
            "decisions": entries(self.decisions),
            "tasks_completed": entries(self.tasks_completed),
            "milestones_completed": entries(self.milestones_completed),
            "blockers_opened": entries(self.blockers_opened),
            "blockers_resolved": entries(self.blockers_resolved),
            "gates_waiting": [i.as_json(self.now) for i in self.gates_waiting],
            "cost_usd": self.cost_usd,
            "cost_reports": self.cost_reports,
            "cost_unreported": self.cost_unreported,
            "runs_finished": self.runs_finished,
            "events": self.events,
        }


def _cost(ev: Event) -> float | None:
    for where in (
        ev.raw,
        ev.data,
        ev.data.get("usage") if isinstance(ev.data.get("usage"), dict) else {},
    ):
        v = where.get("cost_usd") if isinstance(where, dict) else None
        if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
            return float(v)
    return None


def _entry(ev: Event, text: str) -> Entry:
    return Entry(ev.timestamp, text, ev.milestone_id, ev.task_id, ev.phase)


def build_digest(
    ms_dir: Path, since: datetime, now: datetime | None = None, gates: Sequence[InboxItem] = ()
) -> Digest:
    """The digest of the logs under `ms_dir` since `since`; `gates` are the inbox's gate
    items now (pass `build_inbox(...)`: only its gates are kept)."""
    now = now or clock.SYSTEM.now()
    lists: dict[str, list[Entry]] = {
        k: [] for k in ("completed", "decided", "tasks", "milestones", "opened", "resolved")
    }
    seen: set[tuple[Any, ...]] = set()
    opened: set[str] = set()
    resolved: set[str] = set()
    cost = 0.0
    reports = unreported = runs = 0
    evs = events_since(ms_dir, since)
    for ev in evs:
        key = (
            ev.event,
            ev.milestone_id,
            ev.task_id,
            ev.phase,
            ev.timestamp,
            ev.raw.get("blocker_id"),
            ev.raw.get("run_id"),
        )
        if key in seen:  # the same happening written to two logs
            continue
        seen.add(key)
        name = ev.event
        if name in COMPLETED:
            waits = name == "phase_waiting_approval"
            lists["completed"].append(
                _entry(
                    ev,
                    f"{ev.phase} of {ev.task_id} completed"
                    + (" (waits for approval)" if waits else ""),
                )
            )
        elif name in DECIDED:
            verb = "approved" if name == "phase_approved" else "sent back"
            by = f" by {ev.actor}" if ev.actor else ""
            lists["decided"].append(_entry(ev, f"{ev.phase} of {ev.task_id} {verb}{by}"))
        elif name == "task_completed":
            lists["tasks"].append(_entry(ev, f"{ev.task_id} completed"))
        elif name == "milestone_completed":
            lists["milestones"].append(_entry(ev, f"{ev.milestone_id} completed"))
        elif name in ("blocker_detected", "blocker_resolved"):
            bid = str(ev.raw.get("blocker_id") or ev.message or "")
            bucket, ids = (
                ("opened", opened) if name == "blocker_detected" else ("resolved", resolved)
            )
            if bid in ids:
                continue
            ids.add(bid)
            text = ev.message or str(ev.raw.get("kind") or "blocker")
            lists[bucket].append(_entry(ev, text.removeprefix("resolved: ")))
        runs += name == "run_finished"
        if name in COST_EVENTS:
            c = _cost(ev)
            if c is None:
                unreported += 1
            else:
                cost += c
                reports += 1
    return Digest(
        since=since,
        now=now,
        phases_completed=tuple(lists["completed"]),
        decisions=tuple(lists["decided"]),
        tasks_completed=tuple(lists["tasks"]),
        milestones_completed=tuple(lists["milestones"]),
        blockers_opened=tuple(lists["opened"]),
        blockers_resolved=tuple(lists["resolved"]),
        gates_waiting=tuple(i for i in gates if i.is_gate),
        cost_usd=cost if reports else None,
        cost_reports=reports,
        cost_unreported=unreported,
        runs_finished=runs,
        events=len(evs),
    )


# ------------------------------------------------------------------------- text
def _section(title: str, entries: Sequence[Entry], room: int) -> list[str]:
    if not entries:
        return []
    lines = [f"{title} ({len(entries)})"]
    if room <= 0:
        return lines
    shown = entries[-room:]
    for e in shown:
        where = f"{clean(e.milestone_id, 60)}: " if e.milestone_id else ""
        lines.append(f"  {clean(e.at, 20)}  {where}{clean(e.text, 100)}")
    if len(entries) > len(shown):
        lines.append(f"  ... and {len(entries) - len(shown)} earlier")
    return lines


def cost_text(d: Digest) -> str:
    if d.cost_usd is None:
        return "cost unknown (no run reported one)" if d.cost_unreported else "cost unknown"
    more = f", {d.cost_unreported} run(s) did not report one" if d.cost_unreported else ""
    return f"cost ${d.cost_usd:.2f} over {d.cost_reports} report(s){more}"


def digest_text(d: Digest, max_lines: int = 22, per_section: int = 4) -> str:
    """The digest as plain text that fits `max_lines` lines (one screen): each list shows its
    newest entries, as many as fit (at most `per_section`), down to its count alone."""
    away = clock.age_text((d.now - d.since).total_seconds())
    head = f"Since you left ({away} ago, {clock.fmt(d.since)})"
    if d.empty:
        return f"{head}\nnothing happened"
    for room in range(max(0, per_section), -1, -1):
        lines = _lines(d, head, room)
        if len(lines) <= max_lines:
            break
    return "\n".join(lines)


def _lines(d: Digest, head: str, room: int) -> list[str]:
    lines = [head]
    lines += _section("Phases completed", d.phases_completed, room)
    lines += _section("Decisions", d.decisions, room)
    lines += _section("Tasks completed", d.tasks_completed, room)
    lines += _section("Milestones completed", d.milestones_completed, room)
    lines += _section("Blockers opened", d.blockers_opened, room)
    lines += _section("Blockers resolved", d.blockers_resolved, room)
    if d.gates_waiting:
        lines.append(f"Gates waiting now ({len(d.gates_waiting)})")
        lines += [f"  {item_line(i, d.now)}" for i in d.gates_waiting[:room]]
        if len(d.gates_waiting) > room:
            lines.append(f"  ... and {len(d.gates_waiting) - room} more (i: inbox)")
    if d.runs_finished:
        lines.append(f"Agent runs finished: {d.runs_finished}")
    lines.append(cost_text(d))
    return lines
