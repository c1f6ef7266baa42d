"""Gates and review fields in files written by the original `/milestone/*` commands (issue 10,
items 1 and 7).

The original edits milestones with mikefarah `yq` v4 (`yq e '(...) = "completed"' -i`). The
`yq` on this machine is another program (the Python jq wrapper), so the files are written here
by hand the way yq v4 leaves them: the `create_kiro_native_task` heredoc (double-quoted strings,
flow lists, the `# Kiro workflow is MANDATORY` comment, `null` times) re-indented with two
spaces, then each `yq -i` rewrite applied as a text edit that keeps the quotes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiro_tui.core import workflow
from kiro_tui.core.clock import Clock
from kiro_tui.core.config import Config
from kiro_tui.core.errors import Refused
from kiro_tui.core.progress import milestone_progress, task_progress
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import RoundTrip, load_fast
from tests.unit.test_core_workflow import assert_refused

MID = "m-orig"
TID = "task-1732000000-login-form"
NOW = "2026-11-25T14:03:07Z"

# create_kiro_native_task's heredoc after `yq e '.tasks += [.]' -i`; then the first two
# `yq -i` calls of complete_kiro_phase (status completed, completed_at) and the third
# (actual_hours = estimated_hours): the session stopped before `waiting_approval`.
ORIGINAL = """\
id: "m-orig"
title: "Checkout revamp"
description: "Written by /milestone/plan"
status: "in_progress"
created_at: "2026-11-20T09:00:00Z"
priority: "high"
kiro_configuration:
  enforcement: "strict"
  phase_weights: {design: 15, spec: 25, task: 20, execute: 40}
tasks:
  - id: "task-1732000000-login-form"
    title: "Login form"
    type: "kiro_workflow"
    estimated_hours: 8
    status: "in_progress"
    created_at: "2026-11-20T09:05:00Z"
    assigned_to: "claude"
    dependencies: []
    # Kiro workflow is MANDATORY
    kiro_workflow:
      enabled: true
      policy: "mandatory"
      current_phase: "design"
      phase_hours:
        design: 1.2
        spec: 2.0
        task: 1.6
        execute: 3.2
      phases:
        design:
          status: "completed"
          description: "Architecture design and system planning"
          estimated_hours: 1.2
          actual_hours: 1.2
          started_at: "2026-11-20T10:00:00Z"
          completed_at: "2026-11-20T11:00:00Z"
          approved_at: null
          approval_required: true
          deliverables: ["architecture_diagram.md", "data_model.md"]
          acceptance_criteria:
            - "Architecture documented and reviewed"
        spec:
          status: "pending"
          description: "Detailed technical specification"
          estimated_hours: 2.0
          actual_hours: 0
          started_at: null
          completed_at: null
          approved_at: null
          approval_required: true
          deliverables: ["technical_specification.md", "test_plan.md"]
        task:
          status: "pending"
          description: "Task breakdown and planning"
          estimated_hours: 1.6
          actual_hours: 0
          started_at: null
          completed_at: null
          approved_at: null
          approval_required: false
          deliverables: ["implementation_tasks.md"]
        execute:
          status: "pending"
          description: "Implementation and testing"
          estimated_hours: 3.2
          actual_hours: 0
          started_at: null
          completed_at: null
          approved_at: null
          approval_required: false
          deliverables: ["implementation_code"]
    quality_metrics:
      phase_completion: 0
      approval_status: "pending"
"""


def yq_set(text: str, phase: str, key: str, value: str) -> str:
    """`yq e '(.tasks[] | select(.id == "...") | .kiro_workflow.phases.<phase>.<key>) = <value>'
    -i` on ORIGINAL-shaped text: replaces the key's value inside that phase, keeping the rest."""
    lines = text.split("\n")
    start = lines.index(f"        {phase}:")
    for i in range(start + 1, len(lines)):
        if lines[i].startswith(f"          {key}:"):
            lines[i] = f"          {key}: {value}"
            return "\n".join(lines)
        if not lines[i].startswith("          "):
            lines.insert(i, f"          {key}: {value}")
            return "\n".join(lines)
    raise AssertionError(f"no phase {phase}")


def make(tmp_path: Path, text: str = ORIGINAL) -> Path:
    root = tmp_path / "repo"
    folder = root / ".milestones" / "active"
    folder.mkdir(parents=True)
    (folder / f"{MID}.yaml").write_text(text, encoding="utf-8")
    design = root / ".milestones" / "deliverables" / TID / "design"
    design.mkdir(parents=True)
    (design / "architecture_diagram.md").write_text(
        "# Architecture Design: Login form\n\nThe form posts to /api/session.\n"
    )
    (design / "data_model.md").write_text("# Data model\n\nusers(id, email, password_hash)\n")
    return root


def milestone_file(root: Path) -> Path:
    return root / ".milestones" / "active" / f"{MID}.yaml"


def phases(root: Path) -> dict[str, dict[str, object]]:
    doc = load_fast(milestone_file(root).read_text(encoding="utf-8"), "m")
    return doc["tasks"][0]["kiro_workflow"]["phases"]  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", NOW)


# ---------------------------------------------------------------- item 1: a gate left completed


def test_a_gated_phase_left_completed_reads_as_waiting(tmp_path: Path) -> None:
    root = make(tmp_path)
    m = Workspace.open(root, clock=Clock.from_env()).load().milestone(MID)
    assert m is not None
    t = m.task(TID)
    assert t is not None
    design = t.phase("design")
    assert design is not None and design.status == "completed" and design.gate
    assert design.waiting and not design.passed and t.waiting
    assert t.active_phase is design
    # progress credits what the file says, as the original's own progress functions do
    assert task_progress(t, m.weight_map) == 15.0
    assert milestone_progress(m) == 15.0
    # a phase without a gate that is completed has passed and waits for nothing
    text = yq_set(
        yq_set(ORIGINAL, "design", "approval_required", "false"), "design", "status", '"completed"'
    )
    plain = Workspace.open(make(tmp_path / "b", text), clock=Clock.from_env()).load().milestone(MID)
    d2 = plain.task(TID).phase("design")  # type: ignore[union-attr]
    assert d2 is not None and d2.passed and not d2.waiting


def test_starting_the_next_phase_is_refused_with_the_gate_message(tmp_path: Path) -> None:
    root = make(tmp_path)
    ws = Workspace.open(root, clock=Clock.from_env())
    assert_refused(
        root,
        lambda: ws.start_phase(MID, TID, "spec"),
        r"design is completed, waiting for approval, it must be approved first",
    )


def test_approve_accepts_a_gate_left_completed_and_keeps_the_file(tmp_path: Path) -> None:
    root = make(tmp_path)
    out = Workspace.open(root, clock=Clock.from_env()).approve(
        MID, TID, "design", actor="alice", note="ok"
    )
    assert "approved by alice" in out.message
    ph = phases(root)
    assert ph["design"]["status"] == "approved"
    assert ph["design"]["approved_by"] == "alice" and ph["design"]["approved_at"] == NOW
    assert ph["design"]["completed_at"] == "2026-11-20T11:00:00Z"  # the original's, kept
    assert ph["spec"]["status"] == "in_progress" and ph["spec"]["started_at"] == NOW
    text = milestone_file(root).read_text(encoding="utf-8")
    assert "    # Kiro workflow is MANDATORY\n" in text
    assert '          status: "approved"\n' in text  # quoted like the original's values
    assert 'deliverables: ["technical_specification.md", "test_plan.md"]' in text


def test_reject_accepts_a_gate_left_completed(tmp_path: Path) -> None:
    root = make(tmp_path)
    Workspace.open(root, clock=Clock.from_env()).reject(
        MID, TID, "design", "no threat model", actor="bob"
    )
    design = phases(root)["design"]
    assert design["status"] == "in_progress"
    assert design["completed_at"] is None  # in progress again: not completed
    assert design["review_history"] == [
        {
            "action": "request_changes",
            "by": "bob",
            "at": NOW,
            "comment": "no threat model",
            "completed_at": "2026-11-20T11:00:00Z",
        }
    ]


def test_the_state_machine_itself_refuses_other_completed_phases(tmp_path: Path) -> None:
    """approve/reject accept `completed` only at a gate; the edit functions say why."""
    text = yq_set(ORIGINAL, "design", "approval_required", "false")
    doc = RoundTrip(text, "m.yaml").data
    ctx = workflow.Ctx(root=tmp_path, config=Config(), now=NOW, actor="alice")
    with pytest.raises(Refused, match="it is completed, not waiting_approval"):
        workflow.approve_phase(doc, TID, "design", ctx)
    with pytest.raises(Refused, match="it is completed, not waiting_approval"):
        workflow.reject_phase(doc, TID, "design", ctx, "why")


# ---------------------------------------------------------------- item 7: stale fields


def test_reject_clears_approved_at_that_the_original_reads_as_approved(tmp_path: Path) -> None:
    """The original's validate_phase_prerequisites treats a non-null approved_at as approved: a
    phase approved once and brought back to waiting_approval by a re-run of complete_kiro_phase
    (which never clears it) must not keep it after a rejection."""
    text = yq_set(ORIGINAL, "design", "status", '"waiting_approval"')
    text = yq_set(text, "design", "approved_at", '"2026-11-20T12:00:00Z"')
    root = make(tmp_path, text)
    Workspace.open(root, clock=Clock.from_env()).reject(
        MID, TID, "design", "redo the data model", actor="bob"
    )
    design = phases(root)["design"]
    assert design["status"] == "in_progress"
    assert design["approved_at"] is None and design["completed_at"] is None
    entry = design["review_history"][-1]  # type: ignore[index]
    assert entry["approved_at"] == "2026-11-20T12:00:00Z"
    assert entry["completed_at"] == "2026-11-20T11:00:00Z"
    # the keys stay where the original put them, now `null`
    text_after = milestone_file(root).read_text(encoding="utf-8")
    assert "          approved_at: null\n          approval_required: true\n" in text_after


def test_block_then_unblock_gives_back_the_originals_blocked_at(tmp_path: Path) -> None:
    """update_kiro_phase_status writes `blocked_at` when a phase starts waiting for approval;
    a block and an unblock by kiro-tui leave the file as it was."""
    text = yq_set(ORIGINAL, "design", "status", '"waiting_approval"')
    text = yq_set(text, "design", "blocked_at", '"2026-11-20T11:00:05Z"')
    root = make(tmp_path, text)
    before = milestone_file(root).read_text(encoding="utf-8")
    ws = Workspace.open(root, clock=Clock.from_env())
    ws.block(MID, TID, "design", "waiting for the security review")
    design = phases(root)["design"]
    assert design["status"] == "blocked" and design["blocked_at"] == NOW
    assert design["blocked_reason"] == "waiting for the security review"
    ws.unblock(MID, TID, "design")
    assert milestone_file(root).read_text(encoding="utf-8") == before


def test_block_and_unblock_a_gate_left_completed(tmp_path: Path) -> None:
    root = make(tmp_path)
    ws = Workspace.open(root, clock=Clock.from_env())
    ws.block(MID, TID, "design", "legal review")
    assert phases(root)["design"]["status"] == "blocked"
    ws.unblock(MID, TID, "design")
    design = phases(root)["design"]
    assert design["status"] == "completed" and "blocked_at" not in design
    assert set(design) >= {"completed_at", "approved_at"}
    assert not {"blocked_from", "blocked_reason", "previous_blocked_at"} & set(design)
    ws.approve(MID, TID, "design")  # still a gate waiting for approval
    assert phases(root)["design"]["status"] == "approved"


def test_unblock_keeps_blocked_at_written_by_another_tool(tmp_path: Path) -> None:
    """process_kiro_phase_approval blocks a rejected phase with status and blocked_at only."""
    text = yq_set(ORIGINAL, "design", "status", '"blocked"')
    text = yq_set(text, "design", "blocked_at", '"2026-11-21T08:00:00Z"')
    root = make(tmp_path, text)
    Workspace.open(root, clock=Clock.from_env()).unblock(MID, TID, "design")
    design = phases(root)["design"]
    assert design["status"] == "in_progress"
    assert design["blocked_at"] == "2026-11-21T08:00:00Z"


def test_a_gate_left_completed_shows_everywhere_a_waiting_gate_does(tmp_path: Path) -> None:
    """status's ⚑, the dashboard's gate finder (n, a) and the blocker detector's
    approval_waiting all see a gated phase the original left `completed`."""
    from datetime import UTC, datetime

    from kiro_tui.agents.roles import blockers
    from kiro_tui.core.report import status_text
    from kiro_tui.core.snapshot import Snapshot
    from kiro_tui.ui.view import Sel, find_waiting, waiting_phases

    root = make(tmp_path)
    state = Workspace.open(root, clock=Clock.from_env()).load()
    assert " ⚑" in status_text(state, MID, 100)
    target = find_waiting(state, Sel(MID))
    assert target is not None and (target.tid, target.phase) == (TID, "design")
    assert list(waiting_phases(state)) == [Sel(MID, TID, "design")]
    later = datetime(2030, 1, 1, tzinfo=UTC)  # long past the approval_waiting threshold
    found = blockers.detect(Snapshot(state=state, scope=(MID,)), later)
    assert any(b.kind == "approval_waiting" and b.task_id == TID for b in found)
