"""YAML reading and writing.

Display reads use ruamel's C safe loader (fast, plain dicts). Writes use the round-trip loader
on the one file being written, dumped with the indentation the file already uses, so that an
untouched document comes back byte for byte (comments, key order, quotes, `null`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from kiro_tui.core.errors import InvalidFile

_SAFE: Any = None


def _safe_yaml() -> Any:
    global _SAFE
    if _SAFE is None:
        from ruamel.yaml import YAML

        try:
            _SAFE = YAML(typ="safe", pure=False)
        except Exception:  # pragma: no cover - no C extension
            _SAFE = YAML(typ="safe", pure=True)
    return _SAFE


def _located(path: Path | str, exc: Exception) -> InvalidFile:
    # the context mark is where the broken construct began (e.g. an unclosed quote)
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}"
    if context:
        msg += f" ({context})"
    line = mark.line + 1 if mark is not None else None
    col = mark.column + 1 if mark is not None else None
    return InvalidFile(msg, file=path, line=line, column=col)


def load_fast(text: str, path: Path | str) -> Any:
    """Parse YAML into plain Python objects (for display). Raises InvalidFile, located."""
    try:
        return _safe_yaml().load(text)
    except Exception as exc:  # ruamel raises many error types
        raise _located(path, exc) from None


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel wants them, guessed from the file's own text."""
    lines = text.splitlines()
    mapping = 2
    for i, line in enumerate(lines[:-1]):
        m = re.match(r"^( *)[^\s#-][^:]*:\s*(#.*)?$", line)
        if not m:
            continue
        parent = len(m.group(1))
        nxt = next((x for x in lines[i + 1:] if x.strip() and not x.lstrip().startswith("#")), None)
        if nxt is None:
            continue
        child = len(nxt) - len(nxt.lstrip(" "))
        if nxt.lstrip().startswith("- "):
            offset = child - parent
            item = nxt[child + 2:]
            inner = 2 + len(item) - len(item.lstrip(" "))
            return mapping, offset + inner, offset
        if child > parent:
            mapping = child - parent
    return mapping, mapping + 2, mapping


class RoundTrip:
    """A round-trip YAML document bound to the text it came from."""

    def __init__(self, text: str, path: Path | str) -> None:
        from ruamel.yaml import YAML

        self.path = path
        self.yaml = YAML(typ="rt")
        self.yaml.preserve_quotes = True
        self.yaml.width = 4096
        mapping, sequence, offset = detect_indent(text)
        self.yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        self.yaml.representer.add_representer(type(None), _represent_null)
        try:
            self.data = self.yaml.load(text)
        except Exception as exc:
            raise _located(path, exc) from None

    def dump(self) -> str:
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        return out.getvalue()


def _represent_null(representer: Any, _data: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def dump_new(data: Any) -> str:
    """Dump a new document in the canonical style (mapping 2, sequence 4, offset 2)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.representer.add_representer(type(None), _represent_null)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
