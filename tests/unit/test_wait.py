"""`wait` (core/wait.py): real watchfiles events from writes made by other processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiro_tui.core.errors import NotFound
from kiro_tui.core.wait import WaitResult, interesting, wait_for_item, wait_text

M1 = "milestone-001"
DEADLINE = 60.0  # generous: the machine is shared


class Waiter:
    """`wait_for_item` in a thread; `start()` returns once the watcher runs."""

    def __init__(self, root: Path, **kw: object) -> None:
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.result: WaitResult | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = wait_for_item(root, ready=self.ready, stop=self.stop, **kw)  # type: ignore[arg-type]
            except BaseException as exc:
                self.error = exc
                self.ready.set()

        self.thread = threading.Thread(target=run, daemon=True)

    def start(self) -> Waiter:
        self.thread.start()
        assert self.ready.wait(DEADLINE)
        return self

    def join(self) -> WaitResult:
        self.thread.join(DEADLINE)
        if self.thread.is_alive():
            self.stop.set()
            self.thread.join(DEADLINE)
            pytest.fail("wait did not return before the deadline")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )


def ready_design(root: Path) -> None:
    """task-002's design (in_progress in the seed) with all its deliverables written."""
    folder = root / ".milestones/deliverables/task-002/design"
    for name in ("root_cause_analysis.md", "fix_approach.md", "regression_prevention.md"):
        (folder / name).write_text(f"# {name}\n\nWritten by the agent.\n", encoding="utf-8")


def test_a_gate_completed_by_another_process_ends_the_wait(seed: Path) -> None:
    ready_design(seed)
    w = Waiter(seed).start()
    done = cli(seed, "phase", "complete", M1, "task-002", "design")
    assert done.returncode == 0, done.stderr
    res = w.join()
    assert res.reason == "item" and res.item is not None
    assert (res.item.kind, res.item.task_id, res.item.phase) == ("gate", "task-002", "design")
    assert "task-002 > design" in wait_text(res)


def test_the_gates_already_waiting_do_not_count_unless_any(seed: Path) -> None:
    res = wait_for_item(seed, timeout=0.2)
    assert (res.item, res.reason) == (None, "timeout")
    assert "timed out" in wait_text(res)
    res = wait_for_item(seed, any_item=True, timeout=0.2)
    assert res.item is not None and res.item.task_id == "task-001"


def test_an_agent_question_logged_by_a_driver_ends_the_wait(seed: Path) -> None:
    sid = "exec-milestone-001-20251121-100000"  # the milestone's latest session in the seed
    log = seed / ".milestones/logs" / sid / "blockers.jsonl"
    rec = {
        "timestamp": "2026-11-22T11:00:00Z",
        "event": "blocker_detected",
        "blocker_id": "blk-question1",
        "kind": "agent_needs_input",
        "severity": "critical",
        "milestone_id": M1,
        "task_id": "task-004",
        "message": "which database?",
        "role": "blocker_detector",
    }
    w = Waiter(seed, milestone=M1).start()
    code = (
        "import json, sys; from pathlib import Path; from kiro_tui.core import events; "
        "events.append(Path(sys.argv[1]), json.loads(sys.argv[2]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(log), json.dumps(rec)], check=True, timeout=DEADLINE
    )
    res = w.join()
    assert res.item is not None and res.item.id == "blocker:blk-question1"
    assert (res.item.severity, res.item.since, res.item.key) == (
        "critical",
        "2026-11-22T11:00:00Z",
        "enter",
    )
    # resolved in the log: it leaves the inbox, and when it is opened again it is new again
    from kiro_tui.core import events

    events.append(log, {"event": "blocker_resolved", "blocker_id": "blk-question1"})
    assert wait_for_item(seed, any_item=True, timeout=0.1).item.id.startswith("gate:")  # type: ignore[union-attr]


def test_a_gate_in_another_milestone_does_not_end_a_milestone_wait(seed: Path) -> None:
    ready_design(seed)
    w = Waiter(seed, milestone=M1).start()
    other = seed / ".milestones/active/milestone-002.yaml"
    text = other.read_text(encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from kiro_tui.core.safewrite import "
        "atomic_write; atomic_write(Path(sys.argv[1]), sys.argv[2])"
    )
    first = text.index('status: "pending"')  # the task's; the next one is its design's
    at = text.index('status: "pending"', first + 1)
    gated = text[:at] + 'status: "waiting_approval"' + text[at + len('status: "pending"') :]
    subprocess.run([sys.executable, "-c", code, str(other), gated], check=True, timeout=DEADLINE)
    # that write made a gate in milestone-002 (a wait on every milestone would end on it)
    elsewhere = wait_for_item(seed, milestone="milestone-002", any_item=True, timeout=0)
    assert elsewhere.item is not None and elsewhere.item.kind == "gate"
    assert cli(seed, "phase", "complete", M1, "task-002", "design").returncode == 0
    res = w.join()
    assert res.item is not None and res.item.milestone_id == M1


def test_a_file_made_invalid_ends_the_wait_as_a_critical_item(seed: Path) -> None:
    w = Waiter(seed).start()
    (seed / ".milestones/active/milestone-003.yaml").write_text("id: [unclosed\n")
    res = w.join()
    assert res.item is not None and res.item.kind == "invalid_file"
    assert res.item.file == "active/milestone-003.yaml"


def test_stop_and_timeout_end_the_wait_without_an_item(seed: Path) -> None:
    w = Waiter(seed).start()
    w.stop.set()
    assert w.join().reason == "stopped"
    res = wait_for_item(seed, timeout=0)
    assert res.reason == "timeout" and res.item is None


def test_an_unknown_milestone_is_refused_in_one_line(seed: Path) -> None:
    with pytest.raises(NotFound) as exc:
        wait_for_item(seed, milestone="milestone-999", timeout=0)
    assert "milestone-999" in str(exc.value) and "\n" not in str(exc.value)


def test_the_filter_sees_milestones_and_logs_but_not_runs_locks_or_temporary_files(
    tmp_path: Path,
) -> None:
    ms = tmp_path / ".milestones"
    yes = [
        "active/m1.yaml",
        "logs/exec-1/blockers.jsonl",
        "completed/m0.yaml",
        "config/kiro-config.yaml",
        "sessions/exec-1.yaml",
    ]
    no = [
        "runs/r1/raw.jsonl",
        "reviews/t/design/ab/files/x.md",
        ".locks/m1.lock",
        "active/.m1.yaml.tmp.123",
        "active/m1.yaml.swp",
        "deliverables/t/design/a.md",
        ".gitignore",
    ]
    assert all(interesting(ms, str(ms / p)) for p in yes)
    assert not any(interesting(ms, str(ms / p)) for p in no)
    assert not interesting(ms, str(tmp_path / "elsewhere.yaml"))


def test_a_milestone_whose_file_does_not_parse_can_still_be_waited_on(seed: Path) -> None:
    (seed / ".milestones/active/milestone-003.yaml").write_text("id: [unclosed\n")
    res = wait_for_item(seed, milestone="milestone-003", any_item=True, timeout=0)
    assert res.item is not None and res.item.kind == "invalid_file"


def test_current_inbox_dates_a_gate_by_its_latest_event(seed: Path) -> None:
    from kiro_tui.core import events
    from kiro_tui.core.service import Workspace
    from kiro_tui.core.wait import current_inbox

    path = seed / ".milestones/active/milestone-001.yaml"
    path.write_text(
        path.read_text().replace('completed_at: "2026-11-22T09:00:00Z"', "completed_at: null")
    )
    events.append(
        seed / ".milestones/logs/execution-milestone-001.jsonl",
        {
            "timestamp": "2026-11-22T10:30:00Z",
            "event": "phase_waiting_approval",
            "milestone_id": M1,
            "task_id": "task-001",
            "phase": "spec",
        },
    )
    ws = Workspace.open(seed, persist_cache=False)
    assert [i.since for i in current_inbox(ws)] == ["2026-11-22T10:30:00Z"]
    assert current_inbox(ws, "milestone-002") == []
    with pytest.raises(NotFound):
        current_inbox(ws, "milestone-999")
    res = wait_for_item(seed, any_item=True, timeout=0)
    assert res.item is not None and res.item.since == "2026-11-22T10:30:00Z"
