"""Run records: `.milestones/runs/<run-id>/meta.json`, written atomically (temp + rename) on
every status change, listed per milestone, and read back after a crash to find our agents."""

from __future__ import annotations

import json
import os
import socket
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiro_tui.core.ids import is_valid_id

STATUSES = (
    "queued",
    "running",
    "verifying",
    "succeeded",
    "failed",
    "blocked",
    "interrupted",
    "stopped",
)
LIVE = ("queued", "running", "verifying")
_tmp_counter = iter(range(1 << 62))
_tmp_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None  # None: the agent did not say (never 0 for unknown)

    @property
    def tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    milestone_id: str
    task_id: str
    phase: str
    status: str = "queued"
    preset: str | None = None
    dialect: str | None = None
    argv: tuple[str, ...] = ()
    cwd: str | None = None
    host: str = ""
    pid: int | None = None
    pgid: int | None = None
    start_time: int | None = None  # /proc/<pid>/stat field 22 (clock ticks since boot)
    driver_pid: int | None = None
    driver_start_time: int | None = None
    verify_pid: int | None = None
    verify_start_time: int | None = None
    session_id: str | None = None  # the agent's own session id (for resume)
    resume_of: str | None = None
    retry_of: str | None = None
    retries: int = 0
    reason: str | None = None  # why it ran (a rejection's reason, "resume", ...)
    stop_reason: str | None = None
    outcome: str | None = None  # classification of the end (ok, auth, needs_input, ...)
    message: str | None = None
    exit_code: int | None = None
    subtype: str | None = None
    queued_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    usage: Usage = field(default_factory=Usage)
    lines: int = 0
    unparsed_lines: int = 0

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["argv"] = list(self.argv)
        d["usage"]["tokens"] = self.usage.tokens
        return d

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in raw.items() if k in known}
        u = raw.get("usage") if isinstance(raw.get("usage"), dict) else {}
        assert isinstance(u, dict)
        data["usage"] = Usage(
            input_tokens=_int(u.get("input_tokens")),
            output_tokens=_int(u.get("output_tokens")),
            cost_usd=_float(u.get("cost_usd")),
        )
        data["argv"] = tuple(str(a) for a in raw.get("argv") or ())
        return cls(**data)


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _float(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def runs_dir(root: Path) -> Path:
    return root / ".milestones" / "runs"


def run_dir(root: Path, run_id: str) -> Path:
    if not is_valid_id(run_id):
        raise ValueError(f"invalid run id {run_id!r}")
    return runs_dir(root) / run_id


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def atomic_write_json(path: Path, data: dict[str, Any]) -> None:
    """Temp file in the same folder (unique per thread and call), fsync, rename over `path`."""
    with _tmp_lock:
        n = next(_tmp_counter)
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}.{n}")
    raw = json.dumps(data, ensure_ascii=False, indent=1).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, raw)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write(root: Path, rec: RunRecord) -> RunRecord:
    d = run_dir(root, rec.run_id)
    d.mkdir(parents=True, exist_ok=True)
    ignore = d.parent / ".gitignore"
    if not ignore.exists():  # run folders (prompts, raw output) never go into git
        ignore.write_text("# written by kiro-tui: agent runs stay local\n*\n")
    atomic_write_json(d / "meta.json", rec.to_json())
    return rec


def read(root: Path, run_id: str) -> RunRecord | None:
    try:
        raw = json.loads((run_dir(root, run_id) / "meta.json").read_text(encoding="utf-8"))
        return RunRecord.from_json(raw) if isinstance(raw, dict) else None
    except (OSError, ValueError, TypeError):
        return None


def list_runs(root: Path, milestone_id: str | None = None) -> list[RunRecord]:
    """Every readable run record (of one milestone), oldest first."""
    base = runs_dir(root)
    try:
        names = os.listdir(base)
    except OSError:
        return []
    out = []
    for name in names:
        if not is_valid_id(name):
            continue
        rec = read(root, name)
        if rec is not None and (milestone_id is None or rec.milestone_id == milestone_id):
            out.append(rec)
    out.sort(key=lambda r: (r.queued_at or r.started_at or "", r.run_id))
    return out


# ---------------------------------------------------------------- processes


def proc_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); None when gone or
    a zombie. The command name (field 2) may hold spaces and parentheses: split after the last
    ')'."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2 :].split()
    if len(rest) < 20 or rest[0] == b"Z":
        return None
    try:
        return int(rest[19])
    except ValueError:
        return None


def same_process(pid: int | None, start_time: int | None) -> bool:
    """Whether `pid` is alive and is the process that started at `start_time`."""
    if not pid or start_time is None:
        return False
    return proc_start_time(pid) == start_time


def hostname() -> str:
    return socket.gethostname()


@dataclass(frozen=True, slots=True)
class Orphan:
    record: RunRecord
    pid: int  # the process to stop (its group id equals it: it leads its own session)
    which: str  # "agent" | "verify"


def find_orphans(root: Path, *, host: str | None = None) -> list[Orphan]:
    """Processes of runs that a dead driver left behind on this host: the record says queued,
    running or verifying, the driver recorded is gone, and the recorded pid is alive with the
    same start time (processes are never matched by name)."""
    me = host or hostname()
    out: list[Orphan] = []
    for rec in list_runs(root):
        if not rec.live or rec.host != me:
            continue
        if same_process(rec.driver_pid, rec.driver_start_time):
            continue  # its driver is alive: not ours to stop
        for pid, st, which in (
            (rec.pid, rec.start_time, "agent"),
            (rec.verify_pid, rec.verify_start_time, "verify"),
        ):
            if pid and same_process(pid, st):
                out.append(Orphan(rec, pid, which))
    return out


def dead_driver_runs(root: Path, *, host: str | None = None) -> list[RunRecord]:
    """Live-looking records whose driver is gone (with or without a process left)."""
    me = host or hostname()
    return [
        r
        for r in list_runs(root)
        if r.live and r.host == me and not same_process(r.driver_pid, r.driver_start_time)
    ]


def mark(root: Path, rec: RunRecord, **changes: Any) -> RunRecord:
    return write(root, replace(rec, **changes))
