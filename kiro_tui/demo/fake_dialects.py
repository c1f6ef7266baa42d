"""The stand-in agent's output: lines in the format of each CLI it plays (claude, codex, gemini,
opencode stream JSON; aider and any command plain text) and the deliverables it writes
(see `fake_agent` for the scenarios). Stdlib only."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

MARKER = "<!-- kiro-tui:template -->"
CHANGES: list[str] = []  # what the prompt says a reviewer asked for


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
