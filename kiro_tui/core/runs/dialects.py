"""One parser per output dialect, turning lines into typed StreamEvents. Tolerant: unknown or
non-JSON lines are counted in the summary, never fatal.

- claude: `claude -p --output-format stream-json --verbose`
- codex: `codex exec --json`
- gemini: `gemini --output-format stream-json`
- opencode: `opencode run --format json`
- text: aider's cost lines, or any command's plain output
"""

from __future__ import annotations

import re
from typing import Any

from kiro_tui.core.runs.process import Line
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.stream import StreamEvent, StreamSummary, short

QUESTION_TOOLS = ("AskUserQuestion", "ask_user", "ask_followup_question", "question")
_INPUT_WORDS = re.compile(
    r"approval required|requires approval|permission denied by|needs? "
    r"(your )?(input|approval|permission)|waiting for (user )?input",
    re.IGNORECASE,
)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _int(v: Any) -> int | None:
    n = _num(v)
    return None if n is None else int(n)


def _tool_summary(name: str, params: Any) -> str:
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


def _add(u: Usage, inp: int | None, out: int | None, cost: float | None) -> Usage:
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
            s.stderr_tail.append(short(line.text, 500))
            return self.on_stderr(line.text)
        s.stdout_tail.append(short(line.text, 500))
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
        return StreamEvent("tool_call", _tool_summary(name, params), tool=name)

    def _error(self, text: Any) -> list[StreamEvent]:
        msg = short(text, 500)
        self.summary.add_error(msg)
        out = [StreamEvent("error", msg, is_error=True)]
        if _INPUT_WORDS.search(msg):
            self.summary.denials.append(msg)
            out.append(StreamEvent("needs_input", msg))
        return out

    def _usage(self, u: Usage, *, total: bool) -> StreamEvent:
        s = self.summary
        s.usage = u if total else _add(s.usage, u.input_tokens, u.output_tokens, u.cost_usd)
        return StreamEvent("usage", _usage_text(s.usage), usage=s.usage)


def _usage_text(u: Usage) -> str:
    cost = "cost unknown" if u.cost_usd is None else f"${u.cost_usd:.4f}"
    tokens = "tokens unknown" if u.tokens is None else f"{u.tokens} tokens"
    return f"{tokens}, {cost}"


class ClaudeParser(Parser):
    dialect = "claude"

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        t = obj.get("type")
        out: list[StreamEvent] = []
        if t == "system":
            return self._session(obj.get("session_id"))
        if t in ("assistant", "user"):
            out += self._session(obj.get("session_id"))
            msg = obj.get("message") if isinstance(obj.get("message"), dict) else {}
            content = msg.get("content") if isinstance(msg, dict) else None
            if isinstance(content, str):
                content = [{"type": "text", "text": content}]
            for item in content if isinstance(content, list) else []:
                if not isinstance(item, dict):
                    continue
                it = item.get("type")
                if it == "tool_use":
                    out.append(self._tool(str(item.get("name") or "tool"), item.get("input")))
                elif it == "text" and t == "assistant" and item.get("text"):
                    out.append(StreamEvent("text", short(item["text"])))
                elif it == "tool_result" and item.get("is_error"):
                    out.append(
                        StreamEvent(
                            "tool_result", short(item.get("content") or "error"), is_error=True
                        )
                    )
            return out
        if t == "result":
            s = self.summary
            out += self._session(obj.get("session_id"))
            s.terminal = True
            s.is_error = bool(obj.get("is_error")) or str(obj.get("subtype", "")).startswith(
                "error"
            )
            s.subtype = str(obj.get("subtype") or "") or None
            s.num_turns = _int(obj.get("num_turns"))
            text = obj.get("result")
            s.result_text = short(text, 500) if text else None
            u = obj.get("usage") if isinstance(obj.get("usage"), dict) else {}
            assert isinstance(u, dict)
            inp = _int(u.get("input_tokens"))
            if inp is not None:
                inp += (_int(u.get("cache_read_input_tokens")) or 0) + (
                    _int(u.get("cache_creation_input_tokens")) or 0
                )
            usage = Usage(inp, _int(u.get("output_tokens")), _num(obj.get("total_cost_usd")))
            out.append(self._usage(usage, total=True))
            for d in obj.get("permission_denials") or []:
                name = d.get("tool_name", "tool") if isinstance(d, dict) else str(d)
                inp_ = d.get("tool_input") if isinstance(d, dict) else None
                s.denials.append(_tool_summary(str(name), inp_))
                out.append(
                    StreamEvent(
                        "needs_input",
                        f"permission denied: {_tool_summary(str(name), inp_)}",
                        tool=str(name),
                    )
                )
            if s.is_error:
                s.add_error(text or s.subtype or "error")
            out.append(
                StreamEvent(
                    "result",
                    short(text or s.subtype or ""),
                    is_error=s.is_error,
                    subtype=s.subtype,
                    usage=s.usage,
                    num_turns=s.num_turns,
                    session_id=s.session_id,
                )
            )
            return out
        if t == "error" or obj.get("error"):
            err = obj.get("error")
            return self._error(err.get("message") if isinstance(err, dict) else err or obj)
        return None if t is None else []


class CodexParser(Parser):
    dialect = "codex"

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        t = obj.get("type")
        if t == "thread.started":
            return self._session(obj.get("thread_id"))
        if t in ("item.started", "item.updated", "item.completed"):
            item = obj.get("item") if isinstance(obj.get("item"), dict) else {}
            assert isinstance(item, dict)
            it = item.get("type")
            done = t == "item.completed"
            if it == "command_execution" and t == "item.started":
                return [self._tool("shell", {"command": item.get("command")})]
            if it == "file_change" and done:
                paths = [c.get("path") for c in item.get("changes") or [] if isinstance(c, dict)]
                return [self._tool("file_change", {"path": [str(p) for p in paths]})]
            if it in ("mcp_tool_call", "web_search") and t == "item.started":
                return [self._tool(str(item.get("tool") or it), item.get("arguments"))]
            if it == "agent_message" and done:
                self.summary.result_text = short(item.get("text") or "", 500)
                return [StreamEvent("text", short(item.get("text") or ""))]
            if it == "error":
                return self._error(item.get("message"))
            return []
        if t == "turn.completed":
            u = obj.get("usage") if isinstance(obj.get("usage"), dict) else {}
            assert isinstance(u, dict)
            s = self.summary
            s.terminal = True
            s.is_error = False
            s.subtype = "success"
            s.num_turns = (s.num_turns or 0) + 1
            ev = self._usage(
                Usage(_int(u.get("input_tokens")), _int(u.get("output_tokens")), None), total=False
            )
            return [
                ev,
                StreamEvent(
                    "result",
                    s.result_text or "turn completed",
                    subtype="success",
                    usage=s.usage,
                    num_turns=s.num_turns,
                    session_id=s.session_id,
                ),
            ]
        if t == "turn.failed":
            err = obj.get("error")
            msg = err.get("message") if isinstance(err, dict) else err
            s = self.summary
            s.terminal, s.is_error, s.subtype = True, True, "turn_failed"
            return [
                *self._error(msg or "turn failed"),
                StreamEvent(
                    "result",
                    short(msg or "turn failed"),
                    is_error=True,
                    subtype="turn_failed",
                    usage=s.usage,
                ),
            ]
        if t == "error":
            return self._error(obj.get("message") or obj)
        if t in ("turn.started",):
            return []
        return None


class GeminiParser(Parser):
    dialect = "gemini"

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        t = obj.get("type")
        if t == "init":
            return self._session(obj.get("session_id"))
        if t == "message":
            if obj.get("role") == "assistant" and obj.get("content"):
                return [StreamEvent("text", short(obj["content"]))]
            return []
        if t == "tool_use":
            return [self._tool(str(obj.get("tool_name") or "tool"), obj.get("parameters"))]
        if t == "tool_result":
            if obj.get("status") == "error":
                err = obj.get("error")
                msg = err.get("message") if isinstance(err, dict) else err or obj.get("output")
                return [
                    StreamEvent("tool_result", short(msg or "tool failed"), is_error=True),
                    *(
                        [StreamEvent("needs_input", short(msg))]
                        if msg and _INPUT_WORDS.search(str(msg))
                        else []
                    ),
                ]
            return []
        if t == "error":
            return self._error(obj.get("message") or obj)
        if t == "result":
            s = self.summary
            s.terminal = True
            status = str(obj.get("status") or "success")
            s.is_error = status != "success"
            s.subtype = status
            stats = obj.get("stats") if isinstance(obj.get("stats"), dict) else {}
            assert isinstance(stats, dict)
            ev = self._usage(
                Usage(
                    _int(stats.get("input_tokens")),
                    _int(stats.get("output_tokens")),
                    _num(stats.get("cost_usd")),
                ),
                total=True,
            )
            if s.is_error:
                err = obj.get("error")
                s.add_error(str(err.get("message") if isinstance(err, dict) else err or status))
            return [
                ev,
                StreamEvent(
                    "result",
                    status,
                    is_error=s.is_error,
                    subtype=status,
                    usage=s.usage,
                    session_id=s.session_id,
                ),
            ]
        return None


class OpencodeParser(Parser):
    dialect = "opencode"

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        t = obj.get("type")
        out = self._session(obj.get("sessionID"))
        part = obj.get("part") if isinstance(obj.get("part"), dict) else {}
        assert isinstance(part, dict)
        if t == "step_start":
            self.summary.terminal = False
            return out
        if t == "tool_use":
            state = part.get("state") if isinstance(part.get("state"), dict) else {}
            assert isinstance(state, dict)
            return [*out, self._tool(str(part.get("tool") or "tool"), state.get("input"))]
        if t == "text":
            text = part.get("text") or ""
            self.summary.result_text = short(text, 500)
            return [*out, StreamEvent("text", short(text))] if text else out
        if t == "step_finish":
            tokens = part.get("tokens") if isinstance(part.get("tokens"), dict) else {}
            assert isinstance(tokens, dict)
            cache = tokens.get("cache") if isinstance(tokens.get("cache"), dict) else {}
            assert isinstance(cache, dict)
            inp = _int(tokens.get("input"))
            if inp is not None:
                inp += _int(cache.get("read")) or 0
            outp = _int(tokens.get("output"))
            if outp is not None:
                outp += _int(tokens.get("reasoning")) or 0
            out.append(self._usage(Usage(inp, outp, _num(part.get("cost"))), total=False))
            reason = str(part.get("reason") or "stop")
            if reason not in ("tool-calls", "tool_calls"):
                s = self.summary
                s.terminal, s.is_error, s.subtype = True, False, reason
                s.num_turns = (s.num_turns or 0) + 1
                out.append(
                    StreamEvent(
                        "result",
                        s.result_text or reason,
                        subtype=reason,
                        usage=s.usage,
                        session_id=s.session_id,
                    )
                )
            return out
        if t == "error":
            err = obj.get("error")
            if isinstance(err, dict):
                data = err.get("data")
                err = (
                    (data.get("message") if isinstance(data, dict) else None)
                    or err.get("name")
                    or err
                )
            s = self.summary
            s.terminal, s.is_error, s.subtype = True, True, "error"
            return [
                *out,
                *self._error(err or "error"),
                StreamEvent(
                    "result", short(err or "error"), is_error=True, subtype="error", usage=s.usage
                ),
            ]
        return None if t is None else out


_COST = re.compile(r"Cost:\s*\$([0-9.]+)\s*message,\s*\$([0-9.]+)\s*session", re.IGNORECASE)
_TOKENS = re.compile(
    r"Tokens:\s*([0-9.,]+)([kKmM]?)\s*sent,\s*([0-9.,]+)([kKmM]?)\s*received", re.IGNORECASE
)
_ERRORS = re.compile(
    r"^(error|fatal|exception|traceback)\b|\b(api ?error|rate.?limit|429|"
    r"unauthori[sz]ed|authentication)\b",
    re.IGNORECASE,
)


_EDIT = re.compile(r"^(Applied edit to|Wrote|Creating empty file|Added) (.+?)\s*$")


def _tok(num: str, unit: str) -> int:
    n = float(num.replace(",", ""))
    return int(n * {"k": 1e3, "m": 1e6}.get(unit.lower(), 1))


class TextParser(Parser):
    """aider and any command: cost lines, error-looking lines; no terminal event."""

    dialect = "text"

    def __init__(self) -> None:
        super().__init__()
        self._sent = 0
        self._received = 0

    def on_text(self, text: str) -> list[StreamEvent] | None:
        out: list[StreamEvent] = []
        edit = _EDIT.match(text)
        if edit:
            return [self._tool("edit", {"path": edit.group(2)})]
        m = _TOKENS.search(text)
        if m:
            self._sent += _tok(m.group(1), m.group(2))
            self._received += _tok(m.group(3), m.group(4))
        c = _COST.search(text)
        if c or m:
            cur = self.summary.usage
            cost = float(c.group(2)) if c else cur.cost_usd
            out.append(self._usage(Usage(self._sent, self._received, cost), total=True))
        if _ERRORS.search(text):
            out += self._error(text)
        if not out and text.strip():
            out.append(StreamEvent("text", short(text)))
        return out

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        return None

    def on_stderr(self, text: str) -> list[StreamEvent]:
        return self._error(text) if _ERRORS.search(text) else []


PARSERS: dict[str, type[Parser]] = {
    "claude": ClaudeParser,
    "codex": CodexParser,
    "gemini": GeminiParser,
    "opencode": OpencodeParser,
    "text": TextParser,
}


def parser_for(dialect: str) -> Parser:
    return PARSERS.get(dialect, TextParser)()
