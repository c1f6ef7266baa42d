"""Trust, like `direnv allow`: a repository's execution-capable executor settings (custom
presets, argv, verify commands, allowed tools, env, cwd) run nothing until the user trusted that
exact content. The fingerprint is sha256 over the repository's resolved root path, the canonical
JSON of those settings and the content of every repo-local script they name. It is stored in the
user's state folder, never in the repository; any edit makes the repository untrusted again.

Built-in presets selected by name, with no repo-set argv, env or verify, need no trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiro_tui.core.runs.presets import BUILTIN, dangerous_flags
from kiro_tui.core.runs.records import atomic_write_json, now_iso
from kiro_tui.core.runs.settings import ExecutorSettings


def trust_file(state_dir: Path | None = None) -> Path:
    from kiro_tui.core.config import user_state_dir

    return (state_dir or user_state_dir()) / "trust.json"


def _argvs(capable: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """(what, argv) of every command the repository's settings name."""
    presets = capable.get("presets")
    if isinstance(presets, dict):
        for name, spec in presets.items():
            argv = spec.get("argv") if isinstance(spec, dict) else spec
            if isinstance(argv, list):
                yield f"preset {name}", [str(a) for a in argv]
            if isinstance(spec, dict) and isinstance(spec.get("resume"), list):
                yield f"preset {name} resume", [str(a) for a in spec["resume"]]
    phases = capable.get("phases")
    if isinstance(phases, dict):
        for name, spec in phases.items():
            for i, v in enumerate(spec.get("verify") or [] if isinstance(spec, dict) else []):
                argv = v.get("argv") if isinstance(v, dict) else v
                if isinstance(argv, list):
                    yield f"{name} verify[{i}]", [str(a) for a in argv]


def repo_scripts(root: Path, capable: dict[str, Any]) -> list[Path]:
    """Files inside the repository that the settings' commands name: any argument that is a
    path to a file in the repository, relative to its root or to the `cwd` setting, with a '/'
    (`./run.sh`, `tools/agent.py`) or without (`python agent.py`)."""
    real_root = os.path.realpath(root)
    bases = [real_root]
    cwd = capable.get("cwd")
    if isinstance(cwd, str) and cwd:
        bases.append(os.path.realpath(os.path.join(real_root, cwd)))
    out: list[Path] = []
    for _what, argv in _argvs(capable):
        for arg in argv:
            if not arg or arg.startswith("-"):
                continue
            for base in bases:
                p = os.path.realpath(os.path.join(base, arg))
                inside = p.startswith(real_root + os.sep)
                if inside and os.path.isfile(p) and Path(p) not in out:
                    out.append(Path(p))
    return sorted(out)


def fingerprint(root: Path, settings: ExecutorSettings) -> str:
    real = os.path.realpath(root)
    capable = settings.capable_dict()
    h = hashlib.sha256()
    h.update(b"kiro-tui trust v1\0")
    h.update(real.encode() + b"\0")
    h.update(json.dumps(capable, sort_keys=True, separators=(",", ":")).encode() + b"\0")
    for script in repo_scripts(root, capable):
        h.update(os.path.relpath(script, real).encode() + b"\0")
        try:
            h.update(hashlib.sha256(script.read_bytes()).digest())
        except OSError:
            h.update(b"<unreadable>")
    return h.hexdigest()


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_trusted(root: Path, settings: ExecutorSettings, *, state_dir: Path | None = None) -> bool:
    """True when the repository sets nothing execution-capable, or the user trusted exactly
    what it sets now."""
    if not settings.needs_trust:
        return True
    entry = _load(trust_file(state_dir)).get(os.path.realpath(root))
    return isinstance(entry, dict) and entry.get("fingerprint") == fingerprint(root, settings)


def trust(
    root: Path, settings: ExecutorSettings, *, state_dir: Path | None = None, by: str | None = None
) -> str:
    """Record the current fingerprint as trusted; returns it."""
    path = trust_file(state_dir)
    data = _load(path)
    fp = fingerprint(root, settings)
    data[os.path.realpath(root)] = {"fingerprint": fp, "trusted_at": now_iso(), "by": by}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data)
    return fp


def untrust(root: Path, *, state_dir: Path | None = None) -> bool:
    """Forget the repository's trust; True when there was one."""
    path = trust_file(state_dir)
    data = _load(path)
    if data.pop(os.path.realpath(root), None) is None:
        return False
    atomic_write_json(path, data)
    return True


def describe(root: Path, settings: ExecutorSettings, *, path_env: str | None = None) -> list[str]:
    """Lines for `trust --show` and the dashboard's review: every command, env variable and
    verify command the repository sets, with warnings."""
    capable = settings.capable_dict()
    if not capable:
        return ["This repository sets no commands, env or working dir: nothing to trust."]
    lines = [f"Repository {os.path.realpath(root)} asks to run:"]
    search = path_env if path_env is not None else os.environ.get("PATH", "")
    for what, argv in _argvs(capable):
        lines.append(f"  {what}: {json.dumps(argv)}")
        bad = dangerous_flags(argv)
        if bad:
            lines.append(
                f"    WARNING: dangerous flags {', '.join(bad)} (refused unless your "
                "user config sets allow_dangerous: true)"
            )
        if argv:
            prog = argv[0]
            if "/" in prog:
                p = os.path.realpath(os.path.join(root, prog))
                if p.startswith(os.path.realpath(root) + os.sep):
                    lines.append(f"    WARNING: runs a script from the repository: {prog}")
                else:
                    lines.append(f"    WARNING: runs a program outside the repository: {prog}")
            elif prog not in BUILTIN and shutil.which(prog, path=search) is None:
                lines.append(f"    WARNING: {prog} is not on your PATH")
    for script in repo_scripts(root, capable):
        lines.append(
            f"  script content is part of the fingerprint: "
            f"{os.path.relpath(script, os.path.realpath(root))}"
        )
    env = capable.get("env")
    if isinstance(env, dict):
        for key in ("pass", "drop"):
            for name in env.get(key) or []:
                lines.append(f"  env {key}: {name}")
                if key == "pass" and any(c in str(name) for c in "*?["):
                    lines.append(
                        f"    WARNING: the pattern {name} passes every matching "
                        "variable (secrets included) to the agent"
                    )
    phases = capable.get("phases")
    if isinstance(phases, dict):
        for name, spec in phases.items():
            tools = spec.get("allowed_tools") if isinstance(spec, dict) else None
            if tools:
                lines.append(f"  {name} allowed tools: {', '.join(map(str, tools))}")
                if any(str(t) == "Bash" for t in tools):
                    lines.append(
                        "    WARNING: Bash without a pattern lets the agent run any command"
                    )
    if capable.get("cwd"):
        cwd = os.path.realpath(os.path.join(root, str(capable["cwd"])))
        inside = cwd.startswith(os.path.realpath(root) + os.sep) or cwd == os.path.realpath(root)
        lines.append(
            f"  working dir: {capable['cwd']}"
            + ("" if inside else "  WARNING: outside the repository")
        )
    return lines


@dataclass(frozen=True, slots=True)
class Review:
    """What `kiro-tui trust --show` and the dashboard's trust modal show, and what a confirm
    must find unchanged (`fingerprint`)."""

    needs_trust: bool
    trusted: bool
    lines: tuple[str, ...]
    problems: tuple[str, ...]
    fingerprint: str


def review(root: Path, *, state_dir: Path | None = None) -> Review:
    """The repository's executor settings as the files say now, for review."""
    from kiro_tui.core.runs.settings_parse import load_settings

    settings, problems = load_settings(root)
    return Review(
        settings.needs_trust,
        is_trusted(root, settings, state_dir=state_dir),
        tuple(describe(root, settings)),
        tuple(str(p) for p in problems),
        fingerprint(root, settings),
    )


def confirm(
    root: Path, reviewed: str, *, by: str | None = None, state_dir: Path | None = None
) -> str:
    """Trust the settings that were reviewed (`reviewed`: their fingerprint); refused when the
    files changed since (what would be trusted is not what was shown). `kiro-tui trust` and the
    dashboard's modal both trust through here. Returns the fingerprint."""
    from kiro_tui.core.errors import Refused
    from kiro_tui.core.runs.settings_parse import load_settings

    settings, _problems = load_settings(root)
    if fingerprint(root, settings) != reviewed:
        raise Refused("the executor settings changed since they were shown: review them again")
    return trust(root, settings, state_dir=state_dir, by=by)
