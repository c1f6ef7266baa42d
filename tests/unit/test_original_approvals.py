"""The original's approval requests in `.milestones/approvals/*.yaml` (issue 10, item 7).

`request_kiro_phase_approval` (templates/commands/milestone/_shared/state.md) writes the file
with a heredoc and `process_kiro_phase_approval` later sets fields with mikefarah `yq` v4; the
files below are written by hand the way those leave them (that `yq` is not on this machine).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiro_tui.core import approvals
from kiro_tui.core.clock import Clock
from kiro_tui.core.service import Workspace
from kiro_tui.core.validate import check
from kiro_tui.core.yaml.roundtrip import load_fast
from tests.unit.test_original_gates import MID, NOW, ORIGINAL, TID, make, phases, yq_set

REQUEST = f"""\
approval_request:
  id: "approval-{MID}-{TID}-design-spec"
  milestone_id: "{MID}"
  task_id: "{TID}"
  transition: "design → spec"
  requested_at: "2026-11-20T11:00:04Z"
  status: "pending"

approvers:
  - role: alice
    status: pending
    contacted: false

approval_criteria:
  - "Architecture documented and reviewed"

phase_deliverables:
  - architecture_diagram.md
  - data_model.md

phase_summary:
  phase: "design"
  started_at: "2026-11-20T10:00:00Z"
  completed_at: "2026-11-20T11:00:00Z"
  deliverables_path: ".milestones/deliverables/{TID}/design/"
"""


def write_request(root: Path, name: str, text: str) -> Path:
    folder = root / ".milestones" / "approvals"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", NOW)


def test_the_originals_request_is_read_and_shown_as_a_waiting_gate(tmp_path: Path) -> None:
    root = make(tmp_path, yq_set(ORIGINAL, "design", "status", '"waiting_approval"'))
    write_request(root, f"approval-{MID}-{TID}-design-spec.yaml", REQUEST)
    requests, problems = approvals.load_requests(root)
    assert problems == ()
    (req,) = requests
    assert (req.key, req.status, req.pending) == ((MID, TID, "design"), "pending", True)
    assert req.path == f"approvals/approval-{MID}-{TID}-design-spec.yaml"
    assert req.requested_at == "2026-11-20T11:00:04Z" and req.approvers == ("alice",)
    state = Workspace.open(root).load()
    (gate,) = approvals.waiting_gates(state.milestones, requests)
    assert (gate.milestone_id, gate.task_id, gate.phase) == (MID, TID, "design")
    assert gate.request == req and gate.actionable
    assert gate.since == "2026-11-20T11:00:00Z"


def test_a_pending_request_for_a_phase_still_in_progress_is_a_gate_not_yet_actionable(
    tmp_path: Path,
) -> None:
    """A request whose phase was put back to in_progress by hand (`yq -i`), the request file
    left as it was: shown, but approve/reject wait until the phase is done again."""
    text = yq_set(ORIGINAL, "design", "status", '"in_progress"')
    root = make(tmp_path, yq_set(text, "design", "completed_at", "null"))
    write_request(root, "req.yaml", REQUEST)
    requests, _ = approvals.load_requests(root)
    (gate,) = approvals.waiting_gates(Workspace.open(root).load().milestones, requests)
    assert gate.phase == "design" and not gate.actionable
    assert gate.since == "2026-11-20T11:00:04Z"  # the phase has no completed_at: the request's


def test_a_gate_left_completed_is_listed_with_no_request(tmp_path: Path) -> None:
    root = make(tmp_path)
    (gate,) = approvals.waiting_gates(Workspace.open(root).load().milestones)
    assert (gate.phase, gate.request, gate.actionable) == ("design", None, True)


def test_approving_records_the_decision_in_the_request(tmp_path: Path) -> None:
    root = make(tmp_path, yq_set(ORIGINAL, "design", "status", '"waiting_approval"'))
    path = write_request(root, f"approval-{MID}-{TID}-design-spec.yaml", REQUEST)
    other = write_request(
        root,
        "approval-other.yaml",
        REQUEST.replace('"design → spec"', '"spec → task"').replace(
            'phase: "design"', 'phase: "spec"'
        ),
    )
    other_before = other.read_text(encoding="utf-8")
    # the service records the decision itself, right after the phase is approved
    Workspace.open(root, clock=Clock.from_env()).approve(
        MID, TID, "design", actor="alice", note="looks right"
    )
    text = path.read_text(encoding="utf-8")
    data = load_fast(text, path)
    req = data["approval_request"]
    assert (req["status"], req["decided_at"], req["decided_by"]) == ("approved", NOW, "alice")
    assert req["decision_notes"] == "looks right"
    assert data["approvers"][0]["status"] == "approved"
    assert data["approvers"][0]["decided_at"] == NOW
    assert '  status: "approved"\n' in text and f'  decided_at: "{NOW}"\n' in text
    assert 'transition: "design → spec"' in text  # the rest as the original wrote it
    assert other.read_text(encoding="utf-8") == other_before  # another gate's request
    # the design gate is gone; the other request now names a phase in progress
    gates = approvals.waiting_gates(
        Workspace.open(root).load().milestones, approvals.load_requests(root)[0]
    )
    assert [(g.phase, g.actionable) for g in gates] == [("spec", False)]
    # a second decision finds nothing pending and writes nothing
    mtime = path.stat().st_mtime_ns
    assert approvals.record_decision(root, MID, TID, "design", "rejected", "bob", NOW) == []
    assert (
        path.stat().st_mtime_ns == mtime
        and load_fast(path.read_text(encoding="utf-8"), path)["approval_request"]["status"]
        == "approved"
    )
    assert phases(root)["design"]["status"] == "approved"


def test_rejecting_records_rejected(tmp_path: Path) -> None:
    root = make(tmp_path, yq_set(ORIGINAL, "design", "status", '"waiting_approval"'))
    path = write_request(root, "r.yaml", REQUEST)
    Workspace.open(root, clock=Clock.from_env()).reject(
        MID, TID, "design", "no threat model", actor="bob"
    )
    req = load_fast(path.read_text(encoding="utf-8"), path)["approval_request"]
    assert (req["status"], req["decided_by"], req["decision_notes"]) == (
        "rejected",
        "bob",
        "no threat model",
    )
    with pytest.raises(ValueError, match="approved or rejected"):
        approvals.record_decision(root, MID, TID, "design", "maybe", "bob", NOW)


@pytest.mark.parametrize(
    ("name", "text", "phase", "status"),
    [
        # the same keys at the top level, `->` and another word for pending
        (
            "flat.yaml",
            f"milestone_id: {MID}\ntask_id: {TID}\ntransition: spec -> task\nstatus: requested\n",
            "spec",
            "pending",
        ),
        # `from_phase`, decided by the original already
        (
            "from.yaml",
            f"approval_request:\n  milestone_id: {MID}\n  task_id: {TID}\n"
            "  from_phase: task\n  status: granted\n",
            "task",
            "approved",
        ),
        # the phase only in the file name the original gives it, no status at all
        (
            f"approval-{MID}-{TID}-spec-task.yml",
            f"approval_request:\n  milestone_id: '{MID}'\n  task_id: '{TID}'\n",
            "spec",
            "pending",
        ),
    ],
)
def test_variants_are_accepted(
    tmp_path: Path, name: str, text: str, phase: str, status: str
) -> None:
    root = make(tmp_path)
    write_request(root, name, text)
    (req,), problems = approvals.load_requests(root)
    assert problems == () and (req.phase, req.status) == (phase, status)


def test_unusable_requests_are_located_problems_and_links_out_are_never_read(
    tmp_path: Path,
) -> None:
    root = make(tmp_path)
    write_request(root, "bad.yaml", 'approval_request:\n  task_id: "x\n')
    write_request(
        root, "no-task.yaml", f"approval_request:\n  milestone_id: {MID}\n  phase: design\n"
    )
    write_request(root, "no-phase.yaml", f"milestone_id: {MID}\ntask_id: {TID}\n")
    write_request(root, "list.yaml", "- a\n- b\n")
    write_request(root, ".hidden.yaml", REQUEST)
    write_request(root, "notes.txt", REQUEST)
    outside = tmp_path / "outside.yaml"
    outside.write_text(REQUEST, encoding="utf-8")
    os.symlink(outside, root / ".milestones" / "approvals" / "link.yaml")
    requests, problems = approvals.load_requests(root)
    assert requests == ()
    by_file = {p.file: p for p in problems}
    assert set(by_file) == {
        "approvals/bad.yaml",
        "approvals/no-task.yaml",
        "approvals/no-phase.yaml",
        "approvals/list.yaml",
    }
    assert by_file["approvals/bad.yaml"].line == 2
    assert "YAML syntax error" in by_file["approvals/bad.yaml"].message
    assert "no valid milestone and task" in by_file["approvals/no-task.yaml"].message
    assert "names no phase" in by_file["approvals/no-phase.yaml"].message
    assert all("\n" not in str(p) for p in problems)
    # `kiro-tui validate` reports them with the rest
    reported = {p.file for p in check(Workspace.open(root).load())}
    assert reported >= set(by_file)
    assert approvals.load_requests(tmp_path / "nothing-here") == ((), ())
