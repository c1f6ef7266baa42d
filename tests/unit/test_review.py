"""Diff since a phase's last decision (core/review.py): real git repositories made with pygit2,
and workspaces without git that rely on the copy kept at decision time."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pygit2

from kiro_tui.core import clock
from kiro_tui.core.deliverable_view import deliverable_content
from kiro_tui.core.review import (
    copy_dir,
    decision,
    diff_since_decision,
    keep_copy,
    phase_paths,
)
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import load_fast
from tests.conftest import copy_fixture

M1 = "milestone-001"
SPEC = ".milestones/deliverables/task-001/spec"


def commit_all(root: Path, message: str, when: float | None = None) -> str:
    """Stage everything under the repository and commit it (at `when`, epoch seconds)."""
    found = pygit2.discover_repository(str(root))
    repo = pygit2.Repository(found) if found else pygit2.init_repository(str(root))
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    t = int(when if when is not None else time.time())
    sig = pygit2.Signature("Tester", "tester@example.com", t, 0)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("HEAD", sig, sig, message, tree, parents))


def epoch(text: str) -> float:
    when = clock.parse_ts(text)
    assert when is not None
    return when.timestamp()


def models(root: Path) -> tuple:  # type: ignore[type-arg]
    m = Workspace.open(root, persist_cache=False).load().milestone(M1)
    assert m is not None
    t = m.task("task-001")
    assert t is not None
    ph = t.phase("spec")
    assert ph is not None
    return m, t, ph


def by_path(diffs: list) -> dict:  # type: ignore[type-arg]
    return {d.path.rsplit("/", 1)[-1]: d for d in diffs}


def approve_and_keep(root: Path) -> None:
    """What the service will do on approve (round two): approve, then keep the copy."""
    Workspace.open(root, persist_cache=False).approve(M1, "task-001", "spec", note="ok")
    _m, t, ph = models(root)
    assert ph.approved_digest
    keep_copy(root, t.id, ph.name, phase_paths(root, t.id, ph), ph.approved_digest)


def test_git_diff_against_the_commit_holding_the_approved_digest(seed: Path) -> None:
    first = commit_all(seed, "seed", time.time() - 120)
    Workspace.open(seed, persist_cache=False).approve(M1, "task-001", "spec")
    plan = seed / SPEC / "test_plan.md"
    plan.write_text("# Test plan\n\nunit only.\n", encoding="utf-8")
    commit_all(seed, "later change, committed")  # the newest commit is not the approved one
    plan.write_text("# Test plan\n\nunit only.\nand load tests.\n", encoding="utf-8")
    (seed / SPEC / "rollout_plan.md").unlink()
    diffs = by_path(diff_since_decision(seed, *models(seed)))
    d = diffs["test_plan.md"]
    assert d.status == "modified" and d.exact and d.base.startswith(f"git {first[:7]}")
    assert "-unit + integration.\n+unit only.\n+and load tests." in d.diff
    assert d.diff.startswith(f"--- a/{SPEC}/test_plan.md")
    assert diffs["rollout_plan.md"].status == "deleted"
    assert "+++ /dev/null" in diffs["rollout_plan.md"].diff
    assert diffs["technical_specification.md"].status == "unchanged"
    assert diffs["technical_specification.md"].diff == ""


def test_a_workspace_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    root = copy_fixture("seed-basic", tmp_path / "repo" / "product")
    (tmp_path / "repo" / "README.md").write_text("top\n")
    commit_all(tmp_path / "repo", "seed", time.time() - 60)
    Workspace.open(root, persist_cache=False).approve(M1, "task-001", "spec")
    (root / SPEC / "test_plan.md").write_text("changed\n", encoding="utf-8")
    d = by_path(diff_since_decision(root, *models(root)))["test_plan.md"]
    assert d.status == "modified" and d.exact and d.base.startswith("git ")


def test_without_git_the_copy_kept_at_approval_is_the_base(seed: Path) -> None:
    approve_and_keep(seed)
    _m, t, ph = models(seed)
    kept = copy_dir(seed, t.id, ph.name, ph.approved_digest or "")
    assert kept is not None and (kept / "manifest.json").is_file()
    assert "reviews/" in (seed / ".milestones/.gitignore").read_text().splitlines()
    (seed / SPEC / "acceptance_criteria.md").write_text("# Criteria\n\n- logs in\n- logs out\n")
    diffs = by_path(diff_since_decision(seed, *models(seed)))
    d = diffs["acceptance_criteria.md"]
    assert d.status == "modified" and d.exact and d.base.startswith("copy kept at approved")
    assert "+- logs out" in d.diff
    assert diffs["test_plan.md"].status == "unchanged"


def test_the_copy_folder_is_ignored_by_git(seed: Path) -> None:
    commit_all(seed, "seed", time.time() - 60)
    approve_and_keep(seed)
    repo = pygit2.Repository(str(seed))
    kept = [p for p in (seed / ".milestones/reviews").rglob("*") if p.is_file()]
    assert kept and all(repo.path_is_ignored(str(p.relative_to(seed))) for p in kept)


def test_after_a_rejection_the_diff_is_since_the_rejection(seed: Path) -> None:
    ws = Workspace.open(seed, persist_cache=False)
    ws.reject(M1, "task-001", "spec", "add a rollback")
    m, t, ph = models(seed)
    raw = load_fast((seed / ".milestones/active/milestone-001.yaml").read_text(), "m1")
    digest = raw["tasks"][0]["kiro_workflow"]["phases"]["spec"]["rejected_digest"]
    keep_copy(seed, t.id, ph.name, phase_paths(seed, t.id, ph), digest)
    dec = decision(seed, m, t, ph)
    assert (dec.kind, dec.digest, dec.by) == ("rejected", digest, "tester")
    plan = seed / SPEC / "rollout_plan.md"
    plan.write_text(plan.read_text() + "Rollback: redeploy the last tag.\n")
    ws.complete_phase(M1, "task-001", "spec")  # waiting again: the reviewer presses d
    d = by_path(diff_since_decision(seed, *models(seed)))["rollout_plan.md"]
    assert d.status == "modified" and d.exact and "copy kept at rejected" in d.base
    assert "+Rollback: redeploy the last tag." in d.diff


def test_with_nothing_kept_every_file_shows_as_added(seed: Path) -> None:
    diffs = diff_since_decision(seed, *models(seed))  # never decided, no git, no copy
    assert diffs and all(d.status == "added" and not d.exact for d in diffs)
    assert diffs[0].base == "no earlier version found"
    assert "--- /dev/null" in diffs[0].diff


def test_approved_by_another_tool_uses_the_last_commit_before_the_approval(seed: Path) -> None:
    path = seed / ".milestones/active/milestone-001.yaml"
    text = path.read_text()
    text = text.replace('status: "waiting_approval"', 'status: "approved"').replace(
        'completed_at: "2026-11-22T09:00:00Z"\n          approved_at: null',
        'completed_at: "2026-11-22T09:00:00Z"\n          approved_at: "2026-11-22T10:00:00Z"',
    )
    path.write_text(text)
    plan = seed / SPEC / "test_plan.md"
    approved = plan.read_text()
    before = commit_all(seed, "approved version", epoch("2026-11-22T09:30:00Z"))  # type: ignore[union-attr]
    plan.write_text("after the approval\n")
    commit_all(seed, "after", epoch("2026-11-22T11:00:00Z"))
    plan.write_text("now\n")
    m, t, ph = models(seed)
    assert ph.approved_digest is None
    d = by_path(diff_since_decision(seed, m, t, ph))["test_plan.md"]
    assert d.status == "modified" and not d.exact
    assert d.base.startswith(f"git {before[:7]} (last commit before 2026-11-22T10:00:00Z")
    assert all(f"-{line}" in d.diff for line in approved.splitlines() if line)


def test_binary_and_large_files_are_not_diffed(seed: Path) -> None:
    approve_and_keep(seed)
    (seed / SPEC / "test_plan.md").write_bytes(b"\x89PNG\r\n\x1a\n\0\0binary")
    diffs = by_path(diff_since_decision(seed, *models(seed)))
    assert diffs["test_plan.md"].status == "binary" and diffs["test_plan.md"].diff == ""


def test_keep_copy_is_idempotent_and_refuses_what_it_must(seed: Path, tmp_path: Path) -> None:
    _m, t, ph = models(seed)
    digest = "sha256:" + "ab" * 32
    outside = tmp_path / "secret.txt"
    outside.write_text("do not copy\n")
    (seed / SPEC / "link.md").symlink_to(outside)
    dest = keep_copy(
        seed,
        t.id,
        ph.name,
        [*phase_paths(seed, t.id, ph), "../secret.txt", f"{SPEC}/link.md"],
        digest,
    )
    assert dest is not None
    import json

    manifest = json.loads((dest / "manifest.json").read_text())
    assert len(manifest["files"]) == 4
    assert set(manifest["skipped"]) == {"../secret.txt", f"{SPEC}/link.md"}
    assert not (dest / "files" / SPEC / "link.md").exists()
    (seed / SPEC / "test_plan.md").write_text("changed later\n")
    assert keep_copy(seed, t.id, ph.name, phase_paths(seed, t.id, ph), digest) == dest
    assert (dest / "files" / SPEC / "test_plan.md").read_text() != "changed later\n"
    assert keep_copy(seed, t.id, ph.name, [], "sha256:../../etc") is None
    assert keep_copy(seed, t.id, ph.name, [], "md5:abc") is None


def test_deliverable_content_for_display(tmp_path: Path) -> None:
    md = tmp_path / "design.md"
    md.write_text("# Design\n\n" + "é" * 100, encoding="utf-8")
    c = deliverable_content(md)
    assert (c.kind, c.binary, c.truncated) == ("markdown", False, False)
    assert c.text is not None and c.text.startswith("# Design")
    cut = deliverable_content(md, max_bytes=16)  # cuts inside a two-byte character
    assert cut.truncated and cut.text is not None and cut.text.startswith("# Design")
    assert len(cut.text.encode()) <= 16 and cut.size == md.stat().st_size
    (tmp_path / "api.yaml").write_text("openapi: 3.1.0\n")
    assert deliverable_content(tmp_path / "api.yaml").kind == "yaml"
    (tmp_path / "main.py").write_text("print(1)\n")
    assert deliverable_content(tmp_path / "main.py").kind == "code"
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2" * 10)
    b = deliverable_content(tmp_path / "blob.bin")
    assert b.binary and b.text is None and b.kind == "binary"
    gone = deliverable_content(tmp_path / "nope.md")
    assert gone.kind == "missing" and gone.error == "no such file"
    assert deliverable_content(tmp_path).kind == "folder"


def test_a_folder_deliverable_is_diffed_file_by_file(seed: Path) -> None:
    src = seed / ".milestones/deliverables/task-001/spec"
    shutil.copytree(src, seed / "docs" / "spec")
    path = seed / ".milestones/active/milestone-001.yaml"
    path.write_text(
        path.read_text().replace(
            'deliverables: ["technical_specification.md", "test_plan.md", "acceptance_criteria.md",'
            ' "rollout_plan.md"]',
            'deliverables: [{type: "folder", path: "docs/spec"}]',
        )
    )
    approve_and_keep(seed)
    (seed / "docs/spec/new_notes.md").write_text("notes\n")
    (seed / "docs/spec/test_plan.md").write_text("changed\n")
    diffs = by_path(diff_since_decision(seed, *models(seed)))
    assert diffs["new_notes.md"].status == "added" and diffs["new_notes.md"].exact
    assert diffs["test_plan.md"].status == "modified"
    assert diffs["rollout_plan.md"].status == "unchanged"
    assert {d.label for d in diffs.values()} == {"docs/spec"}
