"""Command palette provider: every dashboard action, and log filters by role and level."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from kiro_tui.ui.app import KiroApp

ROLES = ("user", "task_executor", "progress_monitor", "git_integration", "dependency_validator",
         "blocker_detector")
LEVELS = ("info", "warning", "error")
GIT = (("Git: commits of the selected milestone", "git_commits",
        "message, sha, time and files of each commit with its Milestone trailer"),
       ("Git: push now", "git_push", "push the current branch to the configured git.remote"))


class KiroCommands(Provider):
    """One entry per key binding, plus log filters."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: KiroApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, str, Callable[[], object]]] = []
        for title, action, key, help_text in app.COMMAND_ENTRIES:
            out.append((title, f"{help_text} (key: {key})", partial(app.run_action, action)))
        for title, action, help_text in GIT:
            out.append((title, help_text, partial(app.run_action, action)))
        for role in ROLES:
            out.append((f"Log: only role {role}", "filter the log by role",
                        partial(app.set_log_filter, role=role)))
        for level in LEVELS:
            out.append((f"Log: only level {level}", "filter the log by level",
                        partial(app.set_log_filter, level=level)))
        out.append(("Log: clear filters", "show every event",
                    partial(app.set_log_filter, role="", level="", text="")))
        return out

    async def discover(self) -> Hits:
        for title, help_text, cb in self._commands():
            yield DiscoveryHit(title, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, cb in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), cb, help=help_text)
