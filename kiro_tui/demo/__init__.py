"""`kiro-tui demo`: a realistic workspace in a temporary git repository, a simulated agent,
and the dashboard driving one milestone."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core.clock import SYSTEM, Clock, fmt

if TYPE_CHECKING:
    import subprocess

DRIVEN = "demo-001"
AGENT = "demo-agent"
BROKEN_FILE = "notes-draft.yaml"

# (milestone id, title, requires, status, location, tasks)
# task: (id, title, kind, depends_on, {phase: status}, assigned_to)
PLAN: list[tuple[str, str, list[str], str, str, list[tuple[Any, ...]]]] = [
    (
        "demo-000",
        "Project foundations",
        [],
        "completed",
        "completed",
        [
            ("task-repo-setup", "Repository and CI setup", "other", [], "done", "dana"),
            (
                "task-config",
                "Configuration loading",
                "feature",
                ["task-repo-setup"],
                "done",
                "claude",
            ),
        ],
    ),
    (
        DRIVEN,
        "User authentication",
        ["demo-000"],
        "in_progress",
        "active",
        [
            (
                "task-login-api",
                "Login API",
                "api",
                [],
                {"design": "approved", "spec": "waiting_approval"},
                "claude",
            ),
            (
                "task-session-store",
                "Session store",
                "feature",
                [],
                {
                    "design": "approved",
                    "spec": "approved",
                    "task": "completed",
                    "execute": "in_progress",
                },
                AGENT,
            ),
            ("task-login-form", "Login form", "frontend", ["task-login-api"], {}, AGENT),
            (
                "task-rate-limit",
                "Rate limiting bug",
                "bugfix",
                [],
                {"design": "in_progress"},
                "claude",
            ),
            (
                "task-audit-log",
                "Audit log",
                "other",
                [],
                {"design": "approved", "spec": "blocked"},
                "sam",
            ),
        ],
    ),
    (
        "demo-002",
        "Billing",
        [DRIVEN],
        "planned",
        "active",
        [
            ("task-invoices", "Invoice generation", "feature", [], {}, None),
            ("task-payments", "Payment provider", "api", ["task-invoices"], {}, None),
        ],
    ),
    (
        "demo-003",
        "Mobile app",
        [DRIVEN, "demo-002"],
        "planned",
        "active",
        [
            ("task-mobile-shell", "App shell", "frontend", [], {}, None),
        ],
    ),
]

CONTENT = """# {title}

Written for task `{task}` ({phase} phase).

- context and goals
- decisions and their reasons
- open questions: none
"""


def _ts(base: datetime, minutes: float) -> str:
    return fmt(base - timedelta(minutes=minutes))


def write_deliverable(root: Path, task_id: str, phase: str, name: str, text: str = "") -> Path:
    folder = root / ".milestones" / "deliverables" / task_id / phase
    folder.mkdir(parents=True, exist_ok=True)
    body = text or CONTENT.format(
        title=name.rsplit(".", 1)[0].replace("_", " ").capitalize(), task=task_id, phase=phase
    )
    if "." not in name:  # a folder deliverable (implementation_code, unit_tests, ...)
        (folder / name).mkdir(exist_ok=True)
        path = folder / name / "README.md"
    else:
        path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def build(root: Path, *, git: bool = True, clock: Clock | None = None) -> Path:
    """Create the demo workspace in `root` (made if needed), its times from `clock`."""
    from kiro_tui.core.config import load_config
    from kiro_tui.core.ids import PHASES
    from kiro_tui.core.safewrite import atomic_write
    from kiro_tui.core.service import Workspace
    from kiro_tui.core.templates import new_milestone, new_task, starter_text
    from kiro_tui.core.yaml.roundtrip import dump_new

    root.mkdir(parents=True, exist_ok=True)
    ms = Workspace.init(root)
    config = load_config(root)
    now = (clock or SYSTEM).now()
    sessions_made: list[tuple[str, str, str]] = []  # (milestone, session id, started_at)
    for order, (mid, title, requires, status, location, tasks) in enumerate(PLAN):
        age = (len(PLAN) - order) * 90
        doc = new_milestone(
            mid, title, requires, _ts(now, age + 120), description=f"{title}: demo milestone"
        )
        doc["status"] = status
        done = 0
        for tid, ttitle, kind, deps, phases, who in tasks:
            t = new_task(tid, ttitle, kind, list(deps), config, _ts(now, age + 100))
            if who:
                t["assigned_to"] = who
            ph = t["kiro_workflow"]["phases"]
            wanted = (
                {p: ("approved" if ph[p]["approval_required"] else "completed") for p in PHASES}
                if phases == "done"
                else phases
            )
            minutes = age
            for p in PHASES:
                st = wanted.get(p)
                if st is None:
                    continue
                ph[p]["status"] = st
                ph[p]["started_at"] = _ts(now, minutes)
                minutes -= 12 if tid != "task-rate-limit" else 0
                t["kiro_workflow"]["current_phase"] = p
                if st in ("completed", "approved", "waiting_approval"):
                    ph[p]["completed_at"] = _ts(now, minutes)
                    for name in ph[p]["deliverables"]:
                        write_deliverable(root, tid, p, str(name))
                if st == "approved":
                    ph[p]["approved_at"] = _ts(now, minutes - 5)
                    ph[p]["approved_by"] = "dana"
                    ph[p]["approval_notes"] = "Looks right"
                    ph[p]["review_history"] = [
                        {
                            "action": "approved",
                            "by": "dana",
                            "at": _ts(now, minutes - 5),
                            "comment": "Looks right",
                        }
                    ]
                if st == "blocked":
                    ph[p]["blocked_reason"] = "waiting for the security team's review"
                if st == "in_progress":
                    names = [str(n) for n in ph[p]["deliverables"]]
                    for i, name in enumerate(names):
                        if tid == "task-session-store" and i < 2:
                            write_deliverable(root, tid, p, name)
                        else:
                            starter = starter_text(name, tid, p)
                            if starter:
                                write_deliverable(root, tid, p, name, starter)
            if tid == "task-rate-limit":  # stalled: started long ago, nothing since
                ph["design"]["started_at"] = _ts(now, 180)
                import os

                stamp = (now - timedelta(minutes=180)).timestamp()
                for f in (root / ".milestones" / "deliverables" / tid).rglob("*"):
                    os.utime(f, (stamp, stamp))
            all_passed = phases == "done" or all(
                wanted.get(p) in ("approved", "completed") for p in PHASES
            )
            if all_passed:
                t["status"] = "completed"
                done += 1
            elif any(v == "blocked" for v in wanted.values()):
                t["status"] = "blocked"
            elif wanted:
                t["status"] = "in_progress"
            doc["tasks"].append(t)
        doc["progress"]["tasks_completed"] = done
        doc["progress"]["total_tasks"] = len(tasks)
        if status in ("in_progress", "completed"):
            from kiro_tui.core.sessions import session_id_for

            started = _ts(now, age)  # the session id's time, its record's and the milestone's
            sid = session_id_for(mid, started)
            doc["execution"] = {"started_at": started, "session_id": sid}
            sessions_made.append((mid, sid, started))
        if status == "completed":
            doc["completed_at"] = _ts(now, age - 60)
        atomic_write(ms / location / f"{mid}.yaml", dump_new(doc))
    # a file that fails to load: shows as a blocker
    (ms / "active" / BROKEN_FILE).write_text(
        "id: notes-draft\ntitle: [unfinished\nstatus: planned\n", encoding="utf-8"
    )
    _write_sessions_and_logs(root, ms, sessions_made, now)
    atomic_write(ms / "active" / "current.txt", f"{DRIVEN}\n")
    if git:
        _git_init(root)
    return root


def _write_sessions_and_logs(
    root: Path, ms: Path, made: list[tuple[str, str, str]], now: Any
) -> None:
    from kiro_tui.core import clock, events, sessions

    driven_age = 95.0
    for mid, sid, started in made:
        sessions.create_session(root, mid, sid, started, "dana")
        if mid != DRIVEN:
            sessions.set_session_status(root, sid, "completed", _ts(now, 50), "dana")
        else:
            at = clock.parse_ts(started)
            driven_age = (now - at).total_seconds() / 60 if at is not None else driven_age
    lines = [
        (driven_age, "milestone_started", None, None, "user", "dana", "demo-001: session started"),
        (80, "phase_approved", "task-login-api", "design", "user", "dana", "design approved"),
        (
            60,
            "phase_completed",
            "task-login-api",
            "spec",
            "task_executor",
            "claude",
            "spec complete, waiting for approval",
        ),
        (45, "phase_approved", "task-session-store", "spec", "user", "dana", "spec approved"),
        (
            30,
            "phase_started",
            "task-session-store",
            "execute",
            "task_executor",
            AGENT,
            "execute started",
        ),
        (
            20,
            "phase_blocked",
            "task-audit-log",
            "spec",
            "user",
            "sam",
            "blocked: waiting for the security team's review",
        ),
    ]
    for minutes, ev, tid, phase, role, actor, msg in lines:
        rec = {
            "timestamp": _ts(now, minutes),
            "event": ev,
            "milestone_id": DRIVEN,
            "task_id": tid,
            "phase": phase,
            "role": role,
            "level": "info",
            "actor": actor,
            "message": msg,
        }
        events.append(
            ms / "logs" / f"execution-{DRIVEN}.jsonl",
            {k: v for k, v in rec.items() if v is not None},
        )


def _git_init(root: Path) -> None:
    import pygit2

    repo = pygit2.init_repository(str(root), initial_head="main")
    (root / "README.md").write_text(
        "# demo project\n\nA kiro-tui demo repository.\n", encoding="utf-8"
    )
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    sig = pygit2.Signature("kiro-tui demo", "demo@kiro-tui.invalid")
    repo.create_commit("HEAD", sig, sig, "Initial commit: demo workspace", tree, [])


def start_agent(root: Path, interval: float = 2.5) -> subprocess.Popen[bytes]:
    import subprocess

    return subprocess.Popen(
        [sys.executable, "-m", "kiro_tui.demo.agent", str(root), "--interval", str(interval)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_agent(proc: subprocess.Popen[bytes]) -> None:
    import subprocess

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
