"""The process layer on its own: raw.jsonl line handling, group stop escalation, freeze."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from kiro_tui.core.runs.groups import become_subreaper, group_alive, members
from kiro_tui.core.runs.output import MAX_LINE, Line, RawLog
from kiro_tui.core.runs.process import AgentProcess
from kiro_tui.core.runs.settings import VerifyCommand
from kiro_tui.core.runs.verify import run_verify

GARBAGE = (
    "import sys, os\n"
    "w = sys.stdout.buffer.write\n"
    'w(b\'{"type": "x"}\\n\')\n'
    "w(b'plain text\\n')\n"
    "w(b'\\xff\\xfe bad utf-8\\n')\n"
    "w(b'y' * (2 * 1024 * 1024) + b'\\n')\n"
    "sys.stderr.write('warning on stderr\\n'); sys.stderr.flush()\n"
    "w(b'no final newline')\n"
)


def spawn(tmp_path: Path, code: str, lines: list[Line]) -> tuple[AgentProcess, RawLog]:
    raw = RawLog(tmp_path / "raw.jsonl")
    proc = AgentProcess(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        stdin_path=None,
        raw=raw,
        on_line=lines.append,
    )
    return proc, raw


def test_every_line_lands_in_raw_jsonl(tmp_path: Path) -> None:
    lines: list[Line] = []
    proc, raw = spawn(tmp_path, GARBAGE, lines)
    assert proc.wait(20) == 0
    proc.join_readers()
    raw.close()
    recs = [json.loads(x) for x in (tmp_path / "raw.jsonl").read_text().splitlines()]
    assert len(recs) == 6 == len(lines)
    stdout = [r for r in recs if r.get("stream") != "stderr"]
    assert stdout[0] == {"type": "x"}  # JSON kept as it is
    assert stdout[1] == {"stream": "stdout", "line": "plain text"}
    assert "\ufffd" in stdout[2]["line"]  # invalid UTF-8 replaced, never fatal
    big = stdout[3]
    assert big["truncated"] is True and big["bytes"] == 2 * 1024 * 1024 + 1
    assert len(big["line"]) == MAX_LINE
    assert stdout[4]["line"] == "no final newline"
    assert {"stream": "stderr", "line": "warning on stderr"} in recs


def test_stdin_comes_from_the_prompt_file_and_there_is_no_tty(tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.md"
    prompt.write_text("hello agent")
    code = (
        "import os, sys\nprint(sys.stdin.read())\n"
        "print(os.getsid(0) == os.getpid(), os.getpgid(0) == os.getpid())\n"
        "try:\n    open('/dev/tty')\n    print('tty')\nexcept OSError:\n    print('no tty')\n"
    )
    lines: list[Line] = []
    raw = RawLog(tmp_path / "raw.jsonl")
    proc = AgentProcess(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        stdin_path=prompt,
        raw=raw,
        on_line=lines.append,
    )
    proc.wait(20)
    proc.join_readers()
    assert [x.text for x in lines] == ["hello agent", "True True", "no tty"]


CHILD_IGNORES_TERM = (
    "import os, signal, subprocess, sys, time\n"
    "c = subprocess.Popen([sys.executable, '-c', 'import signal, time\\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\\n"
    "print(1, flush=True)\\ntime.sleep(60)'])\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('child', c.pid, flush=True)\n"
    "time.sleep(60)\n"
)


def test_stop_escalates_to_sigkill_of_the_whole_group(tmp_path: Path) -> None:
    become_subreaper()
    lines: list[Line] = []
    proc, raw = spawn(tmp_path, CHILD_IGNORES_TERM, lines)
    deadline = time.monotonic() + 10
    while not any(x.text.startswith("child") for x in lines):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    child = int(next(x.text for x in lines if x.text.startswith("child")).split()[1])
    t0 = time.monotonic()
    last = proc.stop(interrupt=0.2, terminate=0.2)
    assert last == "SIGKILL" and time.monotonic() - t0 < 5
    assert proc.returncode == -signal.SIGKILL
    assert not group_alive(proc.pgid)
    try:
        os.killpg(proc.pgid, 0)
        raise AssertionError("the group still exists")
    except ProcessLookupError:
        pass
    assert not os.path.exists(f"/proc/{child}")
    raw.close()


def test_freeze_thaw_then_stop(tmp_path: Path) -> None:
    lines: list[Line] = []
    code = "import time\nfor i in range(10000):\n    print(i, flush=True)\n    time.sleep(0.01)\n"
    proc, raw = spawn(tmp_path, code, lines)
    while not lines:
        time.sleep(0.01)
    proc.freeze()
    # frozen: every process of the group is stopped (state T), so none can print; decided by
    # the kernel's state, not by waiting for output to stay quiet
    deadline = time.monotonic() + 5
    while not all(state == "T" for _pid, state, _ppid in members(proc.pgid)):
        assert time.monotonic() < deadline, members(proc.pgid)
        time.sleep(0.01)
    assert proc.idle_for() == 0.0  # a frozen run is not idle
    proc.thaw()
    assert all(state != "T" for _pid, state, _ppid in members(proc.pgid))
    n = len(lines)
    deadline = time.monotonic() + 5
    while len(lines) == n:  # printing again
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.freeze()
    proc.stop(0.5, 0.5)  # thawed first, so SIGINT works
    assert proc.returncode is not None and not group_alive(proc.pgid)
    raw.close()


def test_verify_commands(tmp_path: Path) -> None:
    raw = RawLog(tmp_path / "raw.jsonl")
    env = {"PATH": os.environ["PATH"]}
    ok = run_verify(
        (VerifyCommand((sys.executable, "-c", "print('fine')")),), cwd=tmp_path, env=env, raw=raw
    )
    assert ok.ok
    bad = run_verify(
        (
            VerifyCommand((sys.executable, "-c", "print('fine')")),
            VerifyCommand(
                (sys.executable, "-c", "import sys\nfor i in range(99): print(i)\nsys.exit(5)")
            ),
        ),
        cwd=tmp_path,
        env=env,
        raw=raw,
    )
    assert not bad.ok and bad.exit_code == 5 and len(bad.tail) == 40 and bad.tail[-1] == "98"
    assert "exited 5" in bad.reason()
    slow = run_verify(
        (VerifyCommand((sys.executable, "-c", "import time; time.sleep(30)"), 0.3),),
        cwd=tmp_path,
        env=env,
        raw=raw,
    )
    assert slow.timed_out and "timed out" in slow.reason()
    missing = run_verify((VerifyCommand(("no-such-verify-tool",)),), cwd=tmp_path, env=env, raw=raw)
    assert missing.error and "could not start" in missing.reason()
    raw.close()
    assert '"verify": 1' in (tmp_path / "raw.jsonl").read_text()
