"""Token usage to USD with the optional price table (`executor.prices`), for the agents that
report tokens but no cost (Codex, Gemini). Without a price the cost stays unknown (None),
never 0."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.settings import ExecutorSettings, Price


def model_in_argv(argv: Sequence[str]) -> str | None:
    """The value of `--model X`, `--model=X` or `-m X` in an agent's argv."""
    for i, a in enumerate(argv):
        if a in ("--model", "-m") and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--model="):
            return a.split("=", 1)[1]
    return None


def priced(usage: Usage, price: Price | None) -> Usage:
    """`usage` with its cost computed from its tokens when it has none and a price is known."""
    if usage.cost_usd is not None or price is None or usage.tokens is None:
        return usage
    cost = (usage.input_tokens or 0) * price.input_per_mtok
    cost += (usage.output_tokens or 0) * price.output_per_mtok
    return replace(usage, cost_usd=round(cost / 1_000_000, 6))


class Pricer:
    """The price of one run's agent: by the model its stream names, else by the model in its
    argv, else by its preset's name."""

    def __init__(
        self, settings: ExecutorSettings, preset: str | None = None, argv: Sequence[str] = ()
    ) -> None:
        self._settings = settings
        self._preset = preset
        self._argv_model = model_in_argv(argv)

    def usage(self, usage: Usage, stream_model: str | None) -> Usage:
        price = self._settings.price(stream_model, self._argv_model, self._preset)
        return priced(usage, price)
