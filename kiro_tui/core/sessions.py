"""Execution sessions: records, driver claim with heartbeat, pause and resume, role state."""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiro_tui.core import clock, safeio
from kiro_tui.core.errors import KiroError, Refused
from kiro_tui.core.ids import ROLES, check_id
from kiro_tui.core.root import MS
from kiro_tui.core.safewrite import atomic_write, edit_yaml
from kiro_tui.core.yaml.roundtrip import dump_new, load_fast


def session_id_for(milestone_id: str, when: str) -> str:
    ts = clock.parse_ts(when)
    if ts is None:
        raise ValueError(f"not a timestamp: {when!r}")
    return check_id(f"exec-{milestone_id}-{ts.strftime('%Y%m%d-%H%M%S')}", "session id")


def session_path(root: Path, session_id: str) -> Path:
    return root / MS / "sessions" / f"{check_id(session_id, 'session id')}.yaml"


def state_path(root: Path, session_id: str) -> Path:
    return root / MS / "sessions" / check_id(session_id, "session id") / "agents" / "state.json"


def role_log_path(root: Path, session_id: str, role: str) -> Path:
    from kiro_tui.core.ids import ROLE_LOG_FILES

    return root / MS / "logs" / check_id(session_id, "session id") / ROLE_LOG_FILES[role]


@dataclass(frozen=True)
class Session:
    id: str
    milestone_id: str
    status: str
    started_at: str | None
    driver_pid: int | None
    driver_host: str | None
    driver_user: str | None
    heartbeat: str | None
    paused: bool

    def heartbeat_age(self, now: float) -> float | None:
        hb = clock.parse_ts(self.heartbeat)
        if hb is None:
            return None
        return now - hb.timestamp()


def read_session(root: Path, session_id: str) -> Session | None:
    path = session_path(root, session_id)
    try:
        raw = load_fast(safeio.read_text(path, root), path)  # no FIFO, no link out
    except Exception:
        return None
    s = raw.get("session") if isinstance(raw, dict) else None
    if not isinstance(s, dict):
        return None
    found = s.get("driver")
    drv: dict[str, Any] = found if isinstance(found, dict) else {}
    pid = drv.get("pid")
    return Session(
        id=str(s.get("id") or session_id),
        milestone_id=str(s.get("milestone_id") or ""),
        status=str(s.get("status") or "active"),
        started_at=str(s["started_at"]) if s.get("started_at") else None,
        driver_pid=pid if isinstance(pid, int) else None,
        driver_host=str(drv["host"]) if drv.get("host") else None,
        driver_user=str(drv["user"]) if drv.get("user") else None,
        heartbeat=str(drv["heartbeat"]) if drv.get("heartbeat") else None,
        paused=str(s.get("status")) == "paused",
    )


def create_session(root: Path, milestone_id: str, session_id: str, now: str, actor: str) -> Path:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = session_path(root, session_id)
    s = CommentedMap()
    s["id"] = session_id
    s["milestone_id"] = milestone_id
    s["status"] = "active"
    s["started_at"] = now
    s["started_by"] = actor
    s["driver"] = None
    s["pauses"] = CommentedSeq()
    agents = CommentedSeq(list(ROLES))
    agents.fa.set_flow_style()
    s["agent_types"] = agents
    doc = CommentedMap()
    doc["session"] = s
    atomic_write(path, dump_new(doc))
    return path


def _edit_session(root: Path, session_id: str, fn: Any) -> Any:
    path = session_path(root, session_id)

    def apply(doc: dict[str, Any]) -> Any:
        s = doc.get("session")
        if not isinstance(s, dict):
            raise Refused("session file has no 'session' mapping", file=path)
        return fn(s)

    return edit_yaml(path, apply)[0]


def set_session_status(root: Path, session_id: str, status: str, now: str, actor: str) -> None:
    from ruamel.yaml.comments import CommentedMap

    def fn(s: dict[str, Any]) -> None:
        old = s.get("status")
        s["status"] = status
        pauses = s.get("pauses")
        if not isinstance(pauses, list):
            s["pauses"] = pauses = []
        if status == "paused" and old != "paused":
            entry = CommentedMap()
            entry["paused_at"] = now
            entry["resumed_at"] = None
            entry["by"] = actor
            pauses.append(entry)
        elif old == "paused" and status == "active":
            for p in reversed(pauses):
                if isinstance(p, dict) and not p.get("resumed_at"):
                    p["resumed_at"] = now
                    break
        if status in ("completed", "abandoned"):
            s["ended_at"] = now

    _edit_session(root, session_id, fn)


def driver_identity() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return {"pid": os.getpid(), "host": socket.gethostname(), "user": user}


def claim_driver(
    root: Path,
    session_id: str,
    now: str,
    takeover_after: float,
    ident: dict[str, Any] | None = None,
) -> str | None:
    """Become the session's driver. Returns a takeover note, or None. Raises Refused when another
    live driver's heartbeat is fresh."""
    from ruamel.yaml.comments import CommentedMap

    me = ident or driver_identity()
    note: list[str] = []
    refused: list[str] = []

    def fn(s: dict[str, Any]) -> None:
        drv = s.get("driver")
        if (
            isinstance(drv, dict)
            and drv.get("pid")
            and (drv.get("pid"), drv.get("host")) != (me["pid"], me["host"])
        ):
            age = _heartbeat_age(drv, now)
            alive = _pid_alive(drv.get("pid")) if drv.get("host") == me["host"] else True
            if alive and age is not None and age < takeover_after:
                ahead = " (a heartbeat from the future, counted from when first seen)"
                refused.append(
                    f"session {session_id} is driven by pid {drv.get('pid')} on "
                    f"{drv.get('host')} (heartbeat {int(age)}s ago"
                    f"{ahead if drv.get(FUTURE_SEEN) else ''}); it may be taken "
                    f"over after {int(takeover_after)}s without a heartbeat"
                )
                return
            why = (
                "its process is gone"
                if not alive
                else "it has no heartbeat"
                if age is None
                else f"its heartbeat from the future was first seen {int(age)}s ago"
                if drv.get(FUTURE_SEEN)
                else f"its heartbeat is {int(age)}s old"
            )
            note.append(f"took over from pid {drv.get('pid')} on {drv.get('host')}: {why}")
        d = CommentedMap()
        d["pid"] = me["pid"]
        d["host"] = me["host"]
        d["user"] = me["user"]
        d["heartbeat"] = now
        s["driver"] = d

    _edit_session(root, session_id, fn)
    if refused:
        raise Refused(refused[0])
    return note[0] if note else None


FUTURE_SEEN = "heartbeat_first_seen"  # {heartbeat: the future value, at: when first seen}


def _heartbeat_age(drv: dict[str, Any], now: str) -> float | None:
    """Seconds since the driver's heartbeat as of `now`. A heartbeat in the future (another
    host's clock ahead) counts from when a claimer first saw that value: the first sighting is
    recorded in the driver entry (FUTURE_SEEN), so that a driver that stopped beating is taken
    over `takeover` seconds later, however far ahead its clock was; a driver that still beats
    writes a new value, which is seen afresh."""
    from ruamel.yaml.comments import CommentedMap

    hb, at = clock.parse_ts(drv.get("heartbeat")), clock.parse_ts(now)
    if hb is None or at is None:
        drv.pop(FUTURE_SEEN, None)
        return None
    age = at.timestamp() - hb.timestamp()
    if age >= -CLOCK_SKEW:
        drv.pop(FUTURE_SEEN, None)
        return max(age, 0.0)
    seen = drv.get(FUTURE_SEEN)
    if isinstance(seen, dict) and str(seen.get("heartbeat")) == str(drv.get("heartbeat")):
        first = clock.parse_ts(seen.get("at"))
        if first is not None and first <= at:
            return at.timestamp() - first.timestamp()
    mark = CommentedMap()
    mark["heartbeat"] = str(drv.get("heartbeat"))
    mark["at"] = now
    drv[FUTURE_SEEN] = mark
    return 0.0


CLOCK_SKEW = 5.0  # seconds: a heartbeat this little ahead is a small clock difference


def _is_me(drv: Any, ident: dict[str, Any] | None) -> bool:
    me = ident or driver_identity()
    return isinstance(drv, dict) and (drv.get("pid"), drv.get("host")) == (me["pid"], me["host"])


def heartbeat(root: Path, session_id: str, now: str, ident: dict[str, Any] | None = None) -> bool:
    """Refresh our heartbeat; False (and nothing written) when we are not the driver any more."""

    def fn(s: dict[str, Any]) -> bool:
        drv = s.get("driver")
        if isinstance(drv, dict) and _is_me(drv, ident):
            drv["heartbeat"] = now
            drv.pop(FUTURE_SEEN, None)
            return True
        return False

    return bool(_edit_session(root, session_id, fn))


def release_driver(root: Path, session_id: str, ident: dict[str, Any] | None = None) -> None:
    def fn(s: dict[str, Any]) -> None:
        if _is_me(s.get("driver"), ident):
            s["driver"] = None

    _edit_session(root, session_id, fn)


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_state_file(root: Path, session_id: str) -> dict[str, Any]:
    try:
        data = json.loads(safeio.read_text(state_path(root, session_id), root))
    except (OSError, ValueError, KiroError):
        return {}
    return data if isinstance(data, dict) else {}


def _role_value(value: Any) -> dict[str, Any] | None:
    """A role's entry: an object, or a plain status string ("spawning") as the original tool
    writes it."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str) and value:
        return {"status": value}
    return None


def read_role_state(root: Path, session_id: str) -> dict[str, dict[str, Any]]:
    """Each role's state, from the file's `agents` map (or, in files written before it, from
    top-level role keys)."""
    data = _read_state_file(root, session_id)
    agents = data.get("agents")
    out: dict[str, dict[str, Any]] = {}
    for role in ROLES:
        raw = agents.get(role) if isinstance(agents, dict) and role in agents else data.get(role)
        value = _role_value(raw)
        if value is not None:
            out[role] = value
    return out


def write_role_state(root: Path, session_id: str, states: dict[str, dict[str, Any]]) -> None:
    """Merge `states` into the file: every key we do not own (session_id, milestone_id,
    started_at, coordination_mode, other agents, other keys of a role) stays."""
    data = _read_state_file(root, session_id)
    agents = data.get("agents")
    if not isinstance(agents, dict):
        agents = {}
    for role, value in states.items():
        data.pop(role, None)  # an older file's top-level role key: now under `agents`
        merged = _role_value(agents.get(role)) or {}
        merged.update(value)
        agents[role] = merged
    data["agents"] = agents
    data.setdefault("session_id", session_id)
    atomic_write(state_path(root, session_id), json.dumps(data, indent=2, sort_keys=True) + "\n")


def live_session_of(root: Path, milestone_id: str) -> str | None:
    """The newest session of `milestone_id` that is not completed, found from the session
    records (`sessions/<id>.yaml`) or the agents' state files (`sessions/<id>/agents/
    state.json`, which the original commands write alone): for a milestone whose own file
    cannot be read, so that the dashboard still shows its roles as they are."""
    from kiro_tui.core.ids import is_valid_id

    try:
        entries = sorted(os.scandir(root / MS / "sessions"), key=lambda e: e.name)
    except OSError:
        return None
    found: list[tuple[str, str]] = []
    for e in entries:
        name = e.name.removesuffix(".yaml")
        if not is_valid_id(name):
            continue
        if e.name.endswith(".yaml"):
            s = read_session(root, name)
            if s is not None and s.milestone_id == milestone_id and s.status != "completed":
                found.append((s.started_at or "", name))
        elif e.is_dir(follow_symlinks=False):
            data = _read_state_file(root, name)
            if str(data.get("milestone_id") or "") == milestone_id:
                found.append((str(data.get("started_at") or ""), name))
    return max(found)[1] if found else None
