"""The executor's decisions with agents on (pure decide() on fixture snapshots), the blocker
detector's run blockers, and what a run's end means for its phase (core.run_blockers)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from kiro_tui.agents.actions import COMPLETE_PHASE, OPEN_BLOCKER, RUN_PHASE
from kiro_tui.agents.roles import blockers, executor
from kiro_tui.core import run_blockers
from kiro_tui.core.runs.records import RunRecord
from kiro_tui.core.service import Workspace
from tests.unit.test_agents_roles import M1, NOW, fill, kinds, snap_of

KEY = (M1, "task-002", "design")


def test_with_agents_an_in_progress_phase_gets_a_run_not_a_completion(seed: Path) -> None:
    fill(seed, "task-002", "design")  # every deliverable present: people-mode would complete
    assert (COMPLETE_PHASE, "task-002", "design") in kinds(executor.decide(snap_of(seed), NOW, {}))
    acts = executor.decide(snap_of(seed, agents=True), NOW, {})
    assert (RUN_PHASE, "task-002", "design") in kinds(acts)
    assert COMPLETE_PHASE not in [a.kind for a in acts]


def test_never_complete_nor_start_again_while_a_run_is_busy(seed: Path) -> None:
    fill(seed, "task-002", "design")
    for status in ("queued", "running", "verifying", "paused", "settling"):
        snap = snap_of(seed, agents=True, runs=MappingProxyType({KEY: status}))
        acts = [a for a in executor.decide(snap, NOW, {}) if a.task_id == "task-002"]
        assert acts == [], status


def test_a_run_blocker_is_open_while_its_phase_is_blocked_and_said_while_paused(
    seed: Path,
) -> None:
    f = run_blockers.failure("r1", "verification_failed", "verify command `x` exited 3", ("a",))
    b = run_blockers.blocker(KEY, f)
    assert b.kind == "verification_failed" and b.lines == ("a",) and b.as_record()["lines"]
    # in progress: not a blocker (a new run is starting)
    assert b not in blockers.detect(snap_of(seed, run_blockers=(b,)), NOW)
    Workspace(seed, persist_cache=False).block(M1, "task-002", "design", f.reason, "kiro-tui")
    assert b in blockers.detect(snap_of(seed, run_blockers=(b,)), NOW)
    paused = snap_of(seed, paused=True, run_blockers=(b,))
    acts = blockers.decide(paused, NOW, {})
    # paused: only the run's blocker is opened, and nothing is resolved
    assert [(a.kind, a.payload.record["kind"]) for a in acts] == [  # type: ignore[union-attr]
        (OPEN_BLOCKER, "verification_failed")
    ]
    known = {"open": {"blk-other": {"kind": "stalled_task", "milestone_id": M1}}}
    assert blockers.decide(paused, NOW, known) == acts


def test_outcome_kinds_map_to_the_issues_blocker_ids() -> None:
    for kind, want in [
        ("verification_failed", "verification_failed"),
        ("executor_untrusted", "executor_untrusted"),
        ("budget_exceeded", "budget_exceeded"),
        ("preset_incompatible", "preset_incompatible"),
        ("needs_input", "agent_needs_input"),
        ("auth", "executor_failed"),
        ("timeout", "executor_failed"),
        ("deliverables_missing", "executor_failed"),
        ("failed", "executor_failed"),
    ]:
        f = run_blockers.failure("r9", kind, "why\nit  ended")
        assert f.blocker_kind == want and f.reason == f"{want}: why it ended (run r9)"
        assert f.pauses_milestone == (want == "budget_exceeded")
    long = run_blockers.failure("r", "verification_failed", "x", tuple(str(i) for i in range(99)))
    assert long.lines == tuple(str(i) for i in range(59, 99))


def test_which_run_the_next_one_resumes() -> None:
    def rec(status: str, session: str | None = "s1") -> RunRecord:
        return RunRecord("r1", "m", "t", "design", status=status, session_id=session)

    assert run_blockers.resumable(None) is None
    assert run_blockers.resumable(rec("stopped")) == "r1"  # a pause or shutdown stopped it
    assert run_blockers.resumable(rec("interrupted")) == "r1"  # its driver died
    assert run_blockers.resumable(rec("interrupted", None)) is None  # no session to resume
    assert run_blockers.resumable(rec("succeeded")) is None
    assert run_blockers.resumable(rec("succeeded"), after_rejection=True) == "r1"
    assert run_blockers.resumable(rec("blocked"), after_rejection=True) is None
