"""Completing a milestone by hand inside a git repository (issue 10, items 9 and 15): one
"milestone completed" commit holds the move to completed/, the execution log, the session file
and logs; the user's own changes stay as they were. Real pygit2 repositories."""

from __future__ import annotations

import re
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import FileStatus

from kiro_tui.core.service import Workspace
from kiro_tui.core.templates import deliverables_for
from tests.unit.test_core_workflow import drive, fill, fresh, phase_raw

SIG = pygit2.Signature("Alice", "alice@example.com")


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", "2026-11-25T14:03:07Z")


def commit_all(repo: pygit2.Repository, msg: str) -> None:
    index = repo.index
    index.read()
    index.add_all()
    index.write()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    repo.create_commit("HEAD", SIG, SIG, msg, index.write_tree(), parents)


def ready_to_complete(tmp_path: Path) -> tuple[Workspace, str, pygit2.Repository, str]:
    """m1's only task with its execute phase in progress and filled, everything committed
    by the user, a session started, plus one unstaged change of the user's."""
    ws, tid = fresh(tmp_path)
    root = ws.root
    repo = pygit2.init_repository(str(root), initial_head="main")
    repo.config["user.name"] = "Alice"
    repo.config["user.email"] = "alice@example.com"
    (root / "notes.txt").write_text("notes v1\n", encoding="utf-8")
    ws.start_milestone("m1")
    drive(ws, "m1", tid, "other", ("design", "spec", "task"))
    assert phase_raw(root, tid, "execute", "m1")["status"] == "in_progress"
    fill(root, tid, "execute", deliverables_for("other", "execute"))
    commit_all(repo, "work so far")
    (root / "notes.txt").write_text("notes v2, not ready\n", encoding="utf-8")
    sid = next((root / ".milestones/sessions").glob("*.yaml")).stem
    return ws, tid, repo, sid


def ours_dirty(repo: pygit2.Repository) -> dict[str, int]:
    return {
        p: f
        for p, f in repo.status().items()
        if p.startswith(".milestones/") and not p.startswith(".milestones/.locks/")
    }


def test_completing_by_hand_commits_the_move_session_and_logs(tmp_path: Path) -> None:
    ws, tid, repo, sid = ready_to_complete(tmp_path)
    before = repo.head.target
    out = ws.complete_phase("m1", tid, "execute")
    assert (ws.ms / "completed/m1.yaml").is_file() and not (ws.ms / "active/m1.yaml").exists()
    repo = pygit2.Repository(str(ws.root))
    head = repo.head.peel(pygit2.Commit)
    assert head.parents[0].id == before
    subject, _, rest = head.message.partition("\n")
    assert subject == "chore(m1): Fresh - milestone completed"
    assert "Milestone: m1" in rest
    files = {d.new_file.path for d in repo.diff(head.parents[0], head).deltas}
    assert {
        ".milestones/active/m1.yaml",
        ".milestones/completed/m1.yaml",
        ".milestones/logs/execution-m1.jsonl",
        f".milestones/sessions/{sid}.yaml",
    } <= files
    assert ours_dirty(repo) == {}  # nothing of the milestone is left modified
    assert repo.status()["notes.txt"] == FileStatus.WT_MODIFIED  # the user's change, untouched
    assert "notes.txt" not in files
    # the action says where the file went and what was committed (item 15)
    assert "moved to completed/m1.yaml" in out.message
    assert re.search(r"committed [0-9a-f]{7} \(milestone completed\)", out.message)
    assert str(head.id)[:7] in out.message


def test_no_commit_when_git_is_off_or_refused(tmp_path: Path) -> None:
    ws, tid, repo, _ = ready_to_complete(tmp_path)
    repo.set_head(repo.head.target)  # detached HEAD: git refuses, the completion stands
    out = ws.complete_phase("m1", tid, "execute")
    assert (ws.ms / "completed/m1.yaml").is_file()
    assert pygit2.Repository(str(ws.root)).head.target == repo.head.target
    assert "not committed" in out.message and "\n" not in out.message
    log = (ws.ms / "logs/execution-m1.jsonl").read_text(encoding="utf-8")
    assert '"event": "git_error"' in log or '"event":"git_error"' in log


def test_git_disabled_makes_no_commit(tmp_path: Path) -> None:
    ws, tid, repo, _ = ready_to_complete(tmp_path)
    cfg = ws.ms / "config/kiro-config.yaml"
    text = cfg.read_text(encoding="utf-8")
    text = text.replace("git:\n  enabled: true\n", "git:\n  enabled: false\n")
    assert "git:\n  enabled: false\n" in text
    cfg.write_text(text, encoding="utf-8")
    ws = Workspace.open(ws.root)
    before = repo.head.target
    out = ws.complete_phase("m1", tid, "execute")
    assert pygit2.Repository(str(ws.root)).head.target == before
    assert "moved to completed/m1.yaml" in out.message and "committed" not in out.message
