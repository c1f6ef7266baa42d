"""The immutable snapshot the coordinator builds per batch of changes and hands to front ends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kiro_tui.core.store import WorkspaceState

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True, slots=True)
class Blocker:
    """An open blocker (FORMAT.md section 8). `blocker_id` is stable for the same cause."""

    blocker_id: str
    kind: str
    severity: str
    message: str
    suggestion: str = ""
    milestone_id: str | None = None
    task_id: str | None = None
    phase: str | None = None
    file: str | None = None
    since: str | None = None  # ISO timestamp when first detected

    def as_record(self) -> dict[str, Any]:
        return {k: v for k, v in {
            "blocker_id": self.blocker_id, "kind": self.kind, "severity": self.severity,
            "milestone_id": self.milestone_id, "task_id": self.task_id, "phase": self.phase,
            "file": self.file, "message": self.message, "suggestion": self.suggestion,
        }.items() if v is not None}


@dataclass(frozen=True, slots=True)
class RoleStatus:
    role: str
    status: str  # starting | running | idle | paused | error | stopped
    heartbeat: str | None = None
    last_error: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class GitInfo:
    is_repo: bool = False
    branch: str | None = None
    detached: bool = False
    ahead: int = 0
    behind: int = 0
    dirty: int = 0
    error: str | None = None


_EMPTY: Mapping[str, RoleStatus] = MappingProxyType({})


@dataclass(frozen=True)
class Snapshot:
    """Everything a front end shows, as of one moment. Never edited; replaced whole."""

    state: WorkspaceState
    blockers: tuple[Blocker, ...] = ()
    roles: Mapping[str, RoleStatus] = field(default=_EMPTY)
    driving: str | None = None  # milestone id this process drives, if any
    session_id: str | None = None
    paused: bool = False
    git: GitInfo = field(default_factory=GitInfo)
    taken_at: float = 0.0
    seq: int = 0
