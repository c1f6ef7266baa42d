"""A faster safe YAML load for display: ruamel's C parser, with objects built from its events.

ruamel's `YAML(typ="safe", pure=False)` parses in C but resolves and constructs every node in
Python, through several layers per scalar (~1 ms per seed task). Here the C parser's events are
turned into plain objects in one loop, and plain scalars are resolved with ruamel's own YAML 1.2
implicit resolvers and constructors (so `1`, `true`, `null`, `2026-11-20T08:00:00Z` mean exactly
what they mean to ruamel), cached by value. About three times faster on seed-style files.

Anything unusual (explicit tags, merge keys, directives, complex or duplicate keys, several
documents, any error) returns `None` from `try_load`, and the caller uses ruamel's loader, which
gives the same result or the located error.

Both paths are held to the same limits (`LimitExceeded`): nesting deeper than MAX_DEPTH, aliases
that would expand the document beyond MAX_NODES nodes (a "billion laughs"), and an alias to a
node that contains it. The C parser is quadratic in flow nesting, so the limits are checked as
the events arrive and stop it early: a hostile file is refused in milliseconds.
"""

from __future__ import annotations

from typing import Any

_TOOLS: Any = None
_STR = "tag:yaml.org,2002:str"
_CACHE_LIMIT = 50_000
MAX_DEPTH = 100  # mappings and sequences inside each other
MAX_NODES = 1_000_000  # nodes of the document once every alias is expanded


class _Unusual(Exception):
    """The fast path does not handle this document; use ruamel's loader."""


class LimitExceeded(Exception):
    """The document is too deep or its aliases expand too far; `line` is 1-based."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Budget:
    """Counts the nodes of a document as its events arrive, aliases expanded."""

    __slots__ = ("depth", "max_depth", "max_nodes", "sizes", "starts", "total")

    def __init__(self, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
        self.depth = 0
        self.total = 0
        self.starts: list[tuple[str | None, int]] = []  # (anchor, total at start) per container
        self.sizes: dict[str, int] = {}  # closed anchors -> expanded size
        self.max_depth = max_depth
        self.max_nodes = max_nodes

    def _line(self, e: Any) -> int | None:
        mark = getattr(e, "start_mark", None)
        return mark.line + 1 if mark is not None else None

    def open(self, e: Any) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise LimitExceeded(
                f"nested deeper than {self.max_depth} levels; not loaded", self._line(e)
            )
        self.starts.append((e.anchor, self.total))
        self.total += 1

    def close(self) -> None:
        self.depth -= 1
        anchor, start = self.starts.pop()
        if anchor is not None:
            self.sizes[anchor] = self.total - start

    def scalar(self, e: Any) -> None:
        self.total += 1
        if e.anchor is not None:
            self.sizes[e.anchor] = 1

    def alias(self, e: Any) -> None:
        size = self.sizes.get(e.anchor)
        if size is None:
            if any(a == e.anchor for a, _ in self.starts):
                raise LimitExceeded(
                    f"alias *{e.anchor} refers to a node that contains it; not loaded",
                    self._line(e),
                )
            raise LimitExceeded(f"alias *{e.anchor} has no anchor", self._line(e))
        self.total += size
        if self.total > self.max_nodes:
            raise LimitExceeded(
                f"aliases expand the document beyond {self.max_nodes:,} nodes "
                "(a YAML bomb?); not loaded",
                self._line(e),
            )


def check_limits(text: str) -> None:
    """Raise LimitExceeded when `text` is too deep or its aliases expand too far (a parse
    error is left for the loader to report, located)."""
    try:
        CParser, _table, _constructor, _cache, ev = _tools()
    except Exception:  # no C extension: ruamel's pure parser, same events
        from ruamel.yaml import events as ev
        from ruamel.yaml.parser import Parser
        from ruamel.yaml.reader import Reader
        from ruamel.yaml.scanner import Scanner

        class _Pure(Reader, Scanner, Parser):
            def __init__(self, stream: str) -> None:
                Reader.__init__(self, stream, loader=self)
                Scanner.__init__(self, loader=self)
                Parser.__init__(self, loader=self)

        parser: Any = _Pure(text)
    else:
        parser = CParser(text)
    budget = _Budget()
    starts = (ev.MappingStartEvent, ev.SequenceStartEvent)
    ends = (ev.MappingEndEvent, ev.SequenceEndEvent)
    try:
        while True:
            e = parser.get_event()
            if isinstance(e, starts):
                budget.open(e)
            elif isinstance(e, ends):
                budget.close()
            elif isinstance(e, ev.ScalarEvent):
                budget.scalar(e)
            elif isinstance(e, ev.AliasEvent):
                budget.alias(e)
            elif isinstance(e, ev.StreamEndEvent):
                return
    except LimitExceeded:
        raise
    except Exception:  # a syntax error: the loader reports it with its place
        return


def _tools() -> Any:
    global _TOOLS
    if _TOOLS is None:
        from ruamel.yaml import YAML
        from ruamel.yaml import events as ev
        from ruamel.yaml.clib._ruamel_yaml import CParser

        # the resolver and constructor of a safe loader of our own (never used to load):
        # their YAML version is the loader's default, as for ruamel's own safe loads
        y = YAML(typ="safe", pure=False)
        _TOOLS = (CParser, y.resolver.versioned_resolver, y.constructor, {}, ev)
    return _TOOLS


def _plain(value: str, table: Any, constructor: Any, cache: dict[str, Any]) -> Any:
    """A plain (unquoted) scalar, resolved and constructed as ruamel's safe loader would."""
    try:
        return cache[value]
    except KeyError:
        pass
    resolvers = list(table.get(value[0] if value else "", [])) + list(table.get(None, []))
    tag = _STR
    for t, regexp in resolvers:
        if regexp.match(value):
            tag = str(t)
            break
    if tag == _STR:
        result: Any = value
    else:
        from ruamel.yaml.nodes import ScalarNode
        from ruamel.yaml.tag import Tag

        fn = constructor.yaml_constructors.get(tag)
        if fn is None or tag.endswith((":merge", ":value")):
            raise _Unusual(tag)
        result = fn(constructor, ScalarNode(Tag(suffix=tag), value))
    if len(cache) < _CACHE_LIMIT:
        cache[value] = result
    return result


def event_count(text: str) -> int | None:
    """How many parse events `text` makes, counted in C (no Python objects); None when it does
    not parse (or there is no C extension)."""
    try:
        CParser = _tools()[0]
        return int(CParser(text).raw_parse())
    except Exception:
        return None


_KNOWN: list[tuple[str, Any]] = []  # (text, data) an edit just wrote, for the next load


def known(text: str, data: Any) -> None:
    """`text` (just written by an edit that knows what it holds) loads as `data`: the next
    `try_load` of exactly this text takes it instead of parsing it again (once)."""
    _KNOWN[:] = [(text, data)]


def try_load(text: str, fresh: bool = False) -> tuple[bool, Any]:
    """(True, data) when the fast path could load `text`; (False, None) to use ruamel instead.
    Raises LimitExceeded for a document too deep or expanding too far (never loaded).
    `fresh`: parse it, leaving what `known` holds for the next load."""
    if _KNOWN and not fresh:
        try:
            was, data = _KNOWN.pop()
        except IndexError:
            pass
        else:
            if was == text:
                return True, data
    try:
        CParser, table, constructor, cache, ev = _tools()
    except Exception:  # no C extension
        return False, None
    try:
        return True, _build(CParser(text), table, constructor, cache, ev)
    except LimitExceeded:
        raise
    except Exception:
        return False, None


def try_load_marked(text: str) -> tuple[bool, Any, TaskMarks | None]:
    """As `try_load`, and where the items of the top-level `tasks` sequence are (for
    focused_edit): one pass of the C parser serves both."""
    try:
        CParser, table, constructor, cache, ev = _tools()
    except Exception:  # no C extension
        return False, None, None
    marks = TaskMarks()
    try:
        return True, _build(CParser(text), table, constructor, cache, ev, marks), marks
    except LimitExceeded:
        raise
    except Exception:
        return False, None, None


class TaskMarks:
    """What `_build` notes about the top-level `tasks` sequence: its style, each item's start
    (line, column, whether it is a block mapping), the line of its end; anchors anywhere."""

    __slots__ = ("anchored", "end_line", "flow", "items", "seq")

    def __init__(self) -> None:
        self.seq: Any = None  # the tasks list, once met
        self.flow = False
        self.items: list[tuple[int, int, bool]] = []
        self.end_line: int | None = None
        self.anchored = False


def _build(
    parser: Any,
    table: Any,
    constructor: Any,
    cache: dict[str, Any],
    ev: Any,
    marks: TaskMarks | None = None,
) -> Any:
    scalar_t, mstart_t, mend_t = ev.ScalarEvent, ev.MappingStartEvent, ev.MappingEndEvent
    sstart_t, send_t, alias_t = ev.SequenceStartEvent, ev.SequenceEndEvent, ev.AliasEvent
    dstart_t, dend_t, stream_end_t = ev.DocumentStartEvent, ev.DocumentEndEvent, ev.StreamEndEvent
    get = parser.get_event
    get()  # stream start
    first = get()
    if type(first) is stream_end_t:
        return None
    if type(first) is not dstart_t or first.version or first.tags:
        raise _Unusual("directives")
    anchors: dict[str, Any] = {}
    # a stack of containers; for a mapping, the key waiting for its value (or a sentinel)
    stack: list[Any] = []
    keys: list[Any] = []
    none = _NO_KEY
    root: Any = none
    budget = _Budget()
    while True:
        e = get()
        t = type(e)
        if t is scalar_t:
            budget.scalar(e)
            if e.tag is not None:
                raise _Unusual("tag")
            value = (
                _plain(e.value, table, constructor, cache)
                if e.implicit[0] and not e.style
                else e.value
            )
            if e.anchor is not None:
                anchors[e.anchor] = value
                if marks is not None:
                    marks.anchored = True
            if marks is not None and len(stack) == 2 and stack[1] is marks.seq:
                marks.items.append((e.start_mark.line, e.start_mark.column, False))
        elif t is mstart_t or t is sstart_t:
            if e.tag is not None:
                raise _Unusual("tag")
            budget.open(e)
            container: Any = {} if t is mstart_t else []
            if e.anchor is not None:
                anchors[e.anchor] = container
            if marks is not None:
                if e.anchor is not None:
                    marks.anchored = True
                if len(stack) == 2 and stack[1] is marks.seq:
                    block_map = t is mstart_t and not e.flow_style
                    marks.items.append((e.start_mark.line, e.start_mark.column, block_map))
                elif (
                    len(stack) == 1
                    and t is sstart_t
                    and keys[0] == "tasks"
                    and marks.seq is None
                    and type(stack[0]) is dict
                ):
                    marks.seq, marks.flow = container, bool(e.flow_style)
            _add(stack, keys, container)
            stack.append(container)
            keys.append(none)
            continue
        elif t is mend_t or t is send_t:
            budget.close()
            container = stack.pop()
            if keys.pop() is not none:
                raise _Unusual("dangling key")
            if marks is not None and container is marks.seq:
                marks.end_line = e.start_mark.line
            if not stack:
                root = container
            continue
        elif t is alias_t:
            budget.alias(e)
            if marks is not None:
                marks.anchored = True
            value = anchors[e.anchor]
        elif t is dend_t:
            if type(get()) is not stream_end_t:
                raise _Unusual("several documents")
            if root is none:
                raise _Unusual("no root")
            return root
        else:
            raise _Unusual(t.__name__)
        if not stack:
            root = value
        else:
            _add(stack, keys, value)


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()


def _add(stack: list[Any], keys: list[Any], value: Any) -> None:
    if not stack:
        return
    top = stack[-1]
    if type(top) is list:
        top.append(value)
        return
    key = keys[-1]
    if key is _NO_KEY:
        if isinstance(value, dict | list) or value == "<<" or value in top:
            raise _Unusual("complex, merge or duplicate key")
        keys[-1] = value
    else:
        top[key] = value
        keys[-1] = _NO_KEY
