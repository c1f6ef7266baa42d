"""The attention inbox (core/inbox.py) on real workspaces: what waits on a person, in order."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from kiro_tui.core import events
from kiro_tui.core.inbox import (
    build_inbox,
    count_text,
    inbox_json,
    inbox_text,
    is_waiting,
    phase_event_times,
)
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Blocker, Snapshot
from kiro_tui.core.wait import LoggedBlockers, cheap_snapshot
from tests.conftest import copy_fixture

M1 = "milestone-001"
NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def ws_of(root: Path) -> Workspace:
    return Workspace.open(root, persist_cache=False)


def snap_of(root: Path) -> Snapshot:
    return cheap_snapshot(ws_of(root), LoggedBlockers(root / ".milestones"))


def edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    p = root / ".milestones" / rel
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, count), encoding="utf-8")


def waiting_design(root: Path, completed_at: str) -> None:
    """task-002's design (in_progress in the seed) written as waiting since `completed_at`."""
    edit(
        root,
        "active/milestone-001.yaml",
        'status: "in_progress"\n          description: "Architecture',
        'status: "waiting_approval"\n          description: "Architecture',
    )
    edit(
        root,
        "active/milestone-001.yaml",
        'started_at: "2026-11-22T10:00:00Z"\n          completed_at: null',
        f'started_at: "2026-11-22T10:00:00Z"\n          completed_at: "{completed_at}"',
    )


def test_seed_gate_is_listed_with_where_since_age_and_key(seed: Path) -> None:
    items = build_inbox(snap_of(seed))
    assert [i.id for i in items] == [f"gate:{M1}:task-001:spec:2026-11-22T09:00:00Z"]
    gate = items[0]
    assert (gate.kind, gate.key, gate.where) == ("gate", "a/x", f"{M1} > task-001 > spec")
    assert gate.since == "2026-11-22T09:00:00Z"
    assert gate.age(NOW) == 3 * 3600
    doc = gate.as_json(NOW)
    assert doc["age"] == "3h00m" and doc["age_seconds"] == 10800
    assert "waits for approval" in doc["what"] and "Login API" in doc["what"]


def test_gated_completed_phase_reads_as_waiting_but_an_ungated_one_does_not(seed: Path) -> None:
    # task-001 spec (gated) written `completed` without approval, as the original commands do
    edit(seed, "active/milestone-001.yaml", 'status: "waiting_approval"', 'status: "completed"')
    m = ws_of(seed).load().milestone(M1)
    assert m is not None
    t1 = m.task("task-001")
    assert t1 is not None
    spec = t1.phase("spec")
    assert spec is not None and spec.status == "completed" and spec.gate and is_waiting(spec)
    assert [i.phase for i in build_inbox(snap_of(seed))] == ["spec"]
    t3 = m.task("task-003")  # all four phases passed; task and execute are completed, no gate
    assert t3 is not None
    assert not any(is_waiting(p) for p in t3.phases)


def test_order_is_oldest_critical_then_oldest_gate_then_the_rest(seed: Path) -> None:
    # a second gate, older than task-001's: task-002's design waiting since the 21st
    waiting_design(seed, "2026-11-21T08:00:00Z")
    base = snap_of(seed)
    blockers = (
        Blocker(
            "b-new",
            "agent_needs_input",
            "critical",
            "agent asks which database",
            milestone_id=M1,
            task_id="task-004",
            since="2026-11-22T11:00:00Z",
        ),
        Blocker(
            "b-old",
            "verification_failed",
            "critical",
            "pytest failed",
            milestone_id=M1,
            task_id="task-001",
            phase="spec",
            since="2026-11-20T10:00:00Z",
        ),
        Blocker(
            "b-stale",
            "stale_approval",
            "warning",
            "changed after approval",
            milestone_id=M1,
            task_id="task-001",
            phase="design",
            since="2026-11-19T10:00:00Z",
        ),
        Blocker("b-stall", "stalled_task", "warning", "no change for 2h", milestone_id=M1),
        Blocker("b-wait", "approval_waiting", "warning", "waited 3d", milestone_id=M1),
        Blocker("b-unknown", "budget_exceeded", "critical", "over budget", milestone_id=M1),
    )
    items = build_inbox(replace(base, blockers=blockers))
    assert [i.id for i in items] == [
        "blocker:b-old",
        "blocker:b-new",
        "blocker:b-unknown",  # critical, oldest first
        f"gate:{M1}:task-002:design:2026-11-21T08:00:00Z",  # then gates, oldest first
        f"gate:{M1}:task-001:spec:2026-11-22T09:00:00Z",
        "blocker:b-stale",  # an attention kind that is not critical comes after the gates
    ]
    assert items[-1].key == "d"  # a stale approval is resolved by reviewing its diff
    assert items[0].key == "enter"


def test_milestone_filter_keeps_workspace_problems(seed: Path, broken: Path) -> None:
    (seed / ".milestones/active/bad.yaml").write_bytes(
        (broken / ".milestones/active/bad-yaml.yaml").read_bytes()
    )
    items = build_inbox(snap_of(seed), milestone=M1)
    kinds = [i.kind for i in items]
    assert kinds == ["invalid_file", "gate"]
    assert items[0].file == "active/bad.yaml" and items[0].since is not None
    assert build_inbox(snap_of(seed), milestone="milestone-002")[0].kind == "invalid_file"
    assert [i.kind for i in build_inbox(snap_of(seed), milestone="milestone-002")] == [
        "invalid_file"
    ]


def test_problem_blocker_ids_match_the_blocker_detector_role(broken: Path) -> None:
    from kiro_tui.agents.roles.blockers import detect

    snap = snap_of(broken)
    full = replace(snap, blockers=())
    role_ids = {b.blocker_id for b in detect(full, datetime.now(UTC)) if b.kind == "invalid_file"}
    ours = {b.blocker_id for b in snap.blockers}
    assert ours and ours == role_ids


def test_gate_without_completed_at_takes_the_time_of_its_latest_event(seed: Path) -> None:
    edit(
        seed,
        "active/milestone-001.yaml",
        'completed_at: "2026-11-22T09:00:00Z"',
        "completed_at: null",
    )
    events.append(
        seed / ".milestones/logs/execution-milestone-001.jsonl",
        {
            "timestamp": "2026-11-22T10:30:00Z",
            "event": "phase_waiting_approval",
            "milestone_id": M1,
            "task_id": "task-001",
            "phase": "spec",
        },
    )
    times = phase_event_times(seed / ".milestones")
    assert times[(M1, "task-001", "spec")] == "2026-11-22T10:30:00Z"
    items = build_inbox(snap_of(seed), last_events=times)
    assert items[0].since == "2026-11-22T10:30:00Z"
    assert build_inbox(snap_of(seed))[0].since is None  # unknown without the events


def test_a_phase_completed_again_after_rejection_is_a_new_item(seed: Path) -> None:
    ws = ws_of(seed)
    first = build_inbox(snap_of(seed))[0].id
    ws.reject(M1, "task-001", "spec", "the rollout plan has no rollback")
    assert build_inbox(snap_of(seed)) == []
    plan = seed / ".milestones/deliverables/task-001/spec/rollout_plan.md"
    plan.write_text(plan.read_text(encoding="utf-8") + "\nRollback: redeploy the last tag.\n")
    ws.complete_phase(M1, "task-001", "spec")
    again = build_inbox(snap_of(seed))
    assert len(again) == 1 and again[0].id != first and again[0].phase == "spec"
    ws.approve(M1, "task-001", "spec")
    assert build_inbox(snap_of(seed)) == []


def test_json_and_text_forms_strip_control_characters(seed: Path) -> None:
    edit(
        seed,
        "active/milestone-001.yaml",
        'title: "Login API"',
        'title: "Login\\e]0;pwned\\aAPI\\e[31m red\\nsecond line\\u202e"',
    )
    items = build_inbox(snap_of(seed))
    doc = inbox_json(items, NOW)
    assert (
        doc["schema"] == 1 and doc["count"] == 1 and doc["generated_at"] == "2026-11-22T12:00:00Z"
    )
    json.dumps(doc)  # serialisable as it is
    text = inbox_text(items, NOW)
    blob = text + json.dumps(doc, ensure_ascii=False)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", blob)
    assert "Login]0,pwnedAPI[31m red second line" in text.replace(";", ",")
    lines = text.splitlines()
    assert lines[0] == "1 needs you" and lines[1].startswith("  1. [gate] milestone-001 > ")
    assert inbox_text([], NOW) == "nothing needs you"
    assert (count_text(0), count_text(3)) == ("", "3 need you")


def test_finished_milestones_and_tasks_are_not_in_the_inbox(tmp_path: Path) -> None:
    root = copy_fixture("seed-basic", tmp_path / "r")
    edit(root, "active/milestone-001.yaml", 'status: "in_progress"', 'status: "cancelled"')
    assert build_inbox(snap_of(root)) == []


def test_clean_makes_one_safe_line_of_any_text() -> None:
    from kiro_tui.core.inbox import clean

    assert clean("  Add   the login form ") == "Add the login form"
    assert clean("a\tb\nc\r\nd") == "a b c d"
    assert clean("red \x1b[31mtext\x07 \x7f!") == "red [31mtext !"
    assert clean("abc\u202edef\u2066") == "abcdef"  # bidirectional overrides go
    assert clean("Café ½ — ok") == "Café ½ — ok"
    assert clean("x" * 400) == "x" * 299 + "…" and clean("é" * 90, 80) == "é" * 79 + "…"
    assert clean(None) == "" and clean(42) == "42"
