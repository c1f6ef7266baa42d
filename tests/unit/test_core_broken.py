"""fixtures/broken: every file gives a located problem, nothing crashes, nothing is rewritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiro_tui.core import events
from kiro_tui.core.errors import InvalidFile, InvalidId, KiroError, NotFound
from kiro_tui.core.report import status_json, status_text
from kiro_tui.core.service import Workspace
from kiro_tui.core.validate import check
from tests.unit.test_core_workflow import tree

ACTIVE = ".milestones/active"


def problems_by_file(root: Path) -> dict[str, list[str]]:
    ws = Workspace.open(root)
    out: dict[str, list[str]] = {}
    for p in check(ws.load()):
        out.setdefault(p.file, []).append(str(p))
    return out


def test_every_broken_file_is_reported(broken: Path) -> None:
    probs = problems_by_file(broken)
    names = {Path(f).name for f in probs}
    assert names == {
        "bad-yaml.yaml",
        "empty.yaml",
        "not-a-mapping.yaml",
        "wrong-name.yaml",
        "evil.yaml",
        "cycle-a.yaml",
        "task-cycle.yaml",
    }
    for file, msgs in probs.items():
        assert file.startswith("active/"), file
        for m in msgs:
            assert "\n" not in m and m.startswith(file)


def test_bad_yaml_is_located_at_line_2(broken: Path) -> None:
    state = Workspace.open(broken).load()
    (p,) = [p for p in state.problems if p.file.endswith("bad-yaml.yaml")]
    assert p.line == 2
    assert p.column is not None
    assert "YAML syntax error" in p.message
    assert str(p).startswith("active/bad-yaml.yaml:2:")
    assert state.milestone("bad-yaml") is None


def test_shapes_and_names(broken: Path) -> None:
    probs = {p.file.rsplit("/", 1)[-1]: p for p in Workspace.open(broken).load().problems}
    assert "empty" in probs["empty.yaml"].message
    assert "not a mapping" in probs["not-a-mapping.yaml"].message
    assert probs["not-a-mapping.yaml"].line == 1
    wrong = probs["wrong-name.yaml"]
    assert "'other-name'" in wrong.message and "'wrong-name'" in wrong.message
    assert wrong.line == 1


def test_milestone_cycle(broken: Path) -> None:
    msgs = problems_by_file(broken)["active/cycle-a.yaml"]
    assert any("milestone dependency cycle: cycle-a -> cycle-b -> cycle-a" in m for m in msgs)
    state = Workspace.open(broken).load()
    out = status_json(state)
    cyc = {m["id"]: m["startable"] for m in out["milestones"] if m["id"].startswith("cycle")}
    assert cyc == {"cycle-a": False, "cycle-b": False}


def test_task_cycle_written_with_depends_on(broken: Path) -> None:
    msgs = problems_by_file(broken)["active/task-cycle.yaml"]
    assert any("task dependency cycle: task-x -> task-y -> task-x" in m for m in msgs)
    m = Workspace.open(broken).load().milestone("task-cycle")
    assert m is not None
    assert m.task("task-x").depends_on == ("task-y",)  # type: ignore[union-attr]


def test_evil_task_id_and_deliverable_are_refused(broken: Path) -> None:
    msgs = problems_by_file(broken)["active/evil.yaml"]
    text = "\n".join(msgs)
    assert "invalid task id '../../escape'" in text
    assert "'../../../etc/passwd'" in text
    state = Workspace.open(broken).load()
    evil = state.milestone("evil")
    assert evil is not None and [(t.id, t.read_only) for t in evil.tasks] == [
        ("../../escape", True)
    ]  # shown read only (issue 10 item 8), never joined into a path
    line = next(p.line for p in state.problems if "escape" in p.message)
    assert line == 5


def test_evil_ids_are_never_joined_into_a_path(broken: Path) -> None:
    ws = Workspace.open(broken)
    before = tree(broken.parent)
    for action in (
        lambda: ws.start_phase("evil", "../../escape", "design"),
        lambda: ws.complete_phase("evil", "../../escape", "design"),
        lambda: ws.approve("evil", "../../escape", "design"),
    ):
        with pytest.raises(InvalidId, match="invalid task id"):
            action()
    assert tree(broken.parent) == before


@pytest.mark.parametrize(
    ("mid", "exc", "pattern"),
    [
        ("bad-yaml", InvalidFile, r"bad-yaml.yaml:2:\d+: YAML syntax error"),
        ("empty", InvalidFile, r"not a mapping"),
        ("not-a-mapping", InvalidFile, r"not a mapping"),
        ("wrong-name", InvalidFile, r"does not match the file name"),
    ],
)
def test_actions_on_broken_files_refuse_and_write_nothing(
    broken: Path, mid: str, exc: type[Exception], pattern: str
) -> None:
    ws = Workspace.open(broken)
    before = tree(broken)
    with pytest.raises(exc, match=pattern) as info:
        ws.add_task(mid, "A task")
    assert "\n" not in str(info.value)
    for action in (
        lambda: ws.start_milestone(mid),
        lambda: ws.pause(mid),
        lambda: ws.start_phase(mid, "t1", "design"),
        lambda: ws.migrate(mid),
    ):
        with pytest.raises(KiroError):
            action()
    assert tree(broken) == before


def test_load_validate_status_never_rewrite(broken: Path) -> None:
    before = tree(broken)
    for _ in range(2):  # cold, then from the cache
        ws = Workspace.open(broken)
        state = ws.load()
        check(state)
        json.dumps(status_json(state))
        status_text(state)
        for m in state.milestones:
            status_json(state, m.id)
    assert tree(broken) == before


def test_actions_on_healthy_milestones_next_to_broken_ones(broken: Path) -> None:
    ws = Workspace.open(broken)
    with pytest.raises(KiroError, match="requires cycle-b"):
        ws.start_milestone("cycle-a")
    ws.start_phase("cycle-a", "task-a1", "design")
    with pytest.raises(KiroError, match="waiting for task-y"):
        ws.start_phase("task-cycle", "task-x", "design")
    with pytest.raises(NotFound):
        ws.start_milestone("other-name")


def test_undecodable_file_is_a_problem(broken: Path) -> None:
    (broken / ACTIVE / "binary.yaml").write_bytes(b"id: \xff\xfe\x00\x01\n")
    probs = problems_by_file(broken)
    assert any("UTF-8" in m for m in probs["active/binary.yaml"])


def test_folder_form_and_skipped_names(broken: Path) -> None:
    ms = broken / ".milestones"
    (ms / "completed/arch").mkdir(parents=True)
    (ms / "completed/arch/definition.yaml").write_text(
        "id: arch\ntitle: Archived\nstatus: archived\ntasks: []\n"
    )
    for junk in (
        "x.yaml.tmp",
        "y.yaml.bak.1",
        "z.backup.yaml.backup.2",
        ".hidden.yaml",
        "dependencies.yaml",
        "current.txt",
        "w.tmp.123",
    ):
        (ms / "active" / junk).write_text("- not\n- a milestone\n")
    state = Workspace.open(broken).load()
    arch = state.milestone("arch")
    assert arch is not None and arch.archive and arch.status == "completed"
    assert arch.raw_status == "archived"
    files = {p.file for p in state.problems}
    assert not any(
        j in f for f in files for j in ("tmp", "bak", "backup", "hidden", "dependencies", "current")
    )
    with pytest.raises(KiroError, match="read only"):
        Workspace.open(broken).add_task("arch", "x")


def test_duplicate_milestone_id_is_a_problem(broken: Path) -> None:
    ms = broken / ".milestones"
    (ms / "completed").mkdir(exist_ok=True)
    (ms / "completed/cycle-a.yaml").write_text("id: cycle-a\ntitle: Again\nstatus: completed\n")
    state = Workspace.open(broken).load()
    assert any("also defined" in p.message for p in state.problems)
    assert state.milestone("cycle-a").location == "active"  # type: ignore[union-attr]


# ---------------------------------------------------------------- the broken log


LOG = ".milestones/logs/execution-cycle-a.jsonl"


def test_broken_log_read_all(broken: Path) -> None:
    res = events.read_all(broken / LOG)
    assert [e.event for e in res.events] == ["milestone_activated"]
    assert res.skipped == 2  # the text line and the binary line; blank lines do not count
    assert res.partial is True


def test_broken_log_tail(broken: Path) -> None:
    res = events.tail(broken / LOG, 10)
    assert [e.event for e in res.events] == ["milestone_activated"]
    assert res.partial


def test_broken_log_follower_completes_the_unfinished_line(broken: Path) -> None:
    path = broken / LOG
    f = events.Follower(path, "x", start_at_end=False)
    assert [e.event for e in f.read_new()] == ["milestone_activated"]
    assert f.read_new() == []
    with open(path, "ab") as fh:
        fh.write(b'arted"}\n')
    assert [e.event for e in f.read_new()] == ["phase_started"]


def test_append_after_unfinished_line_starts_a_new_line(broken: Path) -> None:
    path = broken / LOG
    before = path.read_bytes()
    events.append(path, {"event": "milestone_started", "milestone_id": "cycle-a"})
    data = path.read_bytes()
    assert data.startswith(before)
    assert data.endswith(b"\n") and data[len(before) : len(before) + 1] == b"\n"
    res = events.read_all(path)
    assert [e.event for e in res.events] == ["milestone_activated", "milestone_started"]
    assert res.skipped == 3  # the unfinished line is now a finished, broken one
    assert not res.partial
