"""The dashboard's key response while agents stream (issue 9: a `garbage`/`slow` agent printing
10,000 lines must not make it worse than 50 ms): `kiro-tui demo` in a real pty (bench_ui's
`Term`), its executor running the fake agent as `claude` with the `slow` scenario at 10,000
lines as fast as it can; `?` is pressed and the help screen's title awaited, then Esc, again and
again while the agents run; the same on `kiro-tui demo --no-agents` as the anchor.

    python bench/bench_runs_screen.py [--presses 15]

Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_ui import PY, Term


def raw_bytes(runs: Path | None) -> int:
    return sum(p.stat().st_size for p in runs.glob("*/raw.jsonl")) if runs else 0


def presses(
    t: Term,
    n: int,
    during: float | None = None,
    runs: Path | None = None,
    streaming: list[float] | None = None,
) -> list[float]:
    """`?` then Esc, `n` times; a press during which some raw.jsonl under `runs` grew is also
    added to `streaming`."""
    out: list[float] = []
    end = None if during is None else time.perf_counter() + during
    for _ in range(n):
        if end is not None and time.perf_counter() > end:
            break
        m = t.mark()
        before = raw_bytes(runs)
        sent = time.perf_counter() - t.t0
        t.send(b"?")
        out.append((t.wait_for("kiro-tui keys", since=m) - sent) * 1000)
        if streaming is not None and raw_bytes(runs) > before:
            streaming.append(out[-1])
        m = t.mark()
        t.send(b"\x1b")
        t.wait_for("Milestones", since=m)
        time.sleep(0.3)  # let the main screen settle before the next press (a figure only)
    return out


def run_view_presses(t: Term, n: int, during: float) -> tuple[list[float], list[float]]:
    """`r` opens the run view (its title awaited), `f` toggles follow inside it (the notice
    awaited) while its log fills, Esc closes it; again and again while the agents run."""
    opens: list[float] = []
    inside: list[float] = []
    end = time.perf_counter() + during
    for _ in range(n):
        if time.perf_counter() > end:
            break
        m = t.mark()
        sent = time.perf_counter() - t.t0
        t.send(b"r")
        opens.append((t.wait_for("Agent output", since=m) - sent) * 1000)
        time.sleep(0.3)  # the reader fills the log meanwhile
        for word in ("stays put", "follows new"):
            m = t.mark()
            sent = time.perf_counter() - t.t0
            t.send(b"f")
            inside.append((t.wait_for(word, since=m) - sent) * 1000)
            time.sleep(0.2)
        m = t.mark()
        t.send(b"\x1b")
        t.wait_for("Milestones", since=m)
        time.sleep(0.3)
    return opens, inside


def row(name: str, values: list[float]) -> None:
    if not values:
        print(f"{name:<48} no sample")
        return
    v = sorted(values)
    rest = f"; first {values[0]:.1f}, max of the others {max(values[1:]):.1f}" if values[1:] else ""
    print(
        f"{name:<48} min {v[0]:7.1f}  median {statistics.median(v):7.1f}  max {v[-1]:7.1f} ms"
        f"  (n={len(v)}{rest}; target <= 50 ms)"
    )


def quit_(t: Term) -> None:
    """`q`: the dashboard stops its agents and exits (then the pty is closed)."""
    import subprocess

    time.sleep(0.5)
    t.send(b"q")
    try:
        t.proc.wait(30)
    except subprocess.TimeoutExpired:
        print(f"{'':<48} (q did not end the dashboard within 30 s: SIGTERM)")
    finally:
        t.close()


def demo(base: Path, name: str, *extra: str) -> Term:
    return Term([PY, "-m", "kiro_tui", "demo", "--path", str(base / name), *extra])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presses", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        os.environ.update(
            XDG_CONFIG_HOME=str(base / "cfg"),
            XDG_STATE_HOME=str(base / "state"),
            PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        )
        t = demo(base, "quiet", "--no-agents")
        try:
            t.wait_for("Milestones")
            t.wait_for("driving")
            row("key response, no agents", presses(t, args.presses))
        finally:
            quit_(t)
        pids = base / "pids.txt"
        os.environ.update(
            FAKE_AGENT_PIDS=str(pids),
            FAKE_AGENT_SCENARIO="slow",
            FAKE_AGENT_SLOW_LINES="10000",
            FAKE_AGENT_SLOW_INTERVAL="0.0002",
        )
        t = demo(base, "agents")
        try:
            t.wait_for("Milestones")
            t.wait_for("agents")  # the header counts them
            t0 = time.perf_counter()
            runs = base / "agents" / ".milestones" / "runs"
            streaming: list[float] = []
            keys = presses(t, args.presses, 20.0, runs, streaming)
            row("key response, 2 agents streaming 10,000 lines", keys)
            row("  of which while raw.jsonl grew", streaming)
            print(f"{'':<48} ({time.perf_counter() - t0:.1f} s of pressing)")
            opens, inside = run_view_presses(t, args.presses, during=20.0)
            row("run view: r until it is on screen", opens)
            row("run view: f (follow) inside it, log filling", inside)
        finally:
            quit_(t)
        runs = sorted((base / "agents" / ".milestones" / "runs").glob("*/raw.jsonl"))
        total = sum(p.read_bytes().count(b"\n") for p in runs)
        print(f"{'':<48} {len(runs)} runs wrote {total} lines to raw.jsonl meanwhile")
        left = [p for p in pids.read_text().split() if Path(f"/proc/{p}").exists()]
        print(f"{'':<48} agent processes left after quitting: {len(left)}")


if __name__ == "__main__":
    main()
