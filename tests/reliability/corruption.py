"""The writer scenarios: kiro-tui writers together, and against unlocked outside writers."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

from tests.reliability.scenarios import (
    MID,
    doc_of,
    log_lines,
    make_workspace,
    phases,
    spawn,
    wait_all,
)


def writer(root: Path, argv: list[str]) -> None:
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
    out.write_text(
        json.dumps(
            {
                "acked": acked,
                "refused": refused,
                "errors": errors,
                "worst": worst,
                "blocked": blocked,
            }
        )
    )


def reader(root: Path, argv: list[str]) -> None:
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


def outside(root: Path, argv: list[str]) -> None:
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
        body = (
            "".join(x for x in text.splitlines(keepends=True) if not x.startswith("x_outside:"))
            + f"x_outside: {last + 1}\n"
        )
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
                fh.write(raw[len(raw) // 2 :])
        last += 1
        writes += 1
        time.sleep(random.uniform(0.05, 0.25))  # yq -i in a loop: a process per edit
    out.write_text(json.dumps({"writes": writes, "lost": lost}))


def run_writers(root: Path, writers: int, ops: int) -> dict[str, Any]:
    make_workspace(root, 2 * writers)
    work = root.parent / f"{root.name}-out"
    work.mkdir(exist_ok=True)
    stop = work / "stop"
    reader = spawn("reader", root, stop, work / "reader.json")
    t0 = time.monotonic()
    procs = [spawn("writer", root, w, ops, work / f"w{w}.json", 0, "") for w in range(writers)]
    wait_all(procs, 60 + ops * writers * 0.5)
    seconds = time.monotonic() - t0
    stop.write_text("")
    reader.wait(60)
    results = [json.loads((work / f"w{w}.json").read_text()) for w in range(writers)]
    rd = json.loads((work / "reader.json").read_text())
    doc = doc_of(root)
    lost = sum(r["refused"] for r in results)
    for r in results:
        for tid, want in r["blocked"].items():
            lost += (phases(doc, tid)["design"]["status"] == "blocked") != want
    recs, torn_lines = log_lines(root)
    logged = sum(1 for x in recs if x.get("event") in ("phase_blocked", "phase_unblocked"))
    acked = sum(len(r["acked"]) for r in results)
    return {
        "writers": writers,
        "ops": writers * ops,
        "acknowledged": acked,
        "lost_updates": lost,
        "torn_files": rd["torn"],
        "file_reads": rd["reads"],
        "torn_log_lines": torn_lines + rd["torn_lines"],
        "missing_events": max(0, acked - logged),
        "extra_events": max(0, logged - acked),
        "errors": sum(len(r["errors"]) for r in results),
        "error_samples": [e for r in results for e in r["errors"]][:3],
        "worst_op_s": round(max(r["worst"] for r in results), 3),
        "seconds": round(seconds, 1),
    }


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
    procs = [
        spawn(
            "writer",
            root,
            w,
            ops,
            work / f"w{w}.json",
            1,
            ",".join(f"t-{base + w * approvals + i:03d}" for i in range(approvals)),
        )
        for w in range(writers)
    ]
    wait_all(procs, 120 + ops * writers)
    seconds = time.monotonic() - t0
    stop.write_text("")
    other.wait(60)
    results = [json.loads((work / f"w{w}.json").read_text()) for w in range(writers)]
    outside = json.loads((work / "outside.json").read_text())
    doc_before = doc_of(root)
    ws = Workspace(root, persist_cache=False)
    reapplied = decisions.reapply(ws, MID)  # the next load kiro-tui controls
    doc = doc_of(root)
    lost = lost_before = 0
    for r in results:
        last: dict[str, str] = {}
        for action, tid, _i in r["acked"]:
            last[tid] = action
        for tid, action in last.items():
            for d, counter in ((doc, "after"), (doc_before, "before")):
                st = phases(d, tid)["design"]["status"]
                ok = (
                    (st == "blocked")
                    if action == "block"
                    else (st != "blocked")
                    if action == "unblock"
                    else st == "approved"
                )
                if not ok:
                    if counter == "after":
                        lost += 1
                    else:
                        lost_before += 1
    recs, _torn = log_lines(root)
    return {
        "outside_writer": kind,
        "kiro_writers": writers,
        "ops": writers * ops,
        "acknowledged": sum(len(r["acked"]) for r in results),
        "decisions_lost": lost,
        "lost_before_final_reapply": lost_before,
        "reapplied_lines": sum(1 for x in recs if x.get("event") == "decision_reapplied"),
        "final_reapply": len(reapplied),
        "outside_writes": outside["writes"],
        "outside_values_lost": len(outside["lost"]),
        "refused": sum(r["refused"] for r in results),
        "errors": sum(len(r["errors"]) for r in results),
        "error_samples": [e for r in results for e in r["errors"]][:3],
        "seconds": round(seconds, 1),
    }


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
