"""Configuration layering: defaults < user config < repository config < environment < flags.

Paths of user folders come from pure functions (platformdirs); nothing is created at import.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiro_tui.core.errors import Problem
from kiro_tui.core.ids import PHASES

DEFAULT_WEIGHTS: dict[str, float] = {"design": 15.0, "spec": 25.0, "task": 20.0, "execute": 40.0}
DEFAULT_GATES: dict[str, bool] = {"design": True, "spec": True, "task": False, "execute": False}
ENFORCEMENTS = ("strict", "flexible", "progressive")
MAX_WEIGHT = 1e6  # a phase weight above this is refused (the defaults apply)
MAX_SECONDS = 10 * 365 * 86400.0  # thresholds above ten years are refused
MAX_COUNT = 1_000_000
DEFAULT_MAX_FILE_BYTES = 8 << 20
REPO_CONFIG = "config/kiro-config.yaml"


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
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # limits.max_file_bytes: bigger files refused

    def gate_default(self, phase: str) -> bool:
        value = self.gates.get(phase)
        return DEFAULT_GATES[phase] if value is None else bool(value)


def finite_positive(value: Any, bound: float) -> float | None:
    """`value` as a float when it is a finite number above 0 and at most `bound`, else None
    (never OverflowError: a huge integer is compared before it is converted)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not 0 < value <= bound:
        return None
    return float(value)


def _positive_weights(raw: Any) -> dict[str, float] | None:
    if not isinstance(raw, dict):
        return None
    out: dict[str, float] = {}
    for phase in PHASES:
        value = finite_positive(raw.get(phase), MAX_WEIGHT)
        if value is None:
            return None
        out[phase] = value
    return out


def weights_problem(raw: Any) -> str | None:
    """Why `phase_weights` cannot be used (None when it can, or when it is absent)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        return "phase_weights is not a mapping of the four phases; the default weights apply"
    for phase in PHASES:
        if finite_positive(raw.get(phase), MAX_WEIGHT) is None:
            return (
                f"phase_weights.{phase} is {_shown(raw.get(phase))}, not a finite number "
                f"above 0 and at most {MAX_WEIGHT:g}; the default weights apply"
            )
    return None


def _shown(value: Any) -> str:
    from kiro_tui.core.text import plain

    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return plain(text[:60], one_line=True)


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


class _Issues:
    """Bad values of one config file: each is ignored alone and reported by its key."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []  # (dotted key, message)

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))

    def num(
        self, section: dict[str, Any], prefix: str, key: str, default: float, bound: float
    ) -> float:
        if key not in section or section.get(key) is None:
            return default
        value = finite_positive(section.get(key), bound)
        if value is None:
            self.add(
                f"{prefix}.{key}",
                f"{prefix}.{key} is {_shown(section.get(key))}, not a "
                f"finite number above 0 and at most {bound:g}; the "
                f"default {default:g} applies",
            )
            return default
        return value


def _num(value: Any, default: float) -> float:
    found = finite_positive(value, MAX_SECONDS)
    return default if found is None else found


PERSONAL_KEYS = ("theme", "keymap", "user_name")


def apply_mapping(
    cfg: Config, raw: Any, *, personal: bool = True, issues: _Issues | None = None
) -> Config:
    """Layer a parsed config file (seed form or kiro-tui form) over `cfg`.

    `personal=False` (the repository's file) ignores the personal settings (theme, key map,
    user name): those live in the user's config folder, never in the repository. A bad value
    is ignored alone (the rest of the file applies) and noted in `issues`.
    """
    if not isinstance(raw, dict):
        return cfg
    bad = issues if issues is not None else _Issues()
    changes: dict[str, Any] = {}
    weights = _positive_weights(raw.get("phase_weights"))
    if weights:
        changes.update(weights=weights, weights_set=True)
    else:
        why = weights_problem(raw.get("phase_weights"))
        if why:
            bad.add("phase_weights", why)
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
            **{
                k: bad.num(th, "thresholds", k, getattr(t, k), MAX_SECONDS)
                for k in (
                    "stalled_task",
                    "stalled_execution",
                    "approval_waiting",
                    "takeover",
                    "heartbeat",
                )
            }
        )
    git = raw.get("git")
    if isinstance(git, dict):
        g = cfg.git
        commit_on = git.get("commit_on")
        changes["git"] = GitSettings(
            enabled=_as_bool(git.get("enabled")) if "enabled" in git else g.enabled,
            branch=str(git["branch"])
            if git.get("branch") in ("current", "milestone")
            else g.branch,
            commit_on=tuple(str(x) for x in commit_on)
            if isinstance(commit_on, list)
            else g.commit_on,
            remote=str(git["remote"]) if git.get("remote") else g.remote,
            push_every=int(bad.num(git, "git", "push_every", g.push_every, MAX_COUNT)),
        )
    limits = raw.get("limits")
    if isinstance(limits, dict):
        changes["max_file_bytes"] = int(
            bad.num(limits, "limits", "max_file_bytes", cfg.max_file_bytes, float(1 << 40))
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
                value = finite_positive(float(w), MAX_WEIGHT)
            except (ValueError, OverflowError):
                value = None
            if value is not None:
                weights[phase] = value
                weights_set = True
        g = _as_bool(env.get(f"KIRO_{phase.upper()}_APPROVAL"))
        if g is not None:
            gates[phase] = g
    enforcement = env.get("KIRO_ENFORCEMENT_LEVEL", cfg.enforcement)
    if enforcement not in ENFORCEMENTS:
        enforcement = cfg.enforcement
    return replace(
        cfg, weights=weights, weights_set=weights_set, gates=gates, enforcement=enforcement
    )


def _read_config(path: Path, root: Path | None) -> tuple[Any, list[Problem], str]:
    """(parsed mapping or None, problems, text) of one config file; nothing when missing."""
    from kiro_tui.core import safeio
    from kiro_tui.core.errors import InvalidFile
    from kiro_tui.core.yaml.roundtrip import load_fast

    rel = REPO_CONFIG if root is not None else str(path)
    try:
        text = safeio.read_text(path, root, max_bytes=DEFAULT_MAX_FILE_BYTES)
    except FileNotFoundError:
        return None, [], ""
    except InvalidFile as exc:
        return None, [Problem(rel, f"{exc.message}; defaults apply")], ""
    except UnicodeDecodeError:
        return None, [Problem(rel, "not valid UTF-8 text; defaults apply")], ""
    except OSError as exc:
        return (
            None,
            [Problem(rel, f"cannot read the configuration ({exc.strerror}); defaults apply")],
            "",
        )
    try:
        raw = load_fast(text, rel)
    except InvalidFile as exc:
        return None, [Problem(rel, f"{exc.message}; defaults apply", exc.line, exc.column)], text
    if raw is not None and not isinstance(raw, dict):
        return None, [Problem(rel, "top level is not a mapping; defaults apply", 1)], text
    return raw, [], text


def _line_of(text: str, key: str) -> int | None:
    last = re.escape(key.rsplit(".", 1)[-1])
    m = re.search(rf"^\s*['\"]?{last}['\"]?\s*:", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def repo_config_problems(root: Path) -> list[Problem]:
    """Every problem of the repository config: unreadable (a link out, a FIFO, bad YAML), or
    one located problem per bad value (that value alone is ignored)."""
    path = root / ".milestones" / REPO_CONFIG
    raw, problems, text = _read_config(path, root)
    if raw is not None:
        issues = _Issues()
        apply_mapping(Config(), raw, personal=False, issues=issues)
        problems.extend(
            Problem(REPO_CONFIG, msg, _line_of(text, key), kind="invalid_file")
            for key, msg in issues.items
        )
    return problems


def load_config(
    root: Path | None,
    *,
    env: Any = None,
    flags: dict[str, Any] | None = None,
    user_dir: Path | None = None,
) -> Config:
    """Build the effective configuration. Unreadable files are skipped and bad values ignored
    one by one (`repo_config_problems` reports them, and validate shows them)."""
    cfg = Config()
    files: list[tuple[Path, bool, Path | None]] = [
        ((user_dir or user_config_dir()) / "config.yaml", True, None)
    ]
    if root is not None:
        files.append((root / ".milestones" / REPO_CONFIG, False, root))
    for path, personal, base in files:
        raw, _problems, _text = _read_config(path, base)
        if isinstance(raw, dict):
            cfg = apply_mapping(cfg, raw, personal=personal)
    cfg = apply_env(cfg, os.environ if env is None else env)
    if flags:
        cfg = apply_mapping(cfg, flags)
    return cfg
