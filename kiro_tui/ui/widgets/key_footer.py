"""The footer of key bindings, rebuilt only when the keys it shows change.

Textual's `Footer` removes and mounts all its keys again whenever the screen says its bindings
may have changed: on every focus change, screen push and app focus. Each rebuild applies the
stylesheet to some twenty widgets (~40 ms here), and at startup it happens five or six times,
delaying whatever else the first second has to show (the log's last lines, a key's answer).
This footer compares what it would show with what it shows and rebuilds only on a difference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen

Shown = tuple[tuple[str, str, str, str, bool, str, str], ...]


class KeyFooter(Footer):
    """A `Footer` that recomposes only when the keys it shows differ."""

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._shown: Shown | None = None

    def shown_now(self) -> Shown:
        """What the footer would show for the screen's bindings now."""
        rows = []
        palette = self.app.COMMAND_PALETTE_BINDING if self.show_command_palette else None
        for name, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if binding.show or name == palette:
                rows.append(
                    (
                        binding.key,
                        self.app.get_key_display(binding),
                        binding.description,
                        binding.action,
                        enabled,
                        tooltip or "",
                        binding.group.description if binding.group else "",
                    )
                )
        return tuple(rows)

    def compose(self) -> ComposeResult:
        self._shown = self.shown_now() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self.shown_now() != self._shown:
            await self.recompose()
