"""Typed events parsed from an agent's output stream, and the summary a parser keeps of it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from kiro_tui.core.runs.records import Usage

StreamKind = Literal[
    "session", "tool_call", "tool_result", "text", "error", "usage", "needs_input", "result"
]
SHORT = 200


def short(text: Any, limit: int = SHORT) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One thing the agent said: `kind` says what, `text` is a short summary for a log line."""

    kind: StreamKind
    text: str = ""
    session_id: str | None = None
    tool: str | None = None
    is_error: bool = False
    subtype: str | None = None
    usage: Usage | None = None
    num_turns: int | None = None


@dataclass
class StreamSummary:
    """What a parser learnt from the whole stream (owned by its parser; read after the run)."""

    session_id: str | None = None
    model: str | None = None  # the model the agent says it uses
    terminal: bool = False  # a terminal (result) event was seen
    is_error: bool = False  # the terminal event reported an error
    subtype: str | None = None
    result_text: str | None = None
    usage: Usage = field(default_factory=Usage)
    num_turns: int | None = None
    tool_calls: int = 0
    errors: list[str] = field(default_factory=list)
    denials: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    stdout_tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))  # as printed
    lines: int = 0
    unparsed: int = 0  # lines that were not events of the dialect (kept in raw.jsonl)
    truncated: int = 0

    def add_error(self, text: str) -> None:
        if len(self.errors) < 50:
            self.errors.append(short(text, 500))
