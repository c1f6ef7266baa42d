"""The service keeps a copy of the deliverables at every approve and reject (review.keep_decided),
so that `d` can diff later without git."""

from __future__ import annotations

import shutil
from pathlib import Path

from kiro_tui.core.review import copy_dir, diff_since_decision, keep_decided
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import load_fast

M1 = "milestone-001"
SPEC = ".milestones/deliverables/task-001/spec"


def models(root: Path) -> tuple:  # type: ignore[type-arg]
    m = Workspace.open(root, persist_cache=False).load().milestone(M1)
    assert m is not None
    t = m.task("task-001")
    assert t is not None
    ph = t.phase("spec")
    assert ph is not None
    return m, t, ph


def test_approve_through_the_service_keeps_the_copy_the_diff_uses(seed: Path) -> None:
    Workspace.open(seed, persist_cache=False).approve(M1, "task-001", "spec", note="ok")
    _m, t, ph = models(seed)
    kept = copy_dir(seed, t.id, ph.name, ph.approved_digest or "")
    assert kept is not None and (kept / "manifest.json").is_file()
    assert (kept / "files" / SPEC / "test_plan.md").read_bytes() == (
        seed / SPEC / "test_plan.md"
    ).read_bytes()
    (seed / SPEC / "test_plan.md").write_text("# Test plan\n\nrewritten.\n", encoding="utf-8")
    diffs = {d.path.rsplit("/", 1)[-1]: d for d in diff_since_decision(seed, *models(seed))}
    d = diffs["test_plan.md"]
    assert d.status == "modified" and d.exact and d.base.startswith("copy kept at approved")
    assert "+rewritten." in d.diff
    assert diffs["rollout_plan.md"].status == "unchanged"


def test_reject_through_the_service_keeps_the_copy_under_the_rejected_digest(seed: Path) -> None:
    Workspace.open(seed, persist_cache=False).reject(M1, "task-001", "spec", "add a rollback")
    raw = load_fast((seed / ".milestones/active/milestone-001.yaml").read_text(), "m1")
    digest = raw["tasks"][0]["kiro_workflow"]["phases"]["spec"]["rejected_digest"]
    kept = copy_dir(seed, "task-001", "spec", digest)
    assert kept is not None and (kept / "manifest.json").is_file()
    (seed / SPEC / "rollout_plan.md").write_text("# Rollout\n\nwith a rollback.\n")
    d = {x.path.rsplit("/", 1)[-1]: x for x in diff_since_decision(seed, *models(seed))}
    assert d["rollout_plan.md"].status == "modified" and d["rollout_plan.md"].exact
    assert d["rollout_plan.md"].base.startswith("copy kept at rejected")


def test_no_copy_when_the_files_changed_since_the_decision(seed: Path) -> None:
    Workspace.open(seed, persist_cache=False).approve(M1, "task-001", "spec")
    shutil.rmtree(seed / ".milestones/reviews")
    (seed / SPEC / "test_plan.md").write_text("changed after the approval\n", encoding="utf-8")
    m, _t, _ph = models(seed)
    assert keep_decided(seed, m, "task-001", "spec") is None
    assert not (seed / ".milestones/reviews").exists()


def test_a_failing_copy_never_fails_the_decision(seed: Path) -> None:
    (seed / ".milestones/reviews").write_text("a file where the folder should be\n")
    out = Workspace.open(seed, persist_cache=False).approve(M1, "task-001", "spec")
    assert "approved" in out.message
    assert models(seed)[2].status == "approved"
    m, _t, _ph = models(seed)
    assert keep_decided(seed, m, "task-001", "spec") is None
    assert keep_decided(seed, None, "task-001", "spec") is None
