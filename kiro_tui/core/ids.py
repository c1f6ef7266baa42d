"""Identifiers and phase names (FORMAT.md section 2)."""

from __future__ import annotations

import re
import unicodedata

from kiro_tui.core.errors import InvalidId

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PHASES: tuple[str, ...] = ("design", "spec", "task", "execute")
ROLES: tuple[str, ...] = (
    "task_executor",
    "progress_monitor",
    "git_integration",
    "dependency_validator",
    "blocker_detector",
)
ROLE_LOG_FILES: dict[str, str] = {
    "task_executor": "execution.jsonl",
    "progress_monitor": "progress.jsonl",
    "git_integration": "git.jsonl",
    "dependency_validator": "dependencies.jsonl",
    "blocker_detector": "blockers.jsonl",
}


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_RE.match(value)) and ".." not in value


def check_id(value: object, what: str = "id") -> str:
    """Return `value` if it is a valid id, else raise InvalidId with a clear message."""
    if not is_valid_id(value):
        raise InvalidId(
            f"invalid {what} {value!r}: ids are letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, at most 128, no '..')"
        )
    assert isinstance(value, str)
    return value


def check_phase(value: object) -> str:
    if value not in PHASES:
        raise InvalidId(f"unknown phase {value!r}: phases are {', '.join(PHASES)}")
    assert isinstance(value, str)
    return value


def next_phase(phase: str) -> str | None:
    i = PHASES.index(phase)
    return PHASES[i + 1] if i + 1 < len(PHASES) else None


def slugify(title: str) -> str:
    """Lower-case letters, digits and `-`; accented letters keep their base letter
    (`Ünïcode tâsk` -> `unicode-task`: NFKD, then the combining marks are dropped)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", plain.casefold()).strip("-")
    return slug[:100].rstrip("-") or "untitled"


def task_id_from_title(title: str, existing: set[str]) -> str:
    base = f"task-{slugify(title)}"
    candidate, n = base, 2
    while candidate in existing:
        candidate = f"{base}-{n}"
        n += 1
    return candidate
