"""`claude -p --output-format stream-json --verbose`: system init (session_id), assistant
messages with tool_use items, user tool results, and the result (subtype, is_error,
total_cost_usd, usage, num_turns, permission_denials)."""

from __future__ import annotations

from typing import Any

from kiro_tui.core.runs.dialects.base import Parser, integer, num, tool_summary
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.stream import StreamEvent, short


class ClaudeParser(Parser):
    dialect = "claude"

    def on_json(self, obj: dict[str, Any]) -> list[StreamEvent] | None:
        t = obj.get("type")
        out: list[StreamEvent] = []
        if t == "system":
            if isinstance(obj.get("model"), str):
                self.summary.model = obj["model"]
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
            s.num_turns = integer(obj.get("num_turns"))
            text = obj.get("result")
            s.result_text = short(text, 500) if text else None
            u = obj.get("usage") if isinstance(obj.get("usage"), dict) else {}
            assert isinstance(u, dict)
            inp = integer(u.get("input_tokens"))
            if inp is not None:
                inp += (integer(u.get("cache_read_input_tokens")) or 0) + (
                    integer(u.get("cache_creation_input_tokens")) or 0
                )
            usage = Usage(inp, integer(u.get("output_tokens")), num(obj.get("total_cost_usd")))
            out.append(self._usage(usage, total=True))
            for d in obj.get("permission_denials") or []:
                name = d.get("tool_name", "tool") if isinstance(d, dict) else str(d)
                inp_ = d.get("tool_input") if isinstance(d, dict) else None
                s.denials.append(tool_summary(str(name), inp_))
                out.append(
                    StreamEvent(
                        "needs_input",
                        f"permission denied: {tool_summary(str(name), inp_)}",
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
