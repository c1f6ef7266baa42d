"""Each role's pure decide() on snapshots built from fixture copies (no watcher, no loop)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiro_tui.agents.actions import (
    COMPLETE_MILESTONE,
    COMPLETE_PHASE,
    LOG,
    OPEN_BLOCKER,
    RESOLVE_BLOCKER,
    START_PHASE,
    WRITE_PROGRESS,
    Progress,
    remember,
)
from kiro_tui.agents.facts import FactCache
from kiro_tui.agents.roles import blockers, dependencies, executor, monitor
from kiro_tui.agents.roles import git as git_role
from kiro_tui.core import deliverables as dl
from kiro_tui.core.events import Event
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Snapshot

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
M1 = "milestone-001"


def snap_of(root: Path, driving: str | None = M1, paused: bool = False, **kw: object) -> Snapshot:
    ws = Workspace(root, persist_cache=False)
    state = ws.load()
    scope = (driving,) if driving else tuple(m.id for m in state.milestones if not m.finished)
    cache = FactCache(root)
    facts: dict = {}
    activity: dict = {}
    for mid in scope:
        m = state.milestone(mid)
        if m is not None:
            f, a = cache.milestone(m)
            facts.update(f)
            activity.update(a)
    return Snapshot(
        state=state,
        driving=driving,
        paused=paused,
        facts=facts,
        activity=activity,
        scope=scope,
        session_id="exec-x" if driving else None,
        **kw,
    )  # type: ignore[arg-type]


def fill(root: Path, task_id: str, phase: str, mid: str = M1) -> None:
    """Write real (non-template) content for every deliverable of a phase."""
    ws = Workspace(root, persist_cache=False)
    ph = ws.load().milestone(mid).task(task_id).phase(phase)  # type: ignore[union-attr]
    for d in ph.deliverables:
        path = dl.resolve(root, task_id, phase, d)
        if "." in d.name:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"real {d.name}\n", encoding="utf-8")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "part.txt").write_text("real\n", encoding="utf-8")


def kinds(actions: list) -> list[tuple]:
    return [(a.kind, a.task_id, a.phase) for a in actions]


# ---------------------------------------------------------------- task_executor


def test_executor_waits_for_deliverables_then_completes(seed: Path) -> None:
    snap = snap_of(seed)
    assert executor.decide(snap, NOW, {}) == []  # task-002 design: 1 of 3 deliverables
    fill(seed, "task-002", "design")
    acts = executor.decide(snap_of(seed), NOW, {})
    assert kinds(acts) == [(COMPLETE_PHASE, "task-002", "design")]


def test_executor_does_nothing_while_observing_or_paused(seed: Path) -> None:
    fill(seed, "task-002", "design")
    assert executor.decide(snap_of(seed, driving=None), NOW, {}) == []
    assert executor.decide(snap_of(seed, paused=True), NOW, {}) == []


def test_executor_starts_next_phase_after_an_approval_and_first_phase_when_deps_done(
    seed: Path,
) -> None:
    ws = Workspace(seed, persist_cache=False)
    ws.add_task(M1, "Later", task_id="t-late", depends_on=["task-003"])  # task-003 completed
    ws.add_task(M1, "Blocked", task_id="t-wait", depends_on=["task-002"])
    acts = executor.decide(snap_of(seed), NOW, {})
    assert (START_PHASE, "t-late", "design") in kinds(acts)
    assert all(a.task_id != "t-wait" for a in acts)
    # an approval that could not start the next phase (e.g. it landed while paused)
    doc = (seed / ".milestones/active/milestone-001.yaml").read_text(encoding="utf-8")
    doc = doc.replace('status: "waiting_approval"', 'status: "approved"', 1)
    (seed / ".milestones/active/milestone-001.yaml").write_text(doc, encoding="utf-8")
    acts = executor.decide(snap_of(seed), NOW, {})
    assert (START_PHASE, "task-001", "task") in kinds(acts)


def test_executor_completes_a_milestone_whose_tasks_are_all_done(seed: Path) -> None:
    snap = snap_of(seed)
    m = snap.state.milestone(M1)
    assert m is not None
    done = replace(m, tasks=tuple(replace(t, status="completed") for t in m.tasks))
    state = replace(snap.state, milestones=(done,), by_id={M1: done})
    acts = executor.decide(replace(snap, state=state), NOW, {})
    assert kinds(acts) == [(COMPLETE_MILESTONE, None, None)]


def test_executor_does_not_retry_a_refused_action_until_inputs_change(seed: Path) -> None:
    fill(seed, "task-002", "design")
    snap = snap_of(seed)
    [act] = executor.decide(snap, NOW, {})
    mem: dict = {}
    remember(mem, (("refused", act.key, executor.refusal_signature(act, snap)),))
    assert executor.decide(snap, NOW, mem) == []
    target = seed / ".milestones/deliverables/task-002/design/root_cause_analysis.md"
    target.write_text("rewritten, longer than before\n", encoding="utf-8")
    assert executor.decide(snap_of(seed), NOW, mem) != []  # new signature: worth a new try


def test_noop_runner_is_the_default_seam(seed: Path) -> None:
    """Without `executor:` people do the work; with it, the runs bridge runs agents."""
    from kiro_tui.agents.runs_bridge import RunsBridge, make_runner
    from kiro_tui.core.config import load_config
    from kiro_tui.core.service import Workspace

    r = make_runner(Workspace(seed))
    assert isinstance(r, executor.NoopRunner) and not r.enabled
    for call in (r.suspend, r.resume, r.stop):
        assert call() is None
    assert r.runs() == {} and r.blockers() == () and r.settle() == 0
    cfg = seed / ".milestones/config/kiro-config.yaml"
    cfg.write_text(cfg.read_text() + "\nexecutor:\n  agent: claude\n")
    bridge = make_runner(Workspace(seed, load_config(seed)))
    assert isinstance(bridge, RunsBridge) and bridge.enabled and bridge.runs() == {}


# ---------------------------------------------------------------- progress_monitor


def test_monitor_logs_each_change_once_and_writes_progress(seed: Path) -> None:
    snap = snap_of(seed)
    acts = monitor.decide(snap, NOW, {})
    logged = {a.task_id: a.payload.record["data"]["progress"] for a in acts if a.kind == LOG}
    assert logged == {
        "task-001": 33.8,
        "task-002": 7.5,
        "task-003": 100.0,
        "task-004": 50.0,
        None: 47.8,
    }
    [w] = [a for a in acts if a.kind == WRITE_PROGRESS]
    assert w.payload == Progress(47, 1, 4)
    mem: dict = {}
    for a in acts:
        remember(mem, a.remember)
    # until the file says 47 the write is proposed again (write_progress is a no-op then)
    assert kinds(monitor.decide(snap, NOW, mem)) == [(WRITE_PROGRESS, None, None)]
    m = snap.state.milestone(M1)
    fresh = replace(m, written_progress=47)  # type: ignore[arg-type]
    snap = replace(snap, state=replace(snap.state, by_id={**snap.state.by_id, M1: fresh}))
    assert monitor.decide(snap, NOW, mem) == []
    assert monitor.decide(snap_of(seed, driving=None), NOW, {}) == []


# ---------------------------------------------------------------- git_integration


def test_git_role_says_idle_once(seed: Path) -> None:
    snap = snap_of(seed)
    [a] = git_role.decide(snap, NOW, {})
    assert a.kind == LOG and git_role.IDLE_REASON in a.payload.record["message"]
    mem: dict = {}
    remember(mem, a.remember)
    assert git_role.decide(snap, NOW, mem) == []


# ---------------------------------------------------------------- dependency_validator


def test_dependencies_find_cycles_and_log_once(broken: Path) -> None:
    snap = snap_of(broken, driving=None)
    found = dependencies.findings(snap)
    assert any(f.kind == "dependency_cycle" for f in found)
    driven = replace(snap, driving="cycle-a")
    acts = dependencies.decide(driven, NOW, {})
    assert acts and all(a.kind == LOG for a in acts)
    mem: dict = {}
    for a in acts:
        remember(mem, a.remember)
    assert dependencies.decide(driven, NOW, mem) == []
    # when a finding goes away it is logged as cleared, once
    mem["findings"]["gone:1"] = "an old finding"
    [clear] = dependencies.decide(driven, NOW, mem)
    assert clear.payload.record["event"] == "dependency_cleared"


def test_dependencies_report_waiting_tasks_and_shared_paths(seed: Path) -> None:
    ws = Workspace(seed, persist_cache=False)
    ws.add_task(M1, "Wait", task_id="t-wait", depends_on=["task-002"])
    found = dependencies.findings(snap_of(seed))
    waiting = [f for f in found if f.kind == "waiting"]
    assert [f.task_id for f in waiting] == ["t-wait"] and not waiting[0].blocking
    old = 'deliverables: ["architecture_diagram.md", "api_specification.yaml", "data_model.md", '
    for name in ("milestone-001", "milestone-002"):
        p = seed / ".milestones/active" / f"{name}.yaml"
        text = p.read_text(encoding="utf-8")
        p.write_text(
            text.replace(old, 'deliverables: [{path: "docs/shared.md"}, ', 1), encoding="utf-8"
        )
    conflicts = [f for f in dependencies.findings(snap_of(seed)) if f.kind == "path_conflict"]
    assert len(conflicts) == 1 and "milestone-001, milestone-002" in conflicts[0].message


# ---------------------------------------------------------------- blocker_detector


def test_blockers_detect_stalls_and_waiting_approval(seed: Path) -> None:
    snap = snap_of(seed)
    later = datetime.now(UTC) + timedelta(days=3)
    found = {(b.kind, b.task_id) for b in blockers.detect(snap, later)}
    assert ("stalled_task", "task-002") in found
    assert ("approval_waiting", "task-001") in found
    assert ("stalled_execution", None) in found
    assert ("dependency_unmet", None) not in found  # milestone-000 is completed


def test_blockers_open_once_and_resolve_once(seed: Path) -> None:
    snap = snap_of(seed)
    later = datetime.now(UTC) + timedelta(days=3)
    acts = blockers.decide(snap, later, {})
    assert acts and all(a.kind == OPEN_BLOCKER for a in acts)
    rec = acts[0].payload.record
    assert rec["event"] == "blocker_detected" and rec["blocker_id"] and rec["suggestion"]
    mem: dict = {}
    for a in acts:
        remember(mem, a.remember)
    assert blockers.decide(snap, later, mem) == []
    # nothing is stalled any more at an earlier time: every open blocker resolves once
    early = datetime.fromtimestamp(snap.state.loaded_at - 10**7, UTC)
    resolved = blockers.decide(snap, early, mem)
    assert resolved and all(a.kind == RESOLVE_BLOCKER for a in resolved)
    assert {a.payload.record["blocker_id"] for a in resolved} == set(mem["open"])


def test_blockers_invalid_files_error_events_failures(broken: Path) -> None:
    snap = snap_of(broken, driving=None)
    err = Event(
        "2026-11-25T14:00:00Z",
        "agent_crashed",
        "logs/x.jsonl",
        milestone_id="cycle-a",
        task_id="t1",
        level="error",
        message="boom",
    )
    snap = replace(snap, open_errors=(err,), failures={"m:t:design:complete": "OSError: disk"})
    kinds_found = {b.kind for b in blockers.detect(snap, NOW)}
    assert {"invalid_file", "dependency_cycle", "error_event", "executor_failed"} <= kinds_found
    ids = [b.blocker_id for b in blockers.detect(snap, NOW)]
    assert ids == [b.blocker_id for b in blockers.detect(snap, NOW)]  # stable
    assert len(ids) == len(set(ids))


def test_blockers_stale_approval(seed: Path) -> None:
    ws = Workspace(seed, persist_cache=False)
    ws.start_milestone(M1)
    ws.approve(M1, "task-001", "spec")
    assert not [b for b in blockers.detect(snap_of(seed), NOW) if b.kind == "stale_approval"]
    (seed / ".milestones/deliverables/task-001/spec/test_plan.md").write_text("changed later\n")
    stale = [b for b in blockers.detect(snap_of(seed), NOW) if b.kind == "stale_approval"]
    assert [(b.task_id, b.phase) for b in stale] == [("task-001", "spec")]
