"""The reliability scenarios of issue 11, at any size, on real processes and real files.

The tests beside this module run them small; `bench/reliability.py` runs them at full size and
prints one figure line per scenario. Each `run_*` returns a dict of figures. This module holds
what they share (workspaces, child processes); `corruption.py` the writer scenarios,
`kill9.py` the SIGKILL one, `corpus.py` the hostile workspace.

- `run_writers`: W kiro-tui writer processes x N operations (block / unblock of their own
  tasks, through the service) on one milestone, a reader process checking every version it
  sees: lost updates, torn files, torn log lines, missing or extra events, refusals.
- `run_outside`: kiro-tui writers making decisions (block, unblock, approve) while an unlocked
  writer (read, edit, rename: `yq -i`) or an in-place writer (truncate, then write) changes a
  field of its own; the writers call `decisions.reapply` before each action and once more at the
  end: acknowledged decisions lost, outside values lost because of kiro-tui.
- `run_kill9`: one action per child process (start, phase start/complete, approve, pause,
  resume) killed with SIGKILL at a random moment: every file parses and is before-or-after, the
  next action is not blocked, no temporary file is left after the next write.
- `run_kill9_run` (kill9_run.py): a real `kiro-tui run` killed with SIGKILL at a random
  moment, then a next `run` that must take over at once and stop on SIGTERM.
- `run_corpus`: a hostile workspace through `status --json`, `status`, `validate`, `log`,
  `run` (a few seconds) and the dashboard in a pseudo-terminal (dashboard.py, quit with `q`):
  tracebacks, hangs, peak memory, whether anything outside changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MID = "rel"
HANG = 15.0
_CHILD = ("import sys; from tests.reliability.scenarios import child; child(sys.argv[1:])",)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [e.get("PYTHONPATH")])])
    e.setdefault("KIRO_USER", "reliability")
    e.pop("KIRO_TUI_DEBUG", None)
    return e


def spawn(*args: object, **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", *_CHILD, *map(str, args)], env=env(), **kw)


# ------------------------------------------------------------------------------ workspaces


def make_workspace(
    root: Path,
    tasks: int,
    waiting: int = 0,
    *,
    deliverables: bool = False,
    status: str = "in_progress",
) -> Path:
    """A milestone MID with `tasks` kiro tasks (`t-000`...); the first `waiting` have design
    waiting for approval. `deliverables`: every phase's deliverables present (real text)."""
    from ruamel.yaml.comments import CommentedSeq

    from kiro_tui.core import clock
    from kiro_tui.core.config import Config
    from kiro_tui.core.safewrite import atomic_write
    from kiro_tui.core.service import Workspace
    from kiro_tui.core.templates import deliverables_for, new_milestone, new_task
    from kiro_tui.core.yaml.roundtrip import dump_new

    Workspace.init(root)
    now = clock.SYSTEM.now_str()
    doc = new_milestone(MID, "Reliability", [], now)
    doc["status"] = status
    seq = CommentedSeq()
    for i in range(tasks):
        t = new_task(f"t-{i:03d}", f"Task {i}", "feature", [], Config(), now)
        if i < waiting:
            t["status"] = "in_progress"
            t["kiro_workflow"]["phases"]["design"]["status"] = "waiting_approval"
        seq.append(t)
        if deliverables or i < waiting:
            for phase in ("design", "spec", "task", "execute"):
                folder = root / ".milestones/deliverables" / t["id"] / phase
                folder.mkdir(parents=True, exist_ok=True)
                for name in deliverables_for("feature", phase):
                    p = folder / name
                    if "." in name:
                        p.write_text(f"# {name}\n\nReal content of {name} for {t['id']}.\n")
                    else:
                        p.mkdir(exist_ok=True)
                        (p / "README.md").write_text(f"{name} of {t['id']}\n")
    doc["tasks"] = seq
    doc["progress"]["total_tasks"] = tasks
    path = root / ".milestones/active" / f"{MID}.yaml"
    atomic_write(path, dump_new(doc))
    return path


def doc_of(root: Path) -> dict[str, Any]:
    from kiro_tui.core.yaml.roundtrip import load_fast

    for loc in ("active", "completed"):
        p = root / ".milestones" / loc / f"{MID}.yaml"
        if p.exists():
            data = load_fast(p.read_text(encoding="utf-8"), p)
            return data if isinstance(data, dict) else {}
    return {}


def phases(doc: dict[str, Any], tid: str) -> dict[str, Any]:
    for t in doc.get("tasks") or []:
        if t.get("id") == tid:
            return t["kiro_workflow"]["phases"]
    return {}


def log_lines(root: Path) -> tuple[list[dict[str, Any]], int]:
    """(the execution log's records, lines that are not whole JSON objects)."""
    p = root / ".milestones/logs" / f"execution-{MID}.jsonl"
    recs, torn = [], 0
    if not p.exists():
        return recs, 0
    for line in p.read_bytes().split(b"\n"):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            assert isinstance(obj, dict)
            recs.append(obj)
        except (ValueError, AssertionError):
            torn += 1
    return recs, torn


# ------------------------------------------------------------------------------ children


def child(argv: list[str]) -> None:
    """The entry point of every child process: `KIND ROOT ARGS...`."""
    from tests.reliability import corruption, kill9

    kind, root = argv[0], Path(argv[1])
    fns = {
        "writer": corruption.writer,
        "reader": corruption.reader,
        "rename": corruption.outside,
        "inplace": corruption.outside,
        "op": kill9.op,
    }
    fns[kind](root, argv)


def wait_all(procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for p in procs:
        p.wait(max(1.0, deadline - time.monotonic()))
