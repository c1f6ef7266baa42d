"""git_integration driven by the coordinator in-process, on real pygit2 repositories.

Each test builds a repository in tmp_path (and a bare one as the remote), drives a milestone by
writing deliverables and approving through Workspace, and reads the result back with pygit2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import FileStatus

from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.core import sessions
from kiro_tui.core.service import Workspace
from tests.unit.test_agents_coordinator import (
    Running,
    _settled,
    milestone,
    phase_status,
    role_events,
    small_workspace,
    status_is,
    wait_for,
)
from tests.unit.test_agents_roles import fill

SIG = pygit2.Signature("Alice", "alice@example.com")


# ---------------------------------------------------------------------------------- helpers
def write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def commit_all(repo: pygit2.Repository, msg: str, *paths: str) -> None:
    """Commit everything (or only `paths`), as the user would."""
    index = repo.index
    index.read()
    if paths:
        for p in paths:
            index.add(p)
    else:
        index.add_all()
    index.write()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    repo.create_commit("HEAD", SIG, SIG, msg, index.write_tree(), parents)


def set_git(root: Path, **values: object) -> None:
    """Replace the `git:` section of the workspace config."""
    cfg = root / ".milestones/config/kiro-config.yaml"
    body = "".join(f"  {k}: {v}\n" for k, v in values.items())
    text = re.sub(r"(?ms)^git:\n(?:  .*\n)*", "git:\n" + body, cfg.read_text(encoding="utf-8"))
    cfg.write_text(text, encoding="utf-8")


def repo_with_milestone(root: Path, tasks: int = 2) -> pygit2.Repository:
    """A repository whose first commit holds some code and a workspace with milestone `m`
    (tasks a, b[, c], each depending on the one before)."""
    repo = pygit2.init_repository(str(root), initial_head="main")
    repo.config["user.name"] = "Alice"
    repo.config["user.email"] = "alice@example.com"
    write(root, "README.md", "readme\n")
    write(root, "src/app.py", "print('v1')\n")
    write(root, "notes.txt", "notes v1\n")
    ws = small_workspace(root)
    if tasks > 2:
        ws.add_task("m", "C", task_id="c", depends_on=["b"])
    commit_all(repo, "initial")
    return repo


def drive_tasks(ws: Workspace, coord: Coordinator, root: Path, tids: tuple[str, ...]) -> None:
    for tid in tids:
        for phase in ("design", "spec"):
            wait_for(status_is(ws, tid, phase, "in_progress"), f"{tid} {phase} started")
            fill(root, tid, phase, "m")
            wait_for(status_is(ws, tid, phase, "waiting_approval"), f"{tid} {phase} waiting")
            ws.approve("m", tid, phase, "alice")
            coord.wake()
        for phase in ("task", "execute"):
            wait_for(status_is(ws, tid, phase, "in_progress"), f"{tid} {phase} started")
            fill(root, tid, phase, "m")
        wait_for(
            lambda t=tid: milestone(ws).task(t).status == "completed",  # type: ignore[union-attr]
            f"{tid} completed",
        )


def trailers(msg: str) -> dict[str, str]:
    parts = msg.strip().split("\n\n")
    lines = parts[-1].splitlines() if len(parts) > 1 else []
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def ours(repo: pygit2.Repository, ref: str = "HEAD") -> list[Any]:
    """Commits carrying `Milestone: m`, oldest first (none when `ref` does not exist)."""
    try:
        tip = repo.revparse_single(ref).id
    except KeyError:
        return []
    out = [c for c in repo.walk(tip) if trailers(c.message).get("Milestone") == "m"]
    return out[::-1]


def changed(repo: pygit2.Repository, c: Any) -> set[str]:
    diff = repo.diff(c.parents[0], c)
    return {d.new_file.path for d in diff.deltas}


def git_events(root: Path) -> list[str]:
    return [e.event for e in role_events(root, "git.jsonl")]


def subjects(tids: tuple[str, ...]) -> list[str]:
    """The commit subjects of driving these tasks, in order (a task's last phase and the task
    itself complete in the same write: the phase comes first)."""
    out = []
    for tid in tids:
        t = tid.upper()
        out += [
            f"feat(m): {t} - design completed",
            f"feat(m): {t} - design approved",
            f"feat(m): {t} - spec completed",
            f"feat(m): {t} - spec approved",
            f"feat(m): {t} - task completed",
            f"feat(m): {t} - execute completed",
            f"feat(m): {t} - completed",
        ]
    return out


# ---------------------------------------------------------------------------------- tests
def test_driving_to_completion_commits_each_event_and_pushes(tmp_path: Path) -> None:
    root = tmp_path / "work"
    repo = repo_with_milestone(root, tasks=3)
    bare_path = tmp_path / "remote.git"
    pygit2.init_repository(str(bare_path), bare=True, initial_head="main")
    repo.remotes.create("origin", str(bare_path))
    set_git(root, enabled="true", branch="current", remote="origin", push_every=2)
    # the user's own work, which must stay exactly as it is
    write(root, "notes.txt", "notes staged\n")
    index = repo.index
    index.add("notes.txt")
    index.write()
    write(root, "src/app.py", "print('unstaged')\n")
    write(root, "scratch.txt", "untracked\n")
    staged_blob = str(index["notes.txt"].id)
    head_app = str(repo.revparse_single("HEAD").peel(pygit2.Commit).tree["src/app.py"].id)
    initial = repo.head.target

    ws = Workspace(root, persist_cache=False)
    coord = Coordinator(ws, drive="m")
    with Running(coord):  # first driver: task a, then stopped
        drive_tasks(ws, coord, root, ("a",))
        wait_for(lambda: len(ours(pygit2.Repository(str(root)))) == 7, "task a's 7 commits")
    sid = coord.session_id or ""
    coord = Coordinator(ws, drive="m")  # a second driver resumes the session: no repeats
    with Running(coord):
        drive_tasks(ws, coord, root, ("b", "c"))
        wait_for(lambda: milestone(ws).status == "completed", "completion")
        wait_for(lambda: len(ours(pygit2.Repository(str(root)))) == 21, "21 commits")
        wait_for(lambda: git_events(root).count("git_push") == 1, "the push")
        assert wait_for(lambda: _settled(coord), "the loop to go quiet")
    assert coord.session_id == sid

    repo = pygit2.Repository(str(root))
    commits = ours(repo)
    assert repo.head.shorthand == "main"
    assert commits[0].parents[0].id == initial
    # the driver's last step (issue 10 item 9): what its session still had modified (session
    # file, role states, logs) in one "milestone completed" commit; git is clean after it
    done = commits.pop()
    assert done.message.split("\n", 1)[0] == "chore(m): Small - milestone completed"
    assert trailers(done.message)["Milestone"] == "m"
    done_files = changed(repo, done)
    assert f".milestones/sessions/{sid}.yaml" in done_files
    assert f".milestones/sessions/{sid}/agents/state.json" in done_files
    assert all(f.startswith(".milestones/") for f in done_files)
    dirty = [f for f in repo.status() if f.startswith(".milestones/")]
    assert dirty == [".milestones/config/kiro-config.yaml"]  # the test's own edit
    assert [c.message.split("\n", 1)[0] for c in commits] == subjects(("a", "b", "c"))
    for c in commits:
        tr = trailers(c.message)
        subject = c.message.split("\n", 1)[0]
        tid = subject.split(": ", 1)[1][0].lower()
        assert tr["Milestone"] == "m" and tr["Task"] == tid
        if subject.endswith("approved"):
            assert tr["Approved-by"] == "alice" and tr["Phase"] in ("design", "spec")
        else:
            assert "Approved-by" not in tr
        if subject.endswith(" - completed"):
            assert "Phase" not in tr
        else:
            assert tr["Phase"] == subject.rsplit(" ", 2)[1]
        files = changed(repo, c)
        assert files, subject
        for f in files:
            assert f in (
                ".milestones/active/m.yaml",
                ".milestones/completed/m.yaml",
                ".milestones/logs/execution-m.jsonl",
                f".milestones/sessions/{sid}.yaml",
            ) or f.startswith(
                (
                    f".milestones/logs/{sid}/",
                    f".milestones/sessions/{sid}/",
                    f".milestones/deliverables/{tid}/",
                )
            ), (subject, f)
    # the task's deliverables are in its own commits
    a_design = next(c for c in commits if c.message.startswith("feat(m): A - design completed"))
    assert any(f.startswith(".milestones/deliverables/a/design/") for f in changed(repo, a_design))

    # the user's changes: as they were, in the index and the working tree
    status = repo.status()
    assert status["notes.txt"] == FileStatus.INDEX_MODIFIED
    assert str(repo.index["notes.txt"].id) == staged_blob
    assert status["src/app.py"] == FileStatus.WT_MODIFIED
    assert str(repo.index["src/app.py"].id) == head_app
    assert status["scratch.txt"] == FileStatus.WT_NEW
    assert (root / "src/app.py").read_text() == "print('unstaged')\n"
    assert ".milestones/config/kiro-config.yaml" in status  # our config edit: not committed
    assert all(".milestones/config" not in f for c in commits for f in changed(repo, c))

    # one push after the second completed task: the remote has a and b's work, not c's
    bare = pygit2.Repository(str(bare_path))
    pushed = bare.lookup_reference("refs/heads/main").target
    b_done = next(c for c in commits if c.message.startswith("feat(m): B - completed"))
    c_done = next(c for c in commits if c.message.startswith("feat(m): C - completed"))
    assert pushed == b_done.id or repo.descendant_of(pushed, b_done.id)
    assert pushed != c_done.id and not repo.descendant_of(pushed, c_done.id)
    log = role_events(root, "git.jsonl")
    commits_logged = [e for e in log if e.event == "git_commit"]
    assert len(commits_logged) == 21
    assert all(
        e.raw["branch"] == "main"
        and e.raw["sha"]
        and e.raw["files"]
        and e.raw["result"] == "committed"
        for e in commits_logged
    )
    push = next(e for e in log if e.event == "git_push")
    assert push.raw["result"] == "ok" and push.data["tasks"] == 2
    assert not [e for e in log if e.event in ("git_error", "action_failed")]
    state = sessions.read_role_state(root, sid)
    assert state["git_integration"]["status"] == "stopped"


def test_detached_head_opens_a_blocker_until_fixed(tmp_path: Path) -> None:
    root = tmp_path / "work"
    repo = repo_with_milestone(root)
    head = repo.head.target
    repo.set_head(head)  # detached
    ws = Workspace(root, persist_cache=False)
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        wait_for(status_is(ws, "a", "design", "in_progress"), "a design started")
        fill(root, "a", "design", "m")
        wait_for(status_is(ws, "a", "design", "waiting_approval"), "a design waiting")
        blk = wait_for(
            lambda: [b for b in coord.snapshot.blockers if b.kind == "git_conflict"],
            "a git blocker",
        )
        assert "detached" in blk[0].message and "switch to a branch" in blk[0].suggestion
        wait_for(
            lambda: any(
                e.event == "blocker_detected" and e.raw.get("kind") == "git_conflict"
                for e in role_events(root, "blockers.jsonl")
            ),
            "the blocker record",
        )
        assert pygit2.Repository(str(root)).head.target == head  # nothing committed
        err = [e for e in role_events(root, "git.jsonl") if e.event == "git_error"]
        assert len(err) == 1 and err[0].raw["result"] == "detached_head"
        # the user fixes it: the commit lands, the blocker clears
        pygit2.Repository(str(root)).set_head("refs/heads/main")
        coord.wake()
        wait_for(lambda: len(ours(pygit2.Repository(str(root)))) == 1, "the commit")
        wait_for(
            lambda: any(
                e.event == "blocker_resolved" and e.raw.get("kind") == "git_conflict"
                for e in role_events(root, "blockers.jsonl")
            ),
            "blocker resolved",
        )
    assert len([e for e in role_events(root, "git.jsonl") if e.event == "git_error"]) == 1


def test_milestone_branch_refused_with_local_changes_then_switched(tmp_path: Path) -> None:
    root = tmp_path / "work"
    repo = repo_with_milestone(root)
    set_git(root, enabled="true", branch="milestone")
    commit_all(repo, "config")
    write(root, "notes.txt", "work in progress\n")  # in the way of a switch
    ws = Workspace(root, persist_cache=False)
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        blk = wait_for(
            lambda: [b for b in coord.snapshot.blockers if b.kind == "git_conflict"],
            "the refusal as a blocker",
        )
        assert "not switching to milestone/m" in blk[0].message and "notes.txt" in blk[0].message
        assert "commit or stash" in blk[0].suggestion
        assert pygit2.Repository(str(root)).head.shorthand == "main"
        fill(root, "a", "design", "m")
        wait_for(status_is(ws, "a", "design", "waiting_approval"), "a design waiting")
        assert ours(pygit2.Repository(str(root))) == []  # no commit on the wrong branch
        assert (root / "notes.txt").read_text() == "work in progress\n"
        # the user commits their work: the switch happens, then the pending commit
        commit_all(pygit2.Repository(str(root)), "notes", "notes.txt")
        coord.wake()
        wait_for(
            lambda: len(ours(pygit2.Repository(str(root)), "refs/heads/milestone/m")) == 1,
            "the commit on milestone/m",
        )
    repo = pygit2.Repository(str(root))
    assert repo.head.shorthand == "milestone/m"
    assert ours(repo, "refs/heads/main") == []
    assert "git_branch" in git_events(root)


def test_git_disabled_is_idle_with_the_reason(tmp_path: Path) -> None:
    root = tmp_path / "work"
    repo = repo_with_milestone(root)
    set_git(root, enabled="false")
    head = repo.head.target
    ws = Workspace(root, persist_cache=False)
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        fill(root, "a", "design", "m")
        wait_for(status_is(ws, "a", "design", "waiting_approval"), "a design waiting")
        wait_for(
            lambda: (
                (
                    coord.snapshot.roles.get("git_integration") or type("x", (), {"status": ""})
                ).status
                == "idle"
            ),
            "idle status",
        )
        st = coord.snapshot.roles["git_integration"]
        assert st.detail and "enabled is false" in st.detail
        assert coord.snapshot.git.is_repo and coord.snapshot.git.branch == "main"
    assert pygit2.Repository(str(root)).head.target == head
    assert git_events(root) == ["git_idle"]
    assert phase_status(ws, "a", "design") == "waiting_approval"
    # an observer (the dashboard) also sees the branch and the dirty count
    write(root, "notes.txt", "edited\n")
    watcher = Coordinator(Workspace(root, persist_cache=False))
    with Running(watcher):
        info = wait_for(lambda: watcher.snapshot.git.is_repo and watcher.snapshot.git, "git info")
        assert info.branch == "main" and not info.detached and info.dirty >= 1  # type: ignore[union-attr]
