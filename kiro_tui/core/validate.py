"""Whole-workspace checks: problems beyond single files (dependencies, cycles, unsafe paths)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kiro_tui.core import deliverables as dl
from kiro_tui.core.approvals import load_requests
from kiro_tui.core.deps import find_cycles, milestone_graph, task_graph
from kiro_tui.core.errors import Problem
from kiro_tui.core.store import WorkspaceState
from kiro_tui.core.text import plain


def config_problems(root: Path) -> list[Problem]:
    """The repository config: unreadable (defaults apply) or bad values (each ignored alone)."""
    from kiro_tui.core.config import repo_config_problems

    return repo_config_problems(root)


def _plain(p: Problem) -> Problem:
    """The problem with repository text made safe for a terminal (text.plain)."""
    message, file = plain(p.message, one_line=True), plain(p.file, one_line=True)
    if message == p.message and file == p.file:
        return p
    return replace(p, message=message, file=file)


def check(state: WorkspaceState) -> list[Problem]:
    """Every problem of the workspace: load problems first, then cross-file ones."""
    out: list[Problem] = list(state.problems)
    out.extend(config_problems(state.root))
    out.extend(load_requests(state.root)[1])  # approvals/*.yaml that cannot be used
    for cyc in find_cycles(milestone_graph(state.milestones)):
        first = state.by_id[cyc[0]]
        out.append(
            Problem(
                first.path,
                "milestone dependency cycle: " + " -> ".join([*cyc, cyc[0]]),
                kind="dependency_cycle",
            )
        )
    folders = dl.task_folders(state.root)
    for m in state.milestones:
        for req in m.requires:
            if req not in state.by_id:
                out.append(
                    Problem(m.path, f"requires unknown milestone {req!r}", kind="dependency_unmet")
                )
        ids = {t.id for t in m.tasks}
        for t in m.tasks:
            for dep in t.depends_on:
                if dep not in ids:
                    out.append(
                        Problem(
                            m.path,
                            f"task {t.id} depends on unknown task {dep!r}",
                            kind="dependency_unmet",
                        )
                    )
            for ph in t.phases:
                for _label, message in dl.problems(state.root, t.id, ph, folders):
                    out.append(
                        Problem(m.path, f"task {t.id} {ph.name}: {message}", kind="invalid_path")
                    )
        for cyc in find_cycles(task_graph(m)):
            out.append(
                Problem(
                    m.path,
                    "task dependency cycle: " + " -> ".join([*cyc, cyc[0]]),
                    kind="dependency_cycle",
                )
            )
    return [_plain(p) for p in out]
