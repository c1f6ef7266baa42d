"""The attention inbox: everything that waits on a person, across all milestones, in order.

Built from a `Snapshot` (its workspace state and blockers): phases waiting at a gate (status
`waiting_approval`, or a gated phase `completed` without approval, FORMAT.md section 6) and the
blockers a person must act on (every critical one, and the kinds in `ATTENTION_KINDS` whatever
their severity). Order: oldest critical first, then oldest gate, then the rest; an item whose
time is unknown comes last in its group.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiro_tui.core import clock, events
from kiro_tui.core.model import Milestone, Phase, Task
from kiro_tui.core.snapshot import Blocker, Snapshot

SCHEMA = 1

# blocker kinds that need a person even when they are not critical
ATTENTION_KINDS = frozenset(
    {
        "agent_needs_input",
        "verification_failed",
        "budget_exceeded",
        "stale_approval",
        "executor_untrusted",
    }
)
# blocker kinds that repeat what the inbox already shows as a gate
GATE_KINDS = frozenset({"approval_waiting"})

GATE_KEY = "a/x"
BLOCKER_KEY = "enter"
_KEYS_BY_KIND = {"stale_approval": "d"}  # a stale approval is resolved by reviewing the diff

_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean(text: object, limit: int = 300) -> str:
    """One line of repository text, safe to print: control characters (escape sequences,
    newlines, bidirectional overrides) become spaces or go, runs of spaces shrink, long text
    is cut with an ellipsis."""
    s = "" if text is None else str(text)
    if s.isascii() and s.isprintable():  # the common case: nothing to replace or drop
        line = " ".join(s.split())
        return line if len(line) <= limit else line[: limit - 1] + "…"
    out: list[str] = []
    for ch in s:
        if ch in "\t\n\r\v\f":
            out.append(" ")
        elif ch in _BIDI or unicodedata.category(ch) == "Cc":
            continue
        else:
            out.append(ch)
    line = " ".join("".join(out).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One thing that waits on a person. `id` is stable for the same cause: a gate's id holds
    the phase's `completed_at`, so a phase completed again after a rejection is a new item."""

    id: str
    kind: str  # "gate", or the blocker's kind
    severity: str  # critical | warning | info (a gate is "warning")
    what: str
    milestone_id: str | None = None
    task_id: str | None = None
    phase: str | None = None
    since: str | None = None  # ISO timestamp
    key: str = BLOCKER_KEY  # what resolves it: "a/x" for a gate, "enter" jumps to a blocker
    suggestion: str = ""
    file: str | None = None

    @property
    def is_gate(self) -> bool:
        return self.kind == "gate"

    @property
    def rank(self) -> int:
        """0 critical, 1 gate, 2 the rest."""
        if self.severity == "critical" and not self.is_gate:
            return 0
        return 1 if self.is_gate else 2

    @property
    def where(self) -> str:
        """`milestone > task > phase` (the parts that are known)."""
        parts = [p for p in (self.milestone_id, self.task_id, self.phase) if p]
        return " > ".join(clean(p, 130) for p in parts) or clean(self.file or "workspace", 200)

    def age(self, now: datetime) -> float | None:
        """Seconds since `since`, or None when it is unknown."""
        when = clock.parse_ts(self.since)
        return None if when is None else max(0.0, (now - when).total_seconds())

    def as_json(self, now: datetime) -> dict[str, Any]:
        age = self.age(now)
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "what": clean(self.what),
            "where": self.where,
            "milestone_id": self.milestone_id,
            "task_id": self.task_id,
            "phase": self.phase,
            "file": self.file,
            "since": self.since,
            "age_seconds": None if age is None else int(age),
            "age": None if age is None else clock.age_text(age),
            "key": self.key,
            "suggestion": clean(self.suggestion),
        }


def is_waiting(phase: Phase) -> bool:
    """Whether the phase waits at its gate (a gated `completed` phase reads as waiting)."""
    return phase.status == "waiting_approval" or (phase.status == "completed" and phase.gate)


def gate_id(milestone_id: str, task_id: str, phase: Phase) -> str:
    return f"gate:{milestone_id}:{task_id}:{phase.name}:{phase.completed_at or ''}"


def _gate_item(m: Milestone, t: Task, ph: Phase, last_event: str | None) -> InboxItem:
    title = clean(t.title, 80)
    return InboxItem(
        id=gate_id(m.id, t.id, ph),
        kind="gate",
        severity="warning",
        what=f"{ph.name} of {t.id}"
        + (f" ({title})" if title and title != t.id else "")
        + " waits for approval",
        milestone_id=m.id,
        task_id=t.id,
        phase=ph.name,
        since=ph.completed_at or last_event,
        key=GATE_KEY,
        suggestion=f"kiro-tui approve {m.id} {t.id} {ph.name} (or reject with a reason)",
    )


def _blocker_item(b: Blocker) -> InboxItem:
    return InboxItem(
        id=f"blocker:{b.blocker_id}",
        kind=b.kind,
        severity=b.severity,
        what=b.message,
        milestone_id=b.milestone_id,
        task_id=b.task_id,
        phase=b.phase,
        since=b.since,
        key=_KEYS_BY_KIND.get(b.kind, BLOCKER_KEY),
        suggestion=b.suggestion,
        file=b.file,
    )


def needs_person(b: Blocker) -> bool:
    if b.kind in GATE_KINDS:
        return False
    return b.severity == "critical" or b.kind in ATTENTION_KINDS


def _order_key(item: InboxItem) -> tuple[int, int, float, str]:
    when = clock.parse_ts(item.since)
    return (item.rank, 0 if when else 1, when.timestamp() if when else 0.0, item.id)


def build_inbox(
    snap: Snapshot,
    *,
    milestone: str | None = None,
    last_events: Mapping[tuple[str, str, str], str] | None = None,
) -> list[InboxItem]:
    """The ordered queue for `snap` (only `milestone`'s items when given, plus the workspace's
    file problems that name no milestone). `last_events` gives, per (milestone, task, phase),
    the time of its latest event: the "since" of a gate with no `completed_at`."""
    items: dict[str, InboxItem] = {}
    for m in snap.state.milestones:
        if m.finished or m.archive or (milestone and m.id != milestone):
            continue
        for t in m.tasks:
            if t.status in ("completed", "cancelled"):
                continue
            for ph in t.phases:
                if is_waiting(ph):
                    le = last_events.get((m.id, t.id, ph.name)) if last_events else None
                    it = _gate_item(m, t, ph, le)
                    items.setdefault(it.id, it)
    for b in snap.blockers:
        if not needs_person(b):
            continue
        if milestone and b.milestone_id not in (None, milestone):
            continue
        it = _blocker_item(b)
        items.setdefault(it.id, it)
    return sorted(items.values(), key=_order_key)


def phase_event_times(ms_dir: Path, n: int = 2000) -> dict[tuple[str, str, str], str]:
    """The time of the latest event per (milestone, task, phase), from the newest `n` events
    of every log (read from the end)."""
    out: dict[tuple[str, str, str], str] = {}
    for ev in events.merged_tail(ms_dir, n):
        if ev.milestone_id and ev.task_id and ev.phase and ev.timestamp:
            out[(ev.milestone_id, ev.task_id, ev.phase)] = ev.timestamp
    return out


def inbox_json(items: Iterable[InboxItem], now: datetime) -> dict[str, Any]:
    """What `kiro-tui inbox --json` prints (schema 1)."""
    listed = [i.as_json(now) for i in items]
    return {"schema": SCHEMA, "generated_at": clock.fmt(now), "count": len(listed), "items": listed}


def count_text(n: int) -> str:
    """The header's words for the count: "3 need you", "1 needs you", "" for none."""
    if n <= 0:
        return ""
    return f"{n} needs you" if n == 1 else f"{n} need you"


def item_line(item: InboxItem, now: datetime) -> str:
    age = item.age(now)
    label = "gate" if item.is_gate else f"{item.severity} {clean(item.kind, 40)}"
    key = "Enter" if item.key == BLOCKER_KEY else item.key
    return (
        f"[{label}] {item.where}  {clock.age_text(age) if age is not None else '?'}  "
        f"({key})  {clean(item.what)}"
    )


def inbox_text(items: Iterable[InboxItem], now: datetime) -> str:
    """Plain text, one item a line, numbered in order; repository text is cleaned."""
    listed = list(items)
    if not listed:
        return "nothing needs you"
    lines = [count_text(len(listed))]
    lines += [f"{n:>3}. {item_line(i, now)}" for n, i in enumerate(listed, 1)]
    return "\n".join(lines)
