"""Bench: latency of `kiro-tui run` on a 20-task milestone, and its idle CPU.

    /work/venv/bin/python bench/bench_agents.py [--samples 20] [--idle 10]

A `kiro-tui run` subprocess drives a new milestone of 20 independent tasks. The bench
(another process) then
  - writes a task's design deliverables and times until the YAML changes (phase completed,
    waiting for approval) and the executor's log line appears;
  - approves a phase from outside (flips its status, as yq would) and times until the
    executor's YAML change (next phase started), its log line and the progress line appear;
and reads /proc/<pid>/stat of the run process over an idle window.
Targets: median latency < 150 ms, idle CPU < 1% of a core.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiro_tui.core import deliverables as dl
from kiro_tui.core.safewrite import edit_yaml
from kiro_tui.core.service import Workspace

TASKS = 20


def wait(cond, timeout: float = 30.0) -> float:  # type: ignore[no-untyped-def]
    """Busy-wait (1 ms steps) for cond(); returns the monotonic time it became true."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return time.monotonic()
        time.sleep(0.001)
    raise TimeoutError("condition not met")


def mtime(p: Path) -> int:
    try:
        return p.stat().st_mtime_ns
    except OSError:
        return 0


def size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def contains_after(p: Path, offset: int, needle: str) -> bool:
    try:
        with open(p, "rb") as fh:
            fh.seek(offset)
            return needle.encode() in fh.read()
    except OSError:
        return False


def fill(ws: Workspace, mid: str, tid: str, phase: str) -> None:
    ph = ws.load().milestone(mid).task(tid).phase(phase)  # type: ignore[union-attr]
    assert ph is not None
    for d in ph.deliverables:
        path = dl.resolve(ws.root, tid, phase, d)
        if "." in d.name:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"real {d.name}\n", encoding="utf-8")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "part.txt").write_text("real\n", encoding="utf-8")


def approve_by_hand(doc: dict, tid: str) -> None:
    for t in doc["tasks"]:
        if t["id"] == tid:
            t["kiro_workflow"]["phases"]["design"]["status"] = "approved"


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--idle", type=float, default=10.0)
    ap.add_argument(
        "--git",
        type=int,
        default=0,
        metavar="FILES",
        help="make the workspace a git repository with FILES committed files, so "
        "git_integration commits every event (default 0: no repository)",
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kiro-bench-"))
    env = {
        **os.environ,
        "KIRO_USER": "bench",
        "HOME": str(tmp / "home"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
    }
    # as installed (pip writes bytecode): with PYTHONDONTWRITEBYTECODE=1, as on this machine,
    # the driver would compile every module it imports, a cost no user pays
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.update(env)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    root = tmp / "repo"
    Workspace.init(root)
    ws = Workspace(root, persist_cache=False)
    mid = "bench"
    ws.new_milestone(mid, "Bench", [])
    for i in range(TASKS):
        ws.add_task(mid, f"Task {i}", task_id=f"t{i:02d}")
    if args.git:
        make_repo(root, args.git)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), "run", mid, "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        return measure(args, ws, root, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def make_repo(root: Path, files: int) -> None:
    """A repository at `root` whose first commit holds `files` files and the workspace."""
    import pygit2

    repo = pygit2.init_repository(str(root), initial_head="main")
    for i in range(files):
        p = root / "src" / f"d{i % 50:02d}" / f"f{i:05d}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"file {i}\n", encoding="utf-8")
    index = repo.index
    index.add_all()
    index.write()
    sig = pygit2.Signature("bench", "bench@localhost")
    repo.create_commit("HEAD", sig, sig, "initial", index.write_tree(), [])


def measure(args: argparse.Namespace, ws: Workspace, root: Path, proc: subprocess.Popen) -> int:  # type: ignore[type-arg]
    mid = "bench"
    yaml = root / ".milestones/active/bench.yaml"

    def status(tid: str, phase: str) -> str:
        return ws.load().milestone(mid).task(tid).phase(phase).status  # type: ignore[union-attr]

    wait(lambda: all(status(f"t{i:02d}", "design") == "in_progress" for i in range(TASKS)))
    sid = ws.load().milestone(mid).session_id  # type: ignore[union-attr]
    logs = root / ".milestones/logs" / str(sid)
    exe, prog = logs / "execution.jsonl", logs / "progress.jsonl"
    time.sleep(1.0)  # let the start-up writes settle before timing

    n_each = max(1, args.samples // 2)
    deliver_yaml, deliver_log, approve_yaml, approve_log, approve_prog = [], [], [], [], []
    for i in range(n_each):
        tid = f"t{i:02d}"
        m0, o0 = mtime(yaml), size(exe)
        fill(ws, mid, tid, "design")
        t0 = time.monotonic()
        ty = wait(lambda m0=m0: mtime(yaml) != m0)
        tl = wait(
            lambda o0=o0, tid=tid: contains_after(
                exe, o0, f'"task_id": "{tid}", "phase": "design", "message"'
            )
        )
        deliver_yaml.append(ty - t0)
        deliver_log.append(tl - t0)
        wait(lambda tid=tid: status(tid, "design") == "waiting_approval")
        time.sleep(0.3)
    for i in range(n_each):
        tid = f"t{i:02d}"
        # an approval from anywhere: an outside writer flips the status (as yq would); the
        # executor then starts the next phase and the monitor logs the new progress
        edit_yaml(yaml, functools.partial(approve_by_hand, tid=tid))
        t0 = time.monotonic()
        m0, o0, p0 = mtime(yaml), size(exe), size(prog)
        ty = wait(lambda m0=m0: mtime(yaml) != m0)
        tl = wait(
            lambda o0=o0, tid=tid: contains_after(
                exe, o0, f'"task_id": "{tid}", "phase": "spec", "message"'
            )
        )
        tp = wait(lambda p0=p0, tid=tid: contains_after(prog, p0, f'"task_id": "{tid}"'))
        approve_yaml.append(ty - t0)
        approve_log.append(tl - t0)
        approve_prog.append(tp - t0)
        time.sleep(0.3)

    cli_log, cli_yaml = [], []
    for i in range(n_each):
        tid = f"t{i:02d}"
        wait(lambda tid=tid: status(tid, "spec") == "in_progress")
        fill(ws, mid, tid, "spec")
        wait(lambda tid=tid: status(tid, "spec") == "waiting_approval")
        time.sleep(0.3)
        m0, p0 = mtime(yaml), size(prog)
        ws.approve(mid, tid, "spec", "bench")  # what `kiro-tui approve` does
        t0 = time.monotonic()
        m1 = mtime(yaml)
        tp = wait(lambda p0=p0, tid=tid: contains_after(prog, p0, f'"task_id": "{tid}"'))
        cli_log.append(tp - t0)
        try:  # the progress block changes only when the floor of the percentage moves
            ty = wait(lambda m1=m1: mtime(yaml) != m1, timeout=1.0)
            cli_yaml.append(ty - t0)
        except TimeoutError:
            pass
        del m0
        time.sleep(0.3)

    time.sleep(1.0)
    c0, w0 = cpu_ticks(proc.pid), time.monotonic()
    time.sleep(args.idle)
    c1, w1 = cpu_ticks(proc.pid), time.monotonic()
    idle_cpu = 100.0 * (c1 - c0) / os.sysconf("SC_CLK_TCK") / (w1 - w0)
    proc.terminate()
    rc = proc.wait(30)

    def ms(xs: list[float]) -> str:
        return f"{1000 * statistics.median(xs):7.1f} ms (max {1000 * max(xs):6.1f}, n={len(xs)})"

    both = deliver_yaml + approve_yaml
    print(f"kiro-tui run on a {TASKS}-task milestone ({root})")
    print(f"{'measure':<46} {'median':>10}")
    print(f"{'deliverables written -> YAML (waiting_approval)':<46} {ms(deliver_yaml)}")
    print(f"{'deliverables written -> execution.jsonl line':<46} {ms(deliver_log)}")
    print(f"{'approval landed -> YAML (next phase started)':<46} {ms(approve_yaml)}")
    print(f"{'approval landed -> execution.jsonl line':<46} {ms(approve_log)}")
    print(f"{'approval landed -> progress.jsonl line':<46} {ms(approve_prog)}")
    print(f"{'kiro-tui approve -> progress.jsonl line':<46} {ms(cli_log)}")
    if cli_yaml:
        print(f"{'kiro-tui approve -> YAML progress block':<46} {ms(cli_yaml)}")
    print(f"{'all write -> YAML samples (first 3 rows)':<46} {ms(both)}   target < 150 ms")
    print(
        f"{'idle CPU of kiro-tui run':<46} {idle_cpu:6.2f} % of a core over {w1 - w0:.0f} s"
        "   target < 1%"
    )
    print(f"run exited {rc} after SIGTERM")
    if args.git:
        import pygit2

        repo = pygit2.Repository(str(root))
        made = sum(1 for c in repo.walk(repo.head.target) if "Milestone: bench" in c.message)
        print(f"git: {made} kiro-tui commits in a repository of {args.git} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
