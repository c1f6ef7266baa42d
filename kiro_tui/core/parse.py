"""Building the model (model.py) from parsed YAML.

Building never raises for odd content: variants are normalised (FORMAT.md sections 3 and 4) and
anything that cannot be used is reported as a Problem next to the milestone.
"""

from __future__ import annotations

from typing import Any

from kiro_tui.core.config import Config
from kiro_tui.core.errors import Problem
from kiro_tui.core.ids import PHASES, is_valid_id, next_phase
from kiro_tui.core.model import (
    PHASE_STATUSES,
    Deliverable,
    Milestone,
    Phase,
    Review,
    Task,
    norm_milestone_status,
    norm_task_status,
    plain_deliverable,
)


def _s(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(x) for x in value if x is not None)
    if isinstance(value, str) and value:
        return (value,)
    return ()


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _deliverables(value: Any, problems: list[str]) -> tuple[Deliverable, ...]:
    if not isinstance(value, list):
        return ()
    out: list[Deliverable] = []
    for item in value:
        if type(item) is str:
            out.append(plain_deliverable(item))
        elif isinstance(item, dict):
            path = item.get("path")
            name = item.get("name") or (str(path).rsplit("/", 1)[-1] if path else None)
            if not path and not name:
                problems.append(f"deliverable {item!r} has neither name nor path")
                continue
            out.append(Deliverable(name=str(name), path=_s(path), type=_s(item.get("type"))))
        elif item is not None:
            out.append(Deliverable(name=str(item)))
    return tuple(out)


def gate_for(
    phase_name: str, phase_raw: dict[str, Any], milestone_raw: dict[str, Any], config: Config
) -> bool:
    """FORMAT.md section 4: the first setting that is set wins; a missing key is not 'false'."""
    own = phase_raw.get("approval_required")
    if isinstance(own, bool):
        return own
    kc = milestone_raw.get("kiro_configuration")
    gates = kc.get("approval_gates") if isinstance(kc, dict) else None
    if isinstance(gates, dict):
        nxt = next_phase(phase_name)
        key = f"{phase_name}_to_{nxt}" if nxt else "execute_completion"
        entry = gates.get(key)
        value = entry.get("required") if isinstance(entry, dict) else entry
        if isinstance(value, bool):
            return value
    return config.gate_default(phase_name)


def milestone_weights(raw: dict[str, Any], config: Config) -> dict[str, float]:
    from kiro_tui.core.config import _positive_weights

    kc = raw.get("kiro_configuration")
    own = _positive_weights(kc.get("phase_weights")) if isinstance(kc, dict) else None
    return own or dict(config.weights)


def milestone_gates(raw: dict[str, Any], config: Config) -> dict[str, bool]:
    """The gate of each phase for a new task of this milestone (no phase setting of its own)."""
    return {p: gate_for(p, {}, raw, config) for p in PHASES}


def build_phase(
    name: str, raw: Any, milestone_raw: dict[str, Any], config: Config, issues: list[str]
) -> Phase:
    raw = raw if isinstance(raw, dict) else {}
    get = raw.get
    status = get("status")
    status = (
        status
        if type(status) is str and status in PHASE_STATUSES
        else str(status or "pending").strip().lower()
    )
    if status not in PHASE_STATUSES:
        issues.append(f"phase {name} has unknown status {status!r}")
    history = []
    for h in get("review_history") or ():
        if isinstance(h, dict):
            history.append(
                Review(
                    action=str(h.get("action", "")),
                    by=_s(h.get("by")),
                    at=_s(h.get("at")),
                    comment=_s(h.get("comment")),
                )
            )
    criteria = get("acceptance_criteria")
    return Phase(  # positional, in field order: this runs for every phase of the workspace
        name,
        status,
        gate_for(name, raw, milestone_raw, config),
        _deliverables(get("deliverables"), issues),
        tuple([str(x) for x in criteria if x is not None])
        if type(criteria) is list
        else _str_tuple(criteria),
        _s(get("description")),
        _num(get("estimated_hours")),
        _num(get("actual_hours")),
        _s(get("started_at")),
        _s(get("completed_at")),
        _s(get("approved_at")),
        _s(get("approved_by")),
        _s(get("approval_notes")),
        _s(get("approved_digest")),
        _s(get("rejected_at")),
        _s(get("rejected_by")),
        _s(get("rejection_reason")),
        _s(get("blocked_reason")),
        tuple(history),
    )


def _type_name(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number"}.get(
        type(value), "a number" if isinstance(value, float) else type(value).__name__
    )


def _wrong_phase_types(given: Any, praw: dict[str, Any]) -> list[str]:
    """`kiro_workflow.phases` that is not a mapping, or phases in it that are not mappings."""
    if given is not None and not isinstance(given, dict):
        return [f"kiro_workflow.phases is {_type_name(given)}, not a mapping of phases"]
    return [
        f"phase {p} is {_type_name(praw[p])}, not a mapping"
        for p in PHASES
        if praw.get(p) is not None and not isinstance(praw[p], dict)
    ]


def is_kiro_task(raw: dict[str, Any]) -> bool:
    kw = raw.get("kiro_workflow")
    return isinstance(kw, dict) and kw.get("enabled", True) is not False


def build_task(
    raw: dict[str, Any],
    milestone_raw: dict[str, Any],
    config: Config,
    issues: list[str],
    *,
    task_id: str | None = None,
    problem: str | None = None,
) -> Task:
    """A Task from its mapping; `task_id` and `problem` are given for a task whose own id is
    invalid (shown read only under that label)."""
    status_raw = str(raw.get("status") or "pending")
    deps = raw.get("dependencies")
    if not isinstance(deps, list):
        deps = raw.get("depends_on")
    kind = str(raw.get("kind") or "feature")
    phases: tuple[Phase, ...] = ()
    current = None
    kiro = is_kiro_task(raw)
    if kiro:
        kw = raw["kiro_workflow"]
        given = kw.get("phases")
        praw = given if isinstance(given, dict) else {}
        wrong = _wrong_phase_types(given, praw)
        if wrong:  # nothing can act on it: read only, one problem (one blocker) per mistake
            issues.extend(wrong)
            problem = problem or wrong[0]
        phases = tuple(build_phase(p, praw.get(p), milestone_raw, config, issues) for p in PHASES)
        current = kw.get("current_phase") if kw.get("current_phase") in PHASES else None
    stamps = [raw.get("updated_at")]
    for p in phases:
        stamps.extend((p.started_at, p.completed_at, p.approved_at, p.rejected_at))
    stamps_s = [str(s) for s in stamps if s]
    return Task(
        id=task_id if task_id is not None else str(raw.get("id")),
        title=str(raw.get("title") or raw.get("id")),
        status=norm_task_status(status_raw),
        raw_status=status_raw,
        is_kiro=kiro,
        kind=kind,
        current_phase=current,
        depends_on=_str_tuple(deps),
        phases=phases,
        estimated_hours=_num(raw.get("estimated_hours")),
        assigned_to=_s(raw.get("assigned_to")),
        updated_at=max(stamps_s) if stamps_s else None,
        problem=problem,
    )


def invalid_task_label(tid: Any, position: int) -> str:
    """How a task whose id is invalid is named in the model: its id as text, or its position
    when it has none. Never a valid id's twin: a missing id gets a label no valid id matches."""
    if tid is None or str(tid).strip() == "":
        return f"(task {position} without id)"
    return str(tid)


def build_milestone(
    raw: Any,
    *,
    rel_path: str,
    location: str,
    stem: str,
    config: Config,
    text: str = "",
    archive: bool = False,
) -> tuple[Milestone | None, list[Problem]]:
    """Build a Milestone from a parsed document; returns (None, problems) when unusable."""

    def line_of(needle: str) -> int | None:
        if not needle or not text:
            return None
        idx = text.find(needle)
        return text.count("\n", 0, idx) + 1 if idx >= 0 else None

    if raw is None:
        return None, [Problem(rel_path, "file is empty: a milestone needs id, title and status")]
    if not isinstance(raw, dict):
        return None, [
            Problem(
                rel_path,
                f"top level is a {type(raw).__name__}, not a mapping with id, title and status",
                line=1,
            )
        ]
    missing = [k for k in ("id", "title", "status") if raw.get(k) in (None, "")]
    if missing:
        return None, [Problem(rel_path, f"missing required key(s): {', '.join(missing)}", line=1)]
    mid = raw["id"]
    if not is_valid_id(mid):
        return None, [Problem(rel_path, f"invalid milestone id {mid!r}", line=line_of("id:"))]
    mid = str(mid)
    if mid != stem:
        return None, [
            Problem(
                rel_path,
                f"milestone id {mid!r} does not match the file name {stem!r}",
                line=line_of("id:"),
            )
        ]
    problems: list[Problem] = []
    tasks: list[Task] = []
    seen: set[str] = set()
    raw_tasks = raw.get("tasks")
    if raw_tasks is not None and not isinstance(raw_tasks, list):
        problems.append(Problem(rel_path, "'tasks' is not a list", line=line_of("tasks:")))
        raw_tasks = []
    for t in raw_tasks or []:
        if not isinstance(t, dict):
            problems.append(Problem(rel_path, f"task entry {t!r} is not a mapping"))
            continue
        tid = t.get("id")
        label: str | None = None
        problem: str | None = None
        if not is_valid_id(tid):
            # shown and counted, read only; its id is never joined into a path (FORMAT.md 2)
            label = invalid_task_label(tid, len(tasks) + 1)
            problem = (
                f"invalid task id {tid!r}: shown read only (ids are letters, digits, "
                f"'.', '_' or '-'); rename it with 'kiro-tui fix-ids {mid}'"
            )
            problems.append(Problem(rel_path, problem, line=line_of(str(tid)), kind="invalid_id"))
        key = label if label is not None else str(tid)
        if key in seen:
            problems.append(Problem(rel_path, f"duplicate task id {tid!r}", line=line_of(str(tid))))
            continue
        seen.add(key)
        issues: list[str] = []
        task = build_task(t, raw, config, issues, task_id=label, problem=problem)
        for msg in issues:
            problems.append(Problem(rel_path, f"task {key}: {msg}"))
        tasks.append(task)
    deps = raw.get("dependencies")
    requires = _str_tuple(deps.get("requires")) if isinstance(deps, dict) else ()
    kc = raw.get("kiro_configuration")
    from kiro_tui.core.config import weights_problem

    bad_weights = weights_problem(kc.get("phase_weights")) if isinstance(kc, dict) else None
    if bad_weights:
        problems.append(Problem(rel_path, f"kiro_configuration.{bad_weights}"))
    enforcement = kc.get("enforcement") if isinstance(kc, dict) else None
    progress = _dict(raw.get("progress"))
    execution = _dict(raw.get("execution"))
    pct = progress.get("percentage")
    status_raw = str(raw.get("status"))
    return Milestone(
        id=mid,
        title=str(raw.get("title")),
        status=norm_milestone_status(status_raw),
        raw_status=status_raw,
        location=location,
        path=rel_path,
        archive=archive,
        description=_s(raw.get("description")),
        priority=_s(raw.get("priority")),
        created_at=_s(raw.get("created_at")),
        completed_at=_s(raw.get("completed_at")),
        requires=requires,
        tasks=tuple(tasks),
        weights=tuple(milestone_weights(raw, config).items()),
        enforcement=enforcement
        if enforcement in ("strict", "flexible", "progressive")
        else config.enforcement,
        session_id=_s(execution.get("session_id")),
        started_at=_s(execution.get("started_at")),
        written_progress=int(pct)
        if isinstance(pct, int | float) and not isinstance(pct, bool)
        else None,
        problems=tuple(problems),
    ), problems
