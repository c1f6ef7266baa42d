"""'Since you left' (core/digest.py): real event logs written through the service and by a
driver's roles, the last visit kept in the user state folder."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from kiro_tui.core import clock, events
from kiro_tui.core.digest import (
    build_digest,
    digest_text,
    events_since,
    last_visit,
    mark_visit,
    should_show,
    visit_file,
)
from kiro_tui.core.inbox import build_inbox
from kiro_tui.core.service import Workspace
from kiro_tui.core.wait import LoggedBlockers, cheap_snapshot

M1 = "milestone-001"
SID = "exec-milestone-001-20251121-100000"


def ts(text: str):  # type: ignore[no-untyped-def]
    value = clock.parse_ts(text)
    assert value is not None
    return value


def test_the_last_visit_is_kept_per_repository_and_never_goes_back(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert last_visit(a) is None
    mark_visit(a, ts("2026-11-22T10:00:00Z"))
    assert last_visit(a) == ts("2026-11-22T10:00:00Z") and last_visit(b) is None
    mark_visit(a, ts("2026-11-22T09:00:00Z"))
    assert last_visit(a) == ts("2026-11-22T10:00:00Z")
    assert str(visit_file(a)).startswith(os.environ["XDG_STATE_HOME"])
    visit_file(b).parent.mkdir(parents=True)
    visit_file(b).write_text("garbage")
    assert last_visit(b) is None  # damaged: forgotten, not fatal
    now = ts("2026-11-22T12:00:00Z")
    assert not should_show(None, now)
    assert not should_show(now - timedelta(minutes=5), now)
    assert should_show(now - timedelta(hours=2), now)


def _blocker(kind: str, bid: str, at: str, msg: str, event: str = "blocker_detected") -> dict:  # type: ignore[type-arg]
    return {
        "timestamp": at,
        "event": event,
        "blocker_id": bid,
        "kind": kind,
        "severity": "critical",
        "milestone_id": M1,
        "message": msg,
        "role": "blocker_detector",
    }


def test_digest_of_what_happened_since_the_last_visit(seed: Path) -> None:
    ws = Workspace.open(seed, persist_cache=False)
    since = clock.SYSTEM.now() - timedelta(seconds=5)
    ws.approve(M1, "task-001", "spec", note="fine")  # logs phase_approved (and starts task)
    folder = seed / ".milestones/deliverables/task-002/design"
    for name in ("root_cause_analysis.md", "fix_approach.md", "regression_prevention.md"):
        (folder / name).write_text(f"# {name}\n\ncontent\n")
    ws.complete_phase(M1, "task-002", "design")  # a gate now
    log = seed / ".milestones/logs" / SID / "blockers.jsonl"
    now = clock.SYSTEM.now_str()
    events.append(log, _blocker("agent_needs_input", "blk-q", now, "agent asks: which db?"))
    events.append(log, _blocker("stalled_task", "blk-s", now, "task-004 stalled"))
    events.append(
        log,
        _blocker("stalled_task", "blk-s", now, "resolved: task-004 stalled", "blocker_resolved"),
    )
    runs = seed / ".milestones/logs" / SID / "execution.jsonl"
    events.append(
        runs,
        {
            "timestamp": now,
            "event": "run_finished",
            "run_id": "r1",
            "milestone_id": M1,
            "cost_usd": 0.42,
        },
    )
    events.append(
        runs, {"timestamp": now, "event": "usage", "run_id": "r2", "data": {"cost_usd": 1.08}}
    )
    events.append(runs, {"timestamp": now, "event": "run_finished", "run_id": "r3"})
    items = build_inbox(cheap_snapshot(ws, LoggedBlockers(ws.ms)))
    d = build_digest(ws.ms, since, clock.SYSTEM.now(), items)
    assert [e.text for e in d.decisions] == ["spec of task-001 approved by tester"]
    assert [e.text for e in d.phases_completed] == [
        "design of task-002 completed (waits for approval)"
    ]
    assert [e.text for e in d.blockers_opened] == ["agent asks: which db?", "task-004 stalled"]
    assert [e.text for e in d.blockers_resolved] == ["task-004 stalled"]
    assert [(g.task_id, g.phase) for g in d.gates_waiting] == [("task-002", "design")]
    assert d.cost_usd is not None and abs(d.cost_usd - 1.50) < 1e-9
    assert (d.cost_reports, d.cost_unreported) == (2, 1)
    text = digest_text(d)
    assert text.startswith("Since you left (")
    for part in (
        "Decisions (1)",
        "Phases completed (1)",
        "Blockers opened (2)",
        "Blockers resolved (1)",
        "Gates waiting now (1)",
        "Agent runs finished: 2",
        "cost $1.50 over 2 report(s), 1 run(s) did not report one",
    ):
        assert part in text, part
    assert len(text.splitlines()) <= 24  # one screen
    assert d.as_json()["cost_usd"] == d.cost_usd


def test_events_before_the_visit_are_left_out_and_cost_is_unknown(seed: Path) -> None:
    ms = seed / ".milestones"
    # the seed's logs are from 2026-11-21; looking from the 22nd finds none of them
    d = build_digest(ms, ts("2026-11-22T00:00:00Z"), ts("2026-11-22T12:00:00Z"))
    assert d.empty and d.cost_usd is None and d.events == 0
    assert digest_text(d).endswith("nothing happened")
    assert build_digest(ms, ts("2026-11-01T00:00:00Z")).events > 0
    events.append(
        ms / "logs" / SID / "execution.jsonl",
        {"timestamp": "2026-11-22T11:00:00Z", "event": "run_finished"},
    )
    d = build_digest(ms, ts("2026-11-22T00:00:00Z"), ts("2026-11-22T12:00:00Z"))
    assert "cost unknown (no run reported one)" in digest_text(d)


def test_a_long_log_is_read_back_only_as_far_as_the_visit(tmp_path: Path) -> None:
    ms = tmp_path / ".milestones"
    log = ms / "logs" / "execution-m1.jsonl"
    log.parent.mkdir(parents=True)
    base = ts("2026-11-20T00:00:00Z")
    lines = [
        f'{{"timestamp": "{clock.fmt(base + timedelta(seconds=i))}", '
        f'"event": "phase_completed", "task_id": "t{i}", "phase": "task"}}\n'
        for i in range(5000)
    ]
    log.write_text("".join(lines) + "not json\n")
    since = base + timedelta(seconds=2999)
    found = events_since(ms, since)
    assert len(found) == 2000 and found[0].task_id == "t3000" and found[-1].task_id == "t4999"
    d = build_digest(ms, since, base + timedelta(days=1))
    assert len(d.phases_completed) == 2000
    text = digest_text(d)
    assert "Phases completed (2000)" in text and "... and 1996 earlier" in text


def test_a_busy_digest_still_fits_one_screen(tmp_path: Path) -> None:
    ms = tmp_path / ".milestones"
    log = ms / "logs" / "execution-m1.jsonl"
    base = ts("2026-11-20T00:00:00Z")
    kinds = ["phase_completed", "phase_approved", "task_completed", "milestone_completed"]
    for i in range(40):
        at = clock.fmt(base + timedelta(minutes=i))
        events.append(
            log,
            {
                "timestamp": at,
                "event": kinds[i % 4],
                "milestone_id": "m1",
                "task_id": f"t{i}",
                "phase": "design",
                "actor": "ann",
            },
        )
        events.append(
            ms / "logs" / "s1" / "blockers.jsonl",
            _blocker("stalled_task", f"b{i}", at, f"t{i} stalled"),
        )
        events.append(
            ms / "logs" / "s1" / "blockers.jsonl",
            _blocker("stalled_task", f"b{i}", at, f"t{i} moved", "blocker_resolved"),
        )
    d = build_digest(ms, base - timedelta(seconds=1), base + timedelta(days=1))
    assert (len(d.phases_completed), len(d.blockers_opened), len(d.blockers_resolved)) == (
        10,
        40,
        40,
    )
    lines = digest_text(d).splitlines()
    assert len(lines) <= 22
    assert "Milestones completed (10)" in lines and "Blockers resolved (40)" in lines
    assert len(digest_text(d, max_lines=200).splitlines()) > 22  # room to spare: more shown
