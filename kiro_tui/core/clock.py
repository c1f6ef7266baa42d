"""UTC timestamps in the canonical form (`2026-11-25T14:03:07Z`), tolerant parsing, and the one
injectable clock every action and the coordinator take their time from."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime

FAKE_NOW = "KIRO_TUI_FAKE_NOW"


class Clock:
    """The wall clock, or a fixed instant (screenshots, snapshot tests, the CLI's tests).

    `Clock()` is the system clock. `KIRO_TUI_FAKE_NOW` is read only at the edges (the CLI's
    `main`, `make_app`), by `Clock.from_env()`, never deep inside."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = fixed

    @classmethod
    def system(cls) -> Clock:
        return cls()

    @classmethod
    def at(cls, when: datetime) -> Clock:
        return cls(when)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Clock:
        """Read `KIRO_TUI_FAKE_NOW` once (the CLI and `make_app` do, at the edge)."""
        value = (os.environ if env is None else env).get(FAKE_NOW)
        parsed = parse_ts(value) if value else None
        return cls.at(parsed) if parsed is not None else cls.system()

    @property
    def is_fixed(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        """Whole seconds, for what is written to files."""
        return self.precise().replace(microsecond=0)

    def precise(self) -> datetime:
        """Sub-second precision (for the coordinator's timers), unless the clock is fixed."""
        if self._fixed is not None:
            return self._fixed
        return datetime.fromtimestamp(time.time(), UTC)

    def now_str(self) -> str:
        return fmt(self.now())


SYSTEM = Clock()
"""The system clock: the default where no clock is given (never a fixed or environment time)."""


def fmt(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(value: object) -> datetime | None:
    """Parse an ISO-8601 timestamp (Z or offset, or a YAML datetime); None when it is not one."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    return _parse_text(value)


@functools.lru_cache(maxsize=1 << 14)
def _parse_text(value: str) -> datetime | None:
    """parse_ts of a string (kept: each cycle reads every task's and phase's timestamps)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"
