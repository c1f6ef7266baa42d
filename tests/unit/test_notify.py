"""Notification channels and de-duplication (core/notify.py): real state files in the user state
folder, real user config files, a real notify.command script and real process groups."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiro_tui.core.inbox import InboxItem
from kiro_tui.core.notify import (
    BEL,
    Notifier,
    NotifySettings,
    load_notify_settings,
    osc_notification,
    parse_notify,
    send,
    tmux_wrap,
    user_config_file,
)
from kiro_tui.core.notify_command import CommandRunner
from kiro_tui.core.userstate import repo_state_dir

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
GATE = InboxItem(
    "gate:m1:t1:spec:2026-11-22T09:00:00Z",
    "gate",
    "warning",
    "spec of t1 waits for approval",
    "m1",
    "t1",
    "spec",
    "2026-11-22T09:00:00Z",
    "a/x",
)
NEEDS = InboxItem(
    "blocker:blk-1",
    "agent_needs_input",
    "critical",
    "agent asks: which db?",
    "m1",
    "t2",
    "design",
    "2026-11-22T11:00:00Z",
)


def until(cond: Callable[[], bool], deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while not cond():
        assert time.monotonic() < end, "condition not met before the deadline"
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not running any more
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def script(tmp_path: Path, name: str, body: str) -> Path:
    p = tmp_path / name
    p.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


# ------------------------------------------------------------------------- settings
def test_settings_defaults_and_channels_off() -> None:
    s = parse_notify(None)
    assert (s.bell, s.toast, s.osc, s.command, s.renotify_after) == (True, True, True, (), 1800)
    s = parse_notify(
        {
            "bell": False,
            "toast": True,
            "osc": False,
            "command": ["notify-send"],
            "renotify_after": 60,
            "timeout": 2,
        }
    )
    assert (s.bell, s.osc, s.command, s.renotify_after, s.command_timeout, s.problems) == (
        False,
        False,
        ("notify-send",),
        60.0,
        2.0,
        (),
    )


def test_bad_settings_give_one_line_problems_naming_file_and_key() -> None:
    s = parse_notify(
        {"bell": "loud", "command": "notify-send hi", "renotify_after": -1},
        "/home/u/.config/kiro-tui/config.yaml",
    )
    assert s.bell is True and s.command == () and s.renotify_after == 1800
    assert len(s.problems) == 3
    for line, key in zip(s.problems, ("bell", "command", "renotify_after"), strict=True):
        assert line.startswith("/home/u/.config/kiro-tui/config.yaml: notify.") and key in line
        assert "\n" not in line
    assert (
        parse_notify(["x"])
        .problems[0]
        .endswith("notify must be a mapping, not list; using the defaults")
    )


def test_settings_come_from_the_user_config_file_only(tmp_path: Path) -> None:
    path = user_config_file()
    assert str(path).startswith(os.environ["XDG_CONFIG_HOME"])
    assert load_notify_settings() == NotifySettings()  # no file: defaults
    path.parent.mkdir(parents=True)
    path.write_text(
        "theme: nord\nnotify:\n  bell: false\n  command: [notify-send, kiro]\n", encoding="utf-8"
    )
    s = load_notify_settings()
    assert s.bell is False and s.command == ("notify-send", "kiro") and not s.problems
    path.write_text("notify: [unclosed\n", encoding="utf-8")
    s = load_notify_settings()
    assert s == NotifySettings(problems=s.problems) and len(s.problems) == 1
    assert str(path) in s.problems[0]


# ------------------------------------------------------------------------- sequences
def test_osc_sequences_plain_and_through_tmux() -> None:
    seq = osc_notification("kiro-tui: needs you", "m1 > t1 > spec: waits")
    assert seq == (
        "\x1b]9;m1 > t1 > spec: waits\a\x1b]777;notify;kiro-tui: needs you;m1 > t1 > spec: waits\a"
    )
    wrapped = osc_notification("t", "b", tmux=True)
    assert wrapped == (tmux_wrap("\x1b]9;b\a") + tmux_wrap("\x1b]777;notify;t;b\a"))
    assert tmux_wrap("\x1b]9;b\a") == "\x1bPtmux;\x1b\x1b]9;b\a\x1b\\"


def test_osc_fields_carry_no_control_characters_or_separators() -> None:
    seq = osc_notification("a;b\x1b[2J", "4;3 evil\x07\x1b]52;c;Zm9v\x1b\\ text")
    body = seq.split("\a")[0]
    assert body.startswith("\x1b]9;- 4,3 evil")  # not read as OSC 9;4 (progress)
    assert seq.count("\x1b") == 2 and seq.count("\a") == 2  # only our own
    assert ";a,b[2J;" in seq


# ------------------------------------------------------------------------- deciding
def test_an_item_is_announced_once_also_after_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    n = Notifier(root, NotifySettings(), env={})
    out = n.update([GATE], NOW)
    assert out.items == (GATE,) and out.bell and out.renotified == ()
    assert out.toasts == ("m1 > t1 > spec: spec of t1 waits for approval (a/x)",)
    assert out.osc.startswith("\x1b]9;m1 > t1 > spec")
    assert not n.update([GATE], NOW + timedelta(minutes=5))
    state = repo_state_dir(root) / "notified.json"
    assert str(state).startswith(os.environ["XDG_STATE_HOME"])
    assert GATE.id in json.loads(state.read_text())["items"]
    restarted = Notifier(root, NotifySettings(), env={})  # a new process: same state file
    assert not restarted.update([GATE], NOW + timedelta(minutes=10))
    out = restarted.update([GATE, NEEDS], NOW + timedelta(minutes=10))
    assert out.items == (NEEDS,)


def test_an_item_still_open_is_announced_again_after_renotify_after(tmp_path: Path) -> None:
    n = Notifier(tmp_path, NotifySettings(renotify_after=1800), env={})
    n.update([GATE], NOW)
    assert not n.update([GATE], NOW + timedelta(minutes=29))
    out = n.update([GATE], NOW + timedelta(minutes=31))
    assert out.items == (GATE,) and out.renotified == (GATE.id,)
    assert not n.update([GATE], NOW + timedelta(minutes=40))


def test_an_item_that_leaves_and_comes_back_soon_is_not_new_but_later_it_is(
    tmp_path: Path,
) -> None:
    n = Notifier(tmp_path, NotifySettings(renotify_after=1800), env={})
    n.update([GATE, NEEDS], NOW)
    # another process whose inbox lacks the gate for a moment does not make it new
    assert not n.update([NEEDS], NOW + timedelta(minutes=2))
    assert not n.update([GATE, NEEDS], NOW + timedelta(minutes=3))
    # gone for longer than renotify_after: forgotten, and new again when it comes back
    assert not n.update([NEEDS], NOW + timedelta(minutes=10))
    later = NOW + timedelta(minutes=45)
    assert n.update([NEEDS], later).items == (NEEDS,)  # still open: told again
    assert set(n.notified()) == {NEEDS.id}
    assert n.update([GATE, NEEDS], later).items == (GATE,)
    assert n.update([GATE], later + timedelta(minutes=1)).items == ()


def test_an_update_that_announces_nothing_rarely_writes(tmp_path: Path) -> None:
    n = Notifier(tmp_path, NotifySettings(), env={})
    assert not n.update([], NOW)
    assert not n.state_file.parent.exists()  # nothing to keep: no folder made
    n.update([GATE], NOW)
    stamp = n.state_file.stat().st_mtime_ns
    n.update([GATE], NOW + timedelta(seconds=30))
    assert n.state_file.stat().st_mtime_ns == stamp


def test_a_damaged_state_file_is_rebuilt(tmp_path: Path) -> None:
    n = Notifier(tmp_path, NotifySettings(), env={})
    n.state_file.parent.mkdir(parents=True)
    n.state_file.write_text("{not json", encoding="utf-8")
    assert n.update([GATE], NOW).items == (GATE,)
    assert not n.update([GATE], NOW)


def test_channels_that_are_off_emit_nothing_and_many_items_are_summed_up(tmp_path: Path) -> None:
    n = Notifier(tmp_path, NotifySettings(bell=False, toast=False, osc=False), env={})
    out = n.update([GATE], NOW)
    assert out and (out.bell, out.toasts, out.osc, out.payloads) == (False, (), "", ())
    many = [
        InboxItem(f"blocker:b{i}", "agent_needs_input", "critical", f"question {i}")
        for i in range(5)
    ]
    out = Notifier(
        tmp_path / "other",
        NotifySettings(command=("true",)),
        env={"TMUX": "/tmp/tmux-0/default,1,0"},
    ).update(many, NOW)
    assert len(out.items) == 5 and len(out.toasts) == 4 and len(out.payloads) == 3
    assert out.toasts[-1] == "... and 2 more need you (i: inbox)"
    assert out.osc.startswith("\x1bPtmux;") and "5 need you" in out.osc


# ------------------------------------------------------------------------- notify.command
def test_command_gets_the_item_as_json_on_stdin(tmp_path: Path) -> None:
    dest = tmp_path / "got.json"
    cmd = script(tmp_path, "hook", f"import sys; open({str(dest)!r}, 'w').write(sys.stdin.read())")
    settings = NotifySettings(command=(str(cmd),))
    out = Notifier(tmp_path / "repo", settings, env={}).update([GATE], NOW)
    written: list[str] = []
    runner = CommandRunner(report=written.append)
    runs = send(out, settings, runner, written.append)
    assert written == [BEL + out.osc]
    assert [r.wait(20) for r in runs] == ["ok"]
    doc = json.loads(dest.read_text(encoding="utf-8"))
    assert doc["schema"] == 1 and doc["event"] == "attention"
    assert doc["item"]["id"] == GATE.id and doc["item"]["age"] == "3h00m"
    assert doc["repository"] == str(tmp_path / "repo")


def test_a_failing_or_missing_command_is_reported_never_raised(tmp_path: Path) -> None:
    reports: list[str] = []
    runner = CommandRunner(report=reports.append)
    bad = script(
        tmp_path,
        "bad",
        "import sys; sys.stdin.read(); print('no webhook', file=sys.stderr); sys.exit(3)",
    )
    assert runner.run([str(bad)], "{}").wait(20) == "failed: exit 3"
    assert reports[-1] == f"notify.command {str(bad)!r} failed (exit 3): no webhook"
    run = runner.run([str(tmp_path / "nowhere")], "{}")
    assert run.outcome.startswith("could not start")
    assert "could not start" in reports[-1]


def test_a_command_that_hangs_is_stopped_with_its_whole_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    hang = script(
        tmp_path,
        "hang",
        (
            "import os, subprocess, sys, time\n"
            "child = subprocess.Popen(['sleep', '300'])\n"
            f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
            "time.sleep(300)\n"
        ),
    )
    reports: list[str] = []
    runner = CommandRunner(report=reports.append)
    run = runner.run([str(hang)], "{}", timeout=1.0)
    until(lambda: pids.exists() and len(pids.read_text().split()) == 2)
    leader, child = (int(x) for x in pids.read_text().split())
    assert os.getpgid(leader) == leader != os.getpgid(0)  # its own process group
    assert run.wait(30) == "timeout"
    until(lambda: not alive(leader) and not alive(child))
    assert "did not finish within 1 s" in reports[-1]


def test_close_stops_every_command_still_running(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    slow = script(
        tmp_path,
        "slow",
        f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(300)",
    )
    runner = CommandRunner(report=lambda _m: None)
    run = runner.run([str(slow)], "{}", timeout=300)
    until(lambda: pidfile.exists() and pidfile.read_text() != "")
    pid = int(pidfile.read_text())
    assert runner.running() == [run]
    runner.close(grace=1.0)
    until(lambda: not alive(pid))
    assert runner.running() == []


@pytest.mark.parametrize("data", ["", "x" * (1 << 20)], ids=["empty", "1MiB"])
def test_a_command_that_ignores_its_stdin_is_fine(tmp_path: Path, data: str) -> None:
    quiet = script(tmp_path, "quiet", "import sys; sys.exit(0)")
    assert CommandRunner(report=lambda _m: None).run([str(quiet)], data).wait(60) == "ok"


def test_a_burst_of_gates_over_several_updates_makes_a_few_toasts_and_one_summary(
    tmp_path: Path,
) -> None:
    """50 gates arriving a few per snapshot (a burst of agent writes) once made a toast each,
    which covered the screen; now at most three toasts and one summary per toast's life."""
    n = Notifier(tmp_path, NotifySettings(), env={})
    gates = [
        InboxItem(f"gate:m/t{i:02d}/design", "gate", "warning", f"design of t{i:02d} waits")
        for i in range(50)
    ]
    toasts: list[str] = []
    bells = 0
    for k in range(0, 50, 5):  # ten snapshots within two seconds
        out = n.update(gates[: k + 5], NOW + timedelta(seconds=k / 25))
        assert len(out.items) == 5  # every gate is still recorded as announced
        toasts += out.toasts
        bells += out.bell
    assert len(toasts) == 4 and toasts[-1] == "... and 2 more need you (i: inbox)"
    assert bells == 1
    # a toast's life later, a new gate is announced again as usual
    late = InboxItem("gate:m/late/design", "gate", "warning", "design of late waits")
    out = n.update([*gates, late], NOW + timedelta(seconds=12))
    assert out.toasts and "late" in out.toasts[0] and out.bell
