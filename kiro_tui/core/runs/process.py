"""One child process in its own session and process group: spawn with a scrubbed environment
and stdin from a file, drain stdout/stderr into `raw.jsonl` line by line, and stop the whole
group (SIGINT, SIGTERM, SIGKILL, then whatever is left of the group), or freeze and thaw it.

Processes are never matched by name: only by the group we created and the pids we recorded.
"""

from __future__ import annotations

import contextlib
import ctypes
import fnmatch
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

MAX_LINE = 1 << 20  # a longer line is truncated to this many bytes and flagged
BASE_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TZ",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
PR_SET_CHILD_SUBREAPER = 36
_subreaper_done = False
_subreaper_lock = threading.Lock()


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux prctl), once.

    An agent's children that outlive it are then re-parented to us, not to PID 1, so that
    stopping a group can also reap them: where PID 1 does not reap (many containers), they
    would otherwise stay zombies that still answer `kill(pgid, 0)`."""
    global _subreaper_done
    with _subreaper_lock:
        if _subreaper_done:
            return True
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            ok = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            ok = False
        _subreaper_done = ok
        return ok


def scrub_env(
    environ: Mapping[str, str],
    pass_: tuple[str, ...],
    drop: tuple[str, ...],
    extra: Mapping[str, str],
) -> dict[str, str]:
    """A small base allow-list, plus the names or patterns in `pass_`, minus `drop`, plus
    `extra` (the KIRO_* variables of the run)."""
    out: dict[str, str] = {}
    patterns = tuple(pass_)
    for k, v in environ.items():
        if k in BASE_ENV or any(fnmatch.fnmatchcase(k, p) for p in patterns):
            out[k] = v
    for k in list(out):
        if any(fnmatch.fnmatchcase(k, p) for p in drop):
            del out[k]
    out.update(extra)
    return out


# ---------------------------------------------------------------- group helpers


def _members(pgid: int) -> list[tuple[int, str, int]]:
    """(pid, state, ppid) of every process in group `pgid`, from /proc."""
    out: list[tuple[int, str, int]] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2 :].split()
        if len(rest) > 3 and int(rest[2]) == pgid:
            out.append((int(name), rest[0].decode(), int(rest[1])))
    return out


def reap_group(pgid: int, exclude: int | None = None) -> None:
    """Reap the zombies of group `pgid` that are our children (re-parented to us)."""
    me = os.getpid()
    for pid, state, ppid in _members(pgid):
        if pid != exclude and ppid == me and state == "Z":
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` still runs (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return any(state != "Z" for _pid, state, _ppid in _members(pgid))


def signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def wait_group_gone(pgid: int, timeout: float, exclude: int | None = None) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        reap_group(pgid, exclude)
        if not group_alive(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def stop_group(
    pgid: int,
    interrupt: float,
    terminate: float,
    *,
    leader_gone: Callable[[float], bool] | None = None,
    exclude: int | None = None,
) -> str:
    """SIGCONT (a frozen group cannot act on a signal), SIGINT, wait, SIGTERM, wait, SIGKILL; once
    the leader is gone, SIGKILL whatever is left of the group. Returns the last signal sent.

    `leader_gone(timeout)` waits for the leader to exit (our own child, reaped by its Popen);
    without it (an orphan of a dead driver) the whole group is watched instead."""

    def gone(t: float) -> bool:
        if leader_gone is not None:
            return leader_gone(t)
        return wait_group_gone(pgid, t, exclude)

    last = "none"
    signal_group(pgid, signal.SIGCONT)
    for sig, name, grace in (
        (signal.SIGINT, "SIGINT", interrupt),
        (signal.SIGTERM, "SIGTERM", terminate),
    ):
        if gone(0):
            break
        if signal_group(pgid, sig):
            last = name
        if gone(grace):
            break
    else:
        if not gone(0):
            signal_group(pgid, signal.SIGKILL)
            last = "SIGKILL"
            gone(5.0)
    if group_alive(pgid):
        signal_group(pgid, signal.SIGKILL)  # children that ignored the rest
        if last == "none":
            last = "SIGKILL(group)"
    wait_group_gone(pgid, 5.0, exclude)
    return last


# ---------------------------------------------------------------- raw log


class RawLog:
    """`raw.jsonl`: one JSON line per output line, each written with one `write` on an
    O_APPEND descriptor the moment it arrives (a kill of the driver loses nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def write_line(self, text: str) -> None:
        data = (text + "\n").encode("utf-8", "replace")
        with self._lock:
            if self._fd >= 0:
                os.write(self._fd, data)

    def record(self, obj: dict[str, object]) -> None:
        self.write_line(json.dumps(obj, ensure_ascii=False))

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


@dataclass(frozen=True, slots=True)
class Line:
    stream: str  # stdout | stderr
    text: str  # decoded with errors="replace", without the newline
    truncated: bool
    size: int  # bytes of the original line
    obj: Any  # the parsed JSON value of a stdout line that is JSON, else None


def read_lines(fh: IO[bytes], on_line: Callable[[bytes, bool, int], None]) -> None:
    """Call `on_line(data, truncated, size)` for each line of `fh` until EOF; a line over
    MAX_LINE is cut there (the rest is skipped); the last line may lack its newline."""
    while True:
        chunk = fh.readline(MAX_LINE + 1)
        if not chunk:
            return
        if len(chunk) > MAX_LINE and not chunk.endswith(b"\n"):
            size = len(chunk)
            while True:
                rest = fh.readline(1 << 16)
                size += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            on_line(chunk[:MAX_LINE], True, size)
            continue
        on_line(chunk.rstrip(b"\r\n") if chunk.endswith(b"\n") else chunk, False, len(chunk))


class AgentProcess:
    """A spawned agent (or any command): its own session, stdin from a file, output drained by
    two reader threads into `raw` and handed to `on_line` (called from those threads)."""

    def __init__(
        self,
        argv: tuple[str, ...] | list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        stdin_path: Path | None,
        raw: RawLog,
        on_line: Callable[[Line], None],
        raw_prefix: dict[str, object] | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self.raw = raw
        self.on_line = on_line
        self.prefix = raw_prefix or {}
        self.last_output = time.monotonic()
        self.lines = 0
        self.frozen = False
        self._frozen_since: float | None = None
        self.frozen_total = 0.0
        self._last_thaw = 0.0
        self._lock = threading.Lock()
        stdin: IO[bytes] | int
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            if not isinstance(stdin, int):
                stdin.close()
        self.pid = self.popen.pid
        self.pgid = self.pid  # start_new_session: the child leads its session and group
        self.started = time.monotonic()
        self.returncode: int | None = None
        self._exited = threading.Event()
        self._on_exit = on_exit
        self._waiter = threading.Thread(
            target=self._wait_exit, daemon=True, name=f"run-wait-{self.pid}"
        )
        self._waiter.start()
        self._readers = [
            threading.Thread(
                target=self._drain, args=(s, name), daemon=True, name=f"run-{name}-{self.pid}"
            )
            for s, name in ((self.popen.stdout, "stdout"), (self.popen.stderr, "stderr"))
        ]
        for t in self._readers:
            t.start()

    def _drain(self, fh: IO[bytes] | None, stream: str) -> None:
        if fh is None:
            return

        def one(data: bytes, truncated: bool, size: int) -> None:
            text = data.decode("utf-8", "replace")
            self.last_output = time.monotonic()
            obj = _json(text) if stream == "stdout" and not truncated else None
            if obj is not None:
                self.raw.write_line(text)
            else:
                rec: dict[str, object] = {"stream": stream, "line": text, **self.prefix}
                if truncated:
                    rec.update(truncated=True, bytes=size)
                self.raw.record(rec)
            with self._lock:
                self.lines += 1
            try:
                self.on_line(Line(stream, text, truncated, size, obj))
            except Exception as exc:  # a parser bug must not stop the draining
                self.raw.record({"stream": "kiro", "error": f"line handler failed: {exc!r}"})

        try:
            read_lines(fh, one)
        finally:
            fh.close()

    # -------------------------------------------------------------- waiting

    def _wait_exit(self) -> None:
        # one blocking waitpid per child: no polling while it runs
        self.returncode = self.popen.wait()
        self._exited.set()
        if self._on_exit is not None:
            self._on_exit()

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None if the leader is still running after `timeout`."""
        self._exited.wait(timeout)
        return self.returncode

    def join_readers(self, timeout: float = 5.0) -> None:
        for t in self._readers:
            t.join(timeout)

    @property
    def exited(self) -> bool:
        return self._exited.is_set()

    def idle_for(self) -> float:
        if self.frozen:
            return 0.0
        return time.monotonic() - max(self.last_output, self._last_thaw)

    # -------------------------------------------------------------- signals

    def freeze(self) -> None:
        with self._lock:
            if self.frozen or self.exited:
                return
            signal_group(self.pgid, signal.SIGSTOP)
            self.frozen = True
            self._frozen_since = time.monotonic()

    def thaw(self) -> None:
        with self._lock:
            if not self.frozen:
                return
            signal_group(self.pgid, signal.SIGCONT)
            self.frozen = False
            now = time.monotonic()
            self.frozen_total += now - (self._frozen_since or now)
            self._frozen_since = None
            self._last_thaw = now

    def stop(self, interrupt: float = 5.0, terminate: float = 5.0) -> str:
        """Stop the whole group (thawed first); returns the last signal that was needed."""
        self.thaw()

        def leader_gone(t: float) -> bool:
            return self.wait(t) is not None

        last = stop_group(
            self.pgid, interrupt, terminate, leader_gone=leader_gone, exclude=self.pid
        )
        self.wait(5.0)
        return last

    def cleanup_group(self) -> bool:
        """After the leader exited on its own: kill what is left of its group. True when
        something was left."""
        self.thaw()
        left = group_alive(self.pgid)
        if left:
            signal_group(self.pgid, signal.SIGKILL)
        wait_group_gone(self.pgid, 5.0, exclude=self.pid)
        return left


def _json(text: str) -> Any:
    """The JSON object or array on a line, or None."""
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
