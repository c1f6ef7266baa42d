"""aider and any command: cost lines such as "Cost: $0.01 message, $0.05 session", edits and
error-looking lines; there is no terminal event."""

from __future__ import annotations

import re
from typing import Any

from kiro_tui.core.runs.dialects.base import Parser
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.stream import StreamEvent, short

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
