"""Approval requests in `.milestones/approvals/*.yaml`, as the original `/milestone/*` commands
write them (`request_kiro_phase_approval`), read tolerantly, shown as waiting gates, and given
the decision when a phase is approved or rejected.

The original's file (its heredoc; `yq -i` later sets `status` and `decided_at`):

    approval_request:
      id: "approval-m1-task-1-design-spec"
      milestone_id: "m1"
      task_id: "task-1"
      transition: "design → spec"
      requested_at: "2026-11-25T14:03:07Z"
      status: "pending"
    approvers:
      - role: tech_lead
        status: pending
        contacted: false
    phase_summary:
      phase: "design"

Also accepted: the same keys at the top level (no `approval_request`), `phase` or `from_phase`
in the request, a transition written `design -> spec` or `design_to_spec`, the phase taken from
a file name ending `-<phase>-<next phase>`, and the statuses `requested`/`waiting` (pending),
`granted`/`accepted` (approved), `denied`/`changes_requested` (rejected). A file that names no
valid milestone, task and phase is reported as a problem of that file, never an error.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core.errors import InvalidFile, KiroError, Problem
from kiro_tui.core.ids import PHASES, is_valid_id
from kiro_tui.core.model import Milestone
from kiro_tui.core.root import MS

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace
    from kiro_tui.core.workflow import Outcome

FOLDER = "approvals"
STATUS_ALIASES = {
    "pending": "pending",
    "requested": "pending",
    "waiting": "pending",
    "waiting_approval": "pending",
    "open": "pending",
    "approved": "approved",
    "granted": "approved",
    "accepted": "approved",
    "rejected": "rejected",
    "denied": "rejected",
    "changes_requested": "rejected",
    "request_changes": "rejected",
}
_TRANSITION = re.compile(r"^\s*([a-z]+)\s*(?:→|->|_to_|to|=>)\s*([a-z_]+)\s*$")
_NAME_PHASES = re.compile(r"-(design|spec|task|execute)-(spec|task|execute|completion|done)$")


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """One approval request file (`path` relative to `.milestones/`)."""

    path: str
    milestone_id: str
    task_id: str
    phase: str
    status: str  # pending | approved | rejected, or the file's own word when unknown
    raw_status: str | None
    id: str | None = None
    requested_at: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
    approvers: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.milestone_id, self.task_id, self.phase)


@dataclass(frozen=True, slots=True)
class Gate:
    """A gate that waits for a decision: a phase that reads as waiting (Phase.waiting), or a
    pending request file for a phase that has not passed, or both."""

    milestone_id: str
    task_id: str
    phase: str
    since: str | None  # the phase's completed_at, else the request's requested_at
    request: ApprovalRequest | None
    actionable: bool  # approve/reject accept the phase now (it reads as waiting)


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _request_map(data: dict[str, Any]) -> dict[str, Any]:
    req = data.get("approval_request")
    return req if isinstance(req, dict) else data


def _phase_of(req: dict[str, Any], data: dict[str, Any], stem: str) -> str | None:
    for value in (req.get("phase"), req.get("from_phase")):
        if value in PHASES:
            return str(value)
    transition = req.get("transition")
    if isinstance(transition, str):
        m = _TRANSITION.match(transition.lower())
        if m and m.group(1) in PHASES:
            return m.group(1)
    summary = data.get("phase_summary")
    if isinstance(summary, dict) and summary.get("phase") in PHASES:
        return str(summary["phase"])
    m = _NAME_PHASES.search(stem)
    return m.group(1) if m else None


def parse_request(data: Any, rel: str) -> ApprovalRequest | Problem:
    """The request in one parsed file, or the Problem that makes it unusable."""
    if not isinstance(data, dict):
        return Problem(rel, "an approval request must be a mapping (approval_request: ...)", line=1)
    req = _request_map(data)
    stem = Path(rel).name.rsplit(".", 1)[0]
    mid = req.get("milestone_id", data.get("milestone_id"))
    tid = req.get("task_id", data.get("task_id"))
    phase = _phase_of(req, data, stem)
    if not is_valid_id(mid) or not is_valid_id(tid):
        return Problem(
            rel,
            f"approval request names no valid milestone and task (milestone_id "
            f"{mid!r}, task_id {tid!r}); ignored",
        )
    if phase is None:
        return Problem(
            rel,
            "approval request names no phase (phase, transition or phase_summary.phase); ignored",
        )
    raw = req.get("status")
    word = str(raw).strip().lower() if raw is not None else "pending"
    approvers = data.get("approvers", req.get("approvers"))
    names: list[str] = []
    if isinstance(approvers, list):
        for a in approvers:
            who = (a.get("name") or a.get("role")) if isinstance(a, dict) else a
            if who:
                names.append(str(who).strip())
    return ApprovalRequest(
        path=rel,
        milestone_id=str(mid),
        task_id=str(tid),
        phase=phase,
        status=STATUS_ALIASES.get(word, word),
        raw_status=_s(raw),
        id=_s(req.get("id")),
        requested_at=_s(req.get("requested_at")),
        decided_at=_s(req.get("decided_at")),
        decided_by=_s(req.get("decided_by") or req.get("approved_by")),
        approvers=tuple(names),
    )


def _request_files(root: Path) -> list[tuple[Path, str]]:
    """(path, rel) of the regular `.yaml`/`.yml` files in approvals/ that lie inside the
    repository (a symlink out of it is never read)."""
    folder = root / MS / FOLDER
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    base = os.path.realpath(root)
    out = []
    for e in entries:
        name = e.name
        if (
            name.startswith(".")
            or not name.endswith((".yaml", ".yml"))
            or ".tmp" in name
            or ".bak." in name
            or ".backup." in name
        ):
            continue
        real = os.path.realpath(e.path)
        if not real.startswith(base.rstrip(os.sep) + os.sep):
            continue
        try:
            if not stat.S_ISREG(os.stat(real).st_mode):
                continue
        except OSError:
            continue
        out.append((Path(e.path), f"{FOLDER}/{name}"))
    return out


_CACHE: dict[str, tuple[tuple[int, int, int], ApprovalRequest | Problem]] = {}


def load_requests(root: Path) -> tuple[tuple[ApprovalRequest, ...], tuple[Problem, ...]]:
    """Every approval request of the workspace and the problems of unreadable ones. A file is
    parsed again only when its (mtime, size, inode) changed."""
    from kiro_tui.core.yaml.roundtrip import load_fast

    requests: list[ApprovalRequest] = []
    problems: list[Problem] = []
    for path, rel in _request_files(root):
        try:
            st = path.stat()
        except OSError:
            continue
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = _CACHE.get(str(path))
        if hit is not None and hit[0] == key:
            item = hit[1]
        else:
            try:
                item = parse_request(load_fast(path.read_text(encoding="utf-8"), rel), rel)
            except InvalidFile as exc:
                item = Problem(rel, exc.message, exc.line, exc.column)
            except (OSError, UnicodeDecodeError) as exc:
                item = Problem(rel, f"cannot read the approval request ({exc})")
            if len(_CACHE) > 1024:
                _CACHE.clear()
            _CACHE[str(path)] = (key, item)
        if isinstance(item, ApprovalRequest):
            requests.append(item)
        else:
            problems.append(item)
    return tuple(requests), tuple(problems)


def waiting_gates(
    milestones: Iterable[Milestone], requests: Iterable[ApprovalRequest] = ()
) -> list[Gate]:
    """The gates waiting for a decision, in milestone, task and phase order: each phase that
    reads as waiting, with its pending request if there is one, and each pending request for a
    phase that has not passed (not actionable until the phase reads as waiting)."""
    by_key: dict[tuple[str, str, str], ApprovalRequest] = {}
    for r in requests:
        if r.pending:
            by_key.setdefault(r.key, r)
    out: list[Gate] = []
    for m in milestones:
        if m.finished:
            continue
        for t in m.tasks:
            for ph in t.phases:
                req = by_key.get((m.id, t.id, ph.name))
                if ph.waiting or (req is not None and not ph.passed):
                    since = ph.completed_at or (req.requested_at if req else None)
                    out.append(
                        Gate(m.id, t.id, ph.name, since, req, ph.waiting and not t.read_only)
                    )
    return out


def _decide(
    data: Any,
    rel: str,
    key: tuple[str, str, str],
    decision: str,
    actor: str,
    now: str,
    note: str | None,
) -> bool:
    """Write the decision into one parsed request (round-trip): True when it changed."""
    from kiro_tui.core.yaml.roundtrip import quote_like

    item = parse_request(data, rel)
    if not isinstance(item, ApprovalRequest) or item.key != key or not item.pending:
        return False  # someone decided meanwhile, or it is about another gate
    req = _request_map(data)
    req["status"] = quote_like(decision, req)
    req["decided_at"] = quote_like(now, req)
    req["decided_by"] = quote_like(actor, req)
    if note:
        req["decision_notes"] = quote_like(note, req)
    approvers = data.get("approvers")
    if isinstance(approvers, list):  # the original records each approver's own decision
        for a in approvers:
            if isinstance(a, dict) and actor in (a.get("name"), a.get("role")):
                a["status"] = quote_like(decision, a)
                a["decided_at"] = quote_like(now, a)
                if note:
                    a["comments"] = quote_like(note, a)
    return True


def record_decision(
    root: Path,
    milestone_id: str,
    task_id: str,
    phase: str,
    decision: str,
    actor: str,
    now: str,
    note: str | None = None,
) -> list[Problem]:
    """After `approve` (decision `approved`) or `reject` (`rejected`) of a phase: mark every
    pending request for that gate decided, each file written safely (lock, re-read, atomic
    rename; comments and quoting kept). Returns the problems of files that could not be
    written; an action that succeeded is never undone by them."""
    from kiro_tui.core.safewrite import edit_yaml

    if decision not in ("approved", "rejected"):
        raise ValueError(f"decision must be approved or rejected, not {decision!r}")
    key = (milestone_id, task_id, phase)
    requests, _ = load_requests(root)
    problems: list[Problem] = []
    for r in requests:
        if r.key != key or not r.pending:
            continue
        rel = r.path

        def edit(data: Any, rel: str = rel) -> bool:
            return _decide(data, rel, key, decision, actor, now, note)

        try:
            edit_yaml(root / MS / rel, edit)
        except KiroError as exc:
            problems.append(Problem(rel, f"cannot record the decision: {exc.message}"))
    return problems


def record_gate_decision(
    ws: Workspace,
    out: Outcome,
    key: tuple[str, str, str],
    decision: str,
    actor: str | None,
    note: str | None,
) -> Outcome:
    """What `Workspace.approve`/`reject` call once the phase is written: record the decision
    in the gate's pending requests; a request that cannot be written is said in the message
    (the action itself stands)."""
    mid, task_id, phase = key
    problems = record_decision(
        ws.root, mid, task_id, phase, decision, ws.actor(actor), ws.clock.now_str(), note
    )
    if problems:
        said = "; ".join(f"{MS}/{p.file}: {p.message}" for p in problems)
        out.message = f"{out.message} ({said})" if out.message else said
    return out
