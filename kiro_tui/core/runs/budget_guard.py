"""One run's budget guard: it refuses to start a run past a limit, warns once per limit at
80 %, and on every usage report checks the phase's and the milestone's totals, the live usage
of the other active runs included (concurrent runs share the milestone's budget), saying when
the run must stop."""

from __future__ import annotations

from collections.abc import Callable

from kiro_tui.core.runs import budget as bud
from kiro_tui.core.runs.journal import RunJournal
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.settings import Budget

# (phase spend, milestone spend) of every run but this one, live usage included
OthersSpend = Callable[[], tuple[bud.Spend, bud.Spend]]


class BudgetGuard:
    def __init__(self, journal: RunJournal, budget: Budget, others: OthersSpend) -> None:
        self._journal = journal
        self._budget = budget
        self._others = others
        self._base: tuple[bud.Spend, bud.Spend] = (bud.Spend(), bud.Spend())
        self._warned: set[tuple[str, str]] = set()

    def before_start(self) -> bud.Check | None:
        """The limit that forbids starting (its `budget_exceeded` event emitted), or None
        (warnings emitted for the limits near their end)."""
        self._base = self._others()
        checks = bud.check(self._budget, *self._base, starting=True)
        over = [c for c in checks if c.level == "exceeded"]
        if over:
            self._exceeded(over[0])
            return over[0]
        for c in checks:
            self._warn(c)
        return None

    def remaining_usd(self) -> float | None:
        """What is left in USD when the run starts (for `--max-budget-usd`)."""
        return bud.remaining_usd(self._budget, *self._base)

    def remaining_seconds(self) -> float | None:
        """The wall time left when the run starts (the watchdog's budget limit)."""
        return bud.remaining_seconds(self._budget, *self._base)

    def on_usage(self, usage: Usage, *, stopping: bool) -> bool:
        """Check this run's `usage` (its running total) plus the others' spend now; True when a
        USD or token limit is reached and the run must stop (the event is emitted unless the
        run is `stopping` already)."""
        ps, ms = self._others()
        checks = bud.check(self._budget, ps.plus(usage, 0.0), ms.plus(usage, 0.0))
        for c in checks:
            if c.level == "exceeded" and c.what in ("usd", "tokens"):
                if not stopping:
                    self._exceeded(c)
                return True
            if c.level == "warn":
                self._warn(c)
        return False

    def _exceeded(self, c: bud.Check) -> None:
        self._journal.emit(
            "budget_exceeded", c.text(), scope=c.scope, what=c.what, spent=c.spent, limit=c.limit
        )

    def _warn(self, c: bud.Check) -> None:
        key = (c.scope, c.what)
        if key in self._warned:
            return
        self._warned.add(key)
        self._journal.emit(
            "budget_warning", c.text(), scope=c.scope, what=c.what, spent=c.spent, limit=c.limit
        )
