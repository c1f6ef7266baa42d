"""JSONL event logs (FORMAT.md section 8): whole-line appends, tolerant reading, tails."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from kiro_tui.core import clock, events

SEED_LOGS = ".milestones"


def test_append_writes_whole_lines_and_adds_a_timestamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "logs" / "execution-m1.jsonl"
    before = clock.SYSTEM.now()
    rec = events.append(path, {"event": "phase_started", "message": "réussi ✓"})
    stamped = clock.parse_ts(rec["timestamp"])
    assert stamped is not None and before <= stamped <= clock.SYSTEM.now()  # the system clock
    data = path.read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data) == {
        "timestamp": rec["timestamp"],
        "event": "phase_started",
        "message": "réussi ✓",
    }
    assert "réussi ✓".encode() in data  # UTF-8, not \\u escapes
    events.append(path, {"timestamp": "2026-01-01T00:00:00Z", "event": "x"})
    assert json.loads(path.read_bytes().splitlines()[1])["timestamp"] == "2026-01-01T00:00:00Z"


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    big = "x" * 2000

    def writer(k: int) -> None:
        for i in range(100):
            events.append(path, {"event": "e", "k": k, "i": i, "pad": big})

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    recs = [json.loads(line) for line in lines[:-1]]
    assert len(recs) == 400
    assert sorted((r["k"], r["i"]) for r in recs) == [(k, i) for k in range(4) for i in range(100)]


def test_read_tolerates_event_type_blank_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(
        b'{"timestamp": "2026-11-21T10:00:00Z", "event": "a", "milestone_id": "m"}\n'
        b"\n"
        b"   \n"
        b"not json at all\n"
        b'{"timestamp": "2026-11-21T10:01:00Z", "event_type": "b", "data": {"task_id": "t1", '
        b'"phase": "design"}, "user": "dana"}\n'
        b'["a list"]\n'
        b'{"timestamp": "2026-11-21T10:02:00Z", "no_event": 1}\n'
        b"\xff\xfe\x00binary\n"
        b'{"event": "c", "level": "WARNING"}\n'
        b'{"event": "d", "times'  # unfinished
    )
    res = events.read_all(path)
    assert [e.event for e in res.events] == ["a", "b", "c"]
    assert res.skipped == 4
    assert res.partial
    b = res.events[1]
    assert (b.task_id, b.phase, b.actor) == ("t1", "design", "dana")
    assert res.events[2].level == "warning" and res.events[2].timestamp == ""
    assert events.read_all(tmp_path / "missing.jsonl").events == []


def test_seed_state_events_file(seed: Path) -> None:
    res = events.read_all(seed / ".milestones/state/events/milestone-milestone-001.jsonl")
    assert [e.event for e in res.events] == ["state_initialized", "kiro_phase_updated"]
    ev = res.events[1]
    assert ev.task_id == "task-001" and ev.phase == "design" and ev.actor == "dana"
    assert ev.data["status"] == "approved"
    assert ev.text() == "kiro phase updated task-001 design"


def _big_log(path: Path, count: int) -> None:
    with open(path, "wb") as fh:
        for i in range(count):
            fh.write(
                json.dumps(
                    {"timestamp": "2026-11-21T10:00:00Z", "event": "tick", "i": i, "pad": "y" * 200}
                ).encode()
                + b"\n"
            )


def test_tail_of_a_multi_megabyte_file(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    count = 20000
    _big_log(path, count)
    assert path.stat().st_size > 4 * 1024 * 1024
    for n in (1, 10, 200, 1000):
        res = events.tail(path, n)
        assert [e.raw["i"] for e in res.events] == list(range(count - n, count)), n
        assert res.skipped == 0 and not res.partial
    assert events.tail(path, 0).events == []
    assert len(events.tail(path, count + 50).events) == count


def test_tail_skips_garbage_and_still_returns_n(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _big_log(path, 50)
    with open(path, "ab") as fh:
        fh.write(b"garbage\n" * 3000 + b"\n" * 100 + b'{"event": "last"}\n' + b'{"event": "half')
    res = events.tail(path, 5, block=4096)
    assert [e.event for e in res.events] == ["tick"] * 4 + ["last"]
    assert [e.raw.get("i") for e in res.events[:4]] == [46, 47, 48, 49]
    assert res.partial


def test_tail_of_small_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"event": "only"}')  # no newline: still being written
    res = events.tail(path, 10)
    assert res.events == [] and res.partial
    path.write_bytes(b'{"event": "only"}\n')
    assert [e.event for e in events.tail(path, 10).events] == ["only"]
    assert events.tail(tmp_path / "nope.jsonl", 10).events == []
    path.write_bytes(b"")
    assert events.tail(path, 10).events == []


def test_follower(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"event": "old"}\n')
    f = events.Follower(path, "logs/log.jsonl")
    assert f.read_new() == []
    with open(path, "ab") as fh:
        fh.write(b'{"event": "new1"}\n{"event": "ne')
    assert [e.event for e in f.read_new()] == ["new1"]
    with open(path, "ab") as fh:
        fh.write(b'w2"}\n')
    (ev,) = f.read_new()
    assert ev.event == "new2" and ev.source == "logs/log.jsonl"
    # replaced by a shorter file (rotation): read from its start
    path.write_bytes(b'{"event": "rotated"}\n')
    assert [e.event for e in f.read_new()] == ["rotated"]
    path.unlink()
    assert f.read_new() == []


def test_merged_tail_orders_and_filters(seed: Path) -> None:
    ms = seed / ".milestones"
    events.append(
        ms / "logs" / "execution-milestone-002.jsonl",
        {"timestamp": "2026-11-21T09:00:00Z", "event": "other", "milestone_id": "milestone-002"},
    )
    events.append(
        ms / "logs" / "exec-milestone-001-x" / "execution.jsonl",
        {
            "timestamp": "2026-11-21T11:00:00+02:00",
            "event": "role_line",
            "milestone_id": "milestone-001",
            "role": "task_executor",
        },
    )
    evs = events.merged_tail(ms, 50)
    assert [e.event for e in evs] == [
        "other",
        "role_line",
        "state_initialized",
        "milestone_activated",
        "kiro_phase_updated",
    ]
    assert {e.source for e in evs} >= {
        "logs/execution-milestone-001.jsonl",
        "logs/exec-milestone-001-x/execution.jsonl",
        "state/events/milestone-milestone-001.jsonl",
    }
    only = events.merged_tail(ms, 50, "milestone-001")
    assert "other" not in [e.event for e in only]
    assert [e.event for e in events.merged_tail(ms, 2)] == [
        "milestone_activated",
        "kiro_phase_updated",
    ]
    assert events.merged_tail(ms, 0) == []
