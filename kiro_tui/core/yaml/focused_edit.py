"""Round-trip editing of one task of a milestone without round-tripping the other tasks.

ruamel's round-trip loader is pure Python (~7 ms per seed task, so ~150 ms to load a 20-task
milestone and ~90 ms to dump it). An action on one task (start, complete, approve, reject, block)
only changes that task and a few top-level keys, so:

1. one pass of the C parser loads the text (fast.try_load_marked) and notes the line span of
   every item of the top-level `tasks:` block sequence;
2. the text without the other tasks (only the focused one) is round-tripped (with the
   indentation and null style of the whole file); the edit sees the other tasks as plain
   `{id, status}` dicts (the workflow reads only those of other tasks: dependencies, milestone
   completion), which must come back untouched;
3. the result is dumped and the other tasks' original text put back around the focused task,
   byte for byte;
4. the spliced text is checked in C: it must parse and make exactly the other tasks' events
   more than the reduced result (fast.event_count); what it holds is handed to the next load
   of that text (fast.known), which does not parse it again.

A top-level edit (TOP_LEVEL: progress, pause, resume) replaces every task by a one-line stub
`- {id: ..., status: ..., __kiro_stub__: N}` instead, and the stubs are replaced by the original
text afterwards (checked by loading the result again).

Whenever something does not fit (no block `tasks:` sequence, anchors or tags, an edit that
touched a stub or the task list, a failed check), `edit_focused` returns None and the caller
round-trips the whole file as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
STUB_KEY = "__kiro_stub__"
TOP_LEVEL = ""  # as the focused task: the edit changes top-level keys only, every task is a stub
_STUB_LINE = re.compile(r"^\s*- \{.*\b" + STUB_KEY + r": (\d+)\}\s*$")


class _Unfit(Exception):
    """The document does not fit the focused edit; round-trip the whole file."""


class _Split:  # a plain class: a dataclass costs this import (every CLI action) ~2 ms
    __slots__ = ("lines", "reduced", "spans", "target", "text")

    def __init__(self, lines: list[str], spans: list[tuple[int, int, int]], target: int) -> None:
        self.lines = lines  # the text's lines, with their line ends
        self.spans = spans  # per task item: (first line, end line, dash column)
        self.target = target  # index of the focused task (-1: top-level keys only)
        self.text = ""  # the whole text, and the reduced one handed to ruamel
        self.reduced = ""


def _spans(marks: Any, lines: list[str]) -> list[tuple[int, int, int]]:
    """Line spans of the items of the top-level `tasks` block sequence, from what the C
    parser's pass noted (fast.TaskMarks)."""
    if marks is None or marks.anchored:
        raise _Unfit("anchors, aliases or tags")
    if marks.seq is None or marks.end_line is None or not marks.items:
        raise _Unfit("no task list")
    if marks.flow:
        raise _Unfit("tasks is not a block sequence")
    starts = marks.items
    end_line = marks.end_line
    spans = []
    for i, (line, col, block_map) in enumerate(starts):
        if not block_map:
            raise _Unfit("a task that is not a block mapping")
        before = lines[line][:col]
        dash = before.rstrip()
        if not dash.endswith("-") or dash[:-1].strip():
            raise _Unfit("a task item that does not start with '- ' on its first line")
        end = starts[i + 1][0] if i + 1 < len(starts) else end_line
        if end <= line:
            raise _Unfit("task items on one line")
        spans.append((line, end, len(dash) - 1))
    return spans


def _split(text: str, data: dict[str, Any], task_id: str, marks: Any) -> _Split:
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or tasks is not marks.seq:
        raise _Unfit("no task list")
    lines = text.splitlines(keepends=True)
    spans = _spans(marks, lines)
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
    from kiro_tui.core.yaml.fast import LimitExceeded, try_load_marked
    from kiro_tui.core.yaml.roundtrip import RoundTrip, detect_indent, detect_null

    try:
        ok, data, marks = try_load_marked(text)
    except LimitExceeded:  # the whole-file load reports it, located
        return None
    if not ok or not isinstance(data, dict):
        return None
    try:
        split = _split(text, data, task_id, marks)
        stubs: dict[int, str] = {}
        parts: list[str] = []
        pos = 0
        for i, (first, end, dash) in enumerate(split.spans):
            parts.extend(split.lines[pos:first])
            if i == split.target:
                parts.extend(split.lines[first:end])
            elif split.target < 0:
                stubs[i] = _stub(i, data["tasks"][i], dash)
                parts.append(stubs[i])
            else:  # checked here, given to `fn` as a plain dict (never round-tripped)
                _stub(i, data["tasks"][i], dash)
            pos = end
        parts.extend(split.lines[pos:])
        reduced = "".join(parts)
        split.text, split.reduced = text, reduced
        doc = RoundTrip(reduced, path, indent=detect_indent(text), null=detect_null(text))
    except _Unfit:
        return None
    except Exception:
        return None
    if not isinstance(doc.data, dict):
        return None
    if split.target < 0:
        result = fn(doc.data)
        try:
            return result, _finish(doc, data, split, stubs)
        except _Unfit:
            return None
    seq = doc.data.get("tasks")
    if not isinstance(seq, list) or len(seq) != 1 or not isinstance(seq[0], dict):
        return None
    target = seq[0]
    others = {
        i: {"id": t["id"], "status": t.get("status"), STUB_KEY: i}
        for i, t in enumerate(data["tasks"])
        if i != split.target
    }
    given = [target if i == split.target else others[i] for i in range(len(split.spans))]
    doc.data["tasks"] = given
    try:
        result = fn(doc.data)
    finally:
        unchanged = doc.data.get("tasks") is given and len(given) == len(split.spans)
        doc.data["tasks"] = seq
    try:
        if not unchanged or given[split.target] is not target:
            raise _Unfit("the edit changed the task list")
        for i, stub in others.items():
            t = given[i]
            if t is not stub or t != {
                "id": data["tasks"][i]["id"],
                "status": data["tasks"][i].get("status"),
                STUB_KEY: i,
            }:
                raise _Unfit("the edit touched another task")
        return result, _finish_one(doc, data, split)
    except _Unfit:
        return None


def _finish_one(doc: Any, data: dict[str, Any], split: _Split) -> str:
    """The dumped one-task document with the other tasks' original text put back around it;
    checked by parsing the result (one pass of the C parser)."""
    from kiro_tui.core.yaml.fast import LimitExceeded, event_count, known, try_load_marked

    out = doc.dump()
    try:
        ok, reduced, marks = try_load_marked(out)
    except LimitExceeded:
        raise _Unfit("the result is beyond the limits") from None
    if not (ok and isinstance(reduced, dict)) or marks is None:
        raise _Unfit("the reduced result does not parse")
    out_lines = out.splitlines(keepends=True)
    (first_out, end_out, dash_out) = _spans(marks, out_lines)[0]  # exactly one: checked below
    if len(marks.items) != 1 or {d for _f, _e, d in split.spans} != {dash_out}:
        raise _Unfit("the task list's indentation changed")
    lines, spans, k = split.lines, split.spans, split.target
    new = "".join(
        [
            *out_lines[:first_out],
            *lines[spans[0][0] : spans[k][0]],
            *out_lines[first_out:end_out],
            *lines[spans[k][1] : spans[-1][1]],
            *out_lines[end_out:],
        ]
    )
    # the check, by counting in C rather than loading the whole text again: the other tasks'
    # text is put back unchanged at the same indentation between items of the same sequence,
    # so the result must parse and make exactly their events more than the reduced result
    counts = [event_count(x) for x in (new, split.text, split.reduced, out)]
    if None in counts or counts[0] != counts[1] - counts[2] + counts[3]:  # type: ignore[operator]
        raise _Unfit("the result is not what was meant")
    expected = list(data["tasks"])
    expected[k] = reduced["tasks"][0]
    known(new, {**reduced, "tasks": expected})  # what the file now holds: not parsed again
    return new


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
