"""Stop requests, which run a view shows, the header's agents and spend from the run records,
and a trust confirm that refuses settings changed since they were shown."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from kiro_tui.core.errors import Refused
from kiro_tui.core.runs import control, records, trust
from kiro_tui.core.runs.records import RunRecord, Usage
from kiro_tui.core.runs.settings_parse import load_settings
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Snapshot
from kiro_tui.core.store import WorkspaceState
from kiro_tui.ui.agent_marks import header_text
from tests.unit.agents_support import set_repo_executor


def rec(run_id: str, status: str = "succeeded", **kw: object) -> RunRecord:
    base = RunRecord(run_id, "m", "a", "design", status=status, queued_at=run_id, started_at="x")
    return replace(base, **kw)  # type: ignore[arg-type]


def mine(**kw: object) -> dict[str, object]:
    """This process as the run's driver (alive, on this host)."""
    return {
        "host": records.hostname(),
        "driver_pid": os.getpid(),
        "driver_start_time": records.proc_start_time(os.getpid()),
        **kw,
    }


def test_a_stop_request_is_taken_once(tmp_path: Path) -> None:
    records.write(tmp_path, rec("r1", "running"))
    assert control.take_stop_requests(tmp_path, ["r1"]) == []
    control.request_stop(tmp_path, "r1", "dana")
    assert control.stop_requested(tmp_path, "r1")
    assert control.take_stop_requests(tmp_path, ["r1", "r2"]) == ["r1"]
    assert control.take_stop_requests(tmp_path, ["r1"]) == []


def test_the_view_shows_the_live_run_else_the_newest() -> None:
    recs = [rec("r1", "failed"), rec("r2", "running"), rec("r3", "stopped")]
    assert control.pick(recs, "m", "a", "design").run_id == "r2"  # type: ignore[union-attr]
    assert control.pick(recs[::2], "m", "a", None).run_id == "r3"  # type: ignore[union-attr]
    assert control.pick(recs, "m", "b", None) is None


def test_totals_count_running_agents_whose_driver_lives_and_sum_the_cost(tmp_path: Path) -> None:
    records.write(tmp_path, rec("r1", usage=Usage(cost_usd=0.25)))
    records.write(tmp_path, rec("r2", "running", usage=Usage(cost_usd=0.17), **mine()))
    records.write(tmp_path, rec("r3", "running", host=records.hostname(), driver_pid=1))
    idx = control.RunsIndex(tmp_path)
    t = idx.totals()["m"]
    assert (t.running, round(t.usd or 0, 2), t.partial, t.runs) == (1, 0.42, True, 3)
    records.write(tmp_path, rec("r2", "succeeded", usage=Usage(cost_usd=0.17), **mine()))
    assert idx.totals()["m"].running == 0  # the record changed: read again


def snap(totals: dict[str, control.RunTotals], driving: str | None = None) -> Snapshot:
    state = WorkspaceState(root=Path("."), milestones=(), problems=(), config=None)  # type: ignore[arg-type]
    return Snapshot(state=state, driving=driving, run_totals=totals)


def test_the_header_says_agents_and_spend_and_never_zero_for_unknown() -> None:
    assert header_text(snap({})) == ""
    assert header_text(snap({"m": control.RunTotals(2, 0.42, False, 3)})) == "2 agents · $0.42"
    assert (
        header_text(snap({"m": control.RunTotals(0, None, True, 1)})) == "0 agents · cost unknown"
    )
    assert header_text(snap({"m": control.RunTotals(1, 0.1, True, 2)})) == "1 agent · $0.10+"


def test_confirm_refuses_settings_changed_since_they_were_shown(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    Workspace.init(root)
    set_repo_executor(root, {"agent": "mine", "presets": {"mine": {"argv": [sys.executable]}}})
    shown = trust.review(root)
    assert shown.needs_trust and not shown.trusted
    assert any("preset mine" in line for line in shown.lines)
    set_repo_executor(
        root, {"agent": "mine", "presets": {"mine": {"argv": [sys.executable, "-c", "1"]}}}
    )
    with pytest.raises(Refused):
        trust.confirm(root, shown.fingerprint)
    assert not trust.is_trusted(root, load_settings(root)[0])
    again = trust.review(root)
    trust.confirm(root, again.fingerprint, by="dana")
    assert trust.review(root).trusted


def test_the_header_shows_the_driven_else_the_selected_milestones_spend() -> None:
    totals = {
        "m1": control.RunTotals(0, 1.5, False, 2),
        "m2": control.RunTotals(0, 0.25, False, 1),
    }
    assert header_text(snap(totals)) == ""  # two milestones, none chosen, none running
    assert header_text(snap(totals), "m2") == "0 agents · $0.25"
    assert header_text(snap(totals, driving="m1"), "m2") == "0 agents · $1.50"
