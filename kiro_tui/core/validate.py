"""Whole-workspace checks: problems beyond single files (dependencies, cycles, unsafe paths)."""

from __future__ import annotations

from pathlib import Path

from kiro_tui.core import deliverables as dl
from kiro_tui.core.approvals import load_requests
from kiro_tui.core.deps import find_cycles, milestone_graph, task_graph
from kiro_tui.core.errors import InvalidFile, Problem
from kiro_tui.core.store import WorkspaceState


def config_problems(root: Path) -> list[Problem]:
    """The repository config is skipped when unreadable (defaults apply); say so here."""
    from kiro_tui.core.yaml.roundtrip import load_fast

    rel = "config/kiro-config.yaml"
    path = root / ".milestones" / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(rel, f"cannot read the configuration ({exc}); defaults apply")]
    try:
        raw = load_fast(text, rel)
    except InvalidFile as exc:
        return [Problem(rel, f"{exc.message}; defaults apply", exc.line, exc.column)]
    if raw is not None and not isinstance(raw, dict):
        return [Problem(rel, "top level is not a mapping; defaults apply", 1)]
    return []


def check(state: WorkspaceState) -> list[Problem]:
    """Every problem of the workspace: load problems first, then cross-file ones."""
    out: list[Problem] = list(state.problems)
    out.extend(config_problems(state.root))
    out.extend(load_requests(state.root)[1])  # approvals/*.yaml that cannot be used
    for cyc in find_cycles(milestone_graph(state.milestones)):
        first = state.by_id[cyc[0]]
        out.append(Problem(first.path, "milestone dependency cycle: "
                           + " -> ".join([*cyc, cyc[0]]), kind="dependency_cycle"))
    folders = dl.task_folders(state.root)
    for m in state.milestones:
        for req in m.requires:
            if req not in state.by_id:
                out.append(Problem(m.path, f"requires unknown milestone {req!r}",
                                   kind="dependency_unmet"))
        ids = {t.id for t in m.tasks}
        for t in m.tasks:
            for dep in t.depends_on:
                if dep not in ids:
                    out.append(Problem(m.path, f"task {t.id} depends on unknown task {dep!r}",
                                       kind="dependency_unmet"))
            for ph in t.phases:
                for _label, message in dl.problems(state.root, t.id, ph, folders):
                    out.append(Problem(m.path, f"task {t.id} {ph.name}: {message}",
                                       kind="invalid_path"))
        for cyc in find_cycles(task_graph(m)):
            out.append(Problem(m.path, "task dependency cycle: " + " -> ".join([*cyc, cyc[0]]),
                               kind="dependency_cycle"))
    return out
