"""Progress (FORMAT.md section 7), weights and gate resolution (section 4) on the seed fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiro_tui.core import progress
from kiro_tui.core.config import Config, load_config
from kiro_tui.core.parse import build_milestone, gate_for
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import load_fast


@pytest.fixture
def state(seed: Path):  # type: ignore[no-untyped-def]
    return Workspace.open(seed).load()


def test_seed_task_progress(state) -> None:  # type: ignore[no-untyped-def]
    m = state.milestone("milestone-001")
    w = m.weight_map
    assert w == {"design": 15, "spec": 25, "task": 20, "execute": 40}
    got = {t.id: progress.task_progress(t, w) for t in m.tasks}
    assert got == {"task-001": 33.75, "task-002": 7.5, "task-003": 100.0, "task-004": 50.0}


def test_seed_milestone_progress(state) -> None:  # type: ignore[no-untyped-def]
    m1 = state.milestone("milestone-001")
    value = progress.milestone_progress(m1)
    assert value == 47.8125
    assert progress.shown(value) == "47.8"
    assert progress.written(value) == 47
    assert progress.milestone_progress(state.milestone("milestone-002")) == 0.0
    assert progress.milestone_progress(state.milestone("milestone-000")) == 100.0
    assert progress.tasks_completed(m1) == 1


def test_written_is_a_floor() -> None:
    assert progress.written(99.99) == 99
    assert progress.written(100.0) == 100
    assert progress.written(0.0) == 0
    assert progress.written(33.75) == 33
    # 0.1 + 0.2 style float noise must not lose a whole point
    assert progress.written(sum([100 / 3] * 3)) == 100


def test_credits() -> None:
    assert [
        progress.phase_credit(s)
        for s in ("completed", "approved", "waiting_approval", "in_progress", "pending", "blocked")
    ] == [1, 1, 0.75, 0.5, 0, 0]


def test_empty_and_cancelled(tmp_path: Path) -> None:
    cfg = Config()
    m, _ = build_milestone(
        {"id": "m", "title": "t", "status": "planned"},
        rel_path="m",
        location="active",
        stem="m",
        config=cfg,
    )
    assert m is not None and progress.milestone_progress(m) == 0.0
    raw = {
        "id": "m",
        "title": "t",
        "status": "planned",
        "tasks": [
            {"id": "a", "status": "cancelled"},
            {"id": "b", "status": "completed"},
            {"id": "c", "status": "failed"},
            {"id": "d", "status": "complete"},
        ],
    }
    m, _ = build_milestone(raw, rel_path="m", location="active", stem="m", config=cfg)
    assert m is not None
    assert [t.status for t in m.tasks] == ["cancelled", "completed", "blocked", "completed"]
    assert progress.milestone_progress(m) == pytest.approx(200 / 3)
    m, _ = build_milestone(
        {**raw, "tasks": raw["tasks"][:1]}, rel_path="m", location="active", stem="m", config=cfg
    )
    assert m is not None and progress.milestone_progress(m) == 0.0


def _milestone(weights: object = None, **kw: object):  # type: ignore[no-untyped-def]
    raw: dict[str, object] = {
        "id": "m",
        "title": "t",
        "status": "planned",
        "tasks": [
            {
                "id": "a",
                "status": "in_progress",
                "kiro_workflow": {
                    "enabled": True,
                    "phases": {"design": {"status": "approved"}, "spec": {"status": "in_progress"}},
                },
            }
        ],
    }
    if weights is not None:
        raw["kiro_configuration"] = {"phase_weights": weights}
    return build_milestone(raw, rel_path="m", location="active", stem="m", **kw)[0]


def test_weights_from_the_milestone() -> None:
    m = _milestone({"design": 1, "spec": 1, "task": 1, "execute": 1}, config=Config())
    # design 1 + spec 0.5 over 4
    assert progress.milestone_progress(m) == 37.5


@pytest.mark.parametrize(
    "bad",
    [
        {"design": 1, "spec": 1, "task": 1},  # one missing
        {"design": 1, "spec": 0, "task": 1, "execute": 1},  # not positive
        {"design": 1, "spec": "x", "task": 1, "execute": 1},
        {"design": True, "spec": 1, "task": 1, "execute": 1},
        [15, 25, 20, 40],
    ],
)
def test_partial_or_bad_milestone_weights_fall_back(bad: object) -> None:
    cfg = Config(weights={"design": 10, "spec": 10, "task": 40, "execute": 40})
    m = _milestone(bad, config=cfg)
    assert m.weight_map == cfg.weights
    assert progress.milestone_progress(m) == 15.0


def test_weights_from_config_file_env_and_defaults(
    seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg_file = seed / ".milestones/config/kiro-config.yaml"
    assert load_config(seed).weights == {"design": 15, "spec": 25, "task": 20, "execute": 40}
    cfg_file.write_text(cfg_file.read_text().replace("design: 15", "design: 55"))
    assert load_config(seed).weights["design"] == 55
    monkeypatch.setenv("KIRO_DESIGN_WEIGHT", "5")
    monkeypatch.setenv("KIRO_EXECUTE_WEIGHT", "not a number")
    assert load_config(seed).weights == {"design": 5, "spec": 25, "task": 20, "execute": 40}
    # and the milestone's own weights beat all of them
    m = _milestone({"design": 1, "spec": 1, "task": 1, "execute": 1}, config=load_config(seed))
    assert m.weight_map == {"design": 1, "spec": 1, "task": 1, "execute": 1}
    # no files, no env: the defaults
    monkeypatch.delenv("KIRO_DESIGN_WEIGHT")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert load_config(empty).weights == {"design": 15, "spec": 25, "task": 20, "execute": 40}


def test_env_weights_change_seed_progress(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for p in ("DESIGN", "SPEC", "TASK", "EXECUTE"):
        monkeypatch.setenv(f"KIRO_{p}_WEIGHT", "1")
    m = Workspace.open(seed).load().milestone("milestone-001")
    assert m is not None
    t1 = m.task("task-001")
    assert t1 is not None
    assert progress.task_progress(t1, m.weight_map) == pytest.approx(100 * 1.75 / 4)


# ---------------------------------------------------------------- gates


def _gates(value: object) -> dict[str, object]:
    return {"kiro_configuration": {"approval_gates": value}}


def test_gate_phase_setting_wins() -> None:
    cfg = Config(gates={"design": True, "spec": True, "task": True, "execute": True})
    ms = _gates({"design_to_spec": {"required": True}})
    assert gate_for("design", {"approval_required": False}, ms, cfg) is False
    assert gate_for("task", {"approval_required": True}, {}, Config()) is True


def test_gate_milestone_beats_config() -> None:
    cfg = Config(gates={"design": True, "spec": True, "task": True, "execute": True})
    ms = _gates(
        {
            "design_to_spec": {"required": False},
            "spec_to_task": {"required": False},
            "task_to_execute": {"required": False},
            "execute_completion": {"required": False},
        }
    )
    for p in ("design", "spec", "task", "execute"):
        assert gate_for(p, {}, ms, cfg) is False, p
    ms = _gates({"task_to_execute": {"required": True}, "execute_completion": {"required": True}})
    assert gate_for("task", {}, ms, Config()) is True
    assert gate_for("execute", {}, ms, Config()) is True


def test_gate_config_beats_defaults_and_missing_is_not_false() -> None:
    cfg = Config(gates={"design": False, "spec": None, "task": True, "execute": None})
    # a milestone gate entry without `required`, and a phase with approval_required: null
    ms = _gates({"design_to_spec": {"note": "x"}, "spec_to_task": {}})
    assert gate_for("design", {"approval_required": None}, ms, cfg) is False  # config
    assert gate_for("spec", {}, ms, cfg) is True  # default
    assert gate_for("task", {}, ms, cfg) is True  # config
    assert gate_for("execute", {}, ms, cfg) is False  # default
    # nothing anywhere: the defaults, true for design and spec
    assert [gate_for(p, {}, {}, Config()) for p in ("design", "spec", "task", "execute")] == [
        True,
        True,
        False,
        False,
    ]


def test_gate_from_seed_config_file_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "r"
    (root / ".milestones/config").mkdir(parents=True)
    (root / ".milestones/config/kiro-config.yaml").write_text(
        "approval_gates:\n  design_approval: false\n  task_approval: true\n"
    )
    cfg = load_config(root)
    assert [cfg.gate_default(p) for p in ("design", "spec", "task", "execute")] == [
        False,
        True,
        True,
        False,
    ]
    monkeypatch.setenv("KIRO_DESIGN_APPROVAL", "true")
    monkeypatch.setenv("KIRO_EXECUTE_APPROVAL", "yes")
    cfg = load_config(root)
    assert [cfg.gate_default(p) for p in ("design", "spec", "task", "execute")] == [
        True,
        True,
        True,
        True,
    ]


def test_seed_gates_shown(state) -> None:  # type: ignore[no-untyped-def]
    t1 = state.milestone("milestone-001").task("task-001")
    assert [p.gate for p in t1.phases] == [True, True, False, False]
    assert [p.passed for p in t1.phases] == [True, False, False, False]


def test_write_progress_keeps_the_file_true(seed: Path) -> None:
    ws = Workspace.open(seed)
    path = seed / ".milestones/active/milestone-001.yaml"
    ws.write_progress("milestone-001", 47, 1, 4)
    prog = load_fast(path.read_text(), "x")["progress"]
    assert prog["percentage"] == 47 and prog["tasks_completed"] == 1 and prog["total_tasks"] == 4
    before = path.read_bytes()
    ws.write_progress("milestone-001", 47, 1, 4)
    assert path.read_bytes() == before
    assert Workspace.open(seed).load().milestone("milestone-001").written_progress == 47
