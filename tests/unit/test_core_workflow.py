"""The phase state machine of FORMAT.md section 6, through the service, on real files."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiro_tui.core.clock import Clock
from kiro_tui.core.deliverables import TEMPLATE_MARKER
from kiro_tui.core.errors import InvalidId, NotFound, Refused
from kiro_tui.core.events import read_all
from kiro_tui.core.service import Workspace
from kiro_tui.core.templates import deliverables_for
from kiro_tui.core.yaml.roundtrip import load_fast

M1 = "milestone-001"


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under `root`: compare before and after an action."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def assert_refused(
    root: Path, action: Callable[[], Any], pattern: str, exc: type[Exception] = Refused
) -> str:
    """`action` raises `exc` with a one-line message matching `pattern`, and nothing on disk
    changes (not even a lock file)."""
    before = tree(root)
    with pytest.raises(exc) as info:
        action()
    after = tree(root)
    assert after.keys() == before.keys(), sorted(set(after) ^ set(before))
    changed = [k for k in before if before[k] != after[k]]
    assert not changed, changed
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg and msg
    assert re.search(pattern, msg), msg
    return msg


def doc(root: Path, mid: str = M1, where: str = "active") -> dict[str, Any]:
    path = root / ".milestones" / where / f"{mid}.yaml"
    if where == "active" and not path.exists():  # moved on completion
        path = root / ".milestones" / "completed" / f"{mid}.yaml"
    return load_fast(path.read_text(encoding="utf-8"), path)


def phase_raw(
    root: Path, task: str, phase: str, mid: str = M1, where: str = "active"
) -> dict[str, Any]:
    for t in doc(root, mid, where)["tasks"]:
        if t["id"] == task:
            return t["kiro_workflow"]["phases"][phase]
    raise AssertionError(task)


def task_raw(root: Path, task: str, mid: str = M1, where: str = "active") -> dict[str, Any]:
    return next(t for t in doc(root, mid, where)["tasks"] if t["id"] == task)


def fill(root: Path, task: str, phase: str, names: list[str], text: str = "real content\n") -> None:
    folder = root / ".milestones" / "deliverables" / task / phase
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(f"{name}: {text}", encoding="utf-8")


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> str:
    stamp = "2026-11-25T14:03:07Z"
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", stamp)
    return stamp


@pytest.fixture
def ws(seed: Path, now: str) -> Workspace:
    return Workspace.open(seed, clock=Clock.from_env())


def fresh(tmp_path: Path, kind: str = "other", **env: str) -> tuple[Workspace, str]:
    """A new workspace holding milestone m1 with one kiro task of `kind`."""
    root = tmp_path / "fresh"
    root.mkdir()
    Workspace.init(root)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        ws = Workspace.open(root, clock=Clock.from_env())
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    ws.new_milestone("m1", "Fresh", [])
    tid = ws.add_task("m1", "Only task", kind)
    return ws, tid


# ---------------------------------------------------------------- start


def test_start_refused_when_earlier_phase_not_passed(ws: Workspace, seed: Path) -> None:
    # task-002: design in_progress, spec pending
    assert_refused(
        seed,
        lambda: ws.start_phase(M1, "task-002", "spec"),
        r"cannot start spec of task-002: design is in_progress",
    )
    # task-001: design approved, spec waiting_approval (not passed): task refused
    assert_refused(
        seed,
        lambda: ws.start_phase(M1, "task-001", "task"),
        r"spec is waiting_approval, it must be approved first",
    )


def test_start_refused_when_not_pending(ws: Workspace, seed: Path) -> None:
    assert_refused(
        seed, lambda: ws.start_phase(M1, "task-002", "design"), r"it is in_progress, not pending"
    )
    assert_refused(
        seed, lambda: ws.start_phase(M1, "task-003", "execute"), r"it is completed, not pending"
    )


def test_start_refused_when_dependencies_unmet(ws: Workspace, seed: Path) -> None:
    assert_refused(
        seed, lambda: ws.start_phase("milestone-002", "task-011", "design"), r"waiting for task-010"
    )


def test_start_refused_when_milestone_paused(ws: Workspace, seed: Path) -> None:
    path = seed / ".milestones" / "active" / "milestone-002.yaml"
    path.write_text(path.read_text().replace('status: "planning"', 'status: "paused"', 1))
    assert_refused(
        seed,
        lambda: ws.start_phase("milestone-002", "task-010", "design"),
        r"milestone milestone-002 is paused",
    )
    path.write_text(path.read_text().replace('status: "paused"', 'status: "cancelled"', 1))
    assert_refused(
        seed,
        lambda: ws.start_phase("milestone-002", "task-010", "design"),
        r"milestone milestone-002 is cancelled",
    )


def test_start_refused_on_plain_task_unknown_task_and_phase(ws: Workspace, seed: Path) -> None:
    assert_refused(seed, lambda: ws.start_phase(M1, "task-004", "design"), r"plain task.*migrate")
    assert_refused(seed, lambda: ws.start_phase(M1, "task-999", "design"), r"no task", exc=NotFound)
    assert_refused(
        seed, lambda: ws.start_phase(M1, "task-001", "deploy"), r"unknown phase", exc=InvalidId
    )


def test_start_effects(ws: Workspace, seed: Path, now: str) -> None:
    out = ws.start_phase("milestone-002", "task-010", "design")
    assert "design started" in out.message
    ph = phase_raw(seed, "task-010", "design", "milestone-002")
    assert ph["status"] == "in_progress"
    assert ph["started_at"] == now
    t = task_raw(seed, "task-010", "milestone-002")
    assert t["status"] == "in_progress"
    assert t["kiro_workflow"]["current_phase"] == "design"
    folder = seed / ".milestones" / "deliverables" / "task-010" / "design"
    for name in (
        "architecture_diagram.md",
        "data_model.md",
        "security_design.md",
        "api_specification.yaml",
    ):
        assert TEMPLATE_MARKER in (folder / name).read_text(), name
    # the starter of a .yaml deliverable is still valid YAML (all comments)
    assert load_fast((folder / "api_specification.yaml").read_text(), "x") is None
    evs = read_all(seed / ".milestones" / "logs" / "execution-milestone-002.jsonl").events
    assert [e.event for e in evs] == ["phase_started"]
    assert evs[0].task_id == "task-010" and evs[0].phase == "design"
    assert evs[0].actor == "tester" and evs[0].role == "user"


def test_start_keeps_existing_deliverables(ws: Workspace, seed: Path) -> None:
    fill(seed, "task-010", "design", ["data_model.md"], "mine\n")
    ws.start_phase("milestone-002", "task-010", "design")
    folder = seed / ".milestones" / "deliverables" / "task-010" / "design"
    assert (folder / "data_model.md").read_text() == "data_model.md: mine\n"


# ---------------------------------------------------------------- complete


def test_complete_refused_while_deliverables_missing(ws: Workspace, seed: Path) -> None:
    # task-002 design: 1 of 3 present (plus a README.md that is not a deliverable)
    msg = assert_refused(
        seed, lambda: ws.complete_phase(M1, "task-002", "design"), r"deliverables missing"
    )
    assert "fix_approach.md" in msg and "regression_prevention.md" in msg
    assert "root_cause_analysis.md" not in msg


def test_complete_refused_while_template_marker_or_empty(ws: Workspace, seed: Path) -> None:
    folder = seed / ".milestones" / "deliverables" / "task-002" / "design"
    (folder / "fix_approach.md").write_text(f"{TEMPLATE_MARKER}\n# Fix approach\nsome text\n")
    (folder / "regression_prevention.md").write_text("written\n")
    msg = assert_refused(seed, lambda: ws.complete_phase(M1, "task-002", "design"), r"templates")
    assert "fix_approach.md" in msg and "regression_prevention" not in msg
    (folder / "fix_approach.md").write_text("")
    assert_refused(seed, lambda: ws.complete_phase(M1, "task-002", "design"), r"fix_approach")
    (folder / "fix_approach.md").write_text("done\n")
    out = ws.complete_phase(M1, "task-002", "design")
    assert "waiting for approval" in out.message


def test_complete_refused_when_not_in_progress(ws: Workspace, seed: Path) -> None:
    assert_refused(
        seed,
        lambda: ws.complete_phase(M1, "task-001", "spec"),
        r"it is waiting_approval, not in_progress",
    )
    assert_refused(
        seed, lambda: ws.complete_phase(M1, "task-001", "task"), r"it is pending, not in_progress"
    )


def test_complete_with_gate_waits_for_approval(ws: Workspace, seed: Path, now: str) -> None:
    fill(seed, "task-002", "design", ["fix_approach.md", "regression_prevention.md"])
    ws.complete_phase(M1, "task-002", "design")
    ph = phase_raw(seed, "task-002", "design")
    assert ph["status"] == "waiting_approval"
    assert ph["completed_at"] == now
    # started 2026-11-22T10:00:00Z, completed 2026-11-25T14:03:07Z
    assert ph["actual_hours"] == pytest.approx(76.05, abs=0.01)
    assert phase_raw(seed, "task-002", "spec")["status"] == "pending"
    evs = read_all(seed / ".milestones" / "logs" / "execution-milestone-001.jsonl").events
    assert evs[-1].event == "phase_waiting_approval"


def test_complete_without_gate_starts_next_phase(tmp_path: Path, now: str) -> None:
    ws, tid = fresh(tmp_path)
    root = ws.root
    drive(ws, "m1", tid, "other", ("design", "spec"))
    assert phase_raw(root, tid, "task", "m1")["status"] == "in_progress"
    fill(root, tid, "task", deliverables_for("other", "task"))
    out = ws.complete_phase("m1", tid, "task")
    assert phase_raw(root, tid, "task", "m1")["status"] == "completed"
    assert phase_raw(root, tid, "execute", "m1")["status"] == "in_progress"
    assert task_raw(root, tid, "m1")["kiro_workflow"]["current_phase"] == "execute"
    assert [e["event"] for e in out.events] == ["phase_completed", "phase_started"]


# ---------------------------------------------------------------- approve


def test_approve_records_everything(ws: Workspace, seed: Path, now: str) -> None:
    out = ws.approve(M1, "task-001", "spec", actor="alice", note="looks right")
    assert out.message == "task-001: spec approved by alice"
    ph = phase_raw(seed, "task-001", "spec")
    assert ph["status"] == "approved"
    assert ph["approved_at"] == now
    assert ph["approved_by"] == "alice"
    assert ph["approval_notes"] == "looks right"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", ph["approved_digest"])
    assert ph["review_history"] == [
        {"action": "approved", "by": "alice", "at": now, "comment": "looks right"}
    ]
    # the next phase starts
    nxt = phase_raw(seed, "task-001", "task")
    assert nxt["status"] == "in_progress" and nxt["started_at"] == now
    assert task_raw(seed, "task-001")["kiro_workflow"]["current_phase"] == "task"
    evs = read_all(seed / ".milestones" / "logs" / "execution-milestone-001.jsonl").events
    assert [e.event for e in evs[-2:]] == ["phase_approved", "phase_started"]
    assert evs[-2].actor == "alice" and evs[-2].data == {"note": "looks right"}
    assert evs[-2].session_id == "exec-milestone-001-20251121-100000"


def test_approve_digest_follows_contents(ws: Workspace, seed: Path) -> None:
    from kiro_tui.core import deliverables as dl

    m = ws.load().milestone(M1)
    assert m is not None
    task = m.task("task-001")
    assert task is not None
    spec = task.phase("spec")
    assert spec is not None
    before = dl.digest(seed, "task-001", spec)
    ws.approve(M1, "task-001", "spec")
    assert phase_raw(seed, "task-001", "spec")["approved_digest"] == before
    (seed / ".milestones/deliverables/task-001/spec/test_plan.md").write_text("changed\n")
    assert dl.digest(seed, "task-001", spec) != before


def test_approve_refused_unless_waiting(ws: Workspace, seed: Path) -> None:
    assert_refused(
        seed,
        lambda: ws.approve(M1, "task-001", "design"),
        r"cannot approve design of task-001: it is approved, not waiting_approval",
    )
    assert_refused(
        seed,
        lambda: ws.approve(M1, "task-002", "design"),
        r"it is in_progress, not waiting_approval",
    )
    assert_refused(seed, lambda: ws.approve(M1, "task-004", "design"), r"plain task")


def test_approve_default_actor_is_kiro_user(ws: Workspace, seed: Path) -> None:
    ws.approve(M1, "task-001", "spec")
    assert phase_raw(seed, "task-001", "spec")["approved_by"] == "tester"


# ---------------------------------------------------------------- reject


def test_reject_requires_reason(ws: Workspace, seed: Path) -> None:
    assert_refused(seed, lambda: ws.reject(M1, "task-001", "spec", ""), r"a reason is required")
    assert_refused(seed, lambda: ws.reject(M1, "task-001", "spec", "   "), r"reason")


def test_reject_refused_unless_waiting(ws: Workspace, seed: Path) -> None:
    assert_refused(
        seed,
        lambda: ws.reject(M1, "task-002", "design", "no"),
        r"it is in_progress, not waiting_approval",
    )


def test_reject_then_complete_needs_a_changed_deliverable(
    ws: Workspace, seed: Path, now: str
) -> None:
    out = ws.reject(M1, "task-001", "spec", "test plan lacks load tests", actor="bob")
    assert "sent back" in out.message
    ph = phase_raw(seed, "task-001", "spec")
    assert ph["status"] == "in_progress"
    assert ph["rejected_at"] == now
    assert ph["rejected_by"] == "bob"
    assert ph["rejection_reason"] == "test plan lacks load tests"
    # the phase is in progress again: completed_at is cleared and kept in the history
    assert ph["completed_at"] is None
    assert ph["review_history"] == [
        {
            "action": "request_changes",
            "by": "bob",
            "at": now,
            "comment": "test plan lacks load tests",
            "completed_at": "2026-11-22T09:00:00Z",
        }
    ]
    assert phase_raw(seed, "task-001", "task")["status"] == "pending"
    evs = read_all(seed / ".milestones" / "logs" / "execution-milestone-001.jsonl").events
    assert evs[-1].event == "phase_rejected" and evs[-1].level == "warning"

    assert_refused(
        seed,
        lambda: ws.complete_phase(M1, "task-001", "spec"),
        r"no deliverable changed since it was rejected",
    )
    # touching a file without changing it is not a change
    p = seed / ".milestones/deliverables/task-001/spec/test_plan.md"
    p.write_bytes(p.read_bytes())
    assert_refused(
        seed, lambda: ws.complete_phase(M1, "task-001", "spec"), r"no deliverable changed"
    )
    p.write_text(p.read_text() + "\n## Load tests\n")
    ws.complete_phase(M1, "task-001", "spec")
    assert phase_raw(seed, "task-001", "spec")["status"] == "waiting_approval"
    # a second review round: approve appends to the same history
    ws.approve(M1, "task-001", "spec", actor="bob", note="ok now")
    hist = phase_raw(seed, "task-001", "spec")["review_history"]
    assert [h["action"] for h in hist] == ["request_changes", "approved"]


def test_second_rejection_needs_a_new_change(ws: Workspace, seed: Path) -> None:
    p = seed / ".milestones/deliverables/task-001/spec/test_plan.md"
    ws.reject(M1, "task-001", "spec", "first")
    p.write_text("v2\n")
    ws.complete_phase(M1, "task-001", "spec")
    ws.reject(M1, "task-001", "spec", "second")
    assert_refused(
        seed, lambda: ws.complete_phase(M1, "task-001", "spec"), r"no deliverable changed"
    )
    p.write_text("v3\n")
    ws.complete_phase(M1, "task-001", "spec")


def test_rejection_written_by_another_tool_uses_mtime(
    ws: Workspace, seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rejection without kiro-tui's digest (e.g. the slash commands): a deliverable modified
    after `rejected_at` counts as changed."""
    path = seed / ".milestones/active/milestone-001.yaml"
    text = path.read_text()
    # task-002 design: in_progress, rejected long after the deliverables were written
    text = text.replace(
        'started_at: "2026-11-22T10:00:00Z"',
        'started_at: "2026-11-22T10:00:00Z"\n          rejected_at: "2099-01-01T00:00:00Z"',
        1,
    )
    path.write_text(text)
    fill(seed, "task-002", "design", ["fix_approach.md", "regression_prevention.md"])
    assert_refused(
        seed, lambda: ws.complete_phase(M1, "task-002", "design"), r"no deliverable changed"
    )
    text = path.read_text().replace('"2099-01-01T00:00:00Z"', '"2000-01-01T00:00:00Z"')
    path.write_text(text)
    ws.complete_phase(M1, "task-002", "design")


# ---------------------------------------------------------------- block / unblock


@pytest.mark.parametrize(
    ("task", "phase", "status"),
    [
        ("task-002", "design", "in_progress"),
        ("task-001", "spec", "waiting_approval"),
        ("task-001", "task", "pending"),
    ],
)
def test_block_and_unblock_restore_status(
    ws: Workspace, seed: Path, task: str, phase: str, status: str
) -> None:
    ws.block(M1, task, phase, "waiting for the vendor")
    ph = phase_raw(seed, task, phase)
    assert ph["status"] == "blocked"
    assert ph["blocked_reason"] == "waiting for the vendor"
    evs = read_all(seed / ".milestones" / "logs" / "execution-milestone-001.jsonl").events
    assert evs[-1].event == "phase_blocked"
    ws.unblock(M1, task, phase)
    ph = phase_raw(seed, task, phase)
    assert ph["status"] == status
    assert "blocked_reason" not in ph


def test_block_unblock_refused(ws: Workspace, seed: Path) -> None:
    assert_refused(
        seed,
        lambda: ws.block(M1, "task-001", "design", "x"),
        r"cannot block design of task-001: it is approved",
    )
    assert_refused(seed, lambda: ws.block(M1, "task-003", "execute", "x"), r"it is completed")
    assert_refused(
        seed, lambda: ws.unblock(M1, "task-002", "design"), r"it is in_progress, not blocked"
    )
    ws.block(M1, "task-002", "design", "x")
    assert_refused(seed, lambda: ws.block(M1, "task-002", "design", "again"), r"it is blocked")
    assert_refused(
        seed, lambda: ws.complete_phase(M1, "task-002", "design"), r"it is blocked, not in_progress"
    )


def test_untouched_file_round_trip_after_block_unblock(ws: Workspace, seed: Path) -> None:
    path = seed / ".milestones/active/milestone-001.yaml"
    original = path.read_bytes()
    ws.block(M1, "task-002", "design", "x")
    ws.unblock(M1, "task-002", "design")
    assert path.read_bytes() == original


# ---------------------------------------------------------------- whole task and milestone


def drive(
    ws: Workspace,
    mid: str,
    tid: str,
    kind: str,
    phases: tuple[str, ...] = ("design", "spec", "task", "execute"),
) -> None:
    """Carry a task through `phases` (start design first), approving where a gate waits."""
    root = ws.root
    for phase in phases:
        if phase_raw(root, tid, phase, mid)["status"] == "pending":
            ws.start_phase(mid, tid, phase)
        fill(root, tid, phase, deliverables_for(kind, phase))
        ws.complete_phase(mid, tid, phase)
        if phase_raw(root, tid, phase, mid)["status"] == "waiting_approval":
            ws.approve(mid, tid, phase)


def test_last_task_completes_and_archives_the_milestone(tmp_path: Path, now: str) -> None:
    ws, tid = fresh(tmp_path, "bugfix")
    ws.start_milestone("m1")
    drive(ws, "m1", tid, "bugfix", ("design", "spec", "task"))
    assert (ws.ms / "active" / "m1.yaml").is_file()
    drive(ws, "m1", tid, "bugfix", ("execute",))
    assert not (ws.ms / "active" / "m1.yaml").exists()
    done = doc(ws.root, "m1", "completed")
    assert done["status"] == "completed"
    assert done["completed_at"] == now
    assert done["tasks"][0]["status"] == "completed"
    assert not (ws.ms / "active" / "current.txt").exists()
    m = ws.load().milestone("m1")
    assert m is not None and m.location == "completed" and m.status == "completed"
    evs = read_all(ws.ms / "logs" / "execution-m1.jsonl").events
    assert [e.event for e in evs[-3:]] == [
        "phase_completed",
        "task_completed",
        "milestone_completed",
    ]
    sid = m.session_id
    assert sid is not None
    sess = load_fast((ws.ms / "sessions" / f"{sid}.yaml").read_text(), "s")
    assert sess["session"]["status"] == "completed"
    # a finished milestone refuses further phase starts
    assert_refused(ws.root, lambda: ws.start_phase("m1", tid, "design"), r"not pending")


def test_milestone_completion_unlocks_dependants(tmp_path: Path, now: str) -> None:
    ws, tid = fresh(tmp_path, "other")
    ws.new_milestone("m2", "Next", ["m1"])
    assert_refused(ws.root, lambda: ws.start_milestone("m2"), r"requires m1")
    drive(ws, "m1", tid, "other")
    ws.start_milestone("m2")
    assert doc(ws.root, "m2")["status"] == "in_progress"


def test_cancelled_tasks_do_not_hold_the_milestone(tmp_path: Path, now: str) -> None:
    ws, tid = fresh(tmp_path, "other")
    ws.add_task("m1", "Dropped")
    path = ws.ms / "active" / "m1.yaml"
    text = path.read_text()
    i = text.index("id: task-dropped")
    text = text[:i] + text[i:].replace("status: pending", "status: cancelled", 1)
    path.write_text(text)
    drive(ws, "m1", tid, "other")
    assert doc(ws.root, "m1", "completed")["status"] == "completed"


def test_approve_of_execute_completes_the_task(tmp_path: Path, now: str) -> None:
    ws, tid = fresh(tmp_path, "api", KIRO_EXECUTE_APPROVAL="true")
    ws.add_task("m1", "Second", "api")  # keeps the milestone open
    assert phase_raw(ws.root, tid, "execute", "m1")["approval_required"] is True
    drive(ws, "m1", tid, "api", ("design", "spec", "task"))
    fill(ws.root, tid, "execute", deliverables_for("api", "execute"))
    ws.complete_phase("m1", tid, "execute")
    assert phase_raw(ws.root, tid, "execute", "m1")["status"] == "waiting_approval"
    assert task_raw(ws.root, tid, "m1")["status"] == "in_progress"
    out = ws.approve("m1", tid, "execute", note="ship it")
    assert task_raw(ws.root, tid, "m1")["status"] == "completed"
    assert task_raw(ws.root, tid, "m1")["completed_at"] == now
    assert [e["event"] for e in out.events] == ["phase_approved", "task_completed"]
    assert not out.milestone_completed


def test_execute_deliverables_may_be_folders(tmp_path: Path, now: str) -> None:
    ws, tid = fresh(tmp_path, "other")
    drive(ws, "m1", tid, "other", ("design", "spec", "task"))
    base = ws.ms / "deliverables" / tid / "execute"
    for name in deliverables_for("other", "execute"):
        (base / name).mkdir(parents=True, exist_ok=True)
    assert_refused(ws.root, lambda: ws.complete_phase("m1", tid, "execute"), r"implementation")
    for name in deliverables_for("other", "execute"):
        (base / name / "sub").mkdir()
        (base / name / "sub" / "empty.txt").write_text("")
    assert_refused(ws.root, lambda: ws.complete_phase("m1", tid, "execute"), r"implementation")
    for name in deliverables_for("other", "execute"):
        (base / name / "sub" / "file.py").write_text("print()\n")
    ws.complete_phase("m1", tid, "execute")
    assert doc(ws.root, "m1", "completed")["status"] == "completed"


def test_phase_gate_from_milestone_configuration(tmp_path: Path, now: str) -> None:
    """With no `approval_required` on the phase, the milestone's approval_gates decide."""
    ws, tid = fresh(tmp_path, "other")
    path = ws.ms / "active" / "m1.yaml"
    text = re.sub(r"(?m)^ +approval_required: true\n", "", path.read_text(), count=1)
    text = text.replace(
        "tasks:\n",
        "kiro_configuration:\n  approval_gates:\n    design_to_spec:\n"
        "      required: false\ntasks:\n",
        1,
    )
    path.write_text(text)
    ws.start_phase("m1", tid, "design")
    fill(ws.root, tid, "design", deliverables_for("other", "design"))
    ws.complete_phase("m1", tid, "design")
    assert phase_raw(ws.root, tid, "design", "m1")["status"] == "completed"
    assert phase_raw(ws.root, tid, "spec", "m1")["status"] == "in_progress"


def test_archive_never_overwrites_a_completed_file(tmp_path: Path, now: str) -> None:
    ws, tid = fresh(tmp_path, "other")
    other = ws.ms / "completed" / "m1.yaml"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text("id: m1\ntitle: An older m1\nstatus: completed\n")
    drive(ws, "m1", tid, "other")
    assert other.read_text() == "id: m1\ntitle: An older m1\nstatus: completed\n"
    kept = ws.ms / "active" / "m1.yaml"
    assert load_fast(kept.read_text(), kept)["status"] == "completed"
    evs = read_all(ws.ms / "logs" / "execution-m1.jsonl").events
    assert evs[-1].event == "archive_conflict" and evs[-1].level == "warning"


def test_unreadable_rejection_time_does_not_hold_the_phase(ws: Workspace, seed: Path) -> None:
    path = seed / ".milestones/active/milestone-001.yaml"
    path.write_text(
        path.read_text().replace(
            'started_at: "2026-11-22T10:00:00Z"',
            'started_at: "2026-11-22T10:00:00Z"\n          rejected_at: "last tuesday"',
            1,
        )
    )
    fill(seed, "task-002", "design", ["fix_approach.md", "regression_prevention.md"])
    ws.complete_phase(M1, "task-002", "design")
    assert phase_raw(seed, "task-002", "design")["status"] == "waiting_approval"
