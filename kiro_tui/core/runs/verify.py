"""After a run ended well: are the deliverables there (FORMAT.md section 5, and `.yaml`/`.json`
ones must parse), and do the `verify` commands pass? Commands run in the run's working dir, in
their own process group, with their output appended to the run's `raw.jsonl`."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiro_tui.core import deliverables as dl
from kiro_tui.core.errors import InvalidId
from kiro_tui.core.model import Phase
from kiro_tui.core.runs.output import Line, RawLog
from kiro_tui.core.runs.process import AgentProcess
from kiro_tui.core.runs.settings import StopGrace, VerifyCommand

TAIL = 40
VERIFY_GRACE = StopGrace(1.0, 1.0)


@dataclass(frozen=True, slots=True)
class DeliverableCheck:
    present: tuple[str, ...]
    missing: tuple[str, ...]  # includes templates and unparsable ones
    template: tuple[str, ...]
    unparsable: tuple[tuple[str, str], ...]  # (label, one-line parse error)

    @property
    def complete(self) -> bool:
        return not self.missing

    def reason(self) -> str:
        bits = []
        plain = [
            m
            for m in self.missing
            if m not in self.template and m not in {u for u, _ in self.unparsable}
        ]
        if plain:
            bits.append("missing: " + ", ".join(plain))
        if self.template:
            bits.append("still the starter template: " + ", ".join(self.template))
        for label, err in self.unparsable:
            bits.append(f"{label} does not parse: {err}")
        return "; ".join(bits) or "every deliverable present"


def _parse_error(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json") or not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return str(exc)
    try:
        if suffix == ".json":
            json.loads(text)
        else:
            from ruamel.yaml import YAML

            YAML(typ="safe", pure=True).load(text)
    except Exception as exc:
        return " ".join(str(exc).split())[:200]
    return None


def check_deliverables(root: Path, task_id: str, phase: Phase) -> DeliverableCheck:
    rep = dl.report(root, task_id, phase)
    present: list[str] = []
    bad: list[tuple[str, str]] = []
    by_label = {d.label: d for d in phase.deliverables}
    for label in rep.present:
        d = by_label.get(label)
        err = None
        if d is not None:
            try:
                err = _parse_error(dl.resolve(root, task_id, phase.name, d))
            except InvalidId as exc:
                err = str(exc)
        if err:
            bad.append((label, err))
        else:
            present.append(label)
    missing = [*rep.missing, *(label for label, _ in bad)]
    return DeliverableCheck(tuple(present), tuple(missing), rep.template, tuple(bad))


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    failed: VerifyCommand | None = None
    exit_code: int | None = None
    timed_out: bool = False
    tail: tuple[str, ...] = ()  # the last 40 lines of the failed command
    error: str | None = None  # could not start it

    def reason(self) -> str:
        if self.ok or self.failed is None:
            return "verify passed"
        cmd = " ".join(self.failed.argv)
        if self.error:
            return f"verify command `{cmd}` could not start: {self.error}"
        if self.timed_out:
            return f"verify command `{cmd}` timed out after {self.failed.timeout:g} s"
        return f"verify command `{cmd}` exited {self.exit_code}"


def run_verify(
    commands: tuple[VerifyCommand, ...],
    *,
    cwd: Path,
    env: dict[str, str],
    raw: RawLog,
    grace: StopGrace = VERIFY_GRACE,
    on_spawn: Callable[[AgentProcess | None], None] | None = None,
    cancelled: threading.Event | None = None,
) -> VerifyResult:
    """Run each command in order; stop at the first that fails. `on_spawn` is told the process
    (to record its pid), then None when it is done; `cancelled` stops the running one."""
    for i, cmd in enumerate(commands):
        tail: deque[str] = deque(maxlen=TAIL)

        def keep(line: Line, tail: deque[str] = tail) -> None:
            tail.append(line.text)

        raw.record({"stream": "kiro", "verify": i, "argv": list(cmd.argv)})
        try:
            proc = AgentProcess(
                cmd.argv,
                cwd=cwd,
                env=env,
                stdin_path=None,
                raw=raw,
                on_line=keep,
                raw_prefix={"verify": i},
            )
        except OSError as exc:
            return VerifyResult(False, cmd, None, error=exc.strerror or str(exc))
        if on_spawn:
            on_spawn(proc)
        deadline = time.monotonic() + cmd.timeout
        code: int | None = None
        timed_out = False
        try:
            while code is None:
                code = proc.wait(0.1)
                if code is None and (
                    time.monotonic() > deadline or (cancelled is not None and cancelled.is_set())
                ):
                    timed_out = time.monotonic() > deadline
                    proc.stop(grace.interrupt, grace.terminate)
                    code = proc.wait(1.0)
                    if cancelled is not None and cancelled.is_set() and not timed_out:
                        proc.join_readers()
                        return VerifyResult(False, cmd, code, error="cancelled")
                    break
            proc.cleanup_group()
            proc.join_readers()
        finally:
            if on_spawn:
                on_spawn(None)
        raw.record({"stream": "kiro", "verify": i, "exit_code": code, "timed_out": timed_out})
        if timed_out or code != 0:
            return VerifyResult(False, cmd, code, timed_out, tuple(tail))
    return VerifyResult(True)
