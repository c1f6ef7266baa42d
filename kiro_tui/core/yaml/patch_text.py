"""The text of the values a patch writes (patch_edit), in the style of the file it goes into:
scalars with the quotes of the value they replace or of their neighbours and the file's null;
new collections in flow style inside flow ones, else in block style with the file's indents."""

from __future__ import annotations

import json
import math
from typing import Any

from kiro_tui.core.yaml import fast

_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW = frozenset(",[]{}")


class Unfit(Exception):
    """This edit or document is not for patching; edit the usual way."""


class Writer:
    """The text of new scalars in the style of the file."""

    def __init__(self, text: str, table: Any, constructor: Any, cache: Any) -> None:
        self.text = text
        self._null: str | None = None
        self._resolve = (table, constructor, cache)

    @property
    def null(self) -> str:
        """How the file writes a null (roundtrip.detect_null), looked at when first needed."""
        if self._null is None:
            from kiro_tui.core.yaml.roundtrip import detect_null

            self._null = detect_null(self.text)
        return self._null

    def plain_ok(self, s: str, flow: bool) -> bool:
        if not s or s != s.strip() or s[0] in _INDICATORS or not s.isprintable():
            return False
        if ": " in s or " #" in s or s.endswith(":") or (flow and any(c in _FLOW for c in s)):
            return False
        try:
            back = fast._plain(s, *self._resolve)
        except Exception:
            return False
        return type(back) is str

    def string(self, s: str, style: str, flow: bool) -> str:
        if style == "" and self.plain_ok(s, flow):
            return s
        if not s.isprintable():
            return json.dumps(s, ensure_ascii=False)
        if style == '"':
            return '"' + s + '"' if '"' not in s and "\\" not in s else json.dumps(s)
        return "'" + s.replace("'", "''") + "'"

    def scalar(self, value: Any, style: str, flow: bool) -> str:
        """The text of `value`; `style` is the quote style wanted for a string."""
        from ruamel.yaml.scalarstring import (
            DoubleQuotedScalarString,
            ScalarString,
            SingleQuotedScalarString,
        )

        if value is None:
            return self.null
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise Unfit("not a finite number")
            return repr(value)
        if isinstance(value, DoubleQuotedScalarString):
            return self.string(value, '"', flow)
        if isinstance(value, SingleQuotedScalarString):
            return self.string(value, "'", flow)
        if isinstance(value, ScalarString):
            raise Unfit("a block scalar")
        if isinstance(value, str):
            return self.string(value, style, flow)
        raise Unfit(f"a {type(value).__name__} value")


def style_of(where: Any) -> str:
    """The quote style of the strings already in `where` (the majority; plain on a tie, as
    roundtrip.quote_like)."""
    double, single, plain = (where.styles.count(s) for s in ('"', "'", ""))
    if double > plain and double >= single:
        return '"'
    return "'" if single > plain else ""


class Blocks:
    """New collections written out: in flow style, or as block lines in the file's indents."""

    def __init__(self, w: Writer) -> None:
        self.w = w
        self._indents: tuple[int, int, int] | None = None
        # scalar patches (start offset -> the value written, whether inside a flow collection):
        # each is checked on its own (patch_check)
        self.scalars: dict[int, tuple[Any, bool]] = {}

    @property
    def indents(self) -> tuple[int, int, int]:
        """(mapping, sequence, offset) as roundtrip.detect_indent reads them off the file."""
        if self._indents is None:
            from kiro_tui.core.yaml.roundtrip import detect_indent

            self._indents = detect_indent(self.w.text)
        return self._indents

    def flow(self, value: Any, style: str) -> str:
        if isinstance(value, dict):
            parts = [f"{self.key(k)}: {self.flow(v, style)}" for k, v in value.items()]
            return "{" + ", ".join(parts) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow(v, style) for v in value) + "]"
        text = self.w.scalar(value, style, True)
        if not text:
            raise Unfit("an empty null in a flow collection")
        return text

    def key(self, k: Any) -> str:
        if not isinstance(k, str) or not self.w.plain_ok(k, True):
            raise Unfit("a key that cannot be written plainly")
        return k

    def value(self, v: Any, col: int, style: str) -> str:
        """What follows `key:` for a value whose key is at column `col`: ` scalar`, ` {}`, or
        the block lines of a collection, each after a line break."""
        if isinstance(v, dict | list):
            if not v:
                return " {}" if isinstance(v, dict) else " []"
            if flow_styled(v):
                return " " + self.flow(v, style)
            m, s, o = self.indents
            lines = (
                self.entries(v, col + m, style)
                if isinstance(v, dict)
                else self.items(v, col + o, col + s, style)
            )
            return "".join("\n" + x for x in lines)
        text = self.w.scalar(v, style, False)
        return " " + text if text else ""

    def entries(self, d: dict[Any, Any], col: int, style: str) -> list[str]:
        lines: list[str] = []
        for k, v in d.items():
            first, *rest = (" " * col + self.key(k) + ":" + self.value(v, col, style)).split("\n")
            lines.append(first)
            lines.extend(rest)
        return lines

    def items(self, seq: list[Any], dash: int, content: int, style: str) -> list[str]:
        lead = " " * dash + "-" + " " * (content - dash - 1)
        lines: list[str] = []
        for v in seq:
            if isinstance(v, list):
                raise Unfit("a list in a list")
            if isinstance(v, dict):
                if not v or flow_styled(v):
                    lines.append(lead + self.flow(v, style))
                    continue
                body = self.entries(v, content, style)
                lines.append(lead + body[0][content:])
                lines.extend(body[1:])
            else:
                text = self.w.scalar(v, style, False)
                if not text:
                    raise Unfit("an empty null as a list item")
                lines.append(lead + text)
        return lines


def flow_styled(v: Any) -> bool:
    """Whether a new ruamel collection asks to be written in flow style (templates do that)."""
    fa = getattr(v, "fa", None)
    return bool(fa is not None and fa.flow_style())
