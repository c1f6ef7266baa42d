"""Editing a document by patching the text of only the values an edit changed.

Most actions change a few scalars (a phase's `status`, a timestamp where there was `null`, the
`progress` block) and add a few scalar keys. Round-tripping the whole file through ruamel for
that costs ~20 ms per seed task on this machine's class of CPU (a 50-task milestone: ~1 s), and
even the focused edit round-trips every task a step touches. Here instead:

1. one pass of the C parser builds the plain data and notes where every value is (`_Where`);
2. the edit runs on a copy of that data (plain dicts and lists, as the focused edit's stubs);
3. the result is compared with the data, and every difference must be a scalar replaced by a
   scalar or a scalar key added at the end of a block mapping; its new text is written in the
   file's own style (the quotes of the value it replaces, or of its neighbours; the file's null);
4. the patched text is parsed again in C and must load as exactly the edited data (types too);
   the next load of that text takes the data from `fast.known` instead of parsing it.

Anything else (anchors, tags, block scalars next to an insertion, a removed or reordered key, a
new list or mapping, a value that cannot be written plainly on one line, a failed check) makes
`edit_patched` return None, and the caller edits the document the usual way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kiro_tui.core.yaml import fast, patch_check
from kiro_tui.core.yaml.patch_text import Blocks, Writer, flow_styled, style_of
from kiro_tui.core.yaml.patch_text import Unfit as _Unfit

T = TypeVar("T")


class _Where:
    """Where a mapping or sequence of the document is, and where each of its values is:
    `spans[key or index] = (start, end, style, child _Where or None)`, character offsets."""

    __slots__ = ("end", "flow", "indent", "keys", "last", "spans", "styles")

    def __init__(self, flow: bool) -> None:
        self.flow = flow
        self.indent = -1  # column of the first key (block mappings)
        self.last = 0  # offset after the last scalar or flow collection inside it
        self.end = -1  # offset after the closing bracket (flow collections)
        self.spans: dict[Any, tuple[int, int, str, _Where | None]] = {}
        self.keys: dict[Any, int] = {}  # where each key of a mapping starts
        self.styles: list[str] = []  # quote style of each string value directly in it


def _marked(text: str) -> tuple[Any, _Where]:
    """The plain data of `text` (as fast.try_load makes it) and where its values are."""
    CParser, table, constructor, cache, ev = fast._tools()
    parser = CParser(text)
    get = parser.get_event
    get()
    first = get()
    if type(first) is not ev.DocumentStartEvent or first.version or first.tags:
        raise _Unfit("directives or an empty document")
    scalar_t, alias_t = ev.ScalarEvent, ev.AliasEvent
    starts = (ev.MappingStartEvent, ev.SequenceStartEvent)
    ends = (ev.MappingEndEvent, ev.SequenceEndEvent)
    budget = fast._Budget()
    # per open container: [container, where, key waiting for its value (or _NONE)]
    stack: list[list[Any]] = []
    root: Any = _NONE
    root_where: _Where | None = None
    while True:
        e = get()
        t = type(e)
        if t is scalar_t:
            budget.scalar(e)
            if e.tag is not None or e.anchor is not None:
                raise _Unfit("tag or anchor")
            value = (
                fast._plain(e.value, table, constructor, cache)
                if e.implicit[0] and not e.style
                else e.value
            )
            end = e.end_mark.index
            if not stack:
                raise _Unfit("a scalar document")
            top = stack[-1]
            where: _Where = top[1]
            where.last = end
            if type(top[0]) is dict and top[2] is _NONE:
                if isinstance(value, dict | list) or value in top[0] or value == "<<":
                    raise _Unfit("complex, merge or duplicate key")
                if where.indent < 0:
                    where.indent = e.start_mark.column
                where.keys[value] = e.start_mark.index
                top[2] = value
                continue
            _put(top, value, (e.start_mark.index, end, e.style or "", None))
            if isinstance(value, str):
                where.styles.append(e.style or "")
        elif t in starts:
            budget.open(e)
            if e.tag is not None or e.anchor is not None:
                raise _Unfit("tag or anchor")
            container: Any = {} if t is ev.MappingStartEvent else []
            child = _Where(bool(e.flow_style))
            if stack:
                if type(stack[-1][0]) is dict and stack[-1][2] is _NONE:
                    raise _Unfit("complex key")
                _put(stack[-1], container, (e.start_mark.index, -1, "", child))
            else:
                root, root_where = container, child
            stack.append([container, child, _NONE])
        elif t in ends:
            budget.close()
            frame = stack.pop()
            where, key = frame[1], frame[2]
            if key is not _NONE:
                raise _Unfit("dangling key")
            if where.flow:
                where.last = where.end = e.end_mark.index
            if stack:
                parent = stack[-1]
                parent[1].last = max(parent[1].last, where.last)
                spans = parent[1].spans
                slot = len(parent[0]) - 1 if type(parent[0]) is list else _last_key(parent)
                s, _e, style, child = spans[slot]
                spans[slot] = (s, e.end_mark.index, style, child)
        elif t is alias_t:
            raise _Unfit("alias")
        elif t is ev.DocumentEndEvent:
            if type(get()) is not ev.StreamEndEvent:
                raise _Unfit("several documents")
            if root is _NONE or root_where is None or not isinstance(root, dict):
                raise _Unfit("the top level is not a mapping")
            return root, root_where
        else:
            raise _Unfit(t.__name__)


class _NoKey:
    __slots__ = ()


_NONE = _NoKey()


def _last_key(frame: list[Any]) -> Any:
    return frame[3] if len(frame) > 3 else next(reversed(frame[0]))


def _put(frame: list[Any], value: Any, span: tuple[int, int, str, _Where | None]) -> None:
    container, where, key = frame[0], frame[1], frame[2]
    if type(container) is list:
        where.spans[len(container)] = span
        container.append(value)
        return
    container[key] = value
    where.spans[key] = span
    frame[2] = _NONE
    if len(frame) > 3:
        frame[3] = key
    else:
        frame.append(key)


Patches = list[tuple[int, int, str]]


def _diff(old: Any, new: Any, where: _Where, out: Patches, b: Blocks) -> None:
    if isinstance(old, dict):
        if not isinstance(new, dict):
            raise _Unfit("a mapping replaced")
        keys = [k for k in old if k in new]
        new_keys = list(new)
        if new_keys[: len(keys)] != keys:
            raise _Unfit("a key moved")
        if len(keys) < len(old):
            if not keys:
                raise _Unfit("every key removed")
            _remove_keys([k for k in old if k not in new], where, out, b.w)
        for k in keys:
            _change(old[k], new[k], where, k, out, b)
        added = new_keys[len(keys) :]
        if added:
            _add_keys(new, added, where, out, b)
        return
    if not isinstance(new, list) or len(new) < len(old):
        raise _Unfit("a list replaced or shortened")
    for i, o in enumerate(old):
        _change(o, new[i], where, i, out, b)
    if len(new) > len(old):
        _append_items(new[len(old) :], where, out, b)


def _change(o: Any, n: Any, where: _Where, slot: Any, out: Patches, b: Blocks) -> None:
    if o is n or (type(o) is type(n) and type(o) not in (dict, list) and o == n):
        return  # (0 and 0.0 are equal, but the second is a change)
    w = b.w
    start, end, style, child = where.spans[slot]
    if child is not None and child.flow and not o and n and isinstance(n, dict | list):
        child = None  # an empty `[]` or `{}` that gets content: block style, as a new value
    if child is not None:
        if not child.flow:
            _diff(o, n, child, out, b)
            return
        inner: Patches = []
        try:
            _diff(o, n, child, inner, b)
        except _Unfit:  # a flow collection that changed shape is written again, whole
            if not isinstance(n, dict | list):
                raise
            out.append((start, end, b.flow(n, style_of(child))))
        else:
            out.extend(inner)
        return
    if style in ("|", ">"):
        raise _Unfit("a block scalar")
    if isinstance(n, dict | list):
        if where.flow or isinstance(slot, int) or flow_styled(n):
            out.append((start, end, b.flow(n, style_of(where))))
            return
        if where.indent < 0:
            raise _Unfit("a collection in a mapping without keys")
        new_text = b.value(n, where.indent, style_of(where))
    else:
        want = style if isinstance(o, str) and style else style_of(where)
        new_text = w.scalar(n, want, where.flow)
        if start == end and new_text and w.text[start - 1 : start] != " ":
            new_text = " " + new_text  # `key:` with an empty null
    if not new_text or new_text[0] in " \n":
        while start > 0 and w.text[start - 1] == " ":
            start -= 1  # `key: null` becomes `key:` + the new text
        if new_text.startswith(" \n"):
            new_text = new_text[1:]
    if not isinstance(n, dict | list):
        b.scalars[start] = (n, where.flow)
    out.append((start, end, new_text))


def _remove_keys(gone: list[Any], where: _Where, out: Patches, w: Writer) -> None:
    """Each removed key's lines go: from its line's start to the end of its value's line."""
    text = w.text
    if where.flow:
        raise _Unfit("keys removed from a flow mapping")
    for k in gone:
        start = where.keys[k]
        _s, end, style, child = where.spans[k]
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" ") or style in ("|", ">"):
            raise _Unfit("a key that does not start its line")
        if child is not None and not child.flow:
            raise _Unfit("a block collection removed")
        line_end = text.find("\n", end)
        out.append((line_start, len(text) if line_end < 0 else line_end + 1, ""))


def _insert_after_last(where: _Where, lines: list[str], out: Patches, w: Writer) -> None:
    """`lines` go after the line where the last value inside `where` ends."""
    last = list(where.spans.values())[-1]
    if last[2] in ("|", ">"):
        raise _Unfit("an insertion after a block scalar")
    at = w.text.find("\n", where.last)
    piece = "".join("\n" + x for x in lines)
    if at < 0:
        out.append((len(w.text), len(w.text), piece + "\n"))
    else:
        out.append((at, at, piece))


def _into_flow(where: _Where, pieces: list[str], out: Patches, w: Writer) -> None:
    """`pieces` go before the closing bracket of a non-empty flow collection."""
    close = where.end - 1
    if not where.spans or close < 0 or w.text[close : close + 1] not in ("}", "]"):
        raise _Unfit("an empty or unclosed flow collection")
    out.append((close, close, "".join(", " + x for x in pieces)))


def _add_keys(
    new: dict[Any, Any], added: list[Any], where: _Where, out: Patches, b: Blocks
) -> None:
    style = style_of(where)
    if where.flow:
        _into_flow(where, [f"{b.key(k)}: {b.flow(new[k], style)}" for k in added], out, b.w)
        return
    if where.indent < 0:
        raise _Unfit("keys added to a mapping without keys")
    lines = b.entries({k: new[k] for k in added}, where.indent, style)
    _insert_after_last(where, lines, out, b.w)


def _append_items(items: list[Any], where: _Where, out: Patches, b: Blocks) -> None:
    if where.flow:
        _into_flow(where, [b.flow(v, style_of(where)) for v in items], out, b.w)
        return
    text = b.w.text
    first = where.spans[0][0]
    line_start = text.rfind("\n", 0, first) + 1
    lead = text[line_start:first]
    if lead.strip(" ") != "-" or not lead.rstrip(" ").endswith("-"):
        raise _Unfit("list items that do not start their lines")
    lines = b.items(items, lead.index("-"), len(lead), style_of(where))
    _insert_after_last(where, lines, out, b.w)


def edit_patched(text: str, fn: Callable[[Any], T]) -> tuple[T, str] | None:
    """(fn's result, the new text) with `fn` applied to the plain data of `text`, or None when
    this edit cannot be done by patching (see the module's text). Errors raised by `fn`
    (refusals) are raised."""
    try:
        _parser, table, constructor, cache, _ev = fast._tools()
        data, where = _marked(text)
    except (_Unfit, fast.LimitExceeded):
        return None
    except Exception:  # a syntax error, no C extension: the usual edit says what is wrong
        return None
    new = patch_check.copy(data)
    result = fn(new)
    patches: list[tuple[int, int, str]] = []
    writer = Writer(text, table, constructor, cache)
    try:
        blocks = Blocks(writer)
        _diff(data, new, where, patches, blocks)
    except _Unfit:
        return None
    if not patches:
        return result, text
    patches.sort()
    pieces = []
    pos = 0
    for start, end, piece in patches:
        if start < pos:
            return None  # overlapping patches: never expected, but never guessed either
        pieces.append(text[pos:start])
        pieces.append(piece)
        pos = end
    pieces.append(text[pos:])
    out = "".join(pieces)
    back = patch_check.checked(text, out, data, new, where, patches, blocks.scalars, _marked)
    if back is None:
        return None
    fast.known(out, back)
    return result, out
