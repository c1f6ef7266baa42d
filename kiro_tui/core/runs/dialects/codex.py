"""`codex exec --json`: thread.started (thread_id), item.* events, turn.completed with usage,
turn.failed and error."""

from __future__ import annotations

from typing import Any

from kiro_tui.core.runs.dialects.base import Parser, integer
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.stream import StreamEvent, short


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
            code = integer(item.get("exit_code"))
            if it == "command_execution" and done and (code or item.get("status") == "failed"):
                text = f"shell exited {code}: {item.get('command') or ''}"
                return [StreamEvent("tool_result", short(text), tool="shell", is_error=True)]
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
                Usage(integer(u.get("input_tokens")), integer(u.get("output_tokens")), None),
                total=False,
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
