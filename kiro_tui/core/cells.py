"""Terminal cell widths for the plain-text reports (the core never imports Rich): wide East
Asian characters take two cells, combining marks and zero-width characters none."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ELLIPSIS = "…"


@lru_cache(maxsize=4096)
def char_cells(ch: str) -> int:
    """Cells one character takes: 2 for wide and fullwidth, 0 for combining, format and
    zero-width characters, else 1."""
    if ch < "\u0300":  # ASCII and Latin-1: one cell (controls are escaped before this)
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """The number of terminal cells `text` takes on one line."""
    if text.isascii():
        return len(text)
    return sum(char_cells(c) for c in text)


def cut(text: str, cells: int) -> str:
    """`text` cut to at most `cells` cells, ending in "…" when something was cut."""
    if cell_len(text) <= cells:
        return text
    if cells <= 0:
        return ""
    out: list[str] = []
    used = 0
    for ch in text:
        w = char_cells(ch)
        if used + w > cells - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS


def fit(text: str, cells: int) -> str:
    """`text` cut (with "…") or padded with spaces to exactly `cells` cells."""
    shown = cut(text, cells)
    return shown + " " * max(0, cells - cell_len(shown))
