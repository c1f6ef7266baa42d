"""Configuration layering: defaults < user config < repository config < environment < flags."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiro_tui.core.config import (
    DEFAULT_WEIGHTS,
    Config,
    load_config,
    user_cache_dir,
    user_config_dir,
)
from kiro_tui.core.service import Workspace
from kiro_tui.core.validate import check


@pytest.fixture
def user_cfg() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "kiro-tui" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".milestones" / "config").mkdir(parents=True)
    return root


def repo_cfg(root: Path) -> Path:
    return root / ".milestones" / "config" / "kiro-config.yaml"


def test_user_folders_follow_xdg_and_are_not_created() -> None:
    home = Path(os.environ["HOME"])
    assert user_config_dir() == Path(os.environ["XDG_CONFIG_HOME"]) / "kiro-tui"
    assert user_cache_dir() == Path(os.environ["XDG_CACHE_HOME"]) / "kiro-tui"
    load_config(None)
    assert not (home / ".config" / "kiro-tui").exists()


def test_defaults(repo: Path) -> None:
    cfg = load_config(repo)
    assert cfg == Config()
    assert cfg.weights == DEFAULT_WEIGHTS
    assert cfg.enforcement == "progressive"
    assert [cfg.gate_default(p) for p in ("design", "spec", "task", "execute")] == [
        True,
        True,
        False,
        False,
    ]
    assert cfg.thresholds.stalled_task == 300 and cfg.thresholds.stalled_execution == 600
    assert cfg.thresholds.takeover == 60


def test_each_layer_overrides_the_one_below(
    repo: Path, user_cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_cfg.write_text(
        "phase_weights: {design: 1, spec: 1, task: 1, execute: 1}\n"
        "enforcement: flexible\n"
        "approval_gates: {design_approval: false, task_approval: true}\n"
        "thresholds: {stalled_task: 100, takeover: 30}\n"
        "theme: dracula\nkeymap: {approve: ctrl+a}\n"
    )
    cfg = load_config(repo)
    assert cfg.weights == {"design": 1, "spec": 1, "task": 1, "execute": 1}
    assert cfg.enforcement == "flexible"
    assert (cfg.gate_default("design"), cfg.gate_default("task")) == (False, True)
    assert cfg.thresholds.stalled_task == 100 and cfg.thresholds.takeover == 30
    assert cfg.theme == "dracula" and cfg.keymap == {"approve": "ctrl+a"}

    repo_cfg(repo).write_text(
        "policy:\n  enforcement: strict\n"
        "phase_weights:\n  design: 2\n  spec: 2\n  task: 2\n  execute: 2\n"
        "approval_gates:\n  design_approval: true\n"
        "thresholds:\n  stalled_task: 200\n"
        "theme: light\n"
    )  # personal settings are not taken from the repository
    cfg = load_config(repo)
    assert cfg.weights == {"design": 2, "spec": 2, "task": 2, "execute": 2}
    assert cfg.enforcement == "strict"
    assert (cfg.gate_default("design"), cfg.gate_default("task")) == (True, True)
    assert cfg.thresholds.stalled_task == 200 and cfg.thresholds.takeover == 30
    assert cfg.theme == "dracula"

    monkeypatch.setenv("KIRO_SPEC_WEIGHT", "3")
    monkeypatch.setenv("KIRO_TASK_APPROVAL", "false")
    monkeypatch.setenv("KIRO_ENFORCEMENT_LEVEL", "progressive")
    cfg = load_config(repo)
    assert cfg.weights == {"design": 2, "spec": 3, "task": 2, "execute": 2}
    assert cfg.gate_default("task") is False
    assert cfg.enforcement == "progressive"

    cfg = load_config(
        repo,
        flags={
            "enforcement": "flexible",
            "phase_weights": {"design": 4, "spec": 4, "task": 4, "execute": 4},
            "approval_gates": {"task_approval": True},
        },
    )
    assert cfg.enforcement == "flexible"
    assert cfg.weights == {"design": 4, "spec": 4, "task": 4, "execute": 4}
    assert cfg.gate_default("task") is True


def test_bad_values_are_ignored_not_fatal(
    repo: Path, user_cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_cfg.write_text("phase_weights: [1, 2]\nenforcement: sometimes\n")
    repo_cfg(repo).write_text(
        "approval_gates: {design_approval: maybe}\nthresholds: {stalled_task: -5}\n"
    )
    monkeypatch.setenv("KIRO_DESIGN_WEIGHT", "-1")
    monkeypatch.setenv("KIRO_ENFORCEMENT_LEVEL", "nope")
    monkeypatch.setenv("KIRO_SPEC_APPROVAL", "perhaps")
    assert load_config(repo) == Config()


@pytest.mark.parametrize("text", ["policy: [unclosed\n", "- a list\n", "", "\x00\x01"])
def test_unreadable_config_files_are_skipped(repo: Path, user_cfg: Path, text: str) -> None:
    user_cfg.write_text(text)
    repo_cfg(repo).write_text(text)
    assert load_config(repo) == Config()


def test_binary_config_file_is_skipped(repo: Path) -> None:
    repo_cfg(repo).write_bytes(b"\xff\xfe\xfd")
    assert load_config(repo) == Config()


def test_validate_reports_a_broken_repo_config(seed: Path) -> None:
    repo_cfg(seed).write_text("policy:\n  enforcement: [strict\n")
    probs = [p for p in check(Workspace.open(seed).load()) if "kiro-config" in p.file]
    assert len(probs) == 1
    assert probs[0].file == "config/kiro-config.yaml" and probs[0].line == 2


def test_seed_config(seed: Path) -> None:
    cfg = load_config(seed)
    assert cfg.enforcement == "strict"
    assert cfg.weights == DEFAULT_WEIGHTS and cfg.weights_set
    assert [cfg.gate_default(p) for p in ("design", "spec", "task", "execute")] == [
        True,
        True,
        False,
        False,
    ]


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    Workspace.init(tmp_path)
    cfg = load_config(tmp_path)
    assert cfg.enforcement == "progressive" and cfg.weights == DEFAULT_WEIGHTS
    assert cfg.git.branch == "current" and cfg.git.enabled is True
    text = repo_cfg(tmp_path).read_text()
    Workspace.init(tmp_path)  # a second init keeps the file as it is
    assert repo_cfg(tmp_path).read_text() == text
