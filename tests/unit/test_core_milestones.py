"""Milestone start, pause and resume; creating milestones and tasks; migration of plain tasks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kiro_tui.core.clock import Clock, parse_ts
from kiro_tui.core.config import load_config
from kiro_tui.core.errors import InvalidId, NotFound
from kiro_tui.core.events import read_all
from kiro_tui.core.progress import milestone_progress
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import load_fast
from tests.unit.test_core_workflow import assert_refused, doc, phase_raw, task_raw

M1 = "milestone-001"
NOW = "2026-11-25T14:03:07Z"
SID = "exec-milestone-001-20261125-140307"


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", NOW)


@pytest.fixture
def ws(seed: Path) -> Workspace:
    """The seed, with milestone-001 naming no session: start makes a fresh one (a milestone
    that names one is adopted: tests/unit/test_action_order.py)."""
    path = seed / ".milestones/active/milestone-001.yaml"
    path.write_text(
        path.read_text().replace('  session_id: "exec-milestone-001-20251121-100000"\n', "")
    )
    return Workspace.open(seed, clock=Clock.from_env())


def session(root: Path, sid: str) -> dict[str, Any]:
    return load_fast((root / ".milestones" / "sessions" / f"{sid}.yaml").read_text(), "s")[
        "session"
    ]


def log_events(root: Path, mid: str = M1) -> list[str]:
    return [
        e.event for e in read_all(root / ".milestones" / "logs" / f"execution-{mid}.jsonl").events
    ]


# ---------------------------------------------------------------- start


def test_start_milestone_writes_session_execution_current_and_event(
    ws: Workspace, seed: Path
) -> None:
    (seed / ".milestones" / "active" / "current.txt").unlink()
    out = ws.start_milestone(M1, actor="alice")
    assert SID in out.message
    s = session(seed, SID)
    assert s["id"] == SID and s["milestone_id"] == M1 and s["status"] == "active"
    assert s["started_at"] == NOW and s["pauses"] == []
    assert s["agent_types"] == [
        "task_executor",
        "progress_monitor",
        "git_integration",
        "dependency_validator",
        "blocker_detector",
    ]
    d = doc(seed)
    # started_at is kept from the first activation; session_id is the latest session
    assert d["execution"] == {"started_at": "2026-11-21T10:00:00Z", "session_id": SID}
    assert d["status"] == "in_progress"
    assert (seed / ".milestones/active/current.txt").read_text() == f"{M1}\n"
    evs = read_all(seed / ".milestones/logs/execution-milestone-001.jsonl").events
    assert evs[-1].event == "milestone_started"
    assert evs[-1].session_id == SID and evs[-1].actor == "alice" and evs[-1].role == "user"


def test_start_milestone_first_time_sets_started_at(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    Workspace.init(root)
    ws = Workspace.open(root, clock=Clock.from_env())
    ws.new_milestone("m1", "First", [])
    ws.start_milestone("m1")
    d = doc(root, "m1")
    assert d["status"] == "in_progress"
    assert d["execution"] == {"started_at": NOW, "session_id": "exec-m1-20261125-140307"}


def test_start_again_continues_the_live_session(
    ws: Workspace, seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.start_milestone(M1)
    n = len(log_events(seed))
    ws.clock = Clock.at(parse_ts("2026-11-25T15:00:00Z"))
    out = ws.start_milestone(M1)
    assert "continues" in out.message
    assert doc(seed)["execution"]["session_id"] == SID
    assert len(log_events(seed)) == n
    assert sorted(p.name for p in (seed / ".milestones/sessions").glob("*.yaml")) == [f"{SID}.yaml"]


def test_start_milestone_refused_when_requirements_unmet(ws: Workspace, seed: Path) -> None:
    assert_refused(
        seed,
        lambda: ws.start_milestone("milestone-002"),
        r"cannot start milestone-002: it requires milestone-001 to be completed",
    )


def test_start_milestone_refused_when_required_milestone_missing(ws: Workspace, seed: Path) -> None:
    ws.new_milestone("m9", "Needs ghost", [])  # `new --requires ghost` is refused: by hand
    path = seed / ".milestones/active/m9.yaml"
    path.write_text(path.read_text().replace("requires: []", "requires: [ghost]"))
    assert_refused(seed, lambda: ws.start_milestone("m9"), r"requires ghost")


def test_start_milestone_refused_when_finished_paused_unknown(ws: Workspace, seed: Path) -> None:
    assert_refused(seed, lambda: ws.start_milestone("milestone-000"), r"it is completed")
    ws.start_milestone(M1)
    ws.pause(M1)
    assert_refused(seed, lambda: ws.start_milestone(M1), r"paused.*resume")
    assert_refused(seed, lambda: ws.start_milestone("nope"), r"no milestone 'nope'", exc=NotFound)
    assert_refused(
        seed, lambda: ws.start_milestone("../evil"), r"invalid milestone id", exc=InvalidId
    )


def test_start_milestone_when_requirement_completed(ws: Workspace, seed: Path) -> None:
    active = seed / ".milestones/active"
    text = (active / "milestone-001.yaml").read_text()
    (active / "milestone-001.yaml").write_text(
        text.replace('status: "in_progress"', 'status: "completed"', 1)
    )
    ws.start_milestone("milestone-002")
    d = doc(seed, "milestone-002")
    assert d["status"] == "in_progress"
    assert d["execution"]["session_id"] == "exec-milestone-002-20261125-140307"
    assert (active / "current.txt").read_text() == "milestone-002\n"


# ---------------------------------------------------------------- pause / resume


def test_pause_and_resume(ws: Workspace, seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.start_milestone(M1)
    out = ws.pause(M1, actor="carol")
    assert "paused by carol" in out.message
    assert doc(seed)["status"] == "paused"
    s = session(seed, SID)
    assert s["status"] == "paused"
    assert s["pauses"] == [{"paused_at": NOW, "resumed_at": None, "by": "carol"}]
    assert_refused(seed, lambda: ws.pause(M1), r"already paused")
    ws.clock = Clock.at(parse_ts("2026-11-25T16:00:00Z"))
    ws.resume(M1, actor="carol")
    assert doc(seed)["status"] == "in_progress"
    s = session(seed, SID)
    assert s["status"] == "active"
    assert s["pauses"] == [{"paused_at": NOW, "resumed_at": "2026-11-25T16:00:00Z", "by": "carol"}]
    assert_refused(seed, lambda: ws.resume(M1), r"it is in_progress, not paused")
    assert log_events(seed)[-3:] == ["milestone_started", "session_paused", "session_resumed"]


def test_pause_refused_without_a_session(ws: Workspace, seed: Path) -> None:
    # milestone-001 is in progress but names no session, and none is left to adopt
    assert_refused(seed, lambda: ws.pause(M1), r"no execution session.*kiro-tui start")
    assert_refused(seed, lambda: ws.resume("milestone-002"), r"no execution session")


def test_pause_keeps_the_status_spelling_elsewhere(ws: Workspace, seed: Path) -> None:
    """Pausing and resuming change `status` only; every other line stays as it was."""
    ws.start_milestone(M1)
    path = seed / ".milestones/active/milestone-001.yaml"
    before = path.read_text()
    ws.pause(M1)
    ws.resume(M1)
    assert path.read_text() == before


# ---------------------------------------------------------------- new / add-task


def test_new_milestone(ws: Workspace, seed: Path) -> None:
    path = ws.new_milestone("m-new", "Search", ["milestone-001"], description="Full text")
    assert path == seed / ".milestones/active/m-new.yaml"
    d = doc(seed, "m-new")
    assert d["id"] == "m-new" and d["title"] == "Search" and d["status"] == "planned"
    assert d["description"] == "Full text"
    assert d["dependencies"] == {"requires": ["milestone-001"]}
    assert d["tasks"] == [] and d["created_at"] == NOW
    m = ws.load().milestone("m-new")
    assert m is not None and m.requires == ("milestone-001",)
    assert log_events(seed, "m-new") == ["milestone_created"]
    assert_refused(seed, lambda: ws.new_milestone("m-new", "Again", []), r"already exists")
    assert_refused(seed, lambda: ws.new_milestone("milestone-000", "Again", []), r"already exists")
    assert_refused(
        seed, lambda: ws.new_milestone("a/b", "x", []), r"invalid milestone id", exc=InvalidId
    )
    assert_refused(
        seed, lambda: ws.new_milestone("ok", "x", ["../up"]), r"invalid milestone id", exc=InvalidId
    )
    assert_refused(seed, lambda: ws.new_milestone("ok", "  ", []), r"needs a title")


KINDS = {
    "feature": (
        [
            "architecture_diagram.md",
            "api_specification.yaml",
            "data_model.md",
            "security_design.md",
        ],
        ["technical_specification.md", "test_plan.md", "acceptance_criteria.md", "rollout_plan.md"],
        [
            "implementation_code",
            "unit_tests",
            "integration_tests",
            "documentation",
            "deployment_config",
        ],
    ),
    "bugfix": (
        ["root_cause_analysis.md", "fix_approach.md", "regression_prevention.md"],
        ["fix_specification.md", "test_scenarios.md", "validation_plan.md"],
        ["fix_implementation", "regression_tests", "validation_results", "monitoring_updates"],
    ),
    "api": (
        [
            "api_design.yaml",
            "endpoint_specification.md",
            "authentication_flow.md",
            "rate_limiting.md",
        ],
        [
            "openapi_spec.yaml",
            "integration_tests.md",
            "performance_criteria.md",
            "monitoring_plan.md",
        ],
        [
            "api_implementation",
            "api_tests",
            "api_documentation",
            "postman_collection",
            "performance_results",
        ],
    ),
    "frontend": (
        ["ui_mockups.md", "component_hierarchy.md", "state_management.md", "accessibility_plan.md"],
        [
            "component_specs.md",
            "interaction_flows.md",
            "responsive_design.md",
            "browser_support.md",
        ],
        [
            "component_implementation",
            "ui_tests",
            "accessibility_tests",
            "storybook_stories",
            "performance_metrics",
        ],
    ),
    "other": (
        ["design_document.md", "technical_approach.md", "integration_plan.md"],
        ["technical_spec.md", "test_strategy.md", "success_metrics.md"],
        ["implementation", "tests", "documentation", "deployment_ready"],
    ),
}
TASK_PHASE = [
    "implementation_tasks.md",
    "story_breakdown.md",
    "dependency_map.md",
    "risk_assessment.md",
]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_add_task_of_each_kind(ws: Workspace, seed: Path, kind: str) -> None:
    tid = ws.add_task("milestone-002", f"Make the {kind} thing", kind)
    assert tid == f"task-make-the-{kind}-thing"
    t = task_raw(seed, tid, "milestone-002")
    assert t["title"] == f"Make the {kind} thing"
    assert t["status"] == "pending" and t["estimated_hours"] == 8
    assert t["dependencies"] == []
    kw = t["kiro_workflow"]
    assert kw["enabled"] is True and kw["current_phase"] == "design"
    design, spec, execute = KINDS[kind]
    ph = kw["phases"]
    assert ph["design"]["deliverables"] == design
    assert ph["spec"]["deliverables"] == spec
    assert ph["task"]["deliverables"] == TASK_PHASE
    assert ph["execute"]["deliverables"] == execute
    assert [ph[p]["estimated_hours"] for p in ("design", "spec", "task", "execute")] == [
        1.2,
        2.0,
        1.6,
        3.2,
    ]
    assert [ph[p]["approval_required"] for p in ("design", "spec", "task", "execute")] == [
        True,
        True,
        False,
        False,
    ]
    assert all(ph[p]["status"] == "pending" for p in ph)
    m = ws.load().milestone("milestone-002")
    assert m is not None
    task = m.task(tid)
    assert task is not None and task.is_kiro and task.kind == kind


def test_add_task_ids_dependencies_and_hours(ws: Workspace, seed: Path) -> None:
    a = ws.add_task("milestone-002", "Refunds!", "feature", depends_on=["task-010"], hours=20)
    b = ws.add_task("milestone-002", "Refunds?")
    assert (a, b) == ("task-refunds", "task-refunds-2")
    t = task_raw(seed, a, "milestone-002")
    assert t["dependencies"] == ["task-010"]
    assert t["estimated_hours"] == 20
    assert [
        t["kiro_workflow"]["phases"][p]["estimated_hours"]
        for p in ("design", "spec", "task", "execute")
    ] == [3.0, 5.0, 4.0, 8.0]
    assert_refused(
        seed,
        lambda: ws.add_task("milestone-002", "x", depends_on=["task-ghost"]),
        r"no task 'task-ghost'",
    )
    assert_refused(
        seed,
        lambda: ws.add_task("milestone-002", "x", depends_on=["../x"]),
        r"invalid task id",
        exc=InvalidId,
    )
    assert_refused(seed, lambda: ws.add_task("milestone-002", "x", "chore"), r"unknown task kind")
    assert_refused(seed, lambda: ws.add_task("milestone-002", " "), r"needs a title")
    assert_refused(
        seed,
        lambda: ws.add_task("milestone-002", "Again", task_id="task-010"),
        r"already has a task task-010",
    )
    assert_refused(seed, lambda: ws.add_task("milestone-404", "x"), r"no milestone", exc=NotFound)
    assert log_events(seed, "milestone-002") == ["task_added", "task_added"]


def test_add_task_uses_the_milestones_weights_and_gates(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    Workspace.init(root)
    ws = Workspace.open(root, clock=Clock.from_env())
    ws.new_milestone("m1", "Weighted", [])
    path = root / ".milestones/active/m1.yaml"
    path.write_text(
        path.read_text().replace(
            "tasks: []",
            "kiro_configuration:\n  phase_weights: {design: 1, spec: 1, task: 1, "
            "execute: 1}\n  approval_gates:\n    design_to_spec: {required: false}\n"
            "    execute_completion: {required: true}\ntasks: []",
        )
    )
    tid = ws.add_task("m1", "Even")
    ph = task_raw(root, tid, "m1")["kiro_workflow"]["phases"]
    assert [ph[p]["estimated_hours"] for p in ("design", "spec", "task", "execute")] == [2, 2, 2, 2]
    assert [ph[p]["approval_required"] for p in ("design", "spec", "task", "execute")] == [
        False,
        True,
        False,
        True,
    ]


def test_add_task_to_a_seed_file_keeps_its_style(ws: Workspace, seed: Path) -> None:
    path = seed / ".milestones/active/milestone-002.yaml"
    before = path.read_text()
    ws.add_task("milestone-002", "Late fees")
    after = path.read_text()
    assert after.startswith(before)  # appended at the end, nothing above it changed
    assert "\n  - id: task-late-fees\n" in after


# ---------------------------------------------------------------- migrate


def _plain_milestone(root: Path, enforcement: str | None) -> Workspace:
    Workspace.init(root)
    ws = Workspace.open(root, clock=Clock.from_env())
    ws.new_milestone("m1", "Plain", [])
    kc = f"kiro_configuration:\n  enforcement: {enforcement}\n" if enforcement else ""
    path = root / ".milestones/active/m1.yaml"
    path.write_text(
        path.read_text().replace(
            "tasks: []",
            kc
            + """tasks:
  - id: t-pending
    title: Pending
    status: pending
    estimated_hours: 6
  - id: t-running
    title: Running
    status: in_progress
    estimated_hours: 12
  - id: t-done
    title: Done
    status: complete
    estimated_hours: 5
  - id: t-small
    title: Small
    status: pending
    estimated_hours: 2
  - id: t-nohours
    title: No hours
    status: pending
""",
        )
    )
    return ws


def _statuses(root: Path, tid: str) -> list[str] | None:
    kw = task_raw(root, tid, "m1").get("kiro_workflow")
    if kw is None:
        return None
    return [kw["phases"][p]["status"] for p in ("design", "spec", "task", "execute")]


def test_migrate_strict_migrates_every_plain_task(tmp_path: Path) -> None:
    ws = _plain_milestone(tmp_path, "strict")
    out = ws.migrate("m1")
    assert "strict" in out.message
    assert _statuses(tmp_path, "t-pending") == ["pending"] * 4
    assert _statuses(tmp_path, "t-running") == [
        "completed",
        "completed",
        "completed",
        "in_progress",
    ]
    assert _statuses(tmp_path, "t-done") == ["completed"] * 4
    assert _statuses(tmp_path, "t-small") == ["pending"] * 4
    assert _statuses(tmp_path, "t-nohours") == ["pending"] * 4
    t = task_raw(tmp_path, "t-running", "m1")
    assert t["status"] == "in_progress"  # the task status itself is kept
    assert t["kiro_workflow"]["current_phase"] == "execute"
    assert t["kiro_workflow"]["phases"]["design"]["deliverables"][0] == "architecture_diagram.md"
    assert [
        t["kiro_workflow"]["phases"][p]["estimated_hours"]
        for p in ("design", "spec", "task", "execute")
    ] == [1.8, 3.0, 2.4, 4.8]
    assert log_events(tmp_path, "m1").count("task_migrated") == 5
    # once migrated there is nothing left to do, and nothing is written
    path = tmp_path / ".milestones/active/m1.yaml"
    before = path.read_bytes()
    assert "nothing to migrate" in ws.migrate("m1").message
    assert path.read_bytes() == before


def test_migrate_progressive_only_above_four_hours(tmp_path: Path) -> None:
    ws = _plain_milestone(tmp_path, "progressive")
    ws.migrate("m1")
    assert _statuses(tmp_path, "t-pending") == ["pending"] * 4  # 6 h
    assert _statuses(tmp_path, "t-running") is not None  # 12 h
    assert _statuses(tmp_path, "t-done") is not None  # 5 h
    assert _statuses(tmp_path, "t-small") is None  # 2 h
    assert _statuses(tmp_path, "t-nohours") is not None  # default 8 h


def test_migrate_flexible_never(tmp_path: Path) -> None:
    ws = _plain_milestone(tmp_path, "flexible")
    path = tmp_path / ".milestones/active/m1.yaml"
    before = path.read_bytes()
    out = ws.migrate("m1")
    assert "nothing to migrate under enforcement 'flexible'" in out.message
    assert path.read_bytes() == before


def test_migrate_level_from_config_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _plain_milestone(tmp_path, None)  # init writes enforcement: progressive
    assert ws.config.enforcement == "progressive"
    monkeypatch.setenv("KIRO_ENFORCEMENT_LEVEL", "strict")
    ws = Workspace.open(tmp_path, clock=Clock.from_env())
    ws.migrate("m1")
    assert _statuses(tmp_path, "t-small") == ["pending"] * 4


def test_migrated_progress(tmp_path: Path) -> None:
    ws = _plain_milestone(tmp_path, "strict")
    m = ws.load().milestone("m1")
    assert m is not None
    before = milestone_progress(m)
    ws.migrate("m1")
    m = ws.load().milestone("m1")
    assert m is not None
    # running: 15 + 25 + 20 + 0.5 * 40 = 80 (was 50 as a plain task); done stays 100
    assert before == pytest.approx((0 + 50 + 100 + 0 + 0) / 5)
    assert milestone_progress(m) == pytest.approx((0 + 80 + 100 + 0 + 0) / 5)


def test_seed_config_is_strict_and_migrates_task_004(ws: Workspace, seed: Path) -> None:
    assert load_config(seed).enforcement == "strict"
    ws.migrate(M1)
    assert _statuses_seed(seed) == ["completed", "completed", "completed", "in_progress"]
    # the other tasks are untouched
    assert phase_raw(seed, "task-002", "design")["status"] == "in_progress"


def _statuses_seed(seed: Path) -> list[str]:
    ph = task_raw(seed, "task-004")["kiro_workflow"]["phases"]
    return [ph[p]["status"] for p in ("design", "spec", "task", "execute")]


def test_start_milestone_session_file_is_valid(ws: Workspace, seed: Path) -> None:
    ws.start_milestone(M1)
    from kiro_tui.core import sessions

    s = sessions.read_session(seed, SID)
    assert s is not None and s.milestone_id == M1 and s.status == "active"
    assert os.path.isfile(sessions.session_path(seed, SID))
