"""Budget accounting from the run records: per phase (USD, tokens, seconds, runs) and per
milestone (USD, seconds). A cost nobody reported stays unknown (None), never 0. Retries count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from kiro_tui.core.runs import records
from kiro_tui.core.runs.records import RunRecord, Usage
from kiro_tui.core.runs.settings import Budget

WARN_AT = 0.8
Level = Literal["ok", "warn", "exceeded"]


@dataclass(frozen=True, slots=True)
class Spend:
    usd: float | None = None  # None: no run reported a cost
    usd_partial: bool = False  # some runs reported no cost: the real spend may be higher
    tokens: int | None = None
    seconds: float = 0.0
    runs: int = 0

    def plus(self, usage: Usage, seconds: float, runs: int = 0) -> Spend:
        usd = self.usd
        partial = self.usd_partial
        if usage.cost_usd is None:
            partial = True
        else:
            usd = (usd or 0.0) + usage.cost_usd
        tokens = self.tokens
        if usage.tokens is not None:
            tokens = (tokens or 0) + usage.tokens
        return Spend(usd, partial, tokens, self.seconds + max(0.0, seconds), self.runs + runs)

    def usd_text(self) -> str:
        if self.usd is None:
            return "cost unknown"
        return f"${self.usd:.2f}" + (" (some runs reported no cost)" if self.usd_partial else "")


def spend_now(
    root: Path, key: tuple[str, str, str], exclude: str, live: Mapping[str, tuple[Usage, float]]
) -> tuple[Spend, Spend]:
    """(phase spend, milestone spend) of the runs of `key`'s milestone but `exclude`, from
    their records, with the live usage and running seconds of the runs in `live` (by run id)."""
    m, t, p = key
    recs = []
    for rec in records.list_runs(root, m):
        if rec.run_id == exclude:
            continue
        if rec.run_id in live:
            usage, seconds = live[rec.run_id]
            rec = replace(rec, usage=usage, duration_s=seconds)
        recs.append(rec)
    return spend(recs, m, t, p), spend(recs, m)


def _seconds(r: RunRecord) -> float:
    return r.duration_s or 0.0


def spend(
    records: Iterable[RunRecord],
    milestone_id: str,
    task_id: str | None = None,
    phase: str | None = None,
) -> Spend:
    """What the runs of a milestone (or of one task's phase) spent, from their records."""
    s = Spend()
    for r in records:
        if r.milestone_id != milestone_id:
            continue
        if task_id is not None and (r.task_id != task_id or r.phase != phase):
            continue
        if r.status == "queued" and r.started_at is None:
            continue  # never started
        s = s.plus(r.usage, _seconds(r), 1)
    return s


@dataclass(frozen=True, slots=True)
class Check:
    level: Level
    scope: str  # "phase" | "milestone"
    what: str  # usd | tokens | seconds | runs
    spent: float
    limit: float

    def text(self) -> str:
        unit = {"usd": "$", "tokens": "", "seconds": "", "runs": ""}[self.what]
        suffix = {"usd": "", "tokens": " tokens", "seconds": " s", "runs": " runs"}[self.what]
        fmt = (
            (lambda v: f"{unit}{v:.2f}{suffix}")
            if self.what == "usd"
            else (lambda v: f"{v:g}{suffix}")
        )
        return f"{self.scope} budget: {fmt(self.spent)} of {fmt(self.limit)} ({self.what})"


def _level(spent: float, limit: float, *, starting: bool) -> Level:
    # a run limit is reached when one more run would pass it
    reached = spent + 1 > limit if starting else spent >= limit
    if reached:
        return "exceeded"
    if spent >= WARN_AT * limit:
        return "warn"
    return "ok"


def check(
    budget: Budget, phase_spend: Spend, milestone_spend: Spend, *, starting: bool = False
) -> list[Check]:
    """Every limit at warn or exceeded (empty: all fine). `starting`: about to start one more
    run (the runs limit then counts it)."""
    out: list[Check] = []
    pb, mb = budget.phase, budget.milestone
    items: list[tuple[str, str, float | None, float | None]] = [
        ("phase", "usd", phase_spend.usd, pb.usd),
        (
            "phase",
            "tokens",
            None if phase_spend.tokens is None else float(phase_spend.tokens),
            None if pb.tokens is None else float(pb.tokens),
        ),
        ("phase", "seconds", phase_spend.seconds, pb.seconds),
        ("milestone", "usd", milestone_spend.usd, mb.usd),
        ("milestone", "seconds", milestone_spend.seconds, mb.seconds),
    ]
    for scope, what, spent, limit in items:
        if limit is None or spent is None:
            continue  # no limit, or unknown spend: nothing to compare
        lv = _level(spent, limit, starting=False)
        if lv != "ok":
            out.append(Check(lv, scope, what, spent, limit))
    if pb.runs is not None:
        lv = _level(float(phase_spend.runs), float(pb.runs), starting=starting)
        if lv != "ok":
            out.append(Check(lv, "phase", "runs", float(phase_spend.runs), float(pb.runs)))
    out.sort(key=lambda c: c.level != "exceeded")
    return out


def worst(checks: list[Check]) -> Level:
    if any(c.level == "exceeded" for c in checks):
        return "exceeded"
    return "warn" if checks else "ok"


def remaining_usd(budget: Budget, phase_spend: Spend, milestone_spend: Spend) -> float | None:
    """What is left to spend in USD (for `--max-budget-usd`), None without a limit."""
    left: list[float] = []
    if budget.phase.usd is not None:
        left.append(budget.phase.usd - (phase_spend.usd or 0.0))
    if budget.milestone.usd is not None:
        left.append(budget.milestone.usd - (milestone_spend.usd or 0.0))
    return max(0.0, min(left)) if left else None


def remaining_seconds(budget: Budget, phase_spend: Spend, milestone_spend: Spend) -> float | None:
    left: list[float] = []
    if budget.phase.seconds is not None:
        left.append(budget.phase.seconds - phase_spend.seconds)
    if budget.milestone.seconds is not None:
        left.append(budget.milestone.seconds - milestone_spend.seconds)
    return max(0.0, min(left)) if left else None
