"""The run view's reader, off the UI thread: follows the run of a milestone, task or phase
(the newest one not over, else the newest; a retry's new run takes over), reads only the new
bytes of its `raw.jsonl` through `core.runs.listing.StreamReader` (the lines `kiro-tui runs
show` prints), and posts them in bounded batches. It sleeps in watchfiles until something under
`.milestones/runs/` changes (at most `REFRESH` s, for the record's status and cost)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.message import Message

from kiro_tui.core.runs.records import RunRecord
from kiro_tui.core.text import plain

BATCH = 250  # lines per message: the UI thread answers keys between two batches
KEEP = 5000  # lines the view keeps (its Log's max_lines); older ones are dropped first
LINE_MAX = 2000  # characters of one line shown
FIRST_READ = 4 << 20  # the first read of a run starts this many bytes from the end
REFRESH = 1.0
Target = tuple[str, str | None, str | None]


class RunChanged(Message):
    """The record of the run shown (`new`: another run than before, or the first)."""

    def __init__(self, rec: RunRecord | None, new: bool) -> None:
        super().__init__()
        self.rec = rec
        self.new = new


class RunLines(Message):
    def __init__(self, run_id: str, lines: list[str]) -> None:
        super().__init__()
        self.run_id = run_id
        self.lines = lines


def shown_lines(raw: list[str]) -> list[str]:
    """Lines as the view shows them: one screen line each, plain (control characters made
    visible), cut at LINE_MAX; only the last KEEP when there are more."""
    out: list[str] = []
    for text in raw:
        for part in text.split("\n"):
            part = plain(part, one_line=True)
            out.append(part if len(part) <= LINE_MAX else part[: LINE_MAX - 1] + "…")
    if len(out) > KEEP:
        out = [f"... ({len(out) - KEEP + 1} earlier lines not shown)", *out[-(KEEP - 1) :]]
    return out


def tail(
    root: Path,
    target: Target,
    post: Callable[[Any], object],
    stop: threading.Event,
    wake: threading.Event,
) -> None:
    """Follow `target` until `stop` is set (a thread worker calls this)."""
    from kiro_tui.agents.watch import Watcher
    from kiro_tui.core.runs import records
    from kiro_tui.core.runs.control import RunsIndex, pick
    from kiro_tui.core.runs.listing import StreamReader

    index = RunsIndex(root)
    runs = records.runs_dir(root)
    watched = runs if runs.is_dir() else root / ".milestones"
    watcher = Watcher([watched], debounce_ms=50, step_ms=10)
    cur: RunRecord | None = None
    reader: StreamReader | None = None
    first = True
    try:
        while not stop.is_set():
            rec = pick(index.records(), *target)
            if rec is not None and (cur is None or rec.run_id != cur.run_id):
                reader = StreamReader(root, rec, max_read=FIRST_READ)
                post(RunChanged(rec, True))
            elif first or rec != cur:
                post(RunChanged(rec, first))
            first, cur = False, rec
            if reader is not None and cur is not None:
                lines = shown_lines(list(reader.new_lines()))
                for i in range(0, len(lines), BATCH):
                    post(RunLines(cur.run_id, lines[i : i + BATCH]))
            if watched != runs and runs.is_dir():
                watched = runs
                watcher.set_paths([runs])
            watcher.wait(REFRESH, stop, wake)
            wake.clear()
    finally:
        watcher.close()
