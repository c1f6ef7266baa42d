"""Round-trip editing of one task of a milestone without round-tripping the other tasks.

ruamel's round-trip loader is pure Python (~7 ms per seed task, so ~150 ms to load a 20-task
milestone and ~90 ms to dump it). An action on one task (start, complete, approve, reject, block)
only changes that task and a few top-level keys, so:

1. the C parser finds the line span of every item of the top-level `tasks:` block sequence;
2. every other task is replaced by a one-line stub `- {id: ..., status: ..., __kiro_stub__: N}`
   (the workflow reads other tasks' `id` and `status` only: dependencies, milestone completion);
3. the reduced text is round-tripped (with the indentation and null style of the whole file),
   the edit applied, and the result dumped;
4. each stub line is replaced by the original text of its task, byte for byte;
5. the spliced text is checked: parsed again, it must equal the edited reduced document with
   the original tasks put back.

Whenever something does not fit (no block `tasks:` sequence, anchors or tags, an edit that
touched a stub or the task list, a failed check), `edit_focused` returns None and the caller
round-trips the whole file as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
STUB_KEY = "__kiro_stub__"
TOP_LEVEL = ""  # as the focused task: the edit changes top-level keys only, every task is a stub
_STUB_LINE = re.compile(r"^\s*- \{.*\b" + STUB_KEY + r": (\d+)\}\s*$")


class _Unfit(Exception):
    """The document does not fit the focused edit; round-trip the whole file."""


@dataclass
class _Split:
    lines: list[str]  # the text's lines, with their line ends
    spans: list[tuple[int, int, int]]  # per task item: (first line, end line, dash column)
    target: int  # index of the focused task


def _spans(text: str, lines: list[str]) -> list[tuple[int, int, int]]:
    """Line spans of the items of the top-level `tasks` block sequence, from the C parser."""
    from ruamel.yaml import events as ev
    from ruamel.yaml.clib._ruamel_yaml import CParser

    parser = CParser(text)
    stack: list[list[Any]] = []  # [kind, expecting a key (mappings only)]
    tasks_depth: int | None = None
    after_tasks_key = False
    starts: list[tuple[int, int]] = []
    end_line: int | None = None
    while True:
        e = parser.get_event()
        t = type(e)
        if t in (ev.StreamStartEvent, ev.DocumentStartEvent):
            if t is ev.DocumentStartEvent and (e.version or e.tags):
                raise _Unfit("directives")
            continue
        if t is ev.DocumentEndEvent:
            if type(parser.get_event()) is not ev.StreamEndEvent:
                raise _Unfit("several documents")
            break
        if t is ev.StreamEndEvent:
            break
        if t is ev.AliasEvent or getattr(e, "anchor", None) or getattr(e, "tag", None):
            raise _Unfit("anchors, aliases or tags")
        parent = stack[-1] if stack else None
        is_key = parent is not None and parent[0] == "map" and parent[1]
        if parent is not None and parent[0] == "map":
            parent[1] = not parent[1]
        if t is ev.ScalarEvent:
            if tasks_depth is not None and len(stack) == tasks_depth and end_line is None:
                raise _Unfit("a task that is not a mapping")
            if len(stack) == 1 and is_key:
                after_tasks_key = e.value == "tasks"
            elif len(stack) == 1:
                after_tasks_key = False
            continue
        if t in (ev.MappingStartEvent, ev.SequenceStartEvent):
            if len(stack) == 1 and after_tasks_key and not is_key:
                after_tasks_key = False
                if t is not ev.SequenceStartEvent or e.flow_style:
                    raise _Unfit("tasks is not a block sequence")
                if tasks_depth is not None:
                    raise _Unfit("two task lists")
                tasks_depth = 2
            elif tasks_depth is not None and len(stack) == tasks_depth and end_line is None:
                if t is not ev.MappingStartEvent or e.flow_style:
                    raise _Unfit("a task that is not a block mapping")
                starts.append((e.start_mark.line, e.start_mark.column))
            stack.append(["map" if t is ev.MappingStartEvent else "seq", True])
            continue
        # a mapping or sequence ends
        stack.pop()
        if tasks_depth is not None and len(stack) == tasks_depth - 1 and end_line is None:
            end_line = e.start_mark.line
    if tasks_depth is None or end_line is None or not starts:
        raise _Unfit("no task list")
    spans = []
    for i, (line, col) in enumerate(starts):
        before = lines[line][:col]
        dash = before.rstrip()
        if not dash.endswith("-") or dash[:-1].strip():
            raise _Unfit("a task item that does not start with '- ' on its first line")
        end = starts[i + 1][0] if i + 1 < len(starts) else end_line
        if end <= line:
            raise _Unfit("task items on one line")
        spans.append((line, end, len(dash) - 1))
    return spans


def _split(text: str, data: dict[str, Any], task_id: str) -> _Split:
    tasks = data.get("tasks")
    if not isinstance(tasks, list):
        raise _Unfit("no task list")
    lines = text.splitlines(keepends=True)
    spans = _spans(text, lines)
    if len(spans) != len(tasks):
        raise _Unfit("task spans do not match the tasks")
    if task_id == TOP_LEVEL:
        return _Split(lines, spans, -1)
    found = [i for i, t in enumerate(tasks) if isinstance(t, dict) and t.get("id") == task_id]
    if len(found) != 1:
        raise _Unfit("the task is missing or not unique")
    return _Split(lines, spans, found[0])


def _stub(i: int, task: Any, dash: int) -> str:
    if not isinstance(task, dict) or not isinstance(task.get("id"), str):
        raise _Unfit("a task without a string id")
    status = task.get("status")
    if status is not None and not isinstance(status, str):
        raise _Unfit("a task status that is not a string")
    return (
        " " * dash
        + "- {id: "
        + json.dumps(task["id"])
        + ", status: "
        + json.dumps(status)
        + f", {STUB_KEY}: {i}}}\n"
    )


def edit_focused(
    text: str, path: Path | str, fn: Callable[[Any], T], task_id: str
) -> tuple[T, str] | None:
    """(fn's result, the new text) editing only task `task_id` in full; None when the document
    does not fit (the caller then edits the whole document). Exceptions from `fn` propagate."""
    from kiro_tui.core.yaml.fast import LimitExceeded, try_load
    from kiro_tui.core.yaml.roundtrip import RoundTrip, detect_indent, detect_null

    try:
        ok, data = try_load(text)
    except LimitExceeded:  # the whole-file load reports it, located
        return None
    if not ok or not isinstance(data, dict):
        return None
    try:
        split = _split(text, data, task_id)
        stubs: dict[int, str] = {}
        parts: list[str] = []
        pos = 0
        for i, (first, end, dash) in enumerate(split.spans):
            parts.extend(split.lines[pos:first])
            if i == split.target:
                parts.extend(split.lines[first:end])
            else:
                stubs[i] = _stub(i, data["tasks"][i], dash)
                parts.append(stubs[i])
            pos = end
        parts.extend(split.lines[pos:])
        reduced = "".join(parts)
        doc = RoundTrip(reduced, path, indent=detect_indent(text), null=detect_null(text))
    except _Unfit:
        return None
    except Exception:
        return None
    if not isinstance(doc.data, dict):
        return None
    result = fn(doc.data)
    try:
        return result, _finish(doc, data, split, stubs)
    except _Unfit:
        return None


def _finish(doc: Any, data: dict[str, Any], split: _Split, stubs: dict[int, str]) -> str:
    from kiro_tui.core.yaml.fast import try_load

    tasks = doc.data.get("tasks")
    if not isinstance(tasks, list) or len(tasks) != len(split.spans):
        raise _Unfit("the edit changed the task list")
    for i in stubs:
        t = tasks[i]
        orig = data["tasks"][i]
        if (
            not isinstance(t, dict)
            or set(t) != {"id", "status", STUB_KEY}
            or t.get(STUB_KEY) != i
            or t.get("id") != orig.get("id")
            or t.get("status") != orig.get("status")
        ):
            raise _Unfit("the edit touched another task")
    out = doc.dump()
    lines = out.splitlines(keepends=True)
    done: set[int] = set()
    spliced: list[str] = []
    for line in lines:
        m = _STUB_LINE.match(line)
        if m and int(m.group(1)) in stubs:
            i = int(m.group(1))
            if i in done:
                raise _Unfit("a stub written twice")
            done.add(i)
            first, end, _dash = split.spans[i]
            spliced.extend(split.lines[first:end])
        else:
            spliced.append(line)
    if done != set(stubs):
        raise _Unfit("a stub went missing")
    new = "".join(spliced)
    # the check: the new text parses to the edited document with the other tasks as they were
    from kiro_tui.core.yaml.fast import LimitExceeded

    try:
        ok, got = try_load(new)
        ok2, reduced = try_load(out)
    except LimitExceeded:
        raise _Unfit("the result is beyond the limits") from None
    if not (ok and ok2 and isinstance(got, dict) and isinstance(reduced, dict)):
        raise _Unfit("the result does not parse")
    expected_tasks = [
        data["tasks"][i] if i in stubs else t for i, t in enumerate(reduced.get("tasks") or [])
    ]
    if got != {**reduced, "tasks": expected_tasks}:
        raise _Unfit("the result is not what was meant")
    return new
