"""`kiro-tui git status` and `kiro-tui git push` through cli.main, on real pygit2 repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from kiro_tui.cli import main
from kiro_tui.core import git as gitops
from kiro_tui.core.git.commit import commit_paths
from kiro_tui.core.service import Workspace
from tests.unit.test_gitops import commit_all, make_repo, write


def _workspace(root: Path, *, remote: str | None = "origin") -> pygit2.Repository:
    repo = make_repo(root, {"README.md": "hi\n"})
    Workspace.init(root)
    cfg = root / ".milestones/config/kiro-config.yaml"
    if remote:
        cfg.write_text(
            cfg.read_text().replace("  push_every: 3\n", f"  push_every: 3\n  remote: {remote}\n")
        )
    write(root, ".milestones/active/m1.yaml", "id: m1\ntitle: One\nstatus: in_progress\n")
    write(root, ".milestones/active/current.txt", "m1\n")
    commit_all(repo, "workspace")
    return repo


def _bare(tmp_path: Path, repo: pygit2.Repository) -> pygit2.Repository:
    bare = pygit2.init_repository(str(tmp_path / "remote.git"), bare=True, initial_head="main")
    repo.remotes.create("origin", str(tmp_path / "remote.git"))
    return bare


def test_status_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "w"
    _workspace(root)
    write(root, ".milestones/active/m1.yaml", "id: m1\ntitle: One\nstatus: completed\n")
    sha = commit_paths(
        root,
        [".milestones/active/m1.yaml"],
        gitops.message("feat", "m1", "Login", "design", "approved", milestone="m1", task="t1"),
    )
    write(root, "README.md", "changed\n")
    assert main(["-C", str(root), "git", "status"]) == 0
    out = capsys.readouterr().out
    assert "on main" in out and "1 changed file(s)" in out
    assert "commits of m1: 1" in out and "feat(m1): Login - design approved" in out
    assert main(["-C", str(root), "git", "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["branch"], data["dirty"], data["remote"], data["milestone"]) == (
        "main",
        1,
        "origin",
        "m1",
    )
    assert data["commits"][0]["sha"] == sha
    assert data["commits"][0]["files"] == [".milestones/active/m1.yaml"]


def test_status_outside_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Workspace.init(tmp_path)
    assert main(["-C", str(tmp_path), "git", "status"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not inside a git working tree" in err
    assert main(["-C", str(tmp_path), "git", "status", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["is_repo"] is False


def test_push_to_configured_remote_and_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "w"
    repo = _workspace(root)
    bare = _bare(tmp_path, repo)
    assert main(["-C", str(root), "git", "push", "--milestone", "m1"]) == 0
    assert "pushed main to origin" in capsys.readouterr().out
    assert bare.lookup_reference("refs/heads/main").target == repo.head.target
    lines = (root / ".milestones/logs/execution-m1.jsonl").read_text().splitlines()
    rec = json.loads(lines[-1])
    assert rec["event"] == "git_push" and rec["result"] == "ok"
    assert rec["sha"] == str(repo.head.target) and rec["role"] == "git_integration"


def test_push_without_remote_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "w"
    _workspace(root, remote=None)
    assert main(["-C", str(root), "git", "push"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no remote to push to" in err and "--remote" in err
    assert main(["-C", str(root), "git", "push", "--remote", "nope"]) == 1
    assert "no git remote named 'nope'" in capsys.readouterr().err


def test_rejected_push_is_logged_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "w"
    repo = _workspace(root)
    _bare(tmp_path, repo)
    assert main(["-C", str(root), "git", "push"]) == 0
    other = pygit2.clone_repository(str(tmp_path / "remote.git"), str(tmp_path / "other"))
    write(tmp_path / "other", "x.txt", "x\n")
    commit_all(other, "theirs")
    other.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
    write(root, "y.txt", "y\n")
    commit_all(repo, "ours")
    capsys.readouterr()
    assert main(["-C", str(root), "git", "push", "--milestone", "m1"]) == 1
    err = capsys.readouterr().err
    assert "rejected" in err and "never force-pushes" in err
    rec = json.loads((root / ".milestones/logs/execution-m1.jsonl").read_text().splitlines()[-1])
    assert rec["result"] == "push_rejected" and rec["level"] == "warning"


def test_push_when_behind_the_remote_says_nothing_was_pushed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The remote has commits we lack and we have none it lacks: nothing is pushed, and the
    CLI and the log say so (the same record the dashboard and the git role write)."""
    root = tmp_path / "w"
    repo = _workspace(root)
    _bare(tmp_path, repo)
    assert main(["-C", str(root), "git", "push"]) == 0
    other = pygit2.clone_repository(str(tmp_path / "remote.git"), str(tmp_path / "other"))
    write(tmp_path / "other", "x.txt", "x\n")
    commit_all(other, "theirs")
    other.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
    repo.remotes["origin"].fetch()
    capsys.readouterr()
    assert main(["-C", str(root), "git", "push", "--milestone", "m1"]) == 0
    out = capsys.readouterr().out
    assert "already on origin" in out and "nothing to push" in out and "pushed" not in out
    rec = json.loads((root / ".milestones/logs/execution-m1.jsonl").read_text().splitlines()[-1])
    assert rec["event"] == "git_push" and rec["result"] == "up_to_date"
    assert rec["sha"] == str(other.head.target)
