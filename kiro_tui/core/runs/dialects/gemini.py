"""`gemini --output-format stream-json`: init (session_id), message, tool_use, tool_result,
error, and result with stats."""

from __future__ import annotations

from typing import Any

from kiro_tui.core.runs.dialects.base import INPUT_WORDS, Parser, integer, num
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.stream import StreamEvent, short


class GeminiParser(Parser):
    dialect = "gemini"

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        t = obj.get("type")
        if t == "init":
            if isinstance(obj.get("model"), str):
                self.summary.model = obj["model"]
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
                        if msg and INPUT_WORDS.search(str(msg))
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
                    integer(stats.get("input_tokens")),
                    integer(stats.get("output_tokens")),
                    num(stats.get("cost_usd")),
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
