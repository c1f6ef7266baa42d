"""Issue 11's proof at a reduced size (bench/reliability.py runs the full one): real writer
processes, real outside writers, real SIGKILLs, a real hostile workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.common import outside_folder
from tests.reliability.corpus import run_corpus
from tests.reliability.corruption import run_outside, run_writers
from tests.reliability.kill9 import run_kill9
from tests.reliability.kill9_run import run_kill9_run


def test_concurrent_kiro_tui_writers_lose_nothing(tmp_path: Path) -> None:
    """4 writer processes x 25 actions on one milestone, a reader checking every version."""
    got = run_writers(tmp_path / "ws", writers=4, ops=25)
    assert got["acknowledged"] == 100, got
    assert (
        got["lost_updates"],
        got["torn_files"],
        got["torn_log_lines"],
        got["missing_events"],
        got["extra_events"],
        got["errors"],
    ) == (0, 0, 0, 0, 0, 0), got
    assert got["file_reads"] > 0


@pytest.mark.parametrize("kind", ["rename", "inplace"])
def test_outside_writers_cost_no_decision_and_lose_no_value_to_kiro_tui(
    tmp_path: Path, kind: str
) -> None:
    got = run_outside(tmp_path / "ws", kind, writers=2, ops=30, approvals=3)
    assert got["acknowledged"] > 0 and got["outside_writes"] > 0, got
    assert got["decisions_lost"] == 0, got
    assert got["outside_values_lost"] == 0, got


def test_kill_9_at_random_points_leaves_before_or_after(tmp_path: Path) -> None:
    got = run_kill9(tmp_path / "ws", kills=12)
    # the problems first: pytest cuts a long dict, and they say what went wrong
    assert got["kills"] == 12, (got["problems"], got)
    assert got["parse_ok"] == got["before_or_after"] == got["next_op_ok"] == 12, (
        got["problems"],
        got,
    )
    assert got["agree_after_next"] == 12, (got["problems"], got)
    assert got["leftover_temp_files"] == 0, (got["problems"], got)


def test_kill_9_during_run_leaves_files_the_next_run_takes_over(tmp_path: Path) -> None:
    got = run_kill9_run(tmp_path, kills=3)
    assert got["kills"] == 3 and got["problems"] == [], got
    assert got["parse_ok"] == got["next_run_ok"] == 3, got
    assert got["leftover_temp_files"] == 0, got


def test_a_hostile_corpus_costs_no_traceback_hang_or_outside_access(tmp_path: Path) -> None:
    outside = outside_folder(tmp_path)
    got = run_corpus(tmp_path / "ws", outside, huge_line=8 << 20, run_seconds=2.0, dashboard=True)
    assert got["dashboard_loaded"], got
    assert (
        got["tracebacks"],
        got["hangs"],
        got["escapes_on_stdout"],
        got["outside_read_or_written"],
    ) == (0, 0, 0, 0), got
