"""SIGKILL at random moments of a real `kiro-tui run` (the driver writing milestone, session,
role state and logs), then a next `run` that must take over at once and stop cleanly."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.reliability.kill9 import _all_parse, _temps
from tests.reliability.scenarios import HANG, MID, doc_of, env, make_workspace


def _start_run(root: Path) -> tuple[subprocess.Popen[bytes], threading.Event, list[bytes]]:
    """`kiro-tui run MID --json` with its output read in a thread; the event is set once the
    driver has started (its `driver_started` line)."""
    p = subprocess.Popen(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), "run", MID, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env(),
    )
    started = threading.Event()
    out: list[bytes] = []

    def read() -> None:
        assert p.stdout is not None
        for line in p.stdout:
            out.append(line)
            if b"driver_started" in line:
                started.set()
        started.set()  # ended: let the waiter look at the exit

    threading.Thread(target=read, daemon=True).start()
    return p, started, out


def _approve_waiting(root: Path) -> None:
    """A person approving every gate that waits, so the next driver has work to do."""
    from kiro_tui.core.errors import KiroError
    from kiro_tui.core.service import Workspace

    ws = Workspace(root, persist_cache=False)
    m = ws.milestone(MID)
    for t in m.tasks if m is not None else ():
        for ph in t.phases:
            if ph.status == "waiting_approval":
                try:
                    ws.approve(MID, t.id, ph.name, "reviewer")
                except KiroError:
                    pass


def run_kill9_run(base: Path, kills: int, seed: int = 12, tasks: int = 6) -> dict[str, Any]:
    rng = random.Random(seed)
    n_ws = 0
    root = base / f"ws-{n_ws}"
    make_workspace(root, tasks, deliverables=True, status="planned")
    done = parsed = next_ok = killed_mid = 0
    leftovers: list[str] = []
    problems: list[str] = []
    window = 1.0
    while done < kills:
        if str(doc_of(root).get("status")) == "completed":  # driven to the end: a new one
            shutil.rmtree(root, ignore_errors=True)
            n_ws += 1
            root = base / f"ws-{n_ws}"
            make_workspace(root, tasks, deliverables=True, status="planned")
        p, started, out = _start_run(root)
        if not started.wait(HANG) or p.poll() is not None:
            p.kill()
            p.wait()
            err = p.stderr.read() if p.stderr else b""
            problems.append(f"run did not start: {b''.join(out)[-200:]!r} {err[-300:]!r}")
            done += 1
            continue
        t0 = time.monotonic()
        time.sleep(rng.uniform(0.0, window))
        if p.poll() is not None:  # it drove the milestone to the end first: no kill to count
            p.wait(HANG)
            window = max(0.05, (time.monotonic() - t0) * 0.5)
            if str(doc_of(root).get("status")) != "completed":
                problems.append(f"run ended by itself (rc {p.returncode}) before the end")
                done += 1
            continue
        p.send_signal(signal.SIGKILL)
        killed_mid += 1
        p.wait(HANG)
        window = max(0.2, min(2.0, (time.monotonic() - t0) * 1.5))
        done += 1
        ok = _all_parse(root)
        parsed += ok
        if not ok:
            problems.append(f"kill {done}: a file does not parse")
        # the next run takes over at once (the killed driver's process is gone) and stops
        # cleanly on SIGTERM
        q, q_started, q_out = _start_run(root)
        if q_started.wait(HANG) and q.poll() is None:
            q.send_signal(signal.SIGTERM)
            try:
                rc = q.wait(HANG)
            except subprocess.TimeoutExpired:
                q.kill()
                rc = -1
            err = q.stderr.read() if q.stderr else b""
            if rc == 0 and b"Traceback" not in err:
                next_ok += 1
            else:
                problems.append(f"next run: rc {rc} {err[-300:]!r}")
        else:
            q.kill()
            q.wait()
            err = q.stderr.read() if q.stderr else b""
            if b"is completed: there is nothing to drive" in err:
                next_ok += 1  # the killed run had finished the milestone: nothing is left,
                continue  # and no next write, which is what removes a killed write's temp
            problems.append(f"next run blocked: {b''.join(q_out)[-200:]!r} {err[-300:]!r}")
        leftovers.extend(_temps(root, "active") + _temps(root, "sessions"))
        _approve_waiting(root)
    return {
        "kills": done,
        "killed_mid_run": killed_mid,
        "parse_ok": parsed,
        "next_run_ok": next_ok,
        "leftover_temp_files": len(leftovers),
        "workspaces": n_ws + 1,
        "problems": problems[:5],
    }


if __name__ == "__main__":  # pragma: no cover - a manual run
    print(run_kill9_run(Path(sys.argv[1]), int(sys.argv[2])), os.getpid())
