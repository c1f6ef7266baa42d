"""Configuration layering: defaults < user config < repository config < environment < flags.

Paths of user folders come from pure functions (platformdirs); nothing is created at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiro_tui.core.ids import PHASES

DEFAULT_WEIGHTS: dict[str, float] = {"design": 15.0, "spec": 25.0, "task": 20.0, "execute": 40.0}
DEFAULT_GATES: dict[str, bool] = {"design": True, "spec": True, "task": False, "execute": False}
ENFORCEMENTS = ("strict", "flexible", "progressive")


def user_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("kiro-tui", appauthor=False))


def user_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("kiro-tui", appauthor=False))


def user_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("kiro-tui", appauthor=False))


@dataclass(frozen=True)
class Thresholds:
    stalled_task: float = 300.0
    stalled_execution: float = 600.0
    approval_waiting: float = 86400.0
    takeover: float = 60.0
    heartbeat: float = 10.0


@dataclass(frozen=True)
class GitSettings:
    enabled: bool | None = None  # None: true inside a git repository
    branch: str = "current"  # current | milestone
    commit_on: tuple[str, ...] = ("phase_completed", "phase_approved", "task_completed")
    remote: str | None = None
    push_every: int = 3


@dataclass(frozen=True)
class Config:
    """The effective settings. Immutable; build a new one with `dataclasses.replace`."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    weights_set: bool = False  # whether weights came from a file/env rather than defaults
    gates: dict[str, bool | None] = field(default_factory=lambda: dict.fromkeys(PHASES))
    enforcement: str = "progressive"
    thresholds: Thresholds = field(default_factory=Thresholds)
    git: GitSettings = field(default_factory=GitSettings)
    executor: dict[str, Any] = field(default_factory=dict)
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    user_name: str | None = None

    def gate_default(self, phase: str) -> bool:
        value = self.gates.get(phase)
        return DEFAULT_GATES[phase] if value is None else bool(value)


def _positive_weights(raw: Any) -> dict[str, float] | None:
    if not isinstance(raw, dict):
        return None
    out: dict[str, float] = {}
    for phase in PHASES:
        value = raw.get(phase)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            return None
        out[phase] = float(value)
    return out


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("1", "true", "yes", "on", "required"):
            return True
        if low in ("0", "false", "no", "off", "optional"):
            return False
    return None


def _num(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return default
    return float(value)


PERSONAL_KEYS = ("theme", "keymap", "user_name")


def apply_mapping(cfg: Config, raw: Any, *, personal: bool = True) -> Config:
    """Layer a parsed config file (seed form or kiro-tui form) over `cfg`.

    `personal=False` (the repository's file) ignores the personal settings (theme, key map,
    user name): those live in the user's config folder, never in the repository.
    """
    if not isinstance(raw, dict):
        return cfg
    changes: dict[str, Any] = {}
    weights = _positive_weights(raw.get("phase_weights"))
    if weights:
        changes.update(weights=weights, weights_set=True)
    gates_raw = raw.get("approval_gates")
    if isinstance(gates_raw, dict):
        gates = dict(cfg.gates)
        for phase in PHASES:
            value = gates_raw.get(f"{phase}_approval")
            if isinstance(value, dict):
                value = value.get("required")
            b = _as_bool(value)
            if b is not None:
                gates[phase] = b
        changes["gates"] = gates
    policy = raw.get("policy")
    enforcement = raw.get("enforcement")
    if isinstance(policy, dict) and enforcement is None:
        enforcement = policy.get("enforcement")
    if enforcement in ENFORCEMENTS:
        changes["enforcement"] = enforcement
    th = raw.get("thresholds")
    if isinstance(th, dict):
        t = cfg.thresholds
        changes["thresholds"] = Thresholds(
            stalled_task=_num(th.get("stalled_task"), t.stalled_task),
            stalled_execution=_num(th.get("stalled_execution"), t.stalled_execution),
            approval_waiting=_num(th.get("approval_waiting"), t.approval_waiting),
            takeover=_num(th.get("takeover"), t.takeover),
            heartbeat=_num(th.get("heartbeat"), t.heartbeat),
        )
    git = raw.get("git")
    if isinstance(git, dict):
        g = cfg.git
        commit_on = git.get("commit_on")
        changes["git"] = GitSettings(
            enabled=_as_bool(git.get("enabled")) if "enabled" in git else g.enabled,
            branch=str(git["branch"]) if git.get("branch") in ("current", "milestone") else g.branch,
            commit_on=tuple(str(x) for x in commit_on) if isinstance(commit_on, list) else g.commit_on,
            remote=str(git["remote"]) if git.get("remote") else g.remote,
            push_every=int(_num(git.get("push_every"), g.push_every)),
        )
    if isinstance(raw.get("executor"), dict):
        changes["executor"] = dict(raw["executor"])
    if not personal:
        return replace(cfg, **changes)
    if isinstance(raw.get("theme"), str):
        changes["theme"] = raw["theme"]
    if isinstance(raw.get("keymap"), dict):
        changes["keymap"] = {str(k): str(v) for k, v in raw["keymap"].items()}
    if isinstance(raw.get("user_name"), str):
        changes["user_name"] = raw["user_name"]
    return replace(cfg, **changes)


def apply_env(cfg: Config, env: dict[str, str] | os._Environ[str]) -> Config:
    weights = dict(cfg.weights)
    weights_set = cfg.weights_set
    gates = dict(cfg.gates)
    for phase in PHASES:
        w = env.get(f"KIRO_{phase.upper()}_WEIGHT")
        if w:
            try:
                value = float(w)
            except ValueError:
                value = 0
            if value > 0:
                weights[phase] = value
                weights_set = True
        g = _as_bool(env.get(f"KIRO_{phase.upper()}_APPROVAL"))
        if g is not None:
            gates[phase] = g
    enforcement = env.get("KIRO_ENFORCEMENT_LEVEL", cfg.enforcement)
    if enforcement not in ENFORCEMENTS:
        enforcement = cfg.enforcement
    return replace(cfg, weights=weights, weights_set=weights_set, gates=gates,
                   enforcement=enforcement)


def load_config(root: Path | None, *, env: Any = None, flags: dict[str, Any] | None = None,
                user_dir: Path | None = None) -> Config:
    """Build the effective configuration. Unreadable files are skipped (validate reports them)."""
    from kiro_tui.core.yaml.roundtrip import load_fast

    cfg = Config()
    files = [((user_dir or user_config_dir()) / "config.yaml", True)]
    if root is not None:
        files.append((root / ".milestones" / "config" / "kiro-config.yaml", False))
    for path, personal in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        try:
            cfg = apply_mapping(cfg, load_fast(text, path), personal=personal)
        except Exception:
            continue
    cfg = apply_env(cfg, os.environ if env is None else env)
    if flags:
        cfg = apply_mapping(cfg, flags)
    return cfg
