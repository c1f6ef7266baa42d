"""Input that used to hang or crash kiro-tui: YAML bombs, deep nesting, bad numbers, huge
lines and files, terminal escapes, broken shapes, one bad config value (issue 11)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kiro_tui.core import events
from kiro_tui.core.config import load_config, repo_config_problems
from kiro_tui.core.errors import InvalidFile
from kiro_tui.core.logview import format_event
from kiro_tui.core.safewrite import edit_yaml
from kiro_tui.core.service import Workspace
from kiro_tui.core.text import plain
from kiro_tui.core.yaml.roundtrip import RoundTrip, load_fast
from tests.reliability.common import cli

LAUGHS = (
    'id: bomb\ntitle: "b"\nstatus: planned\n'
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    + "tasks: *i\n"
)
DEEP = 'id: deep\ntitle: "d"\nstatus: planned\ntasks: ' + "[" * 100_000 + "]" * 100_000 + "\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (LAUGHS, "beyond 1,000,000 nodes"),
        (DEEP, "nested deeper than 100"),
        ("id: r\nx: &r [1, *r]\n", "contains it"),
    ],
    ids=["billion-laughs", "100000-deep", "recursive-alias"],
)
def test_bombs_are_refused_quickly_by_every_loader(text: str, words: str, tmp_path: Path) -> None:
    for load in (lambda t: load_fast(t, "m.yaml"), lambda t: RoundTrip(t, "m.yaml")):
        with pytest.raises(InvalidFile, match=words):
            load(text)
    p = tmp_path / "m.yaml"
    p.write_text(text)
    for focus in (None, "t1"):  # the focused edit refuses it too, located
        with pytest.raises(InvalidFile, match=words):
            edit_yaml(p, lambda d: d.__setitem__("x", 1), focus_task=focus)
    assert p.read_text() == text


def test_status_and_validate_answer_on_bombs(seed: Path) -> None:
    active = seed / ".milestones/active"
    (active / "bomb.yaml").write_text(LAUGHS)
    (active / "deep.yaml").write_text(DEEP)
    r = cli(seed, "status", "--json")
    files = {p["file"]: p["message"] for p in json.loads(r.out)["problems"]}
    assert "YAML bomb" in files["active/bomb.yaml"]
    assert "nested deeper" in files["active/deep.yaml"]
    v = cli(seed, "validate")
    assert v.rc == 1 and ".milestones/active/bomb.yaml:" in v.out


@pytest.mark.parametrize(
    "weight",
    [".nan", ".inf", "-.inf", str(10**400), "0", "-3", '"x"'],
    ids=["nan", "inf", "-inf", "10**400", "0", "-3", "string"],
)
def test_bad_weights_fall_back_and_are_reported(seed: Path, weight: str) -> None:
    p = seed / ".milestones/active/milestone-001.yaml"
    text = p.read_text()
    head = 'title: "User authentication"\n'
    assert head in text and "kiro_configuration" not in text
    p.write_text(
        text.replace(
            head,
            head
            + "kiro_configuration:\n  phase_weights: {design: "
            + weight
            + ", spec: 25, task: 20, execute: 40}\n",
            1,
        )
    )
    r = cli(seed, "status", "--json")
    data = json.loads(r.out)
    m1 = next(m for m in data["milestones"] if m["id"] == "milestone-001")
    assert m1["progress"] == 47.8  # the default weights
    assert any("phase_weights.design" in x["message"] for x in data["problems"])
    cli(seed, "validate")


def test_one_bad_config_value_is_ignored_alone_and_reported(seed: Path) -> None:
    cfg = seed / ".milestones/config/kiro-config.yaml"
    text = cfg.read_text().replace("execute: 40", "execute: 60")
    cfg.write_text(text + "git:\n  push_every: .inf\nthresholds:\n  takeover: .nan\n")
    c = load_config(seed, env={})
    assert c.weights["execute"] == 60.0 and c.git.push_every == 3
    assert c.thresholds.takeover == 60.0
    probs = repo_config_problems(seed)
    assert {(p.message.split(" ")[0], p.line) for p in probs} == {
        ("git.push_every", text.count("\n") + 2),
        ("thresholds.takeover", text.count("\n") + 4),
    }
    r = cli(seed, "validate")
    assert "config/kiro-config.yaml" in r.out and "git.push_every" in r.out
    assert "ok: no problems" not in r.out


def test_a_huge_weight_in_the_config_never_overflows(seed: Path) -> None:
    cfg = seed / ".milestones/config/kiro-config.yaml"
    cfg.write_text(
        cfg.read_text().replace("design: 15", f"design: {10**400}") + "git:\n  push_every: 5\n"
    )
    c = load_config(seed, env={})
    assert c.weights["design"] == 15.0 and c.git.push_every == 5  # the rest of the file holds
    r = cli(seed, "status")
    assert r.rc == 0


def test_a_huge_log_line_is_cut_and_flagged_and_tail_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with open(path, "wb") as fh:
        fh.write(b'{"event": "before"}\n')
        fh.write(b'{"event": "huge", "message": "' + b"x" * (8 << 20) + b'"}\n')
        fh.write(b'{"event": "after"}\n')
    res = events.tail(path, 50)
    assert [e.event for e in res.events] == ["before", "huge", "after"]
    huge = res.events[1]
    assert huge.data["truncated"] and huge.data["bytes"] > 8 << 20
    assert "cut" in (huge.message or "") and len(huge.message or "") < 400
    assert res.truncated == 1
    whole = events.read_all(path)
    assert [e.event for e in whole.events] == ["before", "huge", "after"]
    one = tmp_path / "one.jsonl"
    one.write_bytes(b"y" * (4 << 20) + b"\n")
    assert events.tail(one, 5).events[0].event == "line_too_long"


def test_log_n_over_a_single_huge_line_answers(seed: Path) -> None:
    log = seed / ".milestones/logs/execution-milestone-001.jsonl"
    with open(log, "ab") as fh:
        fh.write(b"z" * (20 << 20) + b"\n")
    r = cli(seed, "log", "-n", "50")
    assert "[line of 20,971,520 bytes cut] zzz" in r.out and len(r.out) < 100_000


def test_a_milestone_file_above_the_bound_is_refused_unread(seed: Path) -> None:
    cfg = seed / ".milestones/config/kiro-config.yaml"
    cfg.write_text(cfg.read_text() + "limits:\n  max_file_bytes: 20000\n")
    big = seed / ".milestones/active/big.yaml"
    big.write_text('id: big\ntitle: "big"\nstatus: planned\n# ' + "p" * 30000 + "\n")
    state = Workspace.open(seed, persist_cache=False).load()
    assert any(
        p.file == "active/big.yaml" and "above the limit of 20,000" in p.message
        for p in state.problems
    )
    assert state.milestone("milestone-001") is not None


def test_terminal_escapes_never_reach_the_output(seed: Path) -> None:
    p = seed / ".milestones/active/milestone-002.yaml"
    text = p.read_text()
    p.write_text(text.replace('title: "', 'title: "\\e]0;pwned\\a\\e[2J\\u009b31m', 1))
    events.append(
        seed / ".milestones/logs/execution-milestone-002.jsonl",
        {"event": "evil\x1b[2J", "message": "hi\x1b]0;title\x07\x9b", "role": "user"},
    )
    for args in (("status",), ("log", "-n", "5"), ("validate",)):
        r = cli(seed, *args)
        assert "\x1b" not in r.out and "\x9b" not in r.out and "\x07" not in r.out, args
    assert "␛" in cli(seed, "status").out
    assert plain("a\tb\nc\x1b[0m\x00") == "a\tb\nc␛[0m\\x00"
    ev = events.parse_line('{"event": "x", "message": "a\\u001b[1mb\\nc"}', "s")
    assert ev is not None and "\x1b" not in format_event(ev) and "\n" not in format_event(ev)


def test_lines_without_an_event_key_are_shown(tmp_path: Path) -> None:
    logs = tmp_path / ".milestones/logs/exec-m-1"
    logs.mkdir(parents=True)
    (logs / "execution.jsonl").write_bytes(
        b'{"timestamp": "2026-11-22T10:00:00Z", "event_type": "tool_call"}\n'
        b'{"timestamp": "2026-11-22T10:00:01Z", "type": "assistant", "agent": "claude"}\n'
        b'{"timestamp": "2026-11-22T10:00:02Z", "action": "edit_file"}\n'
        b'{"timestamp": "2026-11-22T10:00:03Z", "status": "running"}\n'
        b'{"timestamp": "2026-11-22T10:00:04Z", "nothing": 1}\n'
        b"not json\n\xff\xfe\n"
    )
    got = events.merged_read(tmp_path / ".milestones", 20)
    assert [e.event for e in got.events] == ["tool_call", "assistant", "edit_file", "running"]
    assert [e.role for e in got.events] == [
        "task_executor",
        "claude",
        "task_executor",
        "task_executor",
    ]
    assert got.unreadable == 3


@pytest.mark.parametrize(
    "content",
    [
        b"id: m\x00\ntitle: x\n",
        b"id: \xff\xfe\n",
        b"- a\n- b\n",
        b'id: lst\ntitle: "t"\nstatus: planned\ntasks: {a: 1}\n',
        b"",
        b"\x00" * 100,
    ],
)
def test_broken_shapes_are_problems_not_crashes(seed: Path, content: bytes) -> None:
    (seed / ".milestones/active/lst.yaml").write_bytes(content)
    for args in (("status", "--json"), ("validate",), ("status",)):
        cli(seed, *args)
    state = Workspace(seed, persist_cache=False).load()
    assert state.milestone("milestone-001") is not None


def test_an_in_place_writer_is_waited_for(tmp_path: Path) -> None:
    """A file truncated and still being written (fresh mtime) is waited for, not refused."""
    import threading

    p = tmp_path / "m.yaml"
    p.write_text("")
    done = threading.Event()

    def writer() -> None:
        time.sleep(0.2)
        p.write_text("id: m\nstatus: planned\n")
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    edit_yaml(p, lambda d: d.__setitem__("status", "in_progress"))
    t.join()
    assert load_fast(p.read_text(), p) == {"id": "m", "status": "in_progress"}
