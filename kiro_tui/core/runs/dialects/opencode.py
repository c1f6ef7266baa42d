"""`opencode run --format json`: step_start / step_finish (cost, tokens), tool_use, text and
error events."""

from __future__ import annotations

from typing import Any

from kiro_tui.core.runs.dialects.base import Parser, integer, num
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.stream import StreamEvent, short


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
            tool = str(part.get("tool") or "tool")
            if state.get("status") == "error":
                err = state.get("error") or "tool failed"
                return [*out, StreamEvent("tool_result", short(err), tool=tool, is_error=True)]
            return [*out, self._tool(tool, state.get("input"))]
        if t == "text":
            text = part.get("text") or ""
            self.summary.result_text = short(text, 500)
            return [*out, StreamEvent("text", short(text))] if text else out
        if t == "step_finish":
            tokens = part.get("tokens") if isinstance(part.get("tokens"), dict) else {}
            assert isinstance(tokens, dict)
            cache = tokens.get("cache") if isinstance(tokens.get("cache"), dict) else {}
            assert isinstance(cache, dict)
            inp = integer(tokens.get("input"))
            if inp is not None:
                inp += integer(cache.get("read")) or 0
            outp = integer(tokens.get("output"))
            if outp is not None:
                outp += integer(tokens.get("reasoning")) or 0
            out.append(self._usage(Usage(inp, outp, num(part.get("cost"))), total=False))
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
