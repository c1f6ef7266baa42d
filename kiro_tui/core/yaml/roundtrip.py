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


def _too_much(path: Path | str, exc: Any) -> InvalidFile:
    return InvalidFile(exc.message, file=path, line=exc.line)


def load_fast(text: str, path: Path | str) -> Any:
    """Parse YAML into plain Python objects (for display). Raises InvalidFile, located, also
    for a document too deep or whose aliases expand too far (fast.check_limits)."""
    from kiro_tui.core.yaml.fast import LimitExceeded, check_limits, try_load

    try:
        ok, data = try_load(text)
        if ok:
            return data
        check_limits(text)  # ruamel's loader would expand a bomb, and recurse into depth
    except LimitExceeded as exc:
        raise _too_much(path, exc) from None
    try:
        return _safe_yaml().load(text)
    except RecursionError:
        raise InvalidFile("nested too deeply; not loaded", file=path) from None
    except Exception as exc:  # ruamel raises many error types
        raise _located(path, exc) from None


_PARENT = re.compile(r"^( *)(- +)?[^\s#-][^:]*:\s*(#.*)?$")


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel wants them, guessed from the file's own text.

    The mapping indent is taken from the first mapping nested in a mapping, the sequence indent
    and offset from the first block sequence nested in a mapping (or at the top level); each
    is looked for on its own, so a file whose first block is a sequence still gets its mapping
    indent right. Without a block sequence, the canonical offset (the mapping indent) is used.
    """
    lines = text.splitlines()
    mapping: int | None = None
    seq: tuple[int, int] | None = None
    first = next((i for i, x in enumerate(lines) if x.strip() and not x.startswith("#")), None)
    for i, line in enumerate(lines):
        if i == first and (line.startswith("- ") or line == "-"):
            item = line[2:]
            seq = (2 + len(item) - len(item.lstrip(" ")), 0)  # a top-level sequence
        m = _PARENT.match(line)
        if not m:
            continue
        # a key that opens a block; for `- key:` the key sits after the dash
        parent = len(m.group(1)) + len(m.group(2) or "")
        nxt = next(
            (x for x in lines[i + 1 :] if x.strip() and not x.lstrip().startswith("#")), None
        )
        if nxt is None:
            break
        child = len(nxt) - len(nxt.lstrip(" "))
        stripped = nxt.lstrip(" ")
        if stripped.startswith("- ") or stripped == "-":
            if seq is None and child >= parent:
                offset = child - parent
                item = stripped[2:]
                seq = (offset + 2 + len(item) - len(item.lstrip(" ")), offset)
        elif mapping is None and child > parent:
            mapping = child - parent
        if mapping is not None and seq is not None:
            break
    mapping = mapping or 2
    sequence, offset = seq if seq is not None else (mapping + 2, mapping)
    return mapping, max(sequence, offset + 2), offset


class RoundTrip:
    """A round-trip YAML document bound to the text it came from."""

    def __init__(
        self,
        text: str,
        path: Path | str,
        *,
        indent: tuple[int, int, int] | None = None,
        null: str | None = None,
    ) -> None:
        """`indent` and `null` default to what `text` uses (give them when `text` is a part of
        a bigger file, see partial.py)."""
        from ruamel.yaml import YAML

        from kiro_tui.core.yaml.fast import LimitExceeded, check_limits

        try:
            check_limits(text)
        except LimitExceeded as exc:
            raise _too_much(path, exc) from None
        self.path = path
        self.text = text
        self.yaml = YAML(typ="rt")
        self.yaml.preserve_quotes = True
        self.yaml.width = 4096
        mapping, sequence, offset = indent or detect_indent(text)
        self.yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        self.yaml.Representer = _representer(detect_null(text) if null is None else null)
        try:
            self.data = self.yaml.load(text)
        except RecursionError:
            raise InvalidFile("nested too deeply; not loaded", file=path) from None
        except Exception as exc:
            raise _located(path, exc) from None

    def dump(self) -> str:
        if self.data is None:  # an empty document (or only comments): nothing to write back
            return self.text
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        return out.getvalue()


def quote_like(value: Any, *mappings: Any) -> Any:
    """`value`, quoted the way the strings of the first of `mappings` that holds any are.

    The seed double-quotes every string; a value kiro-tui adds next to them (a timestamp where
    there was `null`, a new `approved_by`) is written the same way. Values that replace a quoted
    string keep its quotes anyway (ruamel does that on assignment).
    """
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        ScalarString,
        SingleQuotedScalarString,
    )

    if not isinstance(value, str) or isinstance(value, ScalarString):
        return value
    for m in mappings:
        if not isinstance(m, dict):
            continue
        double = single = plain = 0
        for v in m.values():
            if isinstance(v, DoubleQuotedScalarString):
                double += 1
            elif isinstance(v, SingleQuotedScalarString):
                single += 1
            elif isinstance(v, str) and not isinstance(v, ScalarString):
                plain += 1
        if not (double or single or plain):
            continue
        if double > plain and double >= single:
            return DoubleQuotedScalarString(value)
        if single > plain:
            return SingleQuotedScalarString(value)
        return value
    return value


_NULL_WORDS = ("null", "Null", "NULL", "~")
_REPRESENTERS: dict[str, Any] = {}


def detect_null(text: str) -> str:
    """How the file writes a null value: `null` (the seed), or nothing after the colon
    (hand-written and some yq files). Every null of a rewritten file is written that way."""
    lines = text.splitlines()
    explicit = empty = 0
    for i, line in enumerate(lines):
        body = line.split(" #", 1)[0].rstrip()
        if not body or body.lstrip().startswith("#"):
            continue
        if body.endswith(":") and not body.lstrip().startswith(("'", '"', "{", "[")):
            indent = len(body) - len(body.lstrip(" -"))
            nxt = next(
                (x for x in lines[i + 1 :] if x.strip() and not x.lstrip().startswith("#")), ""
            )
            child = len(nxt) - len(nxt.lstrip(" "))
            opens = child > indent or (child == indent and nxt.lstrip().startswith("-"))
            if not opens:
                empty += 1
        else:
            value = (
                body.rsplit(": ", 1)[-1].strip()
                if ": " in body
                else body.lstrip(" -")
                if body.lstrip().startswith("- ")
                else ""
            )
            if value in _NULL_WORDS:
                explicit += 1
    return "" if empty > explicit else "null"


def _representer(null_text: str) -> Any:
    """A round-trip representer class writing nulls as `null_text`. A subclass per style:
    ruamel's add_representer changes the class it is called on, for every user in the process."""
    found = _REPRESENTERS.get(null_text)
    if found is not None:
        return found
    from ruamel.yaml.representer import RoundTripRepresenter

    cls: Any = type(f"Null{len(_REPRESENTERS)}Representer", (RoundTripRepresenter,), {})

    def represent(representer: Any, _data: None) -> Any:
        return representer.represent_scalar("tag:yaml.org,2002:null", null_text)

    cls.add_representer(type(None), represent)
    _REPRESENTERS[null_text] = cls
    return cls


def dump_new(data: Any) -> str:
    """Dump a new document in the canonical style (mapping 2, sequence 4, offset 2)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.Representer = _representer("null")
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
