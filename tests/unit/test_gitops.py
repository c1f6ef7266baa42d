"""core.gitops on real repositories made with pygit2 in temporary folders (no `git` program)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pygit2
import pytest
from pygit2.enums import FileStatus

from kiro_tui.core import git as gitops
from kiro_tui.core.git import commit as gitcommit
from kiro_tui.core.git import remote as gitremote
from kiro_tui.core.git.commit import commit_paths
from kiro_tui.core.git.repo import GitBlocked, signature


# ---------------------------------------------------------------------------------- helpers
def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def make_repo(
    path: Path, files: dict[str, str] | None = None, *, user: bool = True
) -> pygit2.Repository:
    repo = pygit2.init_repository(str(path), initial_head="main")
    if user:
        repo.config["user.name"] = "Alice"
        repo.config["user.email"] = "alice@example.com"
    if files:
        for rel, text in files.items():
            write(path, rel, text)
        commit_all(repo, "initial")
    return repo


def commit_all(repo: pygit2.Repository, msg: str) -> pygit2.Oid:
    index = repo.index
    index.add_all()
    index.write()
    tree = index.write_tree()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    sig = pygit2.Signature("Alice", "alice@example.com")
    return repo.create_commit("HEAD", sig, sig, msg, tree, parents)


def index_state(repo: pygit2.Repository) -> dict[str, tuple[str, int]]:
    index = repo.index
    index.read()
    return {e.path: (str(e.id), int(e.mode)) for e in index}


def tree_files(repo: pygit2.Repository, ref: str = "HEAD") -> dict[str, bytes]:
    tree = repo.revparse_single(ref).peel(pygit2.Commit).tree
    out = {}
    stack: list[tuple[Any, str]] = [(tree, "")]
    while stack:
        t, pre = stack.pop()
        for o in t:
            if o.type_str == "tree":
                stack.append((o, pre + o.name + "/"))
            else:
                out[pre + o.name] = o.data
    return out


def worktree(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for f in filenames:
            p = Path(dirpath) / f
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


BASE = {
    "README.md": "readme\n",
    "src/app.py": "print('v1')\n",
    "notes.txt": "notes v1\n",
    ".milestones/active/m1.yaml": "id: m1\nstatus: planned\n",
    ".milestones/deliverables/t1/design/old.md": "old\n",
}
OURS = [".milestones/active/m1.yaml", ".milestones/deliverables/t1"]


# ---------------------------------------------------------------------------------- commits
def test_first_commit_on_unborn_head(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    write(tmp_path, ".milestones/active/m1.yaml", "id: m1\n")
    write(tmp_path, ".milestones/logs/execution-m1.jsonl", "{}\n")
    write(tmp_path, "mine.txt", "not yours\n")
    sha = commit_paths(tmp_path, [".milestones"], "chore(m1): start\n")
    assert sha and not repo.head_is_unborn and str(repo.head.target) == sha
    assert repo.head.shorthand == "main"
    assert set(tree_files(repo)) == {
        ".milestones/active/m1.yaml",
        ".milestones/logs/execution-m1.jsonl",
    }
    assert repo.status() == {"mine.txt": FileStatus.WT_NEW}


@pytest.mark.parametrize("index_moved", [False, True], ids=["fast", "index-changed-meanwhile"])
def test_commit_only_listed_paths_keeps_every_user_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_moved: bool
) -> None:
    if index_moved:  # as if someone wrote the index while we committed: re-read, then update
        monkeypatch.setattr(gitcommit, "_index_stamp", lambda repo: object())
    repo = make_repo(tmp_path, BASE)
    head_before = tree_files(repo)
    # the user's own work: a staged change then more unstaged edits of the same file, an
    # unstaged change, a staged new file, and an untracked file
    write(tmp_path, "README.md", "readme staged\n")
    write(tmp_path, "staged-new.txt", "new and staged\n")
    index = repo.index
    index.add("README.md")
    index.add("staged-new.txt")
    index.write()
    write(tmp_path, "README.md", "readme staged, then edited again\n")
    write(tmp_path, "src/app.py", "print('unstaged')\n")
    write(tmp_path, "untracked.txt", "scratch\n")
    # what kiro-tui commits: an edit, a new deliverable and a deleted one
    write(tmp_path, ".milestones/active/m1.yaml", "id: m1\nstatus: in_progress\n")
    write(tmp_path, ".milestones/deliverables/t1/design/design.md", "# design\n")
    (tmp_path / ".milestones/deliverables/t1/design/old.md").unlink()

    idx_before = index_state(repo)
    wt_before = worktree(tmp_path)
    status_before = repo.status()

    sha = commit_paths(tmp_path, OURS, "feat(m1): t - design completed\n")
    assert sha is not None
    commit: Any = repo[sha]
    assert commit.parents[0].id == repo.revparse_single("HEAD~1").id
    after = tree_files(repo)
    expected = dict(head_before)
    expected[".milestones/active/m1.yaml"] = b"id: m1\nstatus: in_progress\n"
    expected[".milestones/deliverables/t1/design/design.md"] = b"# design\n"
    del expected[".milestones/deliverables/t1/design/old.md"]
    assert after == expected  # exactly our three paths changed, nothing of the user's

    # the working tree is byte for byte as it was
    assert worktree(tmp_path) == wt_before
    # unrelated index entries are exactly as they were; ours now match the commit
    idx_after = index_state(repo)
    ours = {p for p in set(idx_before) | set(idx_after) if p.startswith(".milestones/")}
    assert {p: v for p, v in idx_after.items() if p not in ours} == {
        p: v for p, v in idx_before.items() if p not in ours
    }
    tree = commit.tree
    for p in ours:
        if p in after:
            assert idx_after[p] == (str(tree[p].id), tree[p].filemode)
        else:
            assert p not in idx_after
    # so git status shows the user's changes exactly as before, and nothing of ours
    status_after = repo.status()
    assert status_after == {
        p: f for p, f in status_before.items() if not p.startswith(".milestones/")
    }
    assert status_after["README.md"] == FileStatus.INDEX_MODIFIED | FileStatus.WT_MODIFIED
    assert status_after["staged-new.txt"] == FileStatus.INDEX_NEW
    assert status_after["src/app.py"] == FileStatus.WT_MODIFIED
    assert status_after["untracked.txt"] == FileStatus.WT_NEW


def test_nothing_changed_returns_none(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    head = repo.head.target
    write(tmp_path, "notes.txt", "user edit\n")
    assert commit_paths(tmp_path, OURS, "x") is None
    assert repo.head.target == head
    empty = commit_paths(tmp_path, OURS, "empty", allow_empty=True)
    assert empty is not None
    assert repo[empty].peel(pygit2.Commit).tree_id == repo[head].peel(pygit2.Commit).tree_id


def test_ignored_and_temporary_files_are_not_committed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {**BASE, ".gitignore": "*.log\nbuild/\n"})
    write(tmp_path, ".milestones/deliverables/t1/run.log", "noise\n")
    write(tmp_path, ".milestones/deliverables/t1/build/out.bin", "noise\n")
    write(tmp_path, ".milestones/deliverables/t1/.plan.md.tmp.4242", "half written\n")
    write(tmp_path, ".milestones/.locks/m1", "")
    write(tmp_path, ".milestones/deliverables/t1/spec/spec.md", "spec\n")
    commit_paths(tmp_path, [".milestones"], "x")
    files = set(tree_files(repo))
    assert ".milestones/deliverables/t1/spec/spec.md" in files
    assert not {f for f in files if f.endswith((".log", ".4242", ".bin")) or ".locks" in f}


def test_staged_file_under_our_path_follows_the_working_tree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    write(tmp_path, ".milestones/deliverables/t1/gone.md", "staged, then deleted\n")
    index = repo.index
    index.add(".milestones/deliverables/t1/gone.md")
    index.write()
    (tmp_path / ".milestones/deliverables/t1/gone.md").unlink()
    write(tmp_path, ".milestones/deliverables/t1/kept.md", "kept\n")
    commit_paths(tmp_path, OURS, "x")
    assert ".milestones/deliverables/t1/gone.md" not in tree_files(repo)
    assert ".milestones/deliverables/t1/gone.md" not in index_state(repo)
    assert repo.status() == {}


def test_info_and_conflicts_see_changes_between_calls(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    assert gitops.info(tmp_path).dirty == 0 and gitops.conflicts(tmp_path) == []
    write(tmp_path, "notes.txt", "edited\n")
    index = repo.index
    index.add("notes.txt")
    index.write()
    assert gitops.info(tmp_path).dirty == 1
    commit_all(repo, "more")
    assert gitops.info(tmp_path).dirty == 0
    repo.branches.local.create("side", repo.head.peel(pygit2.Commit))
    repo.checkout("refs/heads/side")
    assert gitops.info(tmp_path).branch == "side"


def test_workspace_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"top.txt": "top\n", "proj/.milestones/active/m1.yaml": "a\n"})
    write(tmp_path, "proj/.milestones/active/m1.yaml", "b\n")
    write(tmp_path, "top.txt", "changed\n")
    sha = commit_paths(tmp_path / "proj", [".milestones/active/m1.yaml"], "x")
    assert sha is not None
    assert tree_files(repo)["proj/.milestones/active/m1.yaml"] == b"b\n"
    assert tree_files(repo)["top.txt"] == b"top\n"


def test_executable_bit_and_symlink(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    script = write(tmp_path, ".milestones/deliverables/t1/run.sh", "#!/bin/sh\n")
    script.chmod(0o755)
    os.symlink("run.sh", tmp_path / ".milestones/deliverables/t1/link")
    commit_paths(tmp_path, OURS, "x")
    tree = repo.head.peel(pygit2.Commit).tree
    assert tree[".milestones/deliverables/t1/run.sh"].filemode == 0o100755
    assert tree[".milestones/deliverables/t1/link"].filemode == 0o120000
    assert repo.status() == {}


def test_message_and_trailers() -> None:
    msg = gitops.message(
        "feat",
        "m1",
        "Login form",
        "design",
        "approved",
        milestone="m1",
        task="task-login",
        approved_by="alice",
    )
    assert msg == (
        "feat(m1): Login form - design approved\n\n"
        "Milestone: m1\nTask: task-login\nPhase: design\nApproved-by: alice\n"
    )
    msg = gitops.message(
        "chore", "m1", "Login\nform", None, "task completed", milestone="m1", task="t1"
    )
    assert msg == "chore(m1): Login form - task completed\n\nMilestone: m1\nTask: t1\n"


def test_milestone_commits_found_by_trailer(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    write(tmp_path, ".milestones/active/m1.yaml", "id: m1\nstatus: in_progress\n")
    write(tmp_path, ".milestones/deliverables/t1/design/design.md", "d\n")
    a = commit_paths(
        tmp_path,
        OURS,
        gitops.message("feat", "m1", "T", "design", "completed", milestone="m1", task="t1"),
    )
    write(tmp_path, "other.txt", "x\n")
    commit_all(repo, "unrelated\n\nMilestone: m2\n")
    write(tmp_path, ".milestones/active/m1.yaml", "id: m1\nstatus: completed\n")
    b = commit_paths(
        tmp_path,
        OURS,
        gitops.message(
            "feat", "m1", "T", "design", "approved", milestone="m1", task="t1", approved_by="bob"
        ),
    )
    assert a is not None and b is not None
    found = gitops.milestone_commits(tmp_path, "m1")
    assert [c.sha for c in found] == [b, a]
    assert found[0].files == (".milestones/active/m1.yaml",)
    assert set(found[1].files) == {
        ".milestones/active/m1.yaml",
        ".milestones/deliverables/t1/design/design.md",
    }
    assert found[0].summary == "feat(m1): T - design approved"
    assert found[0].author == "Alice" and found[0].task == "t1" and found[0].phase == "design"
    assert found[0].time.endswith("Z") and found[0].short == b[:7]
    assert [c.sha for c in gitops.milestone_commits(tmp_path, "m1", limit=1)] == [b]
    assert gitops.milestone_commits(tmp_path, "nope") == []


def test_signature_from_config_else_fallback(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "a")
    sig = signature(repo)
    assert (sig.name, sig.email) == ("Alice", "alice@example.com")
    bare = make_repo(tmp_path / "b", user=False)
    sig = signature(bare)
    assert (sig.name, sig.email) == ("kiro-tui", "kiro-tui@localhost")
    write(tmp_path / "b", "f", "x")
    sha = commit_paths(tmp_path / "b", ["f"], "x")
    assert sha is not None
    assert bare[sha].peel(pygit2.Commit).author.email == "kiro-tui@localhost"


def test_paths_for_event(tmp_path: Path) -> None:
    paths = gitops.paths_for_event(
        tmp_path,
        tmp_path / ".milestones/completed/m1.yaml",
        "m1",
        "exec-m1-20261125-140307",
        "t1",
        ["src/login.py", str(tmp_path / "docs/api.md"), "../outside.txt"],
    )
    assert paths == [
        ".milestones/completed/m1.yaml",
        ".milestones/active/m1.yaml",
        ".milestones/logs/execution-m1.jsonl",
        ".milestones/logs/exec-m1-20261125-140307",
        ".milestones/sessions/exec-m1-20261125-140307.yaml",
        ".milestones/sessions/exec-m1-20261125-140307",
        ".milestones/deliverables/t1",
        "src/login.py",
        "docs/api.md",
    ]


def test_move_from_active_to_completed_is_one_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    src = tmp_path / ".milestones/active/m1.yaml"
    dst = tmp_path / ".milestones/completed/m1.yaml"
    dst.parent.mkdir(parents=True)
    src.rename(dst)
    paths = gitops.paths_for_event(tmp_path, dst, "m1", None, None, [])
    sha = commit_paths(tmp_path, paths, "x")
    assert sha is not None
    files = tree_files(repo)
    assert ".milestones/completed/m1.yaml" in files and ".milestones/active/m1.yaml" not in files
    assert repo.status() == {}


# ---------------------------------------------------------------------------------- refusals
def test_detached_head_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    repo.set_head(repo.head.target)
    write(tmp_path, ".milestones/active/m1.yaml", "changed\n")
    with pytest.raises(GitBlocked) as err:
        commit_paths(tmp_path, OURS, "x")
    assert err.value.kind == "detached_head" and "switch to a branch" in str(err.value)
    assert gitops.info(tmp_path).detached


def _conflicted(tmp_path: Path) -> pygit2.Repository:
    repo = make_repo(tmp_path, {**BASE, "shared.txt": "base\n"})
    base = repo.head.peel(pygit2.Commit)
    repo.branches.local.create("other", base)
    write(tmp_path, "shared.txt", "ours\n")
    commit_all(repo, "ours")
    repo.checkout("refs/heads/other")
    write(tmp_path, "shared.txt", "theirs\n")
    theirs = commit_all(repo, "theirs")
    repo.checkout("refs/heads/main")
    repo.merge(theirs)
    assert repo.index.conflicts is not None
    return repo


def test_conflicted_index_refused(tmp_path: Path) -> None:
    repo = _conflicted(tmp_path)
    head = repo.head.target
    wt = worktree(tmp_path)
    write(tmp_path, ".milestones/active/m1.yaml", "changed\n")
    wt[".milestones/active/m1.yaml"] = b"changed\n"
    assert gitops.conflicts(tmp_path) == ["shared.txt"]
    with pytest.raises(GitBlocked) as err:
        commit_paths(tmp_path, OURS, "x")
    assert err.value.kind == "index_conflict" and "shared.txt" in str(err.value)
    assert repo.head.target == head and worktree(tmp_path) == wt
    assert repo.index.conflicts is not None


def test_not_a_repository(tmp_path: Path) -> None:
    info = gitops.info(tmp_path)
    assert not info.is_repo
    with pytest.raises(GitBlocked) as err:
        commit_paths(tmp_path, ["x"], "x")
    assert err.value.kind == "not_a_repository"


# ---------------------------------------------------------------------------------- branches
def test_branch_switch_refused_with_local_changes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    write(tmp_path, "notes.txt", "unsaved work\n")
    with pytest.raises(GitBlocked) as err:
        gitops.ensure_milestone_branch(tmp_path, "m1")
    assert err.value.kind == "dirty_switch" and "notes.txt" in str(err.value)
    assert repo.head.shorthand == "main" and "milestone/m1" not in repo.branches.local
    assert (tmp_path / "notes.txt").read_text() == "unsaved work\n"
    # staged changes refuse too
    write(tmp_path, "notes.txt", "notes v1\n")
    write(tmp_path, "new.txt", "staged\n")
    index = repo.index
    index.add("new.txt")
    index.write()
    with pytest.raises(GitBlocked):
        gitops.ensure_milestone_branch(tmp_path, "m1")
    assert repo.status()["new.txt"] == FileStatus.INDEX_NEW


def test_branch_created_and_switched_when_clean(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    head = repo.head.target
    write(tmp_path, "untracked.txt", "fine\n")
    assert gitops.ensure_milestone_branch(tmp_path, "m1") == "milestone/m1"
    assert repo.head.shorthand == "milestone/m1" and repo.head.target == head
    assert (tmp_path / "untracked.txt").read_text() == "fine\n"
    assert gitops.ensure_milestone_branch(tmp_path, "m1") == "milestone/m1"  # idempotent


def test_switch_to_existing_branch_and_files_in_the_way(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    gitops.ensure_milestone_branch(tmp_path, "m1")
    write(tmp_path, "feature.txt", "on the milestone branch\n")
    commit_all(repo, "feature")
    repo.checkout("refs/heads/main")
    assert not (tmp_path / "feature.txt").exists()
    write(tmp_path, "feature.txt", "the user's own untracked file\n")
    with pytest.raises(GitBlocked) as err:
        gitops.ensure_milestone_branch(tmp_path, "m1")
    assert err.value.kind == "dirty_switch" and "feature.txt" in str(err.value)
    assert repo.head.shorthand == "main"
    assert (tmp_path / "feature.txt").read_text() == "the user's own untracked file\n"
    (tmp_path / "feature.txt").unlink()
    gitops.ensure_milestone_branch(tmp_path, "m1")
    assert repo.head.shorthand == "milestone/m1"
    assert (tmp_path / "feature.txt").read_text() == "on the milestone branch\n"


def test_carried_changes_under_milestones(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, BASE)
    write(tmp_path, ".milestones/active/m1.yaml", "id: m1\nstatus: in_progress\n")
    gitops.ensure_milestone_branch(tmp_path, "m1", carry=[".milestones"])
    assert repo.head.shorthand == "milestone/m1"
    assert "status: in_progress" in (tmp_path / ".milestones/active/m1.yaml").read_text()


def test_unborn_head_switches_to_the_new_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    assert gitops.ensure_milestone_branch(tmp_path, "m1") == "milestone/m1"
    write(tmp_path, "a.txt", "a\n")
    commit_paths(tmp_path, ["a.txt"], "first")
    assert repo.head.shorthand == "milestone/m1"


# ---------------------------------------------------------------------------------- remotes
def _with_remote(tmp_path: Path) -> tuple[pygit2.Repository, Path]:
    work = tmp_path / "work"
    repo = make_repo(work, BASE)
    bare_path = tmp_path / "remote.git"
    pygit2.init_repository(str(bare_path), bare=True, initial_head="main")
    repo.remotes.create("origin", str(bare_path))
    return repo, bare_path


def test_push_reaches_the_bare_remote_and_info_counts(tmp_path: Path) -> None:
    _repo, bare_path = _with_remote(tmp_path)
    work = tmp_path / "work"
    sha = gitremote.push(work, "origin").sha
    bare = pygit2.Repository(str(bare_path))
    assert str(bare.lookup_reference("refs/heads/main").target) == sha
    write(work, ".milestones/active/m1.yaml", "v2\n")
    write(work, "notes.txt", "dirty\n")
    write(work, "scratch.txt", "untracked\n")
    write(work, ".milestones/.locks/m1", "")
    commit_paths(work, OURS, "x")
    info = gitops.info(work, remote="origin")
    assert (info.branch, info.ahead, info.behind, info.dirty) == ("main", 1, 0, 2)
    sha2 = gitremote.push(work, "origin").sha
    assert str(bare.lookup_reference("refs/heads/main").target) == sha2
    assert gitops.info(work, remote="origin").ahead == 0


def test_rejected_push_then_diverged(tmp_path: Path) -> None:
    repo, bare_path = _with_remote(tmp_path)
    work = tmp_path / "work"
    gitremote.push(work, "origin")
    other = pygit2.clone_repository(str(bare_path), str(tmp_path / "other"))
    other.config["user.name"] = "Bob"
    other.config["user.email"] = "bob@example.com"
    write(tmp_path / "other", "bob.txt", "bob\n")
    commit_all(other, "bob's work")
    other.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
    bob = other.head.target

    write(work, ".milestones/active/m1.yaml", "ours\n")
    commit_paths(work, OURS, "ours")
    with pytest.raises(GitBlocked) as err:
        gitremote.push(work, "origin")
    assert err.value.kind == "push_rejected" and "force" in err.value.suggestion
    bare = pygit2.Repository(str(bare_path))
    assert bare.lookup_reference("refs/heads/main").target == bob  # nothing overwritten

    repo.remotes["origin"].fetch()
    info = gitops.info(work, remote="origin")
    assert (info.ahead, info.behind) == (1, 1)
    with pytest.raises(GitBlocked) as err:
        gitremote.push(work, "origin")
    assert err.value.kind == "diverged"


def test_push_without_such_remote(tmp_path: Path) -> None:
    make_repo(tmp_path, BASE)
    with pytest.raises(GitBlocked) as err:
        gitremote.push(tmp_path, "origin")
    assert err.value.kind == "no_remote"
