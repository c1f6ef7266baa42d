"""Creating things, for `service.Workspace`: the workspace, milestones, tasks; migration."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from kiro_tui.core.errors import NotFound, Refused
from kiro_tui.core.ids import check_id, task_id_from_title
from kiro_tui.core.model import TASK_KINDS
from kiro_tui.core.safewrite import atomic_write
from kiro_tui.core.store import MS
from kiro_tui.core.workflow import Ctx, Outcome
from kiro_tui.core.workspace_base import WorkspaceBase


class Creating(WorkspaceBase):
    """`init`, `new_milestone`, `add_task`, `migrate`."""

    @staticmethod
    def init(root: Path) -> Path:
        from kiro_tui.core.templates import CONFIG_TEMPLATE

        ms = root / MS
        for sub in ("active", "completed", "deliverables", "logs", "sessions", "config"):
            (ms / sub).mkdir(parents=True, exist_ok=True)
        cfg = ms / "config" / "kiro-config.yaml"
        if not cfg.exists():
            atomic_write(cfg, CONFIG_TEMPLATE)
        return ms

    def new_milestone(self, mid: str, title: str, requires: list[str],
                      actor: str | None = None, description: str | None = None) -> Path:
        from kiro_tui.core.templates import new_milestone
        from kiro_tui.core.yaml.roundtrip import dump_new

        check_id(mid, "milestone id")
        for r in requires:
            check_id(r, "milestone id")
        if not title.strip():
            raise Refused("a milestone needs a title")
        with contextlib.suppress(NotFound):
            self.milestone_path(mid)
            raise Refused(f"milestone {mid} already exists")
        ctx = self._ctx(actor)
        path = self.ms / "active" / f"{mid}.yaml"
        text = f"# Milestone {mid} - created by kiro-tui\n" + dump_new(
            new_milestone(mid, title, requires, ctx.now, description))
        atomic_write(path, text)
        self.log(mid, {"event": "milestone_created", "actor": ctx.actor,
                       "message": f"milestone {mid} created: {title}"})
        return path

    def add_task(self, mid: str, title: str, kind: str = "feature",
                 depends_on: list[str] | None = None, actor: str | None = None,
                 task_id: str | None = None, hours: float = 8) -> str:
        from kiro_tui.core.templates import new_task

        if kind not in TASK_KINDS:
            raise Refused(f"unknown task kind {kind!r}: use one of {', '.join(TASK_KINDS)}")
        if not title.strip():
            raise Refused("a task needs a title")
        deps = [check_id(d, "task id") for d in depends_on or []]
        new_id: list[str] = []

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from ruamel.yaml.comments import CommentedSeq

            from kiro_tui.core.parse import milestone_gates, milestone_weights

            tasks = doc.get("tasks")
            if not isinstance(tasks, list):
                doc["tasks"] = tasks = CommentedSeq()
            ids = {str(t.get("id")) for t in tasks if isinstance(t, dict)}
            for d in deps:
                if d not in ids:
                    raise Refused(f"cannot add task: {mid} has no task {d!r} to depend on")
            tid = check_id(task_id, "task id") if task_id is not None else task_id_from_title(title, ids)
            if tid in ids:
                raise Refused(f"milestone {mid} already has a task {tid}")
            tasks.append(new_task(tid, title, kind, deps, self.config, c.now, hours,
                                  milestone_weights(doc, self.config),
                                  milestone_gates(doc, self.config)))
            prog = doc.get("progress")
            if isinstance(prog, dict) and "total_tasks" in prog:
                prog["total_tasks"] = len(tasks)
            new_id.append(tid)
            out = Outcome(message=f"{mid}: task {tid} added")
            out.add("task_added", task_id=tid, actor=c.actor, message=out.message)
            return out

        self.act(mid, fn, actor)
        return new_id[0]

    def migrate(self, mid: str, actor: str | None = None) -> Outcome:
        from kiro_tui.core.templates import kiro_workflow
        from kiro_tui.core.workflow import migrate_task

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from kiro_tui.core.parse import milestone_gates, milestone_weights

            kc = doc.get("kiro_configuration")
            level = kc.get("enforcement") if isinstance(kc, dict) else None
            level = level if level in ("strict", "flexible", "progressive") else \
                self.config.enforcement
            weights = milestone_weights(doc, self.config)
            gates = milestone_gates(doc, self.config)
            out = Outcome()
            moved = []
            for t in doc.get("tasks") or []:
                if isinstance(t, dict) and migrate_task(
                        t, level, lambda task, h: kiro_workflow(str(task.get("kind") or "feature"),
                                                                h, self.config, weights, gates)):
                    moved.append(str(t.get("id")))
                    out.add("task_migrated", task_id=str(t.get("id")), actor=c.actor,
                            message=f"{t.get('id')} migrated to kiro phases ({level})")
            out.message = (f"{mid}: migrated {', '.join(moved)} ({level})" if moved else
                           f"{mid}: nothing to migrate under enforcement '{level}'")
            return out

        return self.act(mid, fn, actor)
