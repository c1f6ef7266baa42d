"""The attention inbox: everything that waits on a person, in `core.inbox` order, with its age.

The app gives it the items of the newest snapshot (`set_items`, also while it is open: an item
resolved anywhere leaves the list). Enter dismisses it with the item's place (the main screen
selects it), or, on an `executor_untrusted` item, opens the trust modal; `a` / `x` open the decision modal on a gate; Escape, q or i close it. No IO here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiro_tui.ui.view import Sel

if TYPE_CHECKING:
    from kiro_tui.core.inbox import InboxItem

SEVERITY_STYLE = {"critical": "bold $error", "warning": "$warning", "info": "$text-muted"}


def item_sel(item: InboxItem) -> Sel | None:
    """Where the item is in the tree (None for a workspace problem that names no milestone)."""
    return Sel(item.milestone_id, item.task_id, item.phase) if item.milestone_id else None


def item_prompt(item: InboxItem, now: datetime) -> Content:
    """`gate  milestone > task > phase  3h05m  a/x` then what it is, on a second line."""
    from kiro_tui.core import clock
    from kiro_tui.core.inbox import BLOCKER_KEY, clean

    age = item.age(now)
    label = "gate" if item.is_gate else f"{item.severity} {clean(item.kind, 40)}"
    key = "Enter" if item.key == BLOCKER_KEY else item.key
    head = Content.assemble(
        (f"{label:<24}", SEVERITY_STYLE.get(item.severity, "") if not item.is_gate else "$accent"),
        " ",
        (item.where, "bold"),
        "  ",
        (clock.age_text(age) if age is not None else "age unknown", "$text-muted"),
        "  ",
        (f"({key})", "$text-muted"),
    )
    return Content("\n").join([head, Content.assemble("  ", clean(item.what, 200))])


class InboxScreen(ModalScreen[Sel | None]):
    """The queue; dismisses with the place to jump to, or None."""

    BINDINGS = [
        Binding("escape,q,i", "close", "Close", id="inbox.close"),
        Binding("a", "decide(True)", "Approve", id="inbox.approve"),
        Binding("x", "decide(False)", "Reject", id="inbox.reject"),
    ]

    def __init__(self, items: tuple[InboxItem, ...], now: datetime) -> None:
        super().__init__()
        self.items: tuple[InboxItem, ...] = ()
        self._first = (items, now)

    def compose(self) -> ComposeResult:
        with Vertical(id="inbox"):
            yield Static(id="inbox-title")
            yield OptionList(id="inbox-list")
            yield Static(
                Content.from_markup(
                    "[dim]Enter jumps to it · a approves / x rejects a gate · Escape closes[/dim]"
                ),
                id="inbox-help",
            )

    def on_mount(self) -> None:
        self.set_items(*self._first)
        self.query_one(OptionList).focus()

    def set_items(self, items: tuple[InboxItem, ...], now: datetime) -> None:
        """Show `items` (the highlight stays on the same item while it is there)."""
        from kiro_tui.core.inbox import count_text

        listings = self.query(OptionList)
        if not listings:  # not composed yet: shown on mount
            self._first = (items, now)
            return
        listing = listings.first()
        keep = self.highlighted
        self.items = items
        title = count_text(len(items)) or "nothing needs you"
        self.query_one("#inbox-title", Static).update(
            Content.assemble(("Inbox", "bold"), "  ", (title, "$text-muted"))
        )
        listing.clear_options()
        listing.add_options([Option(item_prompt(i, now), id=i.id) for i in items])
        ids = [i.id for i in items]
        if items:
            listing.highlighted = ids.index(keep.id) if keep is not None and keep.id in ids else 0

    @property
    def highlighted(self) -> InboxItem | None:
        listing = self.query_one(OptionList)
        n = listing.highlighted
        return self.items[n] if n is not None and 0 <= n < len(self.items) else None

    @on(OptionList.OptionSelected, "#inbox-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        item = next((i for i in self.items if i.id == event.option_id), None)
        if item is None:
            return
        if item.kind == "executor_untrusted":  # Enter reviews the settings (the trust modal)
            from kiro_tui.ui.app import KiroApp
            from kiro_tui.ui.run_actions import open_trust

            self.dismiss(None)
            if isinstance(self.app, KiroApp):
                open_trust(self.app)
            return
        sel = item_sel(item)
        if sel is None:
            self.notify(
                f"{item.where}: {item.suggestion or item.what}", severity="warning", markup=False
            )
            return
        self.dismiss(sel)

    def action_decide(self, approve: bool) -> None:
        from kiro_tui.ui.app import KiroApp

        item = self.highlighted
        if item is None or not item.is_gate:
            self.notify("select a gate (a/x) first", severity="warning")
            return
        sel = item_sel(item)
        app = self.app
        if sel is not None and isinstance(app, KiroApp):
            app.main.decide_on(sel, approve)

    def action_close(self) -> None:
        self.dismiss(None)
