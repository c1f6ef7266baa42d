#!/usr/bin/env python3
"""A stand-in coding agent for tests, benchmarks and the demo (stdlib only).

Installed under the names claude, codex, gemini, opencode and aider (see `install`), it picks
its output dialect from the name it was called by, reads the prompt from stdin (aider:
`--message-file F`), checks that the prompt lists every deliverable of `KIRO_DELIVERABLES`,
streams realistic lines of its dialect and follows a scenario:

FAKE_AGENT_SCENARIO          ok | partial | template | verify_fail | fail | api_error_exit0 |
                             hang_mid | hang_after_result | no_result | ask | spawn_child |
                             slow | flaky | expensive | resume | garbage | burst |
                             tool_error (a tool call fails, then as ok)
FAKE_AGENT_SCENARIO_FILE     JSON {"<task>:<phase>": scenario, "<phase>": ..., "*": ...}
FAKE_AGENT_PIDS              file: the agent appends its pid, and its children's
FAKE_AGENT_STATE             folder for state kept across runs (flaky's counter)
FAKE_AGENT_FLAKY_N           how many times flaky answers 429 first (default 2)
FAKE_AGENT_COST              USD that expensive reports (default 5.0)
FAKE_AGENT_SLOW_LINES        lines that slow prints, one per FAKE_AGENT_SLOW_INTERVAL s
FAKE_AGENT_LINES             lines that burst prints as fast as it can (default 10000)
FAKE_AGENT_CHILD_THEN        spawn_child: "exit" (default: finish, leaving the child) or
                             "hang" (the agent ignores SIGINT and hangs too)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiro_tui.demo.fake_dialects import CHANGES, Dialect, err, out, record_pid, write_deliverable

NAMES = ("claude", "codex", "gemini", "opencode", "aider")


def install(bin_dir: Path, names: tuple[str, ...] = NAMES, python: str | None = None) -> Path:
    """Write wrapper scripts `bin_dir/<name>` that run this agent with `argv[0]` kept (the
    name picks the dialect)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    here = str(Path(__file__).resolve().parents[2])  # the folder that holds kiro_tui
    for name in names:
        p = bin_dir / name
        p.write_text(
            f"#!{python or sys.executable}\nimport sys\nsys.path.insert(0, {here!r})\n"
            "from kiro_tui.demo import fake_agent\nfake_agent.run()\n"
        )
        p.chmod(0o755)
    return bin_dir


def scenario() -> str:
    name = os.environ.get("FAKE_AGENT_SCENARIO", "ok")
    f = os.environ.get("FAKE_AGENT_SCENARIO_FILE")
    if f and os.path.exists(f):
        table = json.loads(Path(f).read_text())
        task, phase = os.environ.get("KIRO_TASK_ID", ""), os.environ.get("KIRO_PHASE", "")
        for key in (f"{task}:{phase}", phase, "*"):
            if key in table:
                return str(table[key])
    return name


def resumed_session(argv: list[str], dialect: str) -> str | None:
    for flag in ("--resume", "--session"):
        if flag in argv:
            i = argv.index(flag)
            return argv[i + 1] if i + 1 < len(argv) else ""
    if dialect == "codex" and "resume" in argv:
        i = argv.index("resume")
        return argv[i + 1] if i + 1 < len(argv) else ""
    return None


def hang() -> None:
    while True:
        time.sleep(3600)


def main(argv: list[str]) -> int:
    prog = Path(argv[0]).name
    dialect = prog if prog in ("claude", "codex", "gemini", "opencode") else "text"
    record_pid(os.getpid())
    if "--message-file" in argv:
        prompt = Path(argv[argv.index("--message-file") + 1]).read_text()
    else:
        prompt = sys.stdin.read()
    deliverables = json.loads(os.environ.get("KIRO_DELIVERABLES", "[]"))
    for line in prompt.splitlines():
        if "asked for changes: " in line:
            CHANGES.append(line.split("asked for changes: ", 1)[1].strip())
    missing = [d for d in deliverables if d not in prompt]
    if missing:
        err(f"fake agent: the prompt does not list {missing}")
        return 4
    resumed = resumed_session(argv, dialect)
    run_id = os.environ.get("KIRO_RUN_ID", "run")
    session = resumed or f"sess-{run_id}"
    d = Dialect(dialect, session)
    scen = scenario()
    if scen == "no_result" and resumed:
        scen = "ok"  # the retry through resume finishes
    if scen == "flaky":
        state = Path(os.environ.get("FAKE_AGENT_STATE", ".fake-agent-state"))
        state.mkdir(parents=True, exist_ok=True)
        counter = state / f"flaky-{os.environ.get('KIRO_TASK_ID')}-{os.environ.get('KIRO_PHASE')}"
        n = int(counter.read_text()) if counter.exists() else 0
        counter.write_text(str(n + 1))
        if n < int(os.environ.get("FAKE_AGENT_FLAKY_N", "2")):
            d.init()
            d.result(error="API Error: 429 rate_limit_error: Too Many Requests")
            return 1
        scen = "ok"
    d.init()
    d.text("Reading the task and the earlier phases.")
    if scen == "resume":
        expect_cwd = os.environ.get("FAKE_AGENT_EXPECT_CWD") or os.environ.get("KIRO_ROOT")
        if not resumed:
            d.result(error="fake agent: expected to be resumed with a session id")
            return 3
        if expect_cwd and os.path.realpath(os.getcwd()) != os.path.realpath(expect_cwd):
            d.result(error=f"fake agent: wrong cwd {os.getcwd()}")
            return 3
        if "Re-check what is on disk" not in prompt:
            d.result(error="fake agent: the prompt does not say it resumes")
            return 3
        scen = "ok"
    if scen == "spawn_child":
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                (
                    "import signal, time\n"
                    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                    "print('child ready', flush=True)\n"
                    "time.sleep(3600)\n"
                ),
            ],
            stdout=subprocess.DEVNULL,
        )
        record_pid(child.pid)
        d.text(f"started a helper process {child.pid}")
        if os.environ.get("FAKE_AGENT_CHILD_THEN") == "hang":
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            hang()
        scen = "ok"
    if scen == "tool_error":
        d.tool_failed("make lint")
        scen = "ok"
    if scen == "hang_mid":
        d.write(deliverables[0] if deliverables else "x")
        hang()
    if scen == "slow":
        n = int(os.environ.get("FAKE_AGENT_SLOW_LINES", "3000"))
        interval = float(os.environ.get("FAKE_AGENT_SLOW_INTERVAL", "0.1"))
        for i in range(n):
            d.text(f"working {i}")
            time.sleep(interval)
        scen = "ok"
    if scen == "burst":
        for i in range(int(os.environ.get("FAKE_AGENT_LINES", "10000"))):
            d.text(f"line {i}")
        scen = "ok"
    if scen == "garbage":
        out("this is not json")
        out(b"\xff\xfe invalid utf-8 \xc3\x28\n")
        out("{not json either")
        out(b"x" * (2 * 1024 * 1024) + b"\n")
        for p in deliverables:
            write_deliverable(p)
            d.write(p)
        d.result()
        sys.stdout.buffer.write(b"trailing line without newline")
        sys.stdout.buffer.flush()
        return 0
    if scen == "fail":
        d.result(error="Error: the task cannot be done", subtype="error_during_execution")
        return 1
    if scen == "api_error_exit0":
        d.result(error="API Error: 400 invalid_request_error: prompt is too long")
        return 0
    if scen == "ask":
        if dialect == "claude":
            out(
                {
                    "type": "assistant",
                    "session_id": session,
                    "message": {
                        "content": [
                            {
                                "type": "tool_use",
                                "id": "toolu_q",
                                "name": "AskUserQuestion",
                                "input": {"question": "Which database should I use?"},
                            }
                        ]
                    },
                }
            )
            d.result(
                denials=[
                    {
                        "tool_name": "Bash",
                        "tool_use_id": "toolu_b",
                        "tool_input": {"command": "rm -rf build"},
                    }
                ]
            )
        else:
            d.result(
                error="permission denied by user policy: approval required to run `rm -rf build`"
            )
        return 0
    if scen == "expensive":
        cost = float(os.environ.get("FAKE_AGENT_COST", "5.0"))
        d.write(deliverables[0] if deliverables else "x")
        d.result(cost=cost)
        for i in range(600):  # keeps going: the driver must stop it at the limit
            d.text(f"still spending {i}")
            time.sleep(0.1)
        return 0
    # ok, partial, template, verify_fail, hang_after_result, no_result
    todo = deliverables[: max(1, len(deliverables) // 2)] if scen == "partial" else deliverables
    for p in todo:
        write_deliverable(p, marker=scen == "template")
        d.write(p)
    if scen == "verify_fail":
        Path("VERIFY_FAIL").write_text("the fake agent broke the build\n")
    if scen == "no_result":
        d.text("I am done, I think.")
        return 0
    d.text("All deliverables written.")
    d.result()
    if scen == "hang_after_result":
        hang()
    return 0


def run() -> None:
    try:
        code = main(sys.argv)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 141
    sys.exit(code)


if __name__ == "__main__":
    run()
