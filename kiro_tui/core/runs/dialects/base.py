"""The parser base: JSON lines to `on_json`, other lines to `on_text`, stderr kept; helpers
shared by the dialects."""

from __future__ import annotations

import re
from typing import Any

from kiro_tui.core.runs.output import Line
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.stream import StreamEvent, StreamSummary, short

TAIL_CUT = 2000  # characters of a line kept in the tails (of up to 1 MB), before `short`
QUESTION_TOOLS = ("AskUserQuestion", "ask_user", "ask_followup_question", "question")
INPUT_WORDS = re.compile(
    r"approval required|requires approval|permission denied by|needs? "
    r"(your )?(input|approval|permission)|waiting for (user )?input",
    re.IGNORECASE,
)


def num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def integer(v: Any) -> int | None:
    n = num(v)
    return None if n is None else int(n)


def tool_summary(name: str, params: Any) -> str:
    if isinstance(params, dict):
        for key in (
            "file_path",
            "path",
            "filePath",
            "command",
            "pattern",
            "url",
            "query",
            "description",
        ):
            v = params.get(key)
            if isinstance(v, str | list) and v:
                return short(f"{name} {' '.join(v) if isinstance(v, list) else v}", 120)
    return name


def add_usage(u: Usage, inp: int | None, out: int | None, cost: float | None) -> Usage:
    def plus(a: Any, b: Any) -> Any:
        if b is None:
            return a
        return b if a is None else a + b

    return Usage(plus(u.input_tokens, inp), plus(u.output_tokens, out), plus(u.cost_usd, cost))


class Parser:
    """Base: JSON lines go to `on_json`, other stdout lines to `on_text`; stderr is kept."""

    dialect = "text"

    def __init__(self) -> None:
        self.summary = StreamSummary()

    def feed(self, line: Line) -> list[StreamEvent]:
        s = self.summary
        s.lines += 1
        if line.truncated:
            s.truncated += 1
        if line.stream == "stderr":
            s.stderr_tail.append(short(line.text[:TAIL_CUT], 500))
            return self.on_stderr(line.text)
        s.stdout_tail.append(line.text[:TAIL_CUT])  # shortened when read (classify)
        if isinstance(line.obj, dict):
            out = self.on_json(line.obj)
            if out is None:
                s.unparsed += 1
                return []
            return out
        out = self.on_text(line.text)
        if out is None:
            s.unparsed += 1
            return []
        return out

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        return None

    def on_text(self, text: str) -> list[StreamEvent] | None:
        return None

    def on_stderr(self, text: str) -> list[StreamEvent]:
        return []

    # helpers for the dialects
    def _session(self, sid: Any) -> list[StreamEvent]:
        if isinstance(sid, str) and sid and sid != self.summary.session_id:
            self.summary.session_id = sid
            return [StreamEvent("session", f"agent session {sid}", session_id=sid)]
        return []

    def _tool(self, name: str, params: Any) -> StreamEvent:
        self.summary.tool_calls += 1
        if name in QUESTION_TOOLS:
            q = params.get("question") if isinstance(params, dict) else None
            self.summary.questions.append(short(q or params or name))
            return StreamEvent("needs_input", short(f"question: {q or params}"), tool=name)
        return StreamEvent("tool_call", tool_summary(name, params), tool=name)

    def _error(self, text: Any) -> list[StreamEvent]:
        msg = short(text, 500)
        self.summary.add_error(msg)
        out = [StreamEvent("error", msg, is_error=True)]
        if INPUT_WORDS.search(msg):
            self.summary.denials.append(msg)
            out.append(StreamEvent("needs_input", msg))
        return out

    def _usage(self, u: Usage, *, total: bool) -> StreamEvent:
        s = self.summary
        s.usage = u if total else add_usage(s.usage, u.input_tokens, u.output_tokens, u.cost_usd)
        return StreamEvent("usage", usage_text(s.usage), usage=s.usage)


def usage_text(u: Usage) -> str:
    cost = "cost unknown" if u.cost_usd is None else f"${u.cost_usd:.4f}"
    tokens = "tokens unknown" if u.tokens is None else f"{u.tokens} tokens"
    return f"{tokens}, {cost}"
