"""One child process in its own session and process group: spawn with stdin from a file, drain
stdout/stderr into `raw.jsonl` (two reader threads, a chunk of lines at a time), wait for its
exit, and stop (see `groups.stop_group`), freeze or thaw its whole group."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from kiro_tui.core.runs.groups import group_alive, signal_group, stop_group, wait_group_gone
from kiro_tui.core.runs.output import Line, RawLine, RawLog, parse_json_line, read_chunks


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

        def chunk(got: list[RawLine]) -> None:
            # per chunk: one write of all its lines to raw.jsonl, then the parser, line by line
            self.last_output = time.monotonic()
            lines: list[Line] = []
            texts: list[str] = []
            for data, truncated, size in got:
                text = data.decode("utf-8", "replace")
                obj = parse_json_line(text) if stream == "stdout" and not truncated else None
                if obj is not None:
                    texts.append(text)
                else:
                    rec: dict[str, object] = {"stream": stream, "line": text, **self.prefix}
                    if truncated:
                        rec.update(truncated=True, bytes=size)
                    texts.append(json.dumps(rec, ensure_ascii=False))
                lines.append(Line(stream, text, truncated, size, obj))
            self.raw.write_lines(texts)
            with self._lock:
                self.lines += len(lines)
            for line in lines:
                try:
                    self.on_line(line)
                except Exception as exc:  # a parser bug must not stop the draining
                    self.raw.record({"stream": "kiro", "error": f"line handler failed: {exc!r}"})

        try:
            read_chunks(fh, chunk)
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

    def running_seconds(self) -> float:
        """Seconds since the spawn, the time it spent frozen left out."""
        return time.monotonic() - self.started - self.frozen_total

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
