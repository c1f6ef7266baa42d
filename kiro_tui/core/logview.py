"""Formatting and following event logs (shared by `kiro-tui log` and `kiro-tui run`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kiro_tui.core.events import Event, Follower, log_files
from kiro_tui.core.text import plain


def format_event(ev: Event) -> str:
    ts = ev.timestamp.replace("T", " ").rstrip("Z")[:19] if ev.timestamp else "?"
    who = ev.role or ev.source
    where = "/".join(x for x in (ev.milestone_id, ev.task_id, ev.phase) if x)
    level = "" if ev.level == "info" else f"[{ev.level}] "
    return plain(
        f"{ts}  {who:<20} {level}{ev.text()}" + (f"  ({where})" if where else ""), one_line=True
    )


def follow(
    ms_dir: Path, milestone: str | None = None, stop: object | None = None
) -> Iterator[Event]:
    """Yield events appended to any log from now on, as they arrive (watchfiles, no polling).
    Ctrl-C raises KeyboardInterrupt out of the loop (watchfiles would log a warning line if
    it suppressed it); the caller stops quietly."""
    import watchfiles

    followers: dict[Path, Follower] = {p: Follower(p, s) for p, s in log_files(ms_dir)}
    ms_dir.joinpath("logs").mkdir(parents=True, exist_ok=True)
    for changes in watchfiles.watch(
        ms_dir,
        debounce=50,
        step=10,
        stop_event=stop,  # type: ignore[arg-type]
        watch_filter=lambda _c, p: p.endswith(".jsonl"),
        raise_interrupt=True,
    ):
        for _change, raw in changes:
            path = Path(raw)
            if path not in followers:
                rel = path.relative_to(ms_dir)
                followers[path] = Follower(path, str(rel), start_at_end=False)
        batch: list[Event] = []
        for f in followers.values():
            batch.extend(
                x for x in f.read_new() if milestone is None or x.milestone_id in (None, milestone)
            )
        batch.sort(key=lambda e: e.timestamp)
        yield from batch
