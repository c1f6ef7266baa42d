"""Typed, immutable view of milestones, tasks and phases, and their compact form for the cache.

They are built from parsed YAML by parse.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from kiro_tui.core.errors import Problem

MILESTONE_STATUS_ALIASES = {"planning": "planned", "active": "in_progress", "archived": "completed"}
MILESTONE_STATUSES = ("planned", "in_progress", "paused", "blocked", "completed", "cancelled")
TASK_STATUS_ALIASES = {"complete": "completed", "failed": "blocked", "done": "completed"}
TASK_STATUSES = ("pending", "in_progress", "completed", "blocked", "cancelled")
PHASE_STATUSES = ("pending", "in_progress", "completed", "waiting_approval", "approved", "blocked")
TASK_KINDS = ("feature", "bugfix", "api", "frontend", "other")


@dataclass(frozen=True, slots=True)
class Deliverable:
    """A phase deliverable: a `name` under the task's phase folder, or a repo-relative `path`."""

    name: str
    path: str | None = None  # set for the `{path: ...}` object form
    type: str | None = None

    @property
    def label(self) -> str:
        return self.path or self.name


@dataclass(frozen=True, slots=True)
class Review:
    action: str
    by: str | None
    at: str | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    status: str
    gate: bool
    deliverables: tuple[Deliverable, ...] = ()
    acceptance_criteria: tuple[str, ...] = ()
    description: str | None = None
    estimated_hours: float | None = None
    actual_hours: float | None = None
    started_at: str | None = None
    completed_at: str | None = None
    approved_at: str | None = None
    approved_by: str | None = None
    approval_notes: str | None = None
    approved_digest: str | None = None
    rejected_at: str | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None
    blocked_reason: str | None = None
    review_history: tuple[Review, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == "approved" or (self.status == "completed" and not self.gate)

    @property
    def waiting(self) -> bool:
        """Waiting at its gate: `waiting_approval`, or `completed` with a gate (the original
        commands write `completed` a few steps before `waiting_approval`; FORMAT.md section 6).
        Views show it as a gate and approve/reject accept it; progress still credits the status
        the file has."""
        return self.status == "waiting_approval" or (self.status == "completed" and self.gate)


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    title: str
    status: str
    raw_status: str
    is_kiro: bool
    kind: str = "feature"
    current_phase: str | None = None
    depends_on: tuple[str, ...] = ()
    phases: tuple[Phase, ...] = ()
    estimated_hours: float | None = None
    assigned_to: str | None = None
    updated_at: str | None = None
    problem: str | None = None  # why the task is read only (an invalid id), shown with it

    @property
    def read_only(self) -> bool:
        """A task kiro-tui shows and counts but never acts on (its id cannot name a folder)."""
        return self.problem is not None

    @property
    def waiting(self) -> bool:
        """Some phase waits at its gate (Phase.waiting)."""
        return any(p.waiting for p in self.phases)

    def phase(self, name: str) -> Phase | None:
        for p in self.phases:
            if p.name == name:
                return p
        return None

    @property
    def active_phase(self) -> Phase | None:
        """The phase that is moving now: the first one that has not passed."""
        for p in self.phases:
            if not p.passed:
                return p
        return None


@dataclass(frozen=True, slots=True)
class Milestone:
    id: str
    title: str
    status: str
    raw_status: str
    location: str  # "active" | "completed"
    path: str  # relative to the workspace root
    archive: bool = False  # completed/<id>/definition.yaml form: read only
    description: str | None = None
    priority: str | None = None
    created_at: str | None = None
    completed_at: str | None = None
    requires: tuple[str, ...] = ()
    tasks: tuple[Task, ...] = ()
    weights: tuple[tuple[str, float], ...] = ()
    enforcement: str = "progressive"
    session_id: str | None = None
    started_at: str | None = None
    written_progress: int | None = None
    problems: tuple[Problem, ...] = field(default=())

    def task(self, task_id: str) -> Task | None:
        for t in self.tasks:
            if t.id == task_id:
                return t
        return None

    @property
    def weight_map(self) -> dict[str, float]:
        return dict(self.weights)

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "cancelled")


def norm_milestone_status(value: Any) -> str:
    s = str(value).strip().lower() if value is not None else "planned"
    s = MILESTONE_STATUS_ALIASES.get(s, s)
    return s


def norm_task_status(value: Any) -> str:
    s = str(value).strip().lower() if value is not None else "pending"
    return TASK_STATUS_ALIASES.get(s, s)


_DELIVERABLES: dict[str, Deliverable] = {}  # shared instances for plain names (immutable)


def plain_deliverable(name: str) -> Deliverable:
    """The deliverable called `name` with no path or type, shared (thousands repeat the name)."""
    d = _DELIVERABLES.get(name)
    if d is None:
        d = Deliverable(name=name)
        if len(_DELIVERABLES) < 4096:
            _DELIVERABLES[name] = d
    return d


# ---------------------------------------------------------------- compact form for the cache
# Unpickling frozen dataclasses costs a Python-level __setstate__ per object; tuples of plain
# values unpickle in C and are rebuilt here with one constructor call per object.

_PHASE_FIELDS = [f.name for f in fields(Phase)]
_TASK_FIELDS = [f.name for f in fields(Task)]
_MILESTONE_FIELDS = [f.name for f in fields(Milestone)]
_PH_D = _PHASE_FIELDS.index("deliverables")
_PH_R = _PHASE_FIELDS.index("review_history")
_T_P = _TASK_FIELDS.index("phases")
_M_T = _MILESTONE_FIELDS.index("tasks")
_M_P = _MILESTONE_FIELDS.index("problems")
_PROBLEM_FIELDS = [f.name for f in fields(Problem)]
# changes whenever a model class changes shape: part of the cache's version
MODEL_SHAPE = "|".join(
    ",".join(x)
    for x in (
        _PHASE_FIELDS,
        _TASK_FIELDS,
        _MILESTONE_FIELDS,
        _PROBLEM_FIELDS,
        [f.name for f in fields(Deliverable)],
        [f.name for f in fields(Review)],
    )
)


def pack_problems(problems: tuple[Problem, ...] | list[Problem]) -> tuple[Any, ...]:
    return tuple(tuple(getattr(p, n) for n in _PROBLEM_FIELDS) for p in problems)


def unpack_problems(packed: tuple[Any, ...]) -> tuple[Problem, ...]:
    return tuple(Problem(*p) for p in packed)


# A phase's deliverables, packed and unpacked: thousands of phases list the same ones (their
# kind's defaults). Packed, one shared tuple each (pickle then writes it once per file and
# reads back one object); unpacked, one shared tuple of Deliverables (immutable).
_PACKED_DS: dict[tuple[tuple[Any, ...], ...], tuple[tuple[Any, ...], ...]] = {}
_UNPACKED_DS: dict[tuple[tuple[Any, ...], ...], tuple[Deliverable, ...]] = {}
_SHARED_MAX = 4096


def _packed_deliverables(ds: tuple[Deliverable, ...]) -> tuple[tuple[Any, ...], ...]:
    packed = tuple((d.name, d.path, d.type) for d in ds)
    shared = _PACKED_DS.get(packed)
    if shared is None:
        if len(_PACKED_DS) < _SHARED_MAX:
            _PACKED_DS[packed] = packed
        return packed
    return shared


def _unpacked_deliverables(packed: tuple[tuple[Any, ...], ...]) -> tuple[Deliverable, ...]:
    ds = _UNPACKED_DS.get(packed)
    if ds is None:
        ds = tuple([_deliverable(*d) for d in packed])
        if len(_UNPACKED_DS) < _SHARED_MAX:
            _UNPACKED_DS[packed] = ds
    return ds


def _shared(values: list[Any], memo: dict[Any, Any]) -> list[Any]:
    """`values` with each string, tuple of strings or float that an earlier one equals
    replaced by that earlier object: pickle writes an object it has seen once, and reads it
    back as one (the tasks of one file repeat their timestamps, hours, criteria and
    descriptions). A float's key holds its sign: -0.0 stays -0.0; 2 never becomes 2.0."""
    out = []
    for v in values:
        t = type(v)
        if t is str or (t is tuple and all(type(x) is str for x in v)):
            v = memo.setdefault(v, v)
        elif t is float:
            v = memo.setdefault((v, math.copysign(1.0, v)), v)
        out.append(v)
    return out


def pack_milestone(m: Milestone) -> tuple[Any, ...]:
    tasks = []
    memo: dict[Any, Any] = {}
    for t in m.tasks:
        phases = []
        for p in t.phases:
            v = _shared([getattr(p, n) for n in _PHASE_FIELDS], memo)
            v[_PH_D] = _packed_deliverables(p.deliverables)
            v[_PH_R] = tuple((r.action, r.by, r.at, r.comment) for r in p.review_history)
            phases.append(tuple(v))
        tv = _shared([getattr(t, n) for n in _TASK_FIELDS], memo)
        tv[_T_P] = tuple(phases)
        tasks.append(tuple(tv))
    mv = [getattr(m, n) for n in _MILESTONE_FIELDS]
    mv[_M_T] = tuple(tasks)
    mv[_M_P] = pack_problems(m.problems)
    return tuple(mv)


def _deliverable(name: str, path: str | None, type_: str | None) -> Deliverable:
    if path is None and type_ is None:
        return plain_deliverable(name)
    return Deliverable(name, path, type_)


def _builder(cls: type, *given: int) -> Callable[..., Any]:
    """A constructor of `cls` from a packed tuple of its fields, in order, field `i` taken from
    the next argument instead when `i` is in `given`. It sets the slots directly: the __init__
    of a frozen dataclass goes through object.__setattr__ for each field (twice the time, for
    160,000 phases 0.1 s of a start). The packed tuple holds every field (no defaults)."""
    names = [f.name for f in fields(cls)]
    ns: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def build(v{''.join(f', a{i}' for i in given)}):", "    o = new(cls)"]
    for i, name in enumerate(names):
        ns[f"set{i}"] = getattr(cls, name).__set__  # the slot's member descriptor
        lines.append(f"    set{i}(o, {f'a{i}' if i in given else f'v[{i}]'})")
    lines.append("    return o")
    exec("\n".join(lines), ns)  # as dataclasses makes __init__
    built: Callable[..., Any] = ns["build"]
    return built


_new_phase = _builder(Phase, _PH_D, _PH_R)
_new_task = _builder(Task, _T_P)


def unpack_milestone(packed: tuple[Any, ...]) -> Milestone:
    tasks = []
    new_phase, new_task, deliverables = _new_phase, _new_task, _unpacked_deliverables
    for tv in packed[_M_T]:
        phases = tuple(
            [
                new_phase(
                    pv,
                    deliverables(pv[_PH_D]),
                    tuple([Review(*r) for r in pv[_PH_R]]) if pv[_PH_R] else (),
                )
                for pv in tv[_T_P]
            ]
        )
        tasks.append(new_task(tv, phases))
    mv = list(packed)
    mv[_M_T] = tuple(tasks)
    mv[_M_P] = unpack_problems(packed[_M_P])
    return Milestone(*mv)
