"""The one API that the CLI, the dashboard and the agent roles call to change anything.

Every change is: lock, re-read, check, edit, atomic write, then one log line per event.
"""

from __future__ import annotations

from typing import Any

from kiro_tui.core import workflow
from kiro_tui.core.creating import Creating
from kiro_tui.core.errors import NotFound, Refused
from kiro_tui.core.ids import check_id, check_phase
from kiro_tui.core.milestone_actions import MilestoneActions
from kiro_tui.core.workflow import Ctx, Outcome
from kiro_tui.core.yaml.roundtrip import quote_like


class Workspace(MilestoneActions, Creating):
    """A `.milestones/` workspace: loading for display and every action that changes it.

    Reading and `act` are in workspace_base.py, milestone and session actions in
    milestone_actions.py, creating things in creating.py; phase actions are here."""

    # ------------------------------------------------------------------ phase actions
    def start_phase(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                    **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.start_phase(d, task_id, phase, c), actor,
                        focus_task=task_id, **kw)

    def complete_phase(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                       **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.complete_phase(d, task_id, phase, c), actor,
                        focus_task=task_id, **kw)

    def approve(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                note: str | None = None, **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.approve_phase(d, task_id, phase, c, note),
                        actor, focus_task=task_id, **kw)

    def reject(self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None,
               **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.reject_phase(d, task_id, phase, c, reason),
                        actor, focus_task=task_id, **kw)

    def block(self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None,
              **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.block_phase(d, task_id, phase, c, reason),
                        actor, focus_task=task_id, **kw)

    def unblock(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.unblock_phase(d, task_id, phase, c), actor,
                        focus_task=task_id, **kw)

    # ------------------------------------------------------------------ used by the roles
    def write_progress(self, mid: str, percentage: int, completed: int, total: int,
                       **kw: Any) -> Outcome:
        """Keep `progress` true; writes nothing when the values are already there."""

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from ruamel.yaml.comments import CommentedMap

            prog = doc.get("progress")
            if not isinstance(prog, dict):
                doc["progress"] = prog = CommentedMap()
            done_key = "completed_tasks" if "completed_tasks" in prog and \
                "tasks_completed" not in prog else "tasks_completed"
            want = {"percentage": percentage, done_key: completed, "total_tasks": total}
            if any(prog.get(k) != v for k, v in want.items()):
                prog.update(want)
                prog["last_update"] = quote_like(c.now, prog, doc)
            return Outcome()

        from kiro_tui.core.yaml.focused_edit import TOP_LEVEL

        return self.act(mid, fn, "kiro-tui", focus_task=TOP_LEVEL, **kw)

    def phase_model(self, mid: str, task_id: str, phase: str) -> Any:
        m = self.milestone(mid)
        t = m.task(task_id) if m else None
        if t is None:
            raise NotFound(f"no task {task_id!r} in milestone {mid!r}")
        p = t.phase(phase)
        if p is None:
            raise Refused(f"task {task_id} has no kiro phases")
        return p

