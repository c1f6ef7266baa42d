"""kiro-tui under load, every row of issue 13, each beside an anchor measured in the same run.

    python bench/bench_load.py [--quick] [--only ROW[,ROW]] [--rounds N] [--keep]

Only stable interfaces are used: the CLI as subprocesses (`python -m kiro_tui -C ROOT ...`), the
dashboard as `python -m kiro_tui -C ROOT` in a real pty (what a person sees), the files under
`.milestones/` as FORMAT.md defines them, /proc for CPU and memory. Workspaces are generated as
YAML text in the seed's style; every process gets a private HOME and XDG folders in a temp dir.

Rows (see issue 13): 1 burst settle, 2 key response during the burst, 3 deliverables -> screen,
4 idle CPU of `run`, 5 idle CPU of an observing dashboard, 6 `approve` end to end, 7 dashboard
fully painted warm/cold, 8 first milestone on screen, 9 `status --json` warm, 10 dashboard RSS.
Anchors: a bare Textual app, a bare watchfiles(+Textual) app, `json.load` of the same data in a
fresh interpreter, `kiro-tui --version`. Figures are min / median / max; the ratio is of medians.
Times are never asserted anywhere: this prints a table.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PY = sys.executable
LIVE: list[subprocess.Popen[Any]] = []  # every process started, stopped at exit whatever happens
COLS, LINES = 120, 50
IDLE_AFTER = 30.0  # s of quiet after which kiro-tui's watcher steps every 40 ms (agents/watch.py)
PHASES = ("design", "spec", "task", "execute")
# FORMAT.md section 4, kind "feature"
DELIVERABLES = {
    "design": [
        "architecture_diagram.md",
        "api_specification.yaml",
        "data_model.md",
        "security_design.md",
    ],
    "spec": [
        "technical_specification.md",
        "test_plan.md",
        "acceptance_criteria.md",
        "rollout_plan.md",
    ],
    "task": [
        "implementation_tasks.md",
        "story_breakdown.md",
        "dependency_map.md",
        "risk_assessment.md",
    ],
    "execute": [
        "implementation_code",
        "unit_tests",
        "integration_tests",
        "documentation",
        "deployment_config",
    ],
}
GATES = {"design": True, "spec": True, "task": False, "execute": False}
HOURS = {"design": 1.2, "spec": 2.0, "task": 1.6, "execute": 3.2}
STAGES = [  # (task status, phase statuses), cycling over the tasks of a generated milestone
    ("completed", ("approved", "approved", "completed", "completed")),
    ("in_progress", ("approved", "waiting_approval", "pending", "pending")),
    ("in_progress", ("in_progress", "pending", "pending", "pending")),
    ("pending", ("pending", "pending", "pending", "pending")),
]
TS = "2026-11-21T10:00:00Z"
CONFIG = (
    "policy:\n  enforcement: strict\nphase_weights:\n  design: 15\n  spec: 25\n  task: 20\n"
    "  execute: 40\napproval_gates:\n  design_approval: true\n  spec_approval: true\n"
)

BARE_TEXTUAL = """
import sys
from textual.app import App
from textual.widgets import Static
class Bare(App):
    n = 0
    def compose(self):
        yield Static("BARE-READY", id="s")
    def on_key(self, event):
        self.n += 1
        self.query_one("#s", Static).update(f"KEY-{self.n:05d}")
Bare().run()
"""

BARE_WATCH = """
import sys, threading
import watchfiles
root = sys.argv[1]
seen = set()
def batches(stop, show):
    for changes in watchfiles.watch(root, debounce=50, step=10, stop_event=stop):
        for _kind, path in changes:
            if "." in path.rsplit("/", 1)[-1]:
                seen.add(path)
        show(len(seen))
if sys.argv[2:] == ["--headless"]:
    batches(threading.Event(), lambda n: None)
    raise SystemExit
from textual.app import App
from textual.widgets import Static
class BareWatch(App):
    n = 0
    def compose(self):
        yield Static("WATCH-READY", id="s")
    def on_mount(self):
        self.stop = threading.Event()
        threading.Thread(target=batches, args=(self.stop, self.show), daemon=True).start()
    def show(self, count):
        self.call_from_thread(self.query_one("#s", Static).update, f"SEEN {count:06d}")
    def on_key(self, event):
        self.n += 1
        self.query_one("#s", Static).update(f"KEY-{self.n:05d}")
    def on_unmount(self):
        self.stop.set()
BareWatch().run()
"""


# ---------------------------------------------------------------------------- processes
class Term:
    """A process in a pty; collects its output with arrival times."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLS, 0, 0))
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        LIVE.append(self.proc)
        os.close(slave)
        self.buf = b""
        self.arrivals: list[tuple[int, float]] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                data = b""
            now = time.perf_counter()
            with self.cond:
                if data:
                    self.buf += data
                    self.arrivals.append((len(self.buf), now))
                self.cond.notify_all()
            if not data:
                return

    def mark(self) -> int:
        with self.cond:
            return len(self.buf)

    def wait_for(self, needle: str, since: int = 0, timeout: float = 60.0) -> float:
        """perf_counter time at which `needle` had arrived (after byte `since`)."""
        raw = needle.encode()
        end = time.perf_counter() + timeout
        with self.cond:
            while (at := self.buf.find(raw, since)) < 0:
                left = end - time.perf_counter()
                if left <= 0 or self.proc.poll() is not None:
                    tail = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", self.buf[-600:])
                    raise TimeoutError(f"{needle!r} not seen (last output: {tail[-200:]!r})")
                self.cond.wait(min(left, 0.5))
            last = at + len(raw)
            return next(t for off, t in self.arrivals if off >= last)

    def first_output(self, since: int, sent: float, quiet: float = 0.2) -> float | None:
        """Seconds from `sent` to the first output after byte `since`, when nothing had been
        output for `quiet` seconds before `sent` (else None: the change cannot be told apart)."""
        with self.cond:
            before = [t for off, t in self.arrivals if off <= since]
            if before and before[-1] > sent - quiet:
                return None
            return next((t - sent for off, t in self.arrivals if off > since), None)

    def send(self, data: bytes) -> float:
        now = time.perf_counter()
        os.write(self.master, data)
        return now

    def close(self, quit_key: bytes | None = b"q") -> None:
        if self.proc.poll() is None and quit_key:
            self.send(quit_key)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        stop(self.proc)
        try:
            os.close(self.master)
        except OSError:
            pass


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_mb(pid: int, key: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def idle_cpu(pids: list[int], windows: int, length: float) -> list[list[float]]:
    """% of a core per window, for each pid, over the same windows; the last value of each list
    is the whole span (the kernel counts in ticks: one tick over a window is 100/HZ/length %)."""
    out: list[list[float]] = [[] for _ in pids]
    start, w_start = [cpu_seconds(p) for p in pids], time.monotonic()
    for _ in range(windows):
        c0, w0 = [cpu_seconds(p) for p in pids], time.monotonic()
        time.sleep(length)
        c1, w1 = [cpu_seconds(p) for p in pids], time.monotonic()
        for i in range(len(pids)):
            out[i].append(100.0 * (c1[i] - c0[i]) / (w1 - w0))
    end, w_end = [cpu_seconds(p) for p in pids], time.monotonic()
    for i in range(len(pids)):
        out[i].append(100.0 * (end[i] - start[i]) / (w_end - w_start))
    return out


def cpu_note(windows: int, length: float, spans: dict[str, list[float]]) -> str:
    tick = 100.0 / os.sysconf("SC_CLK_TCK") / length
    whole = ", ".join(f"{k} {v[-1]:.2f} %" for k, v in spans.items())
    return (
        f"{windows} windows of {length:.0f} s (heartbeat 10 s; 1 tick = {tick:.2f} %), same "
        f"windows for all; over the whole {windows * length:.0f} s: {whole}"
    )


def timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[-4:])} failed ({p.returncode}): {p.stderr.decode().strip()[-300:]}"
        )
    return took


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError(what)
        time.sleep(0.01)


# ---------------------------------------------------------------------------- workspaces
def q(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return json.dumps(v)  # a double-quoted YAML scalar


def emit(doc: dict[str, Any], pad: str = "") -> list[str]:
    """YAML in the seed's style: quoted strings, inline scalar lists, `  - id:` items."""
    out = []
    for k, v in doc.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:")
            out += emit(v, pad + "  ")
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            out.append(f"{pad}{k}:")
            for item in v:
                body = emit(item, pad + "    ")
                out.append(pad + "  - " + body[0][len(pad) + 4 :])
                out += body[1:]
        elif isinstance(v, list):
            out.append(f"{pad}{k}: [{', '.join(q(x) for x in v)}]")
        else:
            out.append(f"{pad}{k}: {q(v)}")
    return out


def phase_doc(name: str, status: str) -> dict[str, Any]:
    started = TS if status != "pending" else None
    done = TS if status in ("approved", "completed", "waiting_approval") else None
    return {
        "status": status,
        "description": f"Phase {name}",
        "estimated_hours": HOURS[name],
        "actual_hours": 0,
        "started_at": started,
        "completed_at": done,
        "approved_at": TS if status == "approved" else None,
        "approval_required": GATES[name],
        "deliverables": DELIVERABLES[name],
        "acceptance_criteria": ["Documented and reviewed", "Agreed with the team"],
    }


def milestone_doc(i: int, mid: str, n_tasks: int, fresh: bool) -> dict[str, Any]:
    """bench_core's generated milestone; `fresh`: every task pending, no dependencies."""
    tasks = []
    for n in range(n_tasks):
        status, phases = ("pending", ("pending",) * 4) if fresh else STAGES[n % len(STAGES)]
        tid = f"t{n:02d}" if fresh else f"task-{i:04d}-{n:04d}"
        current = next(
            (p for p, s in zip(PHASES, phases, strict=True) if s not in ("approved", "completed")),
            "execute",
        )
        deps = [] if fresh or not n % 5 else [f"task-{i:04d}-{n - 1:04d}"]
        tasks.append(
            {
                "id": tid,
                "title": f"Task {n}" if fresh else f"Task {n} of {mid}",
                "type": "kiro_workflow",
                "estimated_hours": 8,
                "status": status,
                "created_at": "2026-11-20T09:00:00Z",
                "assigned_to": "claude",
                "dependencies": deps,
                "kiro_workflow": {
                    "enabled": True,
                    "policy": "mandatory",
                    "current_phase": current,
                    "phase_hours": dict(HOURS),
                    "phases": {p: phase_doc(p, s) for p, s in zip(PHASES, phases, strict=True)},
                },
                "quality_metrics": {
                    "phase_completion": 0,
                    "deliverable_completion": 0,
                    "approval_status": "pending",
                    "compliance_score": 100,
                },
            }
        )
    return {
        "id": mid,
        "title": f"Milestone {i}",
        "description": "Generated for the benchmark",
        "status": "planned" if fresh or not i % 3 else "in_progress",
        "created_at": "2026-11-20T08:00:00Z",
        "priority": "medium",
        "category": "feature",
        "dependencies": {"requires": [f"m-{i - 1:04d}"] if i and not fresh else [], "enables": []},
        "progress": {"percentage": 0, "tasks_completed": 0, "last_update": "2026-11-20T08:00:00Z"},
        "tasks": tasks,
    }


def generate(
    root: Path, milestones: int, tasks: int, json_path: Path | None = None, fresh: bool = False
) -> Path:
    """Write a workspace; deliverable files for one milestone in ten (their started phases);
    with `json_path`, the same documents as one JSON list."""
    ms = root / ".milestones"
    for sub in ("active", "completed", "logs", "config", "deliverables"):
        (ms / sub).mkdir(parents=True, exist_ok=True)
    (ms / "config" / "kiro-config.yaml").write_text(CONFIG)
    js = open(json_path, "w") if json_path else None  # noqa: SIM115
    try:
        if js:
            js.write("[")
        for i in range(milestones):
            mid = "drive" if fresh else f"m-{i:04d}"
            doc = milestone_doc(i, mid, tasks, fresh)
            text = f"# Milestone {mid} - generated by /milestone/plan\n" + "\n".join(emit(doc))
            (ms / "active" / f"{mid}.yaml").write_text(text + "\n")
            if js:
                js.write(("," if i else "") + json.dumps(doc))
            if i % 10 == 0 and not fresh:
                for t in doc["tasks"]:
                    for name, ph in t["kiro_workflow"]["phases"].items():
                        if ph["status"] != "pending":
                            write_deliverables(root, t["id"], name, "real")
        if js:
            js.write("]")
    finally:
        if js:
            js.close()
    return root


def write_deliverables(root: Path, tid: str, phase: str, tag: str, pause: float = 0.0) -> float:
    """Write one phase's deliverables (FORMAT.md section 5); the time of the last write."""
    folder = root / ".milestones" / "deliverables" / tid / phase
    folder.mkdir(parents=True, exist_ok=True)
    last = 0.0
    for d in DELIVERABLES[phase]:
        path = folder / d if "." in d else folder / d / "part.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# {d}\n\nWritten by the benchmark ({tag}).\n")
        last = time.perf_counter()
        if pause:
            time.sleep(pause)
    return last


PHASE_STATUS = re.compile(r'^ {10}status: "?(\w+)"?\s*$', re.M)  # the seed's phase indent


def design_statuses(yaml_path: Path) -> list[str]:
    """Each task's design status: the first phase status line of every task (cheap, no parse)."""
    try:
        text = yaml_path.read_text()
    except OSError:
        return []
    return PHASE_STATUS.findall(text)[0::4]


# ---------------------------------------------------------------------------- results
@dataclass
class Line:
    row: str
    measure: str
    values: list[float]
    unit: str  # "s", "ms" (values in seconds), "%", "MB"
    anchor: str = ""
    anchor_values: list[float] = field(default_factory=list)
    goal: str = ""
    note: str = ""


def fmt(values: list[float], unit: str) -> str:
    if not values:
        return "not measured"
    k = 1000.0 if unit == "ms" else 1.0
    digits = 0 if unit == "ms" else 2 if unit in ("s", "%") else 0
    a, m, b = (f"{x * k:.{digits}f}" for x in (min(values), statistics.median(values), max(values)))
    return f"{a} / {m} / {b} {unit} (n={len(values)})"


def ratio(line: Line) -> str:
    if not line.values or not line.anchor_values:
        return ""
    base = statistics.median(line.anchor_values)
    return f"{statistics.median(line.values) / base:.1f}x" if base > 0 else "inf"


def print_table(lines: list[Line], header: str) -> None:
    print()
    print(header)
    w = max(len(x.measure) for x in lines)
    print(
        f"{'row':<4}{'measure':<{w}}  {'min / median / max':<26}{'ratio':>8}  "
        f"{'anchor: min / median / max':<72}goal"
    )
    for x in lines:
        anchor = f"{x.anchor}: {fmt(x.anchor_values, x.unit)}" if x.anchor else ""
        print(
            f"{x.row:<4}{x.measure:<{w}}  {fmt(x.values, x.unit):<26}{ratio(x):>8}  "
            f"{anchor:<72}{x.goal}"
        )
        if x.note:
            print(f"{'':<4}{'':<{w}}  {x.note}")
    sys.stdout.flush()


# ---------------------------------------------------------------------------- context
class Ctx:
    def __init__(self, args: argparse.Namespace) -> None:
        self.quick = args.quick
        self.tmp = Path(tempfile.mkdtemp(prefix="kiro-load-"))
        self.rounds = args.rounds or (2 if args.quick else 10)
        self.burst_rounds = args.rounds or (2 if args.quick else 20)
        self.key_rounds = args.rounds or (1 if args.quick else 8)
        self.heavy = max(1, min(self.rounds, 3))
        self.windows, self.window = (2, 5.0) if args.quick else (5, 10.0)
        self.big = 100 if args.quick else 500  # milestones x 20 tasks
        self.huge = 300 if args.quick else 2000
        self.long = 300 if args.quick else 2000  # tasks of the 1-milestone workspace
        self.burst_tasks = 50
        env = {k: v for k, v in os.environ.items() if k not in ("KIRO_TUI_FAKE_NOW", "TEXTUAL")}
        # as installed (pip writes bytecode): with PYTHONDONTWRITEBYTECODE=1, as on this
        # machine, every child would compile every module it imports, a cost no user pays
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for key in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
            env[key] = str(self.tmp / key.lower())
        env.update(
            HOME=str(self.tmp / "home"),
            KIRO_USER="bench",
            TERM="xterm-256color",
            COLORTERM="truecolor",
            XDG_CACHE_HOME=str(self.tmp / "cache"),
        )
        self.env = env
        self.bare = self._script("bare_textual.py", BARE_TEXTUAL)
        self.bare_watch = self._script("bare_watch.py", BARE_WATCH)
        self._ws: dict[tuple[str, int, int], Path] = {}
        self._paints: dict[tuple[Path, bool], list[tuple[float, float, float]]] = {}
        self._bare: list[tuple[float, float]] = []
        self._n = 0

    def _script(self, name: str, text: str) -> str:
        path = self.tmp / name
        path.write_text(text)
        return str(path)

    def fresh(self, stem: str) -> Path:
        self._n += 1
        return self.tmp / f"{stem}-{self._n}"

    def cache_env(self, cache: Path) -> dict[str, str]:
        return dict(self.env, XDG_CACHE_HOME=str(cache))

    def workspace(self, milestones: int, tasks: int, fresh: bool = False) -> Path:
        """Generated once per run (and its JSON twin beside it); copy it before changing it."""
        key = ("fresh" if fresh else "gen", milestones, tasks)
        if key not in self._ws:
            root = self.tmp / f"ws-{key[0]}-{milestones}x{tasks}"
            t0 = time.perf_counter()
            generate(
                root, milestones, tasks, None if fresh else root.with_suffix(".json"), fresh=fresh
            )
            log(f"generated {milestones} x {tasks} tasks in {time.perf_counter() - t0:.1f} s")
            self._ws[key] = root
        return self._ws[key]

    def copy(self, src: Path, stem: str) -> Path:
        dst = self.fresh(stem)
        shutil.copytree(src, dst, symlinks=True)
        return dst

    def kiro(self, root: Path, *args: str) -> list[str]:
        return [PY, "-m", "kiro_tui", "-C", str(root), *args]

    def run(self, root: Path, mid: str) -> subprocess.Popen[Any]:
        err = open(root.parent / f"{root.name}.run.err", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            self.kiro(root, "run", mid, "--json"),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=self.env,
            start_new_session=True,
        )
        LIVE.append(proc)
        return proc

    def bare_paints(self) -> list[tuple[float, float]]:
        """A bare Textual app: first paint (s) and peak RSS (MB), `rounds` times."""
        while len(self._bare) < self.rounds:
            t = Term([PY, self.bare], self.env)
            try:
                paint = t.wait_for("BARE-READY") - t.t0
                time.sleep(0.3)
                self._bare.append((paint, vm_mb(t.proc.pid)))
            finally:
                t.close(b"\x03")
        return self._bare

    def paints(self, root: Path, warm: bool, n: int) -> list[tuple[float, float, float]]:
        """The dashboard on `root`: (first milestone on screen, fully painted, peak RSS MB)."""
        done = self._paints.setdefault((root, warm), [])
        warm_cache = root.with_name(root.name + ".cache")
        if warm and not warm_cache.exists():  # `status --json` writes the parse cache
            timed(self.kiro(root, "status", "--json"), self.cache_env(warm_cache))
        while len(done) < n:
            cache = warm_cache if warm else self.fresh("cold-cache")
            t = Term(self.kiro(root), self.cache_env(cache))
            try:
                first = t.wait_for("m-0000", timeout=600) - t.t0
                full = t.wait_for("Blockers (", timeout=900) - t.t0
                time.sleep(0.5)
                done.append((first, full, vm_mb(t.proc.pid)))
            finally:
                t.close()
            if not warm:
                shutil.rmtree(cache, ignore_errors=True)
        return done[:n]


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- rows 1-3
class Poller(threading.Thread):
    """Watches a milestone file (stat every 2 ms, read on change) until `n` designs wait."""

    def __init__(self, path: Path, n: int) -> None:
        super().__init__(daemon=True)
        self.path, self.n = path, n
        self.writes: set[tuple[int, int]] = set()
        self.settled_at: float | None = None
        self.best = 0
        self.halt = threading.Event()

    def run(self) -> None:
        last = None
        while not self.halt.is_set():
            try:
                st = self.path.stat()
            except OSError:
                time.sleep(0.002)
                continue
            now = time.perf_counter()
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
            if key != last:
                last = key
                self.writes.add(key[:2])
                waiting = design_statuses(self.path).count("waiting_approval")
                self.best = max(self.best, waiting)
                if waiting >= self.n:
                    self.settled_at = now
                    return
            time.sleep(0.002)


def burst_files(root: Path, tasks: int) -> list[Path]:
    folder = root / ".milestones" / "deliverables"
    return [
        folder / f"t{n:02d}" / "design" / d for n in range(tasks) for d in DELIVERABLES["design"]
    ]


def write_burst(files: list[Path], spread: float = 0.9) -> float:
    """Write every file within `spread` seconds, evenly; the time of the last write."""
    t0 = time.perf_counter()
    last = t0
    for i, path in enumerate(files):
        while time.perf_counter() < t0 + spread * i / len(files):
            time.sleep(0.001)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {path.name}\n\nWritten by an agent in a burst.\n")
        last = time.perf_counter()
    return last


class Cursor:
    """Moves the dashboard's tree cursor over the tasks of the one milestone (down, and back up
    at the end); the visible effect is the detail pane's header for the newly selected task
    (`Task 7   in drive`: three spaces, unlike the tree label), unique to that task."""

    DOWN, UP = b"\x1b[B", b"\x1b[A"

    def __init__(self, term: Term, tasks: int) -> None:
        self.term, self.tasks = term, tasks
        self.at = -1  # the milestone node
        self.step = 1
        self.first: list[float] = []
        """Key -> first output, for presses made while the screen was quiet."""

    def press(self, timeout: float = 5.0) -> float | None:
        if not 0 <= self.at + self.step < self.tasks:
            self.step = -self.step
        self.at += self.step
        m = self.term.mark()
        sent = self.term.send(self.DOWN if self.step > 0 else self.UP)
        try:
            got = self.term.wait_for(f"Task {self.at}   ", m, timeout) - sent
        except TimeoutError:
            return None
        if (first := self.term.first_output(m, sent)) is not None:
            self.first.append(first)
        time.sleep(0.25)
        return got


def press_bare(term: Term, n: int, timeout: float = 5.0) -> float | None:
    m = term.mark()
    sent = term.send(b"?")
    try:
        return term.wait_for(f"KEY-{n:05d}", m, timeout) - sent
    except TimeoutError:
        return None
    finally:
        time.sleep(0.08)


def driven(ctx: Ctx, tasks: int) -> tuple[Path, subprocess.Popen[Any], Path]:
    """A copy of the fresh `tasks`-task milestone, driven by `kiro-tui run` until every
    design phase is in progress (its starter files written)."""
    root = ctx.copy(ctx.workspace(1, tasks, fresh=True), "driven")
    run = ctx.run(root, "drive")
    yaml = root / ".milestones" / "active" / "drive.yaml"
    wait_until(
        lambda: design_statuses(yaml).count("in_progress") == tasks,
        60,
        "run did not start the design phases",
    )
    time.sleep(1.0)
    return root, run, yaml


def rows_burst(ctx: Ctx, want: set[str]) -> list[Line]:
    n = ctx.burst_tasks
    out: list[Line] = []
    settle: list[float] = []
    never: list[str] = []
    if "1" in want:
        for r in range(ctx.burst_rounds):
            root, run, yaml = driven(ctx, n)
            try:
                poll = Poller(yaml, n)
                poll.start()
                last = write_burst(burst_files(root, n))
                poll.join(60.0)
                poll.halt.set()
                if poll.settled_at is None:
                    never.append(
                        f"round {r + 1}: {poll.best}/{n} settled, "
                        f"{len(poll.writes)} YAML writes seen"
                    )
                else:
                    settle.append(poll.settled_at - last)
                log(
                    f"burst round {r + 1}: "
                    + (f"{settle[-1]:.2f} s" if poll.settled_at else "NEVER settled")
                )
            finally:
                stop(run)
                shutil.rmtree(root, ignore_errors=True)
        anchor = [burst_anchor(ctx, n, keys=False)[0] for _ in range(ctx.burst_rounds)]
        note = (
            (
                f"{len(never)} of {ctx.burst_rounds} rounds NEVER settled within 60 s: "
                + "; ".join(never)
            )
            if never
            else f"all {ctx.burst_rounds} rounds settled"
        )
        out.append(
            Line(
                "1",
                f"{n * 4} files in 1 s, run drives {n}: last write -> all settled",
                settle,
                "s",
                "bare watchfiles+Textual: all on screen",
                anchor,
                "<= 0.5 s, always",
                note,
            )
        )
    if "2" in want:
        idle: list[float] = []
        idle_first: list[float] = []
        during: list[float] = []
        lost = 0
        for r in range(ctx.key_rounds):
            root, run, yaml = driven(ctx, n)
            term = Term(ctx.kiro(root), ctx.env)
            try:
                term.wait_for("t00  Task 0  7.5%", timeout=60)
                time.sleep(1.5)
                cursor = Cursor(term, n)
                for _ in range(6):
                    if (k := cursor.press()) is not None:
                        idle.append(k)
                idle_first += cursor.first
                poll = Poller(yaml, n)
                poll.start()
                writer = threading.Thread(target=write_burst, args=(burst_files(root, n),))
                writer.start()
                end = time.monotonic() + 60
                while (writer.is_alive() or poll.is_alive()) and time.monotonic() < end:
                    k = cursor.press()
                    if k is None:
                        lost += 1
                    else:
                        during.append(k)
                writer.join()
                poll.halt.set()
            finally:
                term.close()
                stop(run)
                shutil.rmtree(root, ignore_errors=True)
            log(f"keys round {r + 1}: {len(during)} presses during bursts so far")
        bare: list[float] = []
        bare_burst: list[float] = []
        for _ in range(ctx.key_rounds):
            _settle, keys = burst_anchor(ctx, n, keys=True)
            bare_burst += keys
        t = Term([PY, ctx.bare], ctx.env)
        try:
            t.wait_for("BARE-READY")
            time.sleep(0.5)
            for i in range(6 * ctx.rounds):
                if (k := press_bare(t, i + 1)) is not None:
                    bare.append(k)
        finally:
            t.close(b"\x03")
        note = f"{len(during)} presses in {ctx.key_rounds} bursts" + (
            f"; {lost} got NO answer within 5 s" if lost else "; every press answered"
        )
        out.append(
            Line(
                "2",
                "dashboard key (tree cursor) during that burst",
                during,
                "ms",
                "the same dashboard idle, same run",
                idle,
                "<= 20 ms median, <= 50 ms max",
                note,
            )
        )
        out.append(
            Line(
                "2",
                "dashboard key (tree cursor) idle",
                idle,
                "ms",
                "bare Textual app, key",
                bare,
                "",
                "until the detail pane shows the newly selected task",
            )
        )
        out.append(
            Line(
                "2",
                "dashboard key idle: first output after the key",
                idle_first,
                "ms",
                "bare Textual app, key",
                bare,
                "",
                "the tree's highlight starts moving (only presses after 0.2 s quiet)",
            )
        )
        out.append(
            Line(
                "2",
                "bare watchfiles+Textual key during a burst",
                bare_burst,
                "ms",
                "bare Textual app, key",
                bare,
                "(anchor only)",
            )
        )
    return out


def burst_anchor(ctx: Ctx, n: int, keys: bool) -> tuple[float, list[float]]:
    """The same burst under a bare watchfiles+Textual app: last write -> all `n*4` counted on
    screen; with `keys`, key answers during it."""
    root = ctx.fresh("bare-burst")
    files = burst_files(root, n)
    for p in files:  # the starters exist before the burst, as under `run`
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("<!-- kiro-tui:template -->\n")
    t = Term([PY, ctx.bare_watch, str(root / ".milestones")], ctx.env)
    answers: list[float] = []
    try:
        t.wait_for("WATCH-READY")
        time.sleep(0.7)
        m = t.mark()
        box: list[float] = []
        writer = threading.Thread(target=lambda: box.append(write_burst(files)))
        writer.start()
        i = 0
        while keys and writer.is_alive():
            i += 1
            if (k := press_bare(t, i)) is not None:
                answers.append(k)
        writer.join()
        seen = t.wait_for(f"SEEN {len(files):06d}", m, 60)
        return seen - box[0], answers
    finally:
        t.close(b"\x03")
        shutil.rmtree(root, ignore_errors=True)


def row_change(ctx: Ctx) -> list[Line]:
    tasks = 20
    samples = min(max(ctx.rounds, 5), tasks)
    root, run, _yaml = driven(ctx, tasks)
    lat: list[float] = []
    missed = 0
    term = Term(ctx.kiro(root), ctx.env)
    try:
        term.wait_for("t00  Task 0  7.5%", timeout=60)
        time.sleep(1.5)
        for k in range(samples):
            m = term.mark()
            last = write_deliverables(root, f"t{k:02d}", "design", "row 3")
            try:
                lat.append(term.wait_for(f"t{k:02d}  Task {k}  11.2%", m, 10) - last)
            except TimeoutError:
                missed += 1
            time.sleep(0.4)
    finally:
        term.close()
        stop(run)
    anchor: list[float] = []
    broot = ctx.fresh("bare-change")
    files = [
        broot / ".milestones" / "deliverables" / f"t{k:02d}" / "design" / d
        for k in range(samples)
        for d in DELIVERABLES["design"]
    ]
    for p in files:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("<!-- kiro-tui:template -->\n")
    t = Term([PY, ctx.bare_watch, str(broot / ".milestones")], ctx.env)
    try:
        t.wait_for("WATCH-READY")
        time.sleep(0.7)
        for k in range(samples):
            m = t.mark()
            last = 0.0
            for p in files[4 * k : 4 * k + 4]:
                p.write_text("real\n")
                last = time.perf_counter()
            anchor.append(t.wait_for(f"SEEN {4 * k + 4:06d}", m, 10) - last)
            time.sleep(0.4)
    finally:
        t.close(b"\x03")
    note = f"{samples} tasks of a {tasks}-task milestone" + (
        f"; {missed} NOT on screen within 10 s" if missed else ""
    )
    return [
        Line(
            "3",
            "4 design deliverables written -> phase status on screen",
            lat,
            "ms",
            "bare watchfiles+Textual: file count on screen",
            anchor,
            "<= 60 ms",
            note,
        )
    ]


# ---------------------------------------------------------------------------- rows 4-5
def until_idle(active_at: float) -> None:
    """Idle means the steady state: wait until IDLE_AFTER s (and 2 more) have passed since the
    process's last activity (time.monotonic()), and at least 2 s in any case."""
    time.sleep(max(2.0, IDLE_AFTER + 2.0 - (time.monotonic() - active_at)))


def quiet(path: Path, secs: float, timeout: float) -> None:
    """Wait until `path` has not changed for `secs` seconds."""
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < end:
        try:
            st = path.stat()
            key: Any = (st.st_ino, st.st_mtime_ns)
        except OSError:
            key = None
        if key != last:
            last, since = key, time.monotonic()
        elif time.monotonic() - since >= secs:
            return
        time.sleep(0.05)


def rows_idle(ctx: Ctx, want: set[str]) -> list[Line]:
    root = ctx.copy(ctx.workspace(ctx.big, 20), "idle")
    size = f"{ctx.big}x20"
    out: list[Line] = []
    run = ctx.run(root, "m-0000")
    yaml = root / ".milestones" / "active" / "m-0000.yaml"
    procs: list[Any] = []
    try:
        wait_until(
            lambda: any((root / ".milestones" / "sessions").glob("*.yaml")),
            120,
            "run made no session",
        )
        quiet(yaml, 3.0, 120)
        last_write = time.monotonic() - 3.0
        head = subprocess.Popen(
            [PY, ctx.bare_watch, str(root / ".milestones"), "--headless"],
            env=ctx.env,
            start_new_session=True,
        )
        LIVE.append(head)
        procs.append(head)
        until_idle(last_write)
        if "4" in want:
            log("idle CPU of run")
            r, h = idle_cpu([run.pid, head.pid], ctx.windows, ctx.window)
            out.append(
                Line(
                    "4",
                    f"idle CPU of `kiro-tui run` alone ({size})",
                    r[:-1],
                    "%",
                    "bare watchfiles loop on the same tree",
                    h[:-1],
                    "< 0.3 %",
                    cpu_note(ctx.windows, ctx.window, {"run": r, "bare": h}),
                )
            )
        if "5" in want:
            dash = Term(ctx.kiro(root), ctx.env)
            procs.append(dash)
            dash.wait_for("Blockers (", timeout=600)
            shown = time.monotonic()
            bare = Term([PY, ctx.bare], ctx.env)
            procs.append(bare)
            bw = Term([PY, ctx.bare_watch, str(root / ".milestones")], ctx.env)
            procs.append(bw)
            bare.wait_for("BARE-READY")
            bw.wait_for("WATCH-READY")
            until_idle(shown)
            log("idle CPU of the dashboard")
            d, b, w = idle_cpu([dash.proc.pid, bare.proc.pid, bw.proc.pid], ctx.windows, ctx.window)
            out.append(
                Line(
                    "5",
                    f"idle CPU, dashboard observing a driven milestone ({size})",
                    d[:-1],
                    "%",
                    "bare Textual app, same windows",
                    b[:-1],
                    "< 0.5 %",
                    cpu_note(
                        ctx.windows,
                        ctx.window,
                        {
                            "dashboard": d,
                            "bare Textual": b,
                            "bare watchfiles+Textual on the tree": w,
                        },
                    ),
                )
            )
    finally:
        for p in procs:
            if isinstance(p, Term):
                p.close(b"q" if p.proc.args[1] == "-m" else b"\x03")
            else:
                stop(p)
        stop(run)
    return out


# ---------------------------------------------------------------------------- rows 6-10
def row_approve(ctx: Ctx) -> list[Line]:
    version: list[float] = []
    got: dict[int, list[float]] = {20: [], 200: []}
    tmpl = {n: ctx.workspace(1, n) for n in got}
    for _ in range(ctx.rounds):
        version.append(timed([PY, "-m", "kiro_tui", "--version"], ctx.env))
        for n, values in got.items():
            copy = ctx.copy(tmpl[n], "approve")
            cache = ctx.fresh("approve-cache")
            values.append(
                timed(
                    ctx.kiro(
                        copy, "approve", "m-0000", "task-0000-0001", "spec", "--note", "bench"
                    ),
                    ctx.cache_env(cache),
                )
            )
            shutil.rmtree(copy, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
    goal = {20: "<= 110 ms", 200: "<= 150 ms"}
    return [
        Line(
            "6",
            f"`kiro-tui approve`, {n}-task milestone, end to end",
            v,
            "ms",
            "`kiro-tui --version`",
            version,
            goal[n],
            "fresh copy and cache each time",
        )
        for n, v in got.items()
    ]


def row_full(ctx: Ctx) -> list[Line]:
    bare = [p for p, _ in ctx.bare_paints()]
    out = []
    for ms, tasks in ((ctx.huge, 20), (1, ctx.long)):
        root = ctx.workspace(ms, tasks)
        for warm in (True, False):
            full = [f for _, f, _ in ctx.paints(root, warm, ctx.heavy)]
            goal = ("<= 2 s" if warm else "<= 6 s") if ms > 1 else ""
            out.append(
                Line(
                    "7",
                    f"dashboard {ms} x {tasks} fully painted, {'warm' if warm else 'cold'} cache",
                    full,
                    "s",
                    "bare Textual app, first paint",
                    bare,
                    goal,
                    "fully painted: the first full snapshot's blocker table drawn"
                    if ms > 1 and warm
                    else "",
                )
            )
    return out


def row_first(ctx: Ctx) -> list[Line]:
    bare = [p for p, _ in ctx.bare_paints()]
    out = []
    for ms in (50, ctx.big, ctx.huge):
        n = ctx.heavy if ms >= 1000 else ctx.rounds
        first = [f for f, _, _ in ctx.paints(ctx.workspace(ms, 20), True, n)]
        out.append(
            Line(
                "8",
                f"first milestone on screen, warm cache, {ms} x 20",
                first,
                "ms",
                "bare Textual app, first paint",
                bare,
                "flat, <= 400 ms",
            )
        )
    return out


def row_status(ctx: Ctx) -> list[Line]:
    out = []
    loader = "import json, sys; json.load(open(sys.argv[1]))"
    for ms in (ctx.big, ctx.huge):
        root = ctx.workspace(ms, 20)
        data = root.with_suffix(".json")
        cache = ctx.fresh("status-cache")
        env = ctx.cache_env(cache)
        timed(ctx.kiro(root, "status", "--json"), env)  # writes the cache: later runs are warm
        status, anchor = [], []
        n = ctx.heavy if ms >= 1000 else ctx.rounds
        for _ in range(n):
            anchor.append(timed([PY, "-c", loader, str(data)], env))
            status.append(timed(ctx.kiro(root, "status", "--json"), env))
        t0 = time.perf_counter()
        json.loads(data.read_text())
        inproc = time.perf_counter() - t0
        out.append(
            Line(
                "9",
                f"`status --json` warm, {ms} x 20",
                status,
                "s",
                "python -c json.load(same data as JSON)",
                anchor,
                "<= 2x json.loads",
                f"JSON twin {data.stat().st_size / 1e6:.0f} MB; json.loads alone, in "
                f"process: {inproc * 1000:.0f} ms",
            )
        )
    return out


def row_rss(ctx: Ctx) -> list[Line]:
    bare = [h for _, h in ctx.bare_paints()]
    out = []
    for ms, goal in ((ctx.big, "<= 100 MB"), (ctx.huge, "<= 250 MB")):
        n = ctx.heavy if ms >= 1000 else max(1, min(ctx.rounds, 3))
        rss = [h for _, _, h in ctx.paints(ctx.workspace(ms, 20), True, n)]
        out.append(
            Line(
                "10",
                f"dashboard peak RSS (VmHWM), {ms * 20} tasks, fully painted",
                rss,
                "MB",
                "bare Textual app, VmHWM",
                bare,
                goal,
                "warm cache",
            )
        )
    return out


# ---------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    ap.add_argument("--only", default="", metavar="ROW[,ROW]", help="rows 1-10 to run")
    ap.add_argument("--rounds", type=int, default=0, metavar="N", help="rounds per figure")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = ap.parse_args()
    want = set(args.only.split(",")) if args.only else {str(i) for i in range(1, 11)}
    if bad := want - {str(i) for i in range(1, 11)}:
        ap.error(f"--only: no row {', '.join(sorted(bad))} (rows are 1 to 10)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    ctx = Ctx(args)
    lines: list[Line] = []
    started = time.perf_counter()
    steps: list[tuple[set[str], Callable[[], list[Line]]]] = [
        ({"1", "2"}, lambda: rows_burst(ctx, want)),
        ({"3"}, lambda: row_change(ctx)),
        ({"4", "5"}, lambda: rows_idle(ctx, want)),
        ({"6"}, lambda: row_approve(ctx)),
        ({"7"}, lambda: row_full(ctx)),
        ({"8"}, lambda: row_first(ctx)),
        ({"9"}, lambda: row_status(ctx)),
        ({"10"}, lambda: row_rss(ctx)),
    ]
    try:
        for rows, step in steps:
            if rows & want:
                log(f"row {'/'.join(sorted(rows & want))}")
                try:
                    got = step()
                    lines += got
                    for x in got:  # as soon as measured, in case the run is stopped
                        log(
                            f"row {x.row} {x.measure}: {fmt(x.values, x.unit)}; {x.anchor}: "
                            f"{fmt(x.anchor_values, x.unit)}"
                        )
                except Exception as exc:  # say which row failed, keep the others
                    lines.append(
                        Line(
                            "/".join(sorted(rows & want)),
                            "FAILED",
                            [],
                            "s",
                            note=f"{type(exc).__name__}: {exc}",
                        )
                    )
    finally:
        for proc in LIVE:
            stop(proc)
        for err in sorted(ctx.tmp.glob("*.run.err")):
            said = err.read_text(errors="replace").strip()
            if said and "Terminated" not in said:
                log(f"{err.name}: {said.splitlines()[-1][:200]}")
        if args.keep:
            log(f"kept {ctx.tmp}")
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
        # printed whatever happened (SIGTERM, Ctrl-C): the rows measured so far are not lost
        load = os.getloadavg()
        if lines:
            print_table(
                lines,
                f"issue 13 under load ({'quick' if args.quick else 'full'}; "
                f"{time.perf_counter() - started:.0f} s; load average at the end "
                f"{load[0]:.1f} / {load[1]:.1f}; {os.cpu_count()} cores)",
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
