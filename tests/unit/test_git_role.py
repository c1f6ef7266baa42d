"""git_integration's pure decide() on snapshots built by hand (no repository, no loop)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from kiro_tui.agents.actions import GIT_BRANCH, GIT_COMMIT, GIT_PUSH, LOG, remember
from kiro_tui.agents.roles import blockers
from kiro_tui.agents.roles import git as git_role
from kiro_tui.core import events, sessions
from kiro_tui.core.config import GitSettings
from kiro_tui.core.git.repo import GitInfo
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Snapshot
from tests.unit.test_agents_coordinator import small_workspace

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
T0 = "2026-11-25T14:00:00Z"


def snap(root: Path, git: GitSettings | None = None, repo: bool = True, **kw: object) -> Snapshot:
    state = Workspace(root, persist_cache=False).load()
    if git is not None:
        state = replace(state, config=replace(state.config, git=git))
    return Snapshot(
        state=state,
        driving="m",
        session_id="exec-m-1",
        scope=("m",),
        git=GitInfo(is_repo=repo, branch="main"),
        **kw,
    )  # type: ignore[arg-type]


def set_phase(root: Path, tid: str, phase: str, **fields: str) -> None:
    """Edit a phase in the milestone YAML directly (as an agent or editor would)."""
    ws = Workspace(root, persist_cache=False)

    def fn(doc: dict, _ctx: object) -> object:
        from kiro_tui.core.workflow import Outcome

        for t in doc["tasks"]:
            if t["id"] == tid:
                t["kiro_workflow"]["phases"][phase].update(fields)
                if fields.get("task_status"):
                    t["status"] = fields["task_status"]
                    del t["kiro_workflow"]["phases"][phase]["task_status"]
        return Outcome(message="edit")

    ws.act("m", fn, "tester")  # type: ignore[arg-type]


def run(s: Snapshot, mem: dict) -> list:
    """decide until it proposes nothing, remembering each step as if it worked."""
    steps = []
    for _ in range(50):
        acts = git_role.decide(s, NOW, mem)
        if not acts:
            return steps
        for a in acts:
            remember(mem, a.remember)
            steps.append(a)
    raise AssertionError("decide never settles")


def test_idle_when_disabled_or_not_a_repository(tmp_path: Path) -> None:
    small_workspace(tmp_path)
    [a] = git_role.decide(snap(tmp_path, repo=False), NOW, {})
    assert a.kind == LOG and git_role.IDLE_REASON in a.payload.record["message"]
    off = snap(tmp_path, GitSettings(enabled=False))
    assert git_role.idle_reason(off) == git_role.DISABLED_REASON
    mem: dict = {}
    [a] = git_role.decide(off, NOW, mem)
    remember(mem, a.remember)
    assert git_role.decide(off, NOW, mem) == []  # said once
    assert git_role.idle_reason(snap(tmp_path)) is None


def test_one_commit_per_event_in_order_with_trailers(tmp_path: Path) -> None:
    small_workspace(tmp_path)
    set_phase(
        tmp_path,
        "a",
        "design",
        status="approved",
        completed_at=T0,
        approved_at="2026-11-25T14:05:00Z",
        approved_by="alice",
    )
    set_phase(tmp_path, "a", "spec", status="waiting_approval", completed_at="2026-11-25T14:10:00Z")
    steps = run(snap(tmp_path), {})
    assert [a.kind for a in steps] == [GIT_COMMIT] * 3
    subjects = [a.payload.message.split("\n")[0] for a in steps]
    assert subjects == [
        "feat(m): A - design completed",
        "feat(m): A - design approved",
        "feat(m): A - spec completed",
    ]
    approved = steps[1].payload.message
    assert approved.endswith("Milestone: m\nTask: a\nPhase: design\nApproved-by: alice\n")
    assert "Approved-by" not in steps[0].payload.message
    paths = steps[0].payload.paths
    assert ".milestones/active/m.yaml" in paths and ".milestones/deliverables/a" in paths
    assert ".milestones/logs/exec-m-1" in paths and not any("/b" in p for p in paths)


def test_events_before_the_session_and_unconfigured_ones_are_skipped(tmp_path: Path) -> None:
    small_workspace(tmp_path)
    set_phase(
        tmp_path,
        "a",
        "design",
        status="approved",
        completed_at=T0,
        approved_at="2026-11-25T14:05:00Z",
        approved_by="alice",
    )
    mem: dict = {"session": {"since": datetime(2026, 11, 25, 14, 3, tzinfo=UTC).timestamp()}}
    assert [a.payload.message.split("\n")[0] for a in run(snap(tmp_path), mem)] == [
        "feat(m): A - design approved"
    ]
    only = GitSettings(commit_on=("phase_approved",))
    assert [a.payload.event for a in run(snap(tmp_path, only), {})] == ["phase_approved"]


def test_rejected_then_completed_again_is_a_new_event(tmp_path: Path) -> None:
    small_workspace(tmp_path)
    set_phase(tmp_path, "a", "design", status="waiting_approval", completed_at=T0)
    mem: dict = {}
    assert len(run(snap(tmp_path), mem)) == 1
    set_phase(tmp_path, "a", "design", status="in_progress")
    assert run(snap(tmp_path), mem) == []  # being reworked: nothing to commit
    set_phase(
        tmp_path, "a", "design", status="waiting_approval", completed_at="2026-11-25T14:30:00Z"
    )
    assert len(run(snap(tmp_path), mem)) == 1


def test_task_completed_then_push_every_n_tasks(tmp_path: Path) -> None:
    small_workspace(tmp_path)
    for tid in ("a", "b"):
        for i, ph in enumerate(("design", "spec", "task", "execute")):
            extra = {"task_status": "completed"} if ph == "execute" else {}
            set_phase(
                tmp_path,
                tid,
                ph,
                status="completed",
                completed_at=f"2026-11-25T14:{10 * (tid == 'b') + i:02d}:00Z",
                **extra,
            )
    g = GitSettings(commit_on=("task_completed",), remote="origin", push_every=1)
    steps = run(snap(tmp_path, g), {})
    assert [(a.kind, a.task_id) for a in steps] == [
        (GIT_COMMIT, "a"),
        (GIT_PUSH, None),
        (GIT_COMMIT, "b"),
        (GIT_PUSH, None),
    ]
    assert steps[0].payload.message.startswith("feat(m): A - completed\n")
    assert "Phase:" not in steps[0].payload.message
    assert [(a.payload.n, a.payload.tasks) for a in steps if a.kind == GIT_PUSH] == [(1, 1), (2, 2)]
    assert GIT_PUSH not in [a.kind for a in run(snap(tmp_path, replace(g, push_every=3)), {})]
    no_remote = run(snap(tmp_path, replace(g, remote=None)), {})
    assert GIT_PUSH not in [a.kind for a in no_remote]
    # a failing push does not hold commits back: it is retried beside them
    failing = snap(
        tmp_path,
        g,
        failures=MappingProxyType({"git_integration git:push:1": "GitBlocked: rejected; fetch"}),
    )
    acts = git_role.decide(failing, NOW, {"done": {steps[0].payload.key: "task_completed"}})
    assert [a.kind for a in acts] == [GIT_COMMIT, GIT_PUSH]


def test_milestone_branch_first_and_failures_become_git_blockers(tmp_path: Path) -> None:
    small_workspace(tmp_path)
    set_phase(tmp_path, "a", "design", status="waiting_approval", completed_at=T0)
    s = snap(tmp_path, GitSettings(branch="milestone"))
    [a] = git_role.decide(s, NOW, {})
    assert a.kind == GIT_BRANCH and a.key == "git:branch"
    failed = replace(
        s,
        failures=MappingProxyType(
            {
                "git_integration git:branch": "GitBlocked: not switching to milestone/m: 1 file(s) have "
                "uncommitted changes (notes.txt); commit or stash them, then resume"
            }
        ),
    )
    [b] = [b for b in blockers.detect(failed, NOW) if b.kind == "git_conflict"]
    assert b.message.startswith("git: not switching") and b.suggestion.startswith("commit or")


def test_seed_rebuilds_memory_from_git_jsonl(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    ws.start_milestone("m", "tester")
    m = ws.load().milestone("m")
    assert m is not None and m.session_id
    log = tmp_path / f".milestones/logs/{m.session_id}/git.jsonl"
    events.append(log, {"timestamp": T0, "event": "git_commit", "data": {"key": "k1"}})
    events.append(log, {"timestamp": T0, "event": "git_push", "data": {"n": 2}})
    mem: dict = {}
    git_role.seed(mem, tmp_path, m.session_id)
    assert "k1" in mem["done"] and mem["pushed"]["n"] == 2 and mem["session"]["since"]


def test_a_failing_push_waits_before_it_reaches_the_remote_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused push is not tried on every batch of changes: it waits 15 s, then twice as long
    each time (up to 10 min), and a push that works again resets the wait."""
    import pygit2

    from kiro_tui.agents.actions import Action, Push
    from kiro_tui.core.git import remote as gitremote
    from kiro_tui.core.git.repo import GitBlocked, PushResult

    repo = pygit2.init_repository(str(tmp_path / "work"), initial_head="main")
    (tmp_path / "work" / "a.txt").write_text("a\n")
    sig = pygit2.Signature("Alice", "alice@example.com")
    repo.index.add("a.txt")
    repo.index.write()
    repo.create_commit("HEAD", sig, sig, "first", repo.index.write_tree(), [])
    ws = small_workspace(tmp_path / "work")
    ws.start_milestone("m", "tester")
    sid = ws.load().milestone("m").session_id  # type: ignore[union-attr]
    calls: list[str] = []
    real_push = gitremote.push

    def counting_push(root: Path | str, remote: str, branch: str | None = None) -> PushResult:
        calls.append(remote)
        return real_push(root, remote, branch)

    monkeypatch.setattr(gitremote, "push", counting_push)
    now = [1000.0]
    effects = git_role.GitEffects(ws, monotonic=lambda: now[0])
    push = Action(GIT_PUSH, "git_integration", "m", payload=Push("origin", 1, 1), key="git:push:1")
    logged: list[dict] = []
    with pytest.raises(GitBlocked):  # no such remote yet
        effects.apply(push, sid, logged.append)
    now[0] += 14.0
    with pytest.raises(GitBlocked):  # waiting: the remote is not asked again
        effects.apply(push, sid, logged.append)
    assert len(calls) == 1 and [r["event"] for r in logged] == ["git_error"]
    assert effects.push_delay == 15.0

    now[0] += 1.5  # the wait is over
    with pytest.raises(GitBlocked):
        effects.apply(push, sid, logged.append)
    assert len(calls) == 2 and effects.push_delay == 30.0

    pygit2.init_repository(str(tmp_path / "remote.git"), bare=True)
    repo.remotes.create("origin", str(tmp_path / "remote.git"))
    now[0] += 31.0
    effects.apply(push, sid, logged.append)
    assert len(calls) == 3 and effects.push_delay is None
    rec = json.loads(
        sessions.role_log_path(tmp_path / "work", sid, "git_integration")
        .read_text()
        .splitlines()[-1]
    )
    assert rec["event"] == "git_push" and rec["result"] == "ok" and rec["data"]["n"] == 1
