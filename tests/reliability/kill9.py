"""SIGKILL at random moments of one action per child process; after the next action the
milestone, its session file and its log agree (pause), and no log line is there twice."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.reliability.scenarios import (
    HANG,
    MID,
    doc_of,
    log_lines,
    make_workspace,
    phases,
    spawn,
)


def op(root: Path, argv: list[str]) -> None:
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
                return (
                    "complete",
                    t["id"],
                    ph,
                    (t["id"], ph, "waiting_approval" if gate else "completed"),
                )
            if st == "waiting_approval":
                return "approve", t["id"], ph, (t["id"], ph, "approved")
    return "none", "-", "-", None


def _state_of(doc: dict[str, Any], target: Any) -> Any:
    if target is None:
        return None
    if target[0] == "milestone":
        return str(doc.get("status"))
    return phases(doc, target[0]).get(target[1], {}).get("status")


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
    from kiro_tui.core.safecreate import TEMP_NAME

    d = root / ".milestones" / folder
    return [n for n in os.listdir(d) if TEMP_NAME.match(n)] if d.is_dir() else []


def _disagreement(root: Path) -> str | None:
    """Whether milestone, session file and log disagree about pause (None: they agree), or
    the log holds a line twice in a row."""
    from kiro_tui.core import sessions

    recs, _torn = log_lines(root)
    raw = (root / ".milestones/logs" / f"execution-{MID}.jsonl").read_bytes()
    lines = [x for x in raw.split(b"\n") if x.strip()]
    # a line appended twice (a killed action's line, then again by the next action) follows
    # itself; equal lines apart are two actions in the same second (pause, resume, pause and
    # resume within one second write two equal resume lines: timestamps are to the second)
    twice = next((a for a, b in itertools.pairwise(lines) if a == b), None)
    if twice is not None:
        return f"a log line written twice: {twice[:300].decode(errors='replace')}"
    doc = doc_of(root)
    status = str(doc.get("status"))
    if status not in ("in_progress", "paused"):
        return None
    sid = (doc.get("execution") or {}).get("session_id")
    live = sessions.read_session(root, str(sid)) if sid else None
    if live is None:
        return f"milestone {status} names no session file ({sid})"
    want = "paused" if status == "paused" else "active"
    if live.status != want:
        return f"milestone {status}, session {live.status}"
    last = [r["event"] for r in recs if r.get("event") in ("session_paused", "session_resumed")]
    said = last[-1] if last else None
    if (said == "session_paused") != (status == "paused"):
        return f"milestone {status}, the log's latest pause/resume is {said}"
    return None


def _one_op(
    root: Path, kind: str, tid: str, phase: str, kill_after: float | None
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
    done = parsed = before_after = next_ok = killed_mid = agree = 0
    leftovers: list[str] = []
    problems: list[str] = []
    step = 0
    while done < kills:
        doc = doc_of(root)
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
        after = _state_of(doc_of(root), target) if ok_parse else "unparsable"
        if after in (before, target[-1] if target else None):
            before_after += 1
        else:
            problems.append(f"{kind} {tid} {phase}: {before} -> {after} ({outcome})")
        # the next action, not killed: never blocked by the killed one
        doc = doc_of(root)
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
        # the next action repaired what the killed one left: all three say the same
        why = _disagreement(root)
        agree += why is None
        if why is not None:
            problems.append(f"after next {kind}: {why}")
        if outcome == "ok":
            leftovers.extend(_temps(root, "active"))
    # a last session write removes what killed session writers left
    for kind in ("pause", "resume"):
        _one_op(root, kind, "-", "-", None)
    leftovers.extend(_temps(root, "sessions"))
    return {
        "kills": done,
        "killed_mid_action": killed_mid,
        "parse_ok": parsed,
        "before_or_after": before_after,
        "next_op_ok": next_ok,
        "agree_after_next": agree,
        "leftover_temp_files": len(leftovers),
        "problems": problems[:5],
    }
