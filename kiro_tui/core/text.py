"""Repository text made safe for a terminal: no escape sequences, no control characters."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, the C1 controls, and the bidirectional overrides that
# can make a line read differently from what it holds
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch == "\x1b":
        return "␛"  # visible, and no longer the start of a sequence
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object, *, one_line: bool = False) -> str:
    """`text` with every control character made visible (`ESC` as `␛`, others as `\\xNN`), so
    that nothing read from a repository can move the cursor, rewrite the screen or set the
    window title. Tab and newline stay, unless `one_line` (then they are escaped too)."""
    s = text if isinstance(text, str) else str(text)
    pattern = _CONTROL_ONE_LINE if one_line else _CONTROL
    if pattern.search(s) is None:
        return s
    return pattern.sub(_escape, s)
