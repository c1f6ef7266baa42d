"""One parser per output dialect, turning lines into typed StreamEvents. Tolerant: unknown or
non-JSON lines are counted in the summary, never fatal.

- claude: `claude -p --output-format stream-json --verbose`
- codex: `codex exec --json`
- gemini: `gemini --output-format stream-json`
- opencode: `opencode run --format json`
- text: aider's cost lines, or any command's plain output
"""

from __future__ import annotations

from kiro_tui.core.runs.dialects.base import Parser
from kiro_tui.core.runs.dialects.claude import ClaudeParser
from kiro_tui.core.runs.dialects.codex import CodexParser
from kiro_tui.core.runs.dialects.gemini import GeminiParser
from kiro_tui.core.runs.dialects.opencode import OpencodeParser
from kiro_tui.core.runs.dialects.text import TextParser

PARSERS: dict[str, type[Parser]] = {
    "claude": ClaudeParser,
    "codex": CodexParser,
    "gemini": GeminiParser,
    "opencode": OpencodeParser,
    "text": TextParser,
}


def parser_for(dialect: str) -> Parser:
    """A new parser for `dialect` (the text parser for an unknown one)."""
    return PARSERS.get(dialect, TextParser)()
