"""git_integration: the role exists, logs and reports its status; its git work is issue 5.

Until then it reports itself idle with a reason and logs that once per session. It never makes
a commit.
"""

from __future__ import annotations

from datetime import datetime

from kiro_tui.agents.base import LOG, Action, Memory, recall
from kiro_tui.agents.snapshot import Snapshot

ROLE = "git_integration"
IDLE_REASON = "git integration arrives with the git issue"


def decide(snap: Snapshot, now: datetime, memory: Memory) -> list[Action]:
    if not snap.driving or snap.paused or recall(memory, "said").get("idle"):
        return []
    return [Action(LOG, ROLE, snap.driving, record={
        "event": "git_idle", "message": f"idle: {IDLE_REASON}"},
        remember=(("said", "idle", True),), key="git:idle")]
