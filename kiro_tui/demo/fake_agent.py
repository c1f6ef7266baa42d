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

MARKER = "<!-- kiro-tui:template -->"
NAMES = ("claude", "codex", "gemini", "opencode", "aider")
CHANGES: list[str] = []  # what the prompt says a reviewer asked for


def install(bin_dir: Path, names: tuple[str, ...] = NAMES, python: str | None = None) -> Path:
    """Write wrapper scripts `bin_dir/<name>` that run this agent with `argv[0]` kept (the
    name picks the dialect)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    here = str(Path(__file__).resolve().parent)
    for name in names:
        p = bin_dir / name
        p.write_text(
            f"#!{python or sys.executable}\nimport sys\nsys.path.insert(0, {here!r})\n"
            "import fake_agent\nfake_agent.run()\n"
        )
        p.chmod(0o755)
    return bin_dir


def out(obj: object) -> None:
    data = (
        obj
        if isinstance(obj, bytes)
        else (obj if isinstance(obj, str) else json.dumps(obj)).encode() + b"\n"
    )
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def record_pid(pid: int) -> None:
    path = os.environ.get("FAKE_AGENT_PIDS")
    if path:
        with open(path, "a") as fh:
            fh.write(f"{pid}\n")


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


def content(path: str, marker: bool) -> str:
    p = Path(path)
    if p.suffix in (".yaml", ".yml"):
        body = f"title: {p.stem}\nitems:\n  - one\n  - two\n"
        return (f"# {MARKER}\n" if marker else "") + body
    if p.suffix == ".json":
        return json.dumps({"title": p.stem, "items": [1, 2]})
    body = f"# {p.stem.replace('_', ' ').title()}\n\nWritten by the fake agent.\n"
    if CHANGES:  # a rejected phase run again: the deliverables change as asked
        body += f"\nChanged as the reviewer asked: {CHANGES[-1]}\n"
    return (MARKER + "\n" if marker else "") + body


def write_deliverable(path: str, marker: bool = False) -> None:
    p = Path(path)
    if not p.suffix:  # a folder deliverable
        p.mkdir(parents=True, exist_ok=True)
        p = p / "README.md"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(content(str(p), marker))


class Dialect:
    """Lines of one CLI's output format."""

    def __init__(self, name: str, session: str) -> None:
        self.name = name
        self.session = session
        self.n = 0

    def init(self) -> None:
        s = self.session
        if self.name == "claude":
            out(
                {
                    "type": "system",
                    "subtype": "init",
                    "session_id": s,
                    "cwd": os.getcwd(),
                    "tools": ["Read", "Write", "Edit"],
                    "model": "fake-claude",
                }
            )
        elif self.name == "codex":
            out({"type": "thread.started", "thread_id": s})
            out({"type": "turn.started"})
        elif self.name == "gemini":
            out({"type": "init", "session_id": s, "model": "fake-gemini"})
        elif self.name == "opencode":
            out({"type": "step_start", "sessionID": s, "part": {"type": "step-start"}})
        else:
            out("Aider v0.0.0-fake")
            out("Model: fake with diff edit format")

    def text(self, text: str) -> None:
        s = self.session
        if self.name == "claude":
            out(
                {
                    "type": "assistant",
                    "session_id": s,
                    "message": {"content": [{"type": "text", "text": text}]},
                }
            )
        elif self.name == "codex":
            self.n += 1
            out(
                {
                    "type": "item.completed",
                    "item": {"id": f"item_{self.n}", "type": "agent_message", "text": text},
                }
            )
        elif self.name == "gemini":
            out({"type": "message", "role": "assistant", "content": text, "delta": True})
        elif self.name == "opencode":
            out({"type": "text", "sessionID": s, "part": {"type": "text", "text": text}})
        else:
            out(text)

    def write(self, path: str) -> None:
        s = self.session
        self.n += 1
        if self.name == "claude":
            out(
                {
                    "type": "assistant",
                    "session_id": s,
                    "message": {
                        "content": [
                            {
                                "type": "tool_use",
                                "id": f"toolu_{self.n}",
                                "name": "Write",
                                "input": {"file_path": path, "content": "..."},
                            }
                        ]
                    },
                }
            )
            out(
                {
                    "type": "user",
                    "session_id": s,
                    "message": {
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": f"toolu_{self.n}",
                                "content": "ok",
                            }
                        ]
                    },
                }
            )
        elif self.name == "codex":
            out(
                {
                    "type": "item.completed",
                    "item": {
                        "id": f"item_{self.n}",
                        "type": "file_change",
                        "changes": [{"path": path, "kind": "add"}],
                        "status": "completed",
                    },
                }
            )
        elif self.name == "gemini":
            out(
                {
                    "type": "tool_use",
                    "tool_name": "write_file",
                    "tool_id": f"t{self.n}",
                    "parameters": {"file_path": path},
                }
            )
            out({"type": "tool_result", "tool_id": f"t{self.n}", "status": "success"})
        elif self.name == "opencode":
            out(
                {
                    "type": "tool_use",
                    "sessionID": s,
                    "part": {
                        "type": "tool",
                        "tool": "write",
                        "state": {"status": "completed", "input": {"filePath": path}},
                    },
                }
            )
        else:
            out(f"Applied edit to {path}")

    def tool_failed(self, command: str) -> None:
        """A shell tool call that fails (exit 2), in the dialect's words."""
        s = self.session
        self.n += 1
        msg = f"Exit code 2: {command}: No such file or directory"
        if self.name == "claude":
            out(
                {
                    "type": "assistant",
                    "session_id": s,
                    "message": {
                        "content": [
                            {
                                "type": "tool_use",
                                "id": f"toolu_{self.n}",
                                "name": "Bash",
                                "input": {"command": command},
                            }
                        ]
                    },
                }
            )
            out(
                {
                    "type": "user",
                    "session_id": s,
                    "message": {
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": f"toolu_{self.n}",
                                "content": msg,
                                "is_error": True,
                            }
                        ]
                    },
                }
            )
        elif self.name == "codex":
            item = {"id": f"item_{self.n}", "type": "command_execution", "command": command}
            out({"type": "item.started", "item": {**item, "status": "in_progress"}})
            out(
                {
                    "type": "item.completed",
                    "item": {**item, "exit_code": 2, "status": "failed", "aggregated_output": msg},
                }
            )
        elif self.name == "gemini":
            out(
                {
                    "type": "tool_use",
                    "tool_name": "run_shell_command",
                    "tool_id": f"t{self.n}",
                    "parameters": {"command": command},
                }
            )
            out(
                {
                    "type": "tool_result",
                    "tool_id": f"t{self.n}",
                    "status": "error",
                    "error": {"type": "shell_error", "message": msg},
                }
            )
        elif self.name == "opencode":
            out(
                {
                    "type": "tool_use",
                    "sessionID": s,
                    "part": {
                        "type": "tool",
                        "tool": "bash",
                        "state": {"status": "error", "input": {"command": command}, "error": msg},
                    },
                }
            )
        else:
            err(msg)

    def result(
        self,
        *,
        error: str | None = None,
        cost: float = 0.0123,
        subtype: str = "success",
        denials: list[dict[str, object]] | None = None,
        exit0: bool = False,
    ) -> None:
        s = self.session
        if self.name == "claude":
            out(
                {
                    "type": "result",
                    "subtype": subtype,
                    "is_error": error is not None,
                    "duration_ms": 1234,
                    "num_turns": 3,
                    "result": error or "Done.",
                    "session_id": s,
                    "total_cost_usd": cost,
                    "usage": {
                        "input_tokens": 1000,
                        "output_tokens": 200,
                        "cache_read_input_tokens": 50,
                    },
                    "permission_denials": denials or [],
                }
            )
        elif self.name == "codex":
            if error:
                out({"type": "turn.failed", "error": {"message": error}})
            else:
                out(
                    {
                        "type": "turn.completed",
                        "usage": {
                            "input_tokens": 1000,
                            "cached_input_tokens": 0,
                            "output_tokens": 200,
                        },
                    }
                )
        elif self.name == "gemini":
            if error:
                out({"type": "error", "severity": "error", "message": error})
            out(
                {
                    "type": "result",
                    "status": "error" if error else "success",
                    "stats": {
                        "total_tokens": 1200,
                        "input_tokens": 1000,
                        "output_tokens": 200,
                        "duration_ms": 1234,
                        "tool_calls": 2,
                    },
                }
            )
        elif self.name == "opencode":
            if error:
                out(
                    {
                        "type": "error",
                        "sessionID": s,
                        "error": {"name": "APIError", "data": {"message": error}},
                    }
                )
            else:
                out(
                    {
                        "type": "step_finish",
                        "sessionID": s,
                        "part": {
                            "type": "step-finish",
                            "reason": "stop",
                            "cost": cost,
                            "tokens": {
                                "input": 1000,
                                "output": 200,
                                "reasoning": 0,
                                "cache": {"read": 0, "write": 0},
                            },
                        },
                    }
                )
        else:
            if error:
                err(error)
            out(f"Tokens: 1.0k sent, 200 received. Cost: ${cost:.2f} message, ${cost:.2f} session.")


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
