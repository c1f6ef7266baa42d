"""Command palette provider: every key binding (from `ui.keys`), the palette-only git commands,
and log filters by role and level."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from kiro_tui.core.ids import ROLES
from kiro_tui.ui.keys import GROUPS, PALETTE_ONLY, key_label

LEVELS = ("info", "warning", "error")
Command = tuple[str, str, Callable[[], object]]


def palette_entries(keymap: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(title, help, action) of every binding and palette-only command."""
    out = [
        (
            b.description,
            f"{b.tooltip or b.description} (key: {key_label(b, keymap)}; {g.title.lower()})",
            b.action,
        )
        for g in GROUPS
        for b in g.bindings
    ]
    out.extend((title, help_text, action) for title, action, help_text in PALETTE_ONLY)
    return out


class KiroCommands(Provider):
    """One entry per key binding, the git commands, plus log filters."""

    def _commands(self) -> list[Command]:
        from kiro_tui.ui.app import KiroApp

        app = self.app
        assert isinstance(app, KiroApp)
        main = app.main
        out: list[Command] = [
            (title, help_text, partial(app.run_action, action, main))
            for title, help_text, action in palette_entries(app.keymap)
        ]
        for role in ("user", *ROLES):
            out.append(
                (
                    f"Log: only role {role}",
                    "filter the log by role",
                    partial(main.set_log_filter, role=role),
                )
            )
        for level in LEVELS:
            out.append(
                (
                    f"Log: only level {level}",
                    "filter the log by level",
                    partial(main.set_log_filter, level=level),
                )
            )
        out.append(
            (
                "Log: clear filters",
                "show every event",
                partial(main.set_log_filter, role="", level="", text=""),
            )
        )
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
