"""The reliability scenarios of issue 11, at any size, on real processes and real files.

The tests beside this module run them small; `bench/reliability.py` runs them at full size and
prints one figure line per scenario. Each `run_*` returns a dict of figures.

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
- `run_corpus`: a hostile workspace through `status --json`, `status`, `validate`, `log` and
  `run` (a few seconds): tracebacks, hangs, peak memory, whether anything outside changed.
"""

from __future__ import annotations

import json
import os
import random
import signal
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

def make_workspace(root: Path, tasks: int, waiting: int = 0, *, deliverables: bool = False,
                   status: str = "in_progress") -> Path:
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
    now = clock.now_str()
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


def _doc(root: Path) -> dict[str, Any]:
    from kiro_tui.core.yaml.roundtrip import load_fast

    for loc in ("active", "completed"):
        p = root / ".milestones" / loc / f"{MID}.yaml"
        if p.exists():
            data = load_fast(p.read_text(encoding="utf-8"), p)
            return data if isinstance(data, dict) else {}
    return {}


def _phases(doc: dict[str, Any], tid: str) -> dict[str, Any]:
    for t in doc.get("tasks") or []:
        if t.get("id") == tid:
            return t["kiro_workflow"]["phases"]
    return {}


def _log_lines(root: Path) -> tuple[list[dict[str, Any]], int]:
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
    kind, root = argv[0], Path(argv[1])
    {"writer": _writer, "reader": _reader, "rename": _outside, "inplace": _outside,
     "op": _op}[kind](root, argv)


def _writer(root: Path, argv: list[str]) -> None:
    """writer ROOT W N OUT REAPPLY APPROVE_TASKS: toggle block on own tasks t-(2W), t-(2W+1)."""
    from kiro_tui.core import decisions
    from kiro_tui.core.errors import KiroError, Refused
    from kiro_tui.core.service import Workspace

    w, n, out, reapply = int(argv[2]), int(argv[3]), Path(argv[4]), argv[5] == "1"
    approvals = [x for x in argv[6].split(",") if x]
    ws = Workspace(root, persist_cache=False)
    mine = [f"t-{2 * w + k:03d}" for k in range(2)]
    blocked = dict.fromkeys(mine, False)
    acked: list[list[Any]] = []
    refused, errors, worst = 0, [], 0.0
    every = max(1, n // (len(approvals) + 1)) if approvals else 0
    i = 0
    while i < n:
        t0 = time.monotonic()
        try:
            if reapply:
                decisions.reapply(ws, MID)
            if approvals and i % every == every - 1:
                tid = approvals.pop(0)
                ws.approve(MID, tid, "design", f"writer-{w}")
                acked.append(["approve", tid, i])
            else:
                tid = mine[i % 2]
                if blocked[tid]:
                    ws.unblock(MID, tid, "design", f"writer-{w}")
                else:
                    ws.block(MID, tid, "design", f"w{w}-{i}", f"writer-{w}")
                blocked[tid] = not blocked[tid]
                acked.append(["block" if blocked[tid] else "unblock", tid, i])
        except Refused:
            refused += 1
        except KiroError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        worst = max(worst, time.monotonic() - t0)
        i += 1
    out.write_text(json.dumps({"acked": acked, "refused": refused, "errors": errors,
                               "worst": worst, "blocked": blocked}))


def _reader(root: Path, argv: list[str]) -> None:
    """reader ROOT STOPFILE OUT: load the milestone and the log until STOPFILE appears."""
    from kiro_tui.core.yaml.roundtrip import load_fast

    stop, out = Path(argv[2]), Path(argv[3])
    path = root / ".milestones/active" / f"{MID}.yaml"
    log = root / ".milestones/logs" / f"execution-{MID}.jsonl"
    reads = torn = torn_lines = 0
    while not stop.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            torn += 1
            continue
        reads += 1
        try:
            if not isinstance(load_fast(text, path), dict):
                torn += 1
        except Exception:
            torn += 1
        if log.exists():
            data = log.read_bytes()
            for line in data[: data.rfind(b"\n") + 1].split(b"\n"):
                if line.strip():
                    try:
                        json.loads(line)
                    except ValueError:
                        torn_lines += 1
        time.sleep(0.002)
    out.write_text(json.dumps({"reads": reads, "torn": torn, "torn_lines": torn_lines}))


def _outside(root: Path, argv: list[str]) -> None:
    """rename|inplace ROOT STOPFILE OUT: an outside writer of `x_outside: N`, unlocked, about
    7 writes a second (a writer faster than kiro-tui's own read-edit-write starves it: its
    actions then fail with ConcurrentEdit, unacknowledged, and nothing is lost). Before
    each write it checks that its previous value is there: only kiro-tui writes besides it, so
    a value missing is one kiro-tui lost (its own read-edit-write window loses kiro-tui's)."""
    from kiro_tui.core.yaml.roundtrip import load_fast

    kind, stop, out = argv[0], Path(argv[2]), Path(argv[3])
    path = root / ".milestones/active" / f"{MID}.yaml"
    last, lost, writes = 0, [], 0
    while not stop.exists():
        text = path.read_text(encoding="utf-8")
        try:
            data = load_fast(text, path)
        except Exception:
            continue  # kiro-tui never leaves a file half written; this is our own in-place one
        if data.get("x_outside", 0) != last:
            lost.append(last)
        body = "".join(x for x in text.splitlines(keepends=True)
                       if not x.startswith("x_outside:")) + f"x_outside: {last + 1}\n"
        raw = body.encode()
        if kind == "rename":
            tmp = path.with_name(f".yq-{os.getpid()}-{writes}")
            tmp.write_bytes(raw)
            os.replace(tmp, path)
        else:
            with open(path, "r+b") as fh:
                fh.truncate(0)
                fh.write(raw[: len(raw) // 2])
                fh.flush()
                time.sleep(0.002)
                fh.write(raw[len(raw) // 2:])
        last += 1
        writes += 1
        time.sleep(random.uniform(0.05, 0.25))  # yq -i in a loop: a process per edit
    out.write_text(json.dumps({"writes": writes, "lost": lost}))


def _op(root: Path, argv: list[str]) -> None:
    """op ROOT KIND TASK PHASE: say `ready` (imports done), then do one action."""
    from kiro_tui.core.errors import KiroError
    from kiro_tui.core.service import Workspace

    kind, tid, phase = argv[2], argv[3], argv[4]
    ws = Workspace(root, persist_cache=False)
    print("ready", flush=True)
    try:
        if kind == "start":
            ws.start_milestone(MID, "killer")
        elif kind == "pause":
            ws.pause(MID, "killer")
        elif kind == "resume":
            ws.resume(MID, "killer")
        elif kind == "phase_start":
            ws.start_phase(MID, tid, phase, "killer")
        elif kind == "complete":
            ws.complete_phase(MID, tid, phase, "killer")
        elif kind == "approve":
            ws.approve(MID, tid, phase, "killer")
        print("ok", flush=True)
    except KiroError as exc:
        print(f"refused {type(exc).__name__}: {exc}", flush=True)


# ------------------------------------------------------------------------------ scenarios

def _wait_all(procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for p in procs:
        p.wait(max(1.0, deadline - time.monotonic()))


def run_writers(root: Path, writers: int, ops: int) -> dict[str, Any]:
    make_workspace(root, 2 * writers)
    work = root.parent / f"{root.name}-out"
    work.mkdir(exist_ok=True)
    stop = work / "stop"
    reader = spawn("reader", root, stop, work / "reader.json")
    t0 = time.monotonic()
    procs = [spawn("writer", root, w, ops, work / f"w{w}.json", 0, "") for w in range(writers)]
    _wait_all(procs, 60 + ops * writers * 0.5)
    seconds = time.monotonic() - t0
    stop.write_text("")
    reader.wait(60)
    results = [json.loads((work / f"w{w}.json").read_text()) for w in range(writers)]
    rd = json.loads((work / "reader.json").read_text())
    doc = _doc(root)
    lost = sum(r["refused"] for r in results)
    for r in results:
        for tid, want in r["blocked"].items():
            lost += (_phases(doc, tid)["design"]["status"] == "blocked") != want
    recs, torn_lines = _log_lines(root)
    logged = sum(1 for x in recs if x.get("event") in ("phase_blocked", "phase_unblocked"))
    acked = sum(len(r["acked"]) for r in results)
    return {"writers": writers, "ops": writers * ops, "acknowledged": acked,
            "lost_updates": lost, "torn_files": rd["torn"], "file_reads": rd["reads"],
            "torn_log_lines": torn_lines + rd["torn_lines"],
            "missing_events": max(0, acked - logged), "extra_events": max(0, logged - acked),
            "errors": sum(len(r["errors"]) for r in results),
            "error_samples": [e for r in results for e in r["errors"]][:3],
            "worst_op_s": round(max(r["worst"] for r in results), 3),
            "seconds": round(seconds, 1)}


def run_outside(root: Path, kind: str, writers: int, ops: int, approvals: int) -> dict[str, Any]:
    """Kiro-tui writers (toggling blocks, and approving `approvals` phases each) against one
    outside writer of kind `rename` or `inplace`."""
    from kiro_tui.core import decisions
    from kiro_tui.core.service import Workspace

    base = 2 * writers
    make_workspace(root, base + writers * approvals, 0)
    # the approval tasks: design waiting, deliverables present
    _make_waiting(root, [f"t-{base + i:03d}" for i in range(writers * approvals)])
    work = root.parent / f"{root.name}-out"
    work.mkdir(exist_ok=True)
    stop = work / "stop"
    other = spawn(kind, root, stop, work / "outside.json")
    t0 = time.monotonic()
    procs = [spawn("writer", root, w, ops, work / f"w{w}.json", 1,
                   ",".join(f"t-{base + w * approvals + i:03d}" for i in range(approvals)))
             for w in range(writers)]
    _wait_all(procs, 120 + ops * writers)
    seconds = time.monotonic() - t0
    stop.write_text("")
    other.wait(60)
    results = [json.loads((work / f"w{w}.json").read_text()) for w in range(writers)]
    outside = json.loads((work / "outside.json").read_text())
    doc_before = _doc(root)
    ws = Workspace(root, persist_cache=False)
    reapplied = decisions.reapply(ws, MID)  # the next load kiro-tui controls
    doc = _doc(root)
    lost = lost_before = 0
    for r in results:
        last: dict[str, str] = {}
        for action, tid, _i in r["acked"]:
            last[tid] = action
        for tid, action in last.items():
            for d, counter in ((doc, "after"), (doc_before, "before")):
                st = _phases(d, tid)["design"]["status"]
                ok = (st == "blocked") if action == "block" else \
                    (st != "blocked") if action == "unblock" else st == "approved"
                if not ok:
                    if counter == "after":
                        lost += 1
                    else:
                        lost_before += 1
    recs, _torn = _log_lines(root)
    return {"outside_writer": kind, "kiro_writers": writers, "ops": writers * ops,
            "acknowledged": sum(len(r["acked"]) for r in results),
            "decisions_lost": lost, "lost_before_final_reapply": lost_before,
            "reapplied_lines": sum(1 for x in recs if x.get("event") == "decision_reapplied"),
            "final_reapply": len(reapplied),
            "outside_writes": outside["writes"], "outside_values_lost": len(outside["lost"]),
            "refused": sum(r["refused"] for r in results),
            "errors": sum(len(r["errors"]) for r in results),
            "error_samples": [e for r in results for e in r["errors"]][:3],
            "seconds": round(seconds, 1)}


def _make_waiting(root: Path, tids: list[str]) -> None:
    from kiro_tui.core.safewrite import edit_yaml
    from kiro_tui.core.templates import deliverables_for

    def fn(doc: dict[str, Any]) -> None:
        for t in doc["tasks"]:
            if t["id"] in tids:
                t["status"] = "in_progress"
                t["kiro_workflow"]["phases"]["design"]["status"] = "waiting_approval"

    edit_yaml(root / ".milestones/active" / f"{MID}.yaml", fn)
    for tid in tids:
        folder = root / ".milestones/deliverables" / tid / "design"
        folder.mkdir(parents=True, exist_ok=True)
        for name in deliverables_for("feature", "design"):
            (folder / name).write_text(f"# {name}\n\nReal content for {tid}.\n")


def _next_op(doc: dict[str, Any], step: int) -> tuple[str, str, str, Any]:
    """(kind, task, phase, what the file says once it is done) for the state in `doc`."""
    status = str(doc.get("status"))
    if status == "planned":
        return "start", "-", "-", ("milestone", "in_progress")
    if status == "paused":
        return "resume", "-", "-", ("milestone", "in_progress")
    if step % 5 == 4:
        return "pause", "-", "-", ("milestone", "paused")
    for t in doc.get("tasks") or []:
        for ph in ("design", "spec", "task", "execute"):
            pm = t["kiro_workflow"]["phases"][ph]
            st = pm.get("status")
            gate = bool(pm.get("approval_required"))
            if st == "pending":
                return "phase_start", t["id"], ph, (t["id"], ph, "in_progress")
            if st == "in_progress":
                return "complete", t["id"], ph, (t["id"], ph,
                                                 "waiting_approval" if gate else "completed")
            if st == "waiting_approval":
                return "approve", t["id"], ph, (t["id"], ph, "approved")
    return "none", "-", "-", None


def _state_of(doc: dict[str, Any], target: Any) -> Any:
    if target is None:
        return None
    if target[0] == "milestone":
        return str(doc.get("status"))
    return _phases(doc, target[0]).get(target[1], {}).get("status")


def _all_parse(root: Path) -> bool:
    from kiro_tui.core.yaml.roundtrip import load_fast

    ms = root / ".milestones"
    for folder in ("active", "completed", "sessions"):
        for p in (ms / folder).glob("*.yaml"):
            try:
                if not isinstance(load_fast(p.read_text(encoding="utf-8"), p), dict):
                    return False
            except Exception:
                return False
    for p in (ms / "sessions").glob("*/agents/state.json"):
        try:
            json.loads(p.read_text())
        except ValueError:
            return False
    return True


def _temps(root: Path, folder: str) -> list[str]:
    from kiro_tui.core.safeio import TEMP_NAME

    d = root / ".milestones" / folder
    return [n for n in os.listdir(d) if TEMP_NAME.match(n)] if d.is_dir() else []


def _one_op(root: Path, kind: str, tid: str, phase: str, kill_after: float | None
            ) -> tuple[str, float]:
    """Run one action in a child; kill it `kill_after` seconds after it is ready. (outcome:
    killed | ok | refused ..., seconds from ready to the end)."""
    p = spawn("op", root, kind, tid, phase, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None
    line = p.stdout.readline()
    t0 = time.monotonic()
    if line.strip() != b"ready":
        p.wait(HANG)
        return f"error {line!r} {p.stderr.read()[:300]!r}", 0.0  # type: ignore[union-attr]
    if kill_after is not None:
        time.sleep(kill_after)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait(HANG)
            return "killed", time.monotonic() - t0
    try:
        out = p.stdout.read().decode().strip()
        p.wait(HANG)
    except subprocess.TimeoutExpired:
        p.kill()
        return "hang", HANG
    err = p.stderr.read().decode() if p.stderr else ""  # type: ignore[union-attr]
    if "Traceback" in err:
        return f"traceback {err[-300:]}", time.monotonic() - t0
    return out or "nothing", time.monotonic() - t0


def run_kill9(root: Path, kills: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    make_workspace(root, kills // 3 + 2, deliverables=True, status="planned")
    took: list[float] = [0.05]
    done = parsed = before_after = next_ok = killed_mid = 0
    leftovers: list[str] = []
    problems: list[str] = []
    step = 0
    while done < kills:
        doc = _doc(root)
        kind, tid, phase, target = _next_op(doc, step)
        if kind == "none":
            break
        before = _state_of(doc, target)
        window = sorted(took)[len(took) // 2] * 1.2
        outcome, _t = _one_op(root, kind, tid, phase, rng.uniform(0.0, window))
        done += 1
        step += 1
        killed_mid += outcome == "killed"
        ok_parse = _all_parse(root)
        parsed += ok_parse
        after = _state_of(_doc(root), target) if ok_parse else "unparsable"
        if after in (before, target[-1] if target else None):
            before_after += 1
        else:
            problems.append(f"{kind} {tid} {phase}: {before} -> {after} ({outcome})")
        # the next action, not killed: never blocked by the killed one
        doc = _doc(root)
        kind, tid, phase, target = _next_op(doc, step)
        step += 1
        if kind == "none":
            break
        outcome, secs = _one_op(root, kind, tid, phase, None)
        if outcome == "ok" or outcome.startswith("refused Refused"):
            next_ok += 1
            took.append(secs)
        else:
            problems.append(f"next {kind}: {outcome}")
        if outcome == "ok":
            leftovers.extend(_temps(root, "active"))
    # a last session write removes what killed session writers left
    for kind in ("pause", "resume"):
        _one_op(root, kind, "-", "-", None)
    leftovers.extend(_temps(root, "sessions"))
    return {"kills": done, "killed_mid_action": killed_mid, "parse_ok": parsed,
            "before_or_after": before_after, "next_op_ok": next_ok,
            "leftover_temp_files": len(leftovers), "problems": problems[:5]}


# ------------------------------------------------------------------------------ the corpus

LAUGHS = ('id: bomb\ntitle: "b"\nstatus: planned\n'
          'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
          + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9)
                    + "]\n" for i in range(8)) + "tasks: *i\n")


def build_corpus(root: Path, outside: Path, *, huge_line: int = 20 << 20,
                 milestones: int = 0) -> None:
    """Every hostile class of issue 11 in one workspace (plus `milestones` small ones)."""
    make_workspace(root, 4)
    ms = root / ".milestones"
    a = ms / "active"
    files = {
        "bomb.yaml": LAUGHS,
        "deep.yaml": 'id: deep\ntitle: "d"\nstatus: planned\ntasks: ' + "[" * 100_000
                     + "]" * 100_000 + "\n",
        "nan.yaml": 'id: nan\ntitle: "n"\nstatus: planned\nkiro_configuration:\n  phase_weights:'
                    ' {design: .nan, spec: 25, task: 20, execute: 40}\ntasks: []\n',
        "huge-weight.yaml": 'id: huge-weight\ntitle: "h"\nstatus: planned\nkiro_configuration:\n'
                            f'  phase_weights: {{design: {10**400}, spec: 1, task: 1, execute: 1}}'
                            '\ntasks: []\n',
        "list.yaml": "- a\n- b\n",
        "tasks-map.yaml": 'id: tasks-map\ntitle: "t"\nstatus: planned\ntasks: {a: 1, b: [2]}\n',
        "escape.yaml": 'id: escape\ntitle: "\\e]0;owned\\a\\e[2J\\e[31mred"\nstatus: planned\n'
                       'tasks: []\n',
        "wrong-types.yaml": 'id: wrong-types\ntitle: [1]\nstatus: {x: 1}\ntasks:\n  - id: t\n'
                            '    kiro_workflow: {phases: {design: 5, spec: [1]}}\n',
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
    task = ('  - id: "t-{j}"\n    title: "Task {j}"\n    status: "pending"\n'
            '    estimated_hours: 8\n')
    for i in range(count):
        body = "".join(task.format(j=j) for j in range(3))
        (a / f"m-{i:05d}.yaml").write_text(f'id: "m-{i:05d}"\ntitle: "Milestone {i}"\n'
                                           f'status: "planned"\ntasks:\n{body}')


def _measured(root: Path, args: list[str], seconds: float | None = None) -> dict[str, Any]:
    """One CLI command in a child: (rc, traceback, hang, seconds, peak KB) via wait4."""
    out = root.parent / f"cmd-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out}.out", "wb") as o, open(f"{out}.err", "wb") as e:
        p = subprocess.Popen([sys.executable, "-m", "kiro_tui", "-C", str(root), *args],
                             stdout=o, stderr=e, stdin=subprocess.DEVNULL, env=env())
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
    return {"args": " ".join(args), "rc": p.returncode, "hang": hang,
            "traceback": b"Traceback" in text or b"internal error" in text,
            "escapes": b"\x1b" in Path(f"{out}.out").read_bytes(),
            "secret_shown": b"TOP-SECRET" in text,
            "seconds": round(time.monotonic() - t0, 2), "peak_kb": usage.ru_maxrss,
            "tail": text[-300:].decode("utf-8", "replace")}


COMMANDS = [["status", "--json"], ["status"], ["validate"], ["validate", "--json"],
            ["log", "-n", "50"], ["log", MID, "-n", "50"], ["approve", MID, "t-000", "design"],
            ["phase", "start", MID, "t-001", "design"]]


def run_corpus(root: Path, outside: Path, *, huge_line: int = 20 << 20, milestones: int = 0,
               run_seconds: float = 0.0) -> dict[str, Any]:
    from tests.reliability.common import folder_hash

    build_corpus(root, outside, huge_line=huge_line, milestones=milestones)
    before = folder_hash(outside)
    results = [_measured(root, c) for c in COMMANDS]
    if run_seconds:
        results.append(_measured(root, ["run", MID], seconds=run_seconds))
    figures: dict[str, Any] = {
        "commands": len(results),
        "tracebacks": sum(r["traceback"] for r in results),
        "hangs": sum(r["hang"] for r in results),
        "escapes_on_stdout": sum(r["escapes"] for r in results),
        "outside_read_or_written": int(folder_hash(outside) != before
                                       or any(r["secret_shown"] for r in results)),
        "slowest_s": max(r["seconds"] for r in results),
        "peak_kb": max(r["peak_kb"] for r in results),
        "bad": [r for r in results if r["traceback"] or r["hang"] or r["escapes"]][:3],
    }
    return figures


def baseline_peak(root: Path, milestones: int) -> int:
    """Peak KB of `status --json` on a normal workspace of `milestones` small milestones."""
    make_workspace(root, 4)
    add_milestones(root, milestones)
    return max(_measured(root, c)["peak_kb"] for c in (["status", "--json"], ["validate"]))
