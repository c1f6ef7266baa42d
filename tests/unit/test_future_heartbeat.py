"""A driver heartbeat from the future (another host's clock a year ahead) goes stale `takeover`
seconds after it was first seen, not a year later (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiro_tui.core import clock, sessions
from kiro_tui.core.clock import Clock
from kiro_tui.core.errors import Refused
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import load_fast

M1 = "milestone-001"
SID = "exec-milestone-001-20251121-100000"  # the seed's execution.session_id
T0 = datetime(2026, 11, 25, 14, 0, 0, tzinfo=UTC)


def _ws(seed: Path, at: datetime) -> Workspace:
    return Workspace(seed, clock=Clock.at(at), persist_cache=False)


def _plant_driver(seed: Path, heartbeat: datetime) -> None:
    """The session is driven from another host whose clock is a year ahead."""
    sessions.create_session(seed, M1, SID, "2026-11-21T10:00:00Z", "alice")
    path = sessions.session_path(seed, SID)
    path.write_text(
        path.read_text().replace(
            "driver: null",
            "driver: {pid: 4242, host: far-away-host, user: bob, "
            f'heartbeat: "{clock.fmt(heartbeat)}"}}',
        )
    )


def _driver(seed: Path) -> dict:  # type: ignore[type-arg]
    text = sessions.session_path(seed, SID).read_text()
    return dict(load_fast(text, "s")["session"]["driver"])


def test_a_heartbeat_a_year_ahead_is_stale_after_takeover_from_first_sight(seed: Path) -> None:
    future = T0 + timedelta(days=365)
    _plant_driver(seed, future)
    ws = _ws(seed, T0)
    limit = ws.config.thresholds.takeover

    with pytest.raises(Refused) as first:
        ws.claim_driver(M1, "carol")
    assert "-" not in str(first.value).split("heartbeat ")[1].split("s ago")[0]  # never negative
    assert _driver(seed)[sessions.FUTURE_SEEN]["at"] == clock.fmt(T0)

    # just before the limit, counted from the first sighting: still refused
    with pytest.raises(Refused):
        _ws(seed, T0 + timedelta(seconds=limit - 1)).claim_driver(M1, "carol")
    assert _driver(seed)[sessions.FUTURE_SEEN]["at"] == clock.fmt(T0)  # not reset

    later = T0 + timedelta(seconds=limit + 1)
    claim = _ws(seed, later).claim_driver(M1, "carol")
    assert claim.session_id == SID
    assert claim.note and "far-away-host" in claim.note and "future" in claim.note
    drv = _driver(seed)
    assert drv["host"] != "far-away-host" and drv["heartbeat"] == clock.fmt(later)
    assert sessions.FUTURE_SEEN not in drv


def test_a_driver_from_the_future_that_still_beats_keeps_its_session(seed: Path) -> None:
    """Each new heartbeat value is seen afresh: a live driver whose clock is ahead is not
    taken over."""
    future = T0 + timedelta(days=365)
    _plant_driver(seed, future)
    limit = _ws(seed, T0).config.thresholds.takeover
    with pytest.raises(Refused):
        _ws(seed, T0).claim_driver(M1, "carol")
    # the far driver beats again (its own clock, still a year ahead)
    path = sessions.session_path(seed, SID)
    path.write_text(
        path.read_text().replace(
            f'heartbeat: "{clock.fmt(future)}"',
            f'heartbeat: "{clock.fmt(future + timedelta(seconds=30))}"',
            1,  # the driver's own value, not the first-seen mark
        )
    )
    with pytest.raises(Refused):
        _ws(seed, T0 + timedelta(seconds=limit + 1)).claim_driver(M1, "carol")
    assert _driver(seed)[sessions.FUTURE_SEEN]["at"] == clock.fmt(T0 + timedelta(seconds=limit + 1))


def test_a_small_clock_difference_is_an_ordinary_fresh_heartbeat(seed: Path) -> None:
    _plant_driver(seed, T0 + timedelta(seconds=2))
    with pytest.raises(Refused) as got:
        _ws(seed, T0).claim_driver(M1, "carol")
    assert "heartbeat 0s ago" in str(got.value)
    assert sessions.FUTURE_SEEN not in _driver(seed)
