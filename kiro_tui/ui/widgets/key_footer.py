"""The footer of key bindings: one widget drawing one line, redrawn only when its keys change.

Textual's `Footer` mounts a widget per key (some twenty-five here) and removes and mounts them
all again whenever the screen says its bindings may have changed: on every focus change, screen
push and app focus. Each rebuild applied the stylesheet to every key (40-70 ms on this machine)
and, since the first one waited for the screen's first published bindings, it landed on the
first key a person pressed after the dashboard appeared. This footer is one widget: it keeps
the keys it shows as data, compares them when the bindings are published and, when they
differ, only repaints its line. Its keys are there in the first frame.

A click on a key simulates that key (a disabled one rings the bell), as with `Footer`; the key
under the mouse is highlighted and its tooltip shown. The command palette key sits at the right
end; keys that do not fit the width are left out whole, never cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from textual import events
from textual.content import Content
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen


class FooterItem(NamedTuple):
    """One key as the footer shows it."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str


Shown = tuple[FooterItem, ...]


class KeyFooter(Widget, can_focus=False):
    """One line of the focused screen's keys, and the command palette key at the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-footer--key",
        "key-footer--description",
        "key-footer--hover",
        "key-footer--disabled",
        "key-footer--bar",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            background: $block-hover-background;
        }
        & > .key-footer--disabled {
            text-style: dim;
        }
        & > .key-footer--bar {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: Shown = ()
        self._palette: FooterItem | None = None
        self._spans: list[tuple[int, int, FooterItem]] = []  # x range of each key drawn
        self._hover: FooterItem | None = None
        self.redraws = 0
        """How many times the keys shown changed (tests count rebuilds, not time)."""

    # ------------------------------------------------------------------ what is shown
    def shown_now(self) -> tuple[Shown, FooterItem | None]:
        """The keys the screen's bindings show now, and the palette key (None: hidden)."""
        app = self.app
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        rows: list[FooterItem] = []
        palette: FooterItem | None = None
        actions: set[str] = set()
        for name, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            item = FooterItem(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip or binding.tooltip or binding.description,
            )
            if name == palette_key:
                palette = item
            elif binding.show and binding.action not in actions:  # one key per action
                actions.add(binding.action)
                rows.append(item)
        return tuple(rows), palette

    @property
    def shown(self) -> Shown:
        """The keys the footer shows (the palette key apart), in order."""
        return self._shown

    @property
    def spans(self) -> list[tuple[int, int, FooterItem]]:
        """The x range of each key as last drawn."""
        return list(self._spans)

    def visible_keys(self) -> list[str]:
        """The keys drawn in full at the current width (the palette key included)."""
        self._line(self.size.width)
        return [item.key for _a, _b, item in self._spans]

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self._take(*self.shown_now())  # in the first frame, not after the first publication

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self._take(*self.shown_now())

    def _take(self, shown: Shown, palette: FooterItem | None) -> None:
        if (shown, palette) != (self._shown, self._palette):
            self._shown, self._palette = shown, palette
            self.redraws += 1
            self.refresh()

    # ------------------------------------------------------------------ drawing
    def _part(self, item: FooterItem) -> Content:
        state = ["key-footer--disabled"] if not item.enabled else []
        if item == self._hover:
            state.append("key-footer--hover")
        key = self.get_visual_style("key-footer--key", *state)
        text = self.get_visual_style("key-footer--description", *state)
        if not item.description:
            return Content.assemble((f" {item.display} ", key))
        return Content.assemble((f" {item.display} ", key), (f"{item.description} ", text))

    def _line(self, width: int) -> Content:
        right = Content("")
        if self._palette is not None:
            right = Content.assemble(
                ("▏", self.get_visual_style("key-footer--bar")), self._part(self._palette), " "
            )
        room = width - right.cell_length
        parts: list[Content] = []
        self._spans = []
        x = 0
        for item in self._shown:
            part = self._part(item)
            if x + part.cell_length > room:
                break  # left out whole
            self._spans.append((x, x + part.cell_length, item))
            parts.append(part)
            x += part.cell_length
        line = Content("").join(parts)
        if self._palette is not None and right.cell_length <= width:
            pad = max(0, width - line.cell_length - right.cell_length)
            self._spans.append((width - right.cell_length + 1, width - 1, self._palette))
            line = Content.assemble(line, " " * pad, right)
        return line

    def render(self) -> Content:
        return self._line(self.size.width)

    # ------------------------------------------------------------------ the mouse
    def _at(self, x: int) -> FooterItem | None:
        for start, end, item in self._spans:
            if start <= x < end:
                return item
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._at(event.x)
        if item != self._hover:
            self._hover = item
            self.tooltip = item.tooltip if item is not None else None
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        item = self._at(event.x)
        if item is None:
            return
        event.stop()
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()
