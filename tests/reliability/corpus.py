"""The hostile corpus: every class of issue 11 in one workspace, through the real CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.reliability.scenarios import (
    HANG,
    MID,
    env,
    make_workspace,
)

# ------------------------------------------------------------------------------ the corpus

LAUGHS = (
    'id: bomb\ntitle: "b"\nstatus: planned\n'
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    + "tasks: *i\n"
)


def build_corpus(
    root: Path, outside: Path, *, huge_line: int = 20 << 20, milestones: int = 0
) -> None:
    """Every hostile class of issue 11 in one workspace (plus `milestones` small ones)."""
    make_workspace(root, 4)
    ms = root / ".milestones"
    a = ms / "active"
    files = {
        "bomb.yaml": LAUGHS,
        "deep.yaml": 'id: deep\ntitle: "d"\nstatus: planned\ntasks: '
        + "[" * 100_000
        + "]" * 100_000
        + "\n",
        "nan.yaml": 'id: nan\ntitle: "n"\nstatus: planned\nkiro_configuration:\n  phase_weights:'
        " {design: .nan, spec: 25, task: 20, execute: 40}\ntasks: []\n",
        "huge-weight.yaml": 'id: huge-weight\ntitle: "h"\nstatus: planned\nkiro_configuration:\n'
        f"  phase_weights: {{design: {10**400}, spec: 1, task: 1, execute: 1}}"
        "\ntasks: []\n",
        "list.yaml": "- a\n- b\n",
        "tasks-map.yaml": 'id: tasks-map\ntitle: "t"\nstatus: planned\ntasks: {a: 1, b: [2]}\n',
        "escape.yaml": 'id: escape\ntitle: "\\e]0;owned\\a\\e[2J\\e[31mred"\nstatus: planned\n'
        "tasks: []\n",
        "wrong-types.yaml": "id: wrong-types\ntitle: [1]\nstatus: {x: 1}\ntasks:\n  - id: t\n"
        "    kiro_workflow: {phases: {design: 5, spec: [1]}}\n",
    }
    for name, text in files.items():
        (a / name).write_text(text)
    (a / "nul.yaml").write_bytes(b"id: nul\x00\ntitle: x\n")
    (a / "utf8.yaml").write_bytes(b"id: utf8\ntitle: \xff\xfe\n")
    (a / "big.yaml").write_bytes(b'id: big\ntitle: "big"\nstatus: planned\n#' + b"p" * (9 << 20))
    (a / "x.yaml").mkdir()
    (a / "secret.yaml").symlink_to(outside / "secret.yaml")
    os.mkfifo(a / "fifo.yaml")
    cfg = ms / "config/kiro-config.yaml"
    cfg.write_text(cfg.read_text() + "\ngit:\n  push_every: .inf\n")
    logs = ms / "logs"
    with open(logs / f"execution-{MID}.jsonl", "ab") as fh:
        fh.write(b'{"event": "ok", "message": "before"}\n')
        fh.write(b'{"event": "esc", "message": "\\u001b]0;t\\u0007\\u001b[2J"}\n')
        fh.write(b'{"event_type": "typed"}\n{"action": "acted"}\n{"nothing": 1}\nnot json\n')
        fh.write(b"\xff\xfe\x00\n")
        chunk = b"q" * (1 << 20)
        for _ in range(huge_line >> 20):
            fh.write(chunk)
        fh.write(b"\n")
    os.mkfifo(logs / "execution-fifo.jsonl")
    (logs / "execution-link.jsonl").symlink_to(outside / "victim.jsonl")
    (logs / "exec-out-1").symlink_to(outside / "logs", target_is_directory=True)
    (ms / "sessions").mkdir(exist_ok=True)
    os.mkfifo(ms / "sessions/exec-rel-20261122-120000.yaml")
    add_milestones(root, milestones)


def add_milestones(root: Path, count: int) -> None:
    a = root / ".milestones/active"
    task = '  - id: "t-{j}"\n    title: "Task {j}"\n    status: "pending"\n    estimated_hours: 8\n'
    for i in range(count):
        body = "".join(task.format(j=j) for j in range(3))
        (a / f"m-{i:05d}.yaml").write_text(
            f'id: "m-{i:05d}"\ntitle: "Milestone {i}"\nstatus: "planned"\ntasks:\n{body}'
        )


def _measured(root: Path, args: list[str], seconds: float | None = None) -> dict[str, Any]:
    """One CLI command in a child: (rc, traceback, hang, seconds, peak KB) via wait4."""
    out = root.parent / f"cmd-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out}.out", "wb") as o, open(f"{out}.err", "wb") as e:
        p = subprocess.Popen(
            [sys.executable, "-m", "kiro_tui", "-C", str(root), *args],
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            env=env(),
        )
        t0 = time.monotonic()
        limit = seconds if seconds is not None else HANG
        hang = False
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > limit:
                if seconds is not None:  # `run`: asked to stop, as a user would
                    p.send_signal(signal.SIGTERM)
                    deadline = time.monotonic() + 5
                    while time.monotonic() < deadline:
                        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
                        if pid:
                            break
                        time.sleep(0.02)
                    if pid:
                        break
                hang = True
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.01)
        p.returncode = os.waitstatus_to_exitcode(status)
    text = Path(f"{out}.out").read_bytes() + Path(f"{out}.err").read_bytes()
    return {
        "args": " ".join(args),
        "rc": p.returncode,
        "hang": hang,
        "traceback": b"Traceback" in text or b"internal error" in text,
        "escapes": b"\x1b" in Path(f"{out}.out").read_bytes(),
        "secret_shown": b"TOP-SECRET" in text,
        "seconds": round(time.monotonic() - t0, 2),
        "peak_kb": usage.ru_maxrss,
        "tail": text[-300:].decode("utf-8", "replace"),
    }


COMMANDS = [
    ["status", "--json"],
    ["status"],
    ["validate"],
    ["validate", "--json"],
    ["log", "-n", "50"],
    ["log", MID, "-n", "50"],
    ["approve", MID, "t-000", "design"],
    ["phase", "start", MID, "t-001", "design"],
]


def run_corpus(
    root: Path,
    outside: Path,
    *,
    huge_line: int = 20 << 20,
    milestones: int = 0,
    run_seconds: float = 0.0,
    dashboard: bool = False,
) -> dict[str, Any]:
    from tests.reliability.common import folder_hash

    build_corpus(root, outside, huge_line=huge_line, milestones=milestones)
    before = folder_hash(outside)
    results = [_measured(root, c) for c in COMMANDS]
    if run_seconds:
        results.append(_measured(root, ["run", MID], seconds=run_seconds))
    board: dict[str, Any] = {}
    if dashboard:
        from tests.reliability.dashboard import run_dashboard

        board = run_dashboard(root)
        results.append({**board, "args": "(dashboard)", "escapes": False, "seconds": 0.0})
    figures: dict[str, Any] = {
        "commands": len(results),
        "tracebacks": sum(r["traceback"] for r in results),
        "hangs": sum(r["hang"] for r in results),
        "escapes_on_stdout": sum(r["escapes"] for r in results),
        "outside_read_or_written": int(
            folder_hash(outside) != before or any(r["secret_shown"] for r in results)
        ),
        "slowest_s": max(r["seconds"] for r in results),
        "peak_kb": max(r["peak_kb"] for r in results),
        "bad": [r for r in results if r["traceback"] or r["hang"] or r["escapes"]][:3],
    }
    if board:
        figures["dashboard_loaded"] = board["ready"]
        figures["dashboard_load_s"] = board["ready_s"]
        figures["dashboard_quit_s"] = board["quit_s"]
        figures["dashboard_peak_kb"] = board["peak_kb"]
    return figures


def baseline_peak(root: Path, milestones: int, *, dashboard: bool = False) -> int:
    """Peak KB of `status --json` and `validate` (and the dashboard) on a normal workspace of
    `milestones` small milestones."""
    make_workspace(root, 4)
    add_milestones(root, milestones)
    peaks = [_measured(root, c)["peak_kb"] for c in (["status", "--json"], ["validate"])]
    if dashboard:
        from tests.reliability.dashboard import run_dashboard

        peaks.append(run_dashboard(root)["peak_kb"])
    return max(peaks)
