"""The immutable snapshot the coordinator builds per batch of changes and hands to front ends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kiro_tui.core.git.repo import GitInfo
from kiro_tui.core.store import WorkspaceState

SEVERITIES = ("info", "warning", "critical")
"""A blocker's severity, least to most urgent."""


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
    lines: tuple[str, ...] = ()  # supporting output (a failed verify command's last lines)

    def as_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            k: v
            for k, v in {
                "blocker_id": self.blocker_id,
                "kind": self.kind,
                "severity": self.severity,
                "milestone_id": self.milestone_id,
                "task_id": self.task_id,
                "phase": self.phase,
                "file": self.file,
                "message": self.message,
                "suggestion": self.suggestion,
            }.items()
            if v is not None
        }
        if self.lines:
            rec["lines"] = list(self.lines)
        return rec


@dataclass(frozen=True, slots=True)
class RoleStatus:
    role: str
    status: str  # starting | running | idle | paused | error | stopped
    heartbeat: str | None = None
    last_error: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class PhaseFacts:
    """What the files say about one phase's deliverables, gathered by the coordinator so that
    the roles' `decide` stays pure. `signature` changes whenever a deliverable file changes."""

    complete: bool = False
    missing: tuple[str, ...] = ()
    digest: str | None = None  # only computed for approved phases (stale approval check)
    newest_mtime: float | None = None
    signature: tuple[Any, ...] = ()


_EMPTY: Mapping[str, RoleStatus] = MappingProxyType({})
_NOFACTS: Mapping[tuple[str, str, str], PhaseFacts] = MappingProxyType({})
_NOACT: Mapping[tuple[str, str], float] = MappingProxyType({})
_NOFAIL: Mapping[str, str] = MappingProxyType({})
_NORUNS: Mapping[tuple[str, str, str], str] = MappingProxyType({})
_NOTOTALS: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Snapshot:
    """Everything a front end shows, as of one moment. Never edited; replaced whole."""

    state: WorkspaceState
    blockers: tuple[Blocker, ...] = ()
    roles: Mapping[str, RoleStatus] = field(default_factory=lambda: _EMPTY)
    driving: str | None = None  # milestone id this process drives, if any
    session_id: str | None = None
    paused: bool = False
    git: GitInfo = field(default_factory=GitInfo)
    taken_at: float = 0.0
    seq: int = 0
    # inputs of the roles' decide() (filled by the coordinator; tests build them by hand)
    facts: Mapping[tuple[str, str, str], PhaseFacts] = field(
        default_factory=lambda: _NOFACTS
    )  # (mid, tid, phase)
    activity: Mapping[tuple[str, str], float] = field(
        default_factory=lambda: _NOACT
    )  # (mid, tid) -> epoch s
    open_errors: tuple[Any, ...] = ()  # error-level events (core.events.Event) not yet followed up
    failures: Mapping[str, str] = field(
        default_factory=lambda: _NOFAIL
    )  # action key -> error, from roles
    active_since: float | None = None  # epoch s when driving (re)started or was last resumed
    scope: tuple[str, ...] = ()  # milestone ids the roles look at
    # agent runs (issue 9): whether agents do the phases' work in this driver, the phases
    # whose run is not over (queued, running, verifying, retrying, paused) with that status,
    # and the blockers of runs that ended badly
    agents: bool = False
    runs: Mapping[tuple[str, str, str], str] = field(default_factory=lambda: _NORUNS)
    run_blockers: tuple[Blocker, ...] = ()
    # every dashboard, driving or observing: per milestone, the agents running and the spend
    # of its runs, from the run records (core.runs.control.RunTotals)
    run_totals: Mapping[str, Any] = field(default_factory=lambda: _NOTOTALS)


def _role_view(roles: Mapping[str, RoleStatus]) -> dict[str, tuple[str, str | None, str | None]]:
    return {k: (r.status, r.last_error, r.detail) for k, r in roles.items()}


def same_view(old: Snapshot | None, new: Snapshot) -> bool:
    """True when `new` shows nothing that `old` did not: only its times differ (`taken_at`,
    `seq`, the roles' heartbeats, the workspace's `loaded_at`). A driver's heartbeat gives such a
    snapshot; a front end need not rebuild anything for it. Milestones are compared by
    identity: the loader hands back the same object for a file that did not change."""
    if old is None:
        return False
    a, b = old.state, new.state
    if len(a.milestones) != len(b.milestones) or any(
        x is not y for x, y in zip(a.milestones, b.milestones, strict=True)
    ):
        return False
    return (
        a.problems == b.problems
        and a.config is b.config
        and old.blockers == new.blockers
        and old.driving == new.driving
        and old.session_id == new.session_id
        and old.paused == new.paused
        and old.git == new.git
        and old.facts == new.facts
        and old.activity == new.activity
        and old.open_errors == new.open_errors
        and old.failures == new.failures
        and old.active_since == new.active_since
        and old.scope == new.scope
        and old.agents == new.agents
        and old.runs == new.runs
        and old.run_blockers == new.run_blockers
        and old.run_totals == new.run_totals
        and _role_view(old.roles) == _role_view(new.roles)
    )
