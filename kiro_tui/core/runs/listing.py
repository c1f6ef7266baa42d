"""Runs as people and scripts read them (`kiro-tui runs`, `runs show`): a table of records,
their JSON, and a run's stream as readable lines, parsed again from `raw.jsonl` with the
run's dialect (tool calls, text, errors, the result; kiro's own notes such as verify output)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from kiro_tui.core.runs import records
from kiro_tui.core.runs.dialects import parser_for
from kiro_tui.core.runs.output import Line, parse_json_line
from kiro_tui.core.runs.records import RunRecord
from kiro_tui.core.runs.stream import StreamEvent

MAX_READ = 64 << 20  # `runs show` reads at most the last 64 MB of a run's stream


def cost_text(rec: RunRecord) -> str:
    """The cost as shown: USD when the agent reported it, else "cost unknown" (never $0)."""
    if rec.usage.cost_usd is not None:
        return f"${rec.usage.cost_usd:.4f}"
    if rec.usage.tokens:
        return f"{rec.usage.tokens} tokens, cost unknown"
    return "cost unknown"


def duration_text(rec: RunRecord) -> str:
    if rec.duration_s is None:
        return "-"
    s = rec.duration_s
    return f"{s:.1f}s" if s < 120 else f"{int(s // 60)}m{int(s % 60):02d}s"


def table(recs: list[RunRecord]) -> list[str]:
    if not recs:
        return ["no runs"]
    rows = [("RUN", "MILESTONE", "TASK", "PHASE", "STATUS", "DURATION", "COST", "WHY")]
    for r in recs:
        why = r.outcome if r.outcome and r.outcome != "ok" else ""
        if r.stop_reason and r.status in ("stopped", "interrupted"):
            why = r.stop_reason
        rows.append(
            (
                r.run_id,
                r.milestone_id,
                r.task_id,
                r.phase,
                r.status,
                duration_text(r),
                cost_text(r),
                why,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]


def as_json(rec: RunRecord) -> dict[str, Any]:
    return {**rec.to_json(), "cost": cost_text(rec)}


def header(rec: RunRecord) -> list[str]:
    lines = [
        f"run {rec.run_id}: {rec.milestone_id} {rec.task_id} {rec.phase}, {rec.status}"
        + (f" ({rec.outcome})" if rec.outcome else ""),
        f"  agent: {rec.preset or '?'} ({rec.dialect or '?'}), session {rec.session_id or '-'}",
        f"  argv: {json.dumps(list(rec.argv))}",
        f"  duration {duration_text(rec)}, {cost_text(rec)}, {rec.lines} lines",
    ]
    if rec.resume_of:
        lines.append(f"  resumes {rec.resume_of}")
    if rec.message:
        lines.append(f"  {rec.message}")
    return lines


def _event_text(ev: StreamEvent) -> str | None:
    if ev.kind == "tool_call":
        tool = ev.tool or "?"
        return f"tool {ev.text}" if ev.text.startswith(tool) else f"tool {tool}: {ev.text}"
    if ev.kind == "text":
        return ev.text
    if ev.kind in ("error", "tool_result"):
        return f"error: {ev.text}"
    if ev.kind == "needs_input":
        return f"needs input: {ev.text}"
    if ev.kind == "session":
        return f"session {ev.session_id}"
    if ev.kind == "result":
        return f"result{' (error)' if ev.is_error else ''}: {ev.text}"
    return None


class StreamReader:
    """Readable lines of one run's `raw.jsonl`, from where the last call stopped."""

    def __init__(self, root: Path, rec: RunRecord, *, max_read: int = MAX_READ) -> None:
        self.path = records.run_dir(root, rec.run_id) / "raw.jsonl"
        self.parser = parser_for(rec.dialect or "text")
        self.offset = 0
        self.max_read = max_read  # the first read starts this far from the end, at a line
        self._partial = b""

    def _open(self) -> IO[bytes] | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        return os.fdopen(fd, "rb")

    def new_lines(self) -> Iterator[str]:
        fh = self._open()
        if fh is None:
            return
        with fh:
            size = os.fstat(fh.fileno()).st_size
            cut = self.offset == 0 and size > self.max_read
            if cut:
                self.offset = size - self.max_read
                yield f"... (the first {self.offset} bytes are left out)"
            fh.seek(self.offset)
            data = self._partial + fh.read()
            self.offset = fh.tell()
        if cut:  # the read began inside a line: start at the next one
            data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""
        *whole, self._partial = data.split(b"\n")
        for raw in whole:
            yield from self._render(raw.decode("utf-8", "replace"))

    def _render(self, text: str) -> Iterator[str]:
        obj = parse_json_line(text)
        if isinstance(obj, dict) and "stream" in obj and ("line" in obj or "verify" in obj):
            stream = str(obj.get("stream"))
            if "verify" in obj and "line" not in obj:
                if "argv" in obj:
                    yield f"[verify] $ {' '.join(map(str, obj['argv']))}"
                else:
                    yield f"[verify] exit code {obj.get('exit_code')}"
                return
            prefix = "[verify] " if "verify" in obj else f"[{stream}] "
            if stream == "stdout" and "verify" not in obj:
                for ev in self.parser.feed(Line("stdout", str(obj["line"]), False, 0, None)):
                    shown = _event_text(ev)
                    if shown:
                        yield shown
                        return
            line = str(obj.get("line", obj.get("error", "")))
            yield prefix + (line[:500] + "…" if len(line) > 500 else line)
            return
        if isinstance(obj, dict) and obj.get("stream") == "kiro":
            yield f"[kiro] {obj.get('error') or json.dumps(obj)}"
            return
        for ev in self.parser.feed(Line("stdout", text, False, len(text), obj)):
            shown = _event_text(ev)
            if shown:
                yield shown
