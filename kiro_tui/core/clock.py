"""UTC timestamps in the canonical form (`2026-11-25T14:03:07Z`), tolerant parsing."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """The current time; `KIRO_TUI_FAKE_NOW` (ISO-8601) fixes it for screenshots and tests."""
    fake = os.environ.get("KIRO_TUI_FAKE_NOW")
    if fake:
        parsed = parse_ts(fake)
        if parsed is not None:
            return parsed
    return datetime.now(UTC).replace(microsecond=0)


def fmt(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_str() -> str:
    return fmt(now())


def parse_ts(value: object) -> datetime | None:
    """Parse an ISO-8601 timestamp (Z or offset, or a YAML datetime); None when it is not one."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
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
