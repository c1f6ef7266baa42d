"""Milestone and task dependency graphs: cycles and what can start now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kiro_tui.core.model import Milestone, Task


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every elementary cycle reachable in `graph`, each once, rotated to start at its least id."""
    cycles: set[tuple[str, ...]] = set()
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        color[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if color.get(nxt) == 1:
                cyc = stack[stack.index(nxt) :]
                i = cyc.index(min(cyc))
                cycles.add(tuple(cyc[i:] + cyc[:i]))
            elif color.get(nxt) is None:
                visit(nxt)
        stack.pop()
        color[node] = 2

    for node in sorted(graph):
        if node not in color:
            visit(node)
    return [list(c) for c in sorted(cycles)]


def milestone_graph(milestones: Iterable[Milestone]) -> dict[str, tuple[str, ...]]:
    return {m.id: m.requires for m in milestones}


def task_graph(m: Milestone) -> dict[str, tuple[str, ...]]:
    return {t.id: t.depends_on for t in m.tasks}


def unmet_requires(m: Milestone, by_id: Mapping[str, Milestone]) -> list[str]:
    """Required milestones that are not completed (missing ones included)."""
    out = []
    for req in m.requires:
        other = by_id.get(req)
        if other is None or other.status != "completed":
            out.append(req)
    return out


def startable(m: Milestone, by_id: Mapping[str, Milestone]) -> bool:
    return not m.finished and not unmet_requires(m, by_id)


def unmet_task_deps(task: Task, m: Milestone) -> list[str]:
    out = []
    for dep in task.depends_on:
        other = m.task(dep)
        if other is None or other.status != "completed":
            out.append(dep)
    return out


def ready_tasks(m: Milestone) -> list[Task]:
    """Pending tasks whose dependencies are all completed."""
    return [t for t in m.tasks if t.status == "pending" and not unmet_task_deps(t, m)]
