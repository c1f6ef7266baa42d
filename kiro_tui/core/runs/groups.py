"""Process groups we created: stop one (SIGINT, SIGTERM, SIGKILL, then whatever is left of
the group), see whether it is alive, reap its zombies, and make the driver the subreaper of its
agents' orphaned children.

Processes are never matched by name: only by the group we created and the pids we recorded.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable

PR_SET_CHILD_SUBREAPER = 36
_subreaper_done = False
_subreaper_lock = threading.Lock()


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux prctl), once.

    An agent's children that outlive it are then re-parented to us, not to PID 1, so that
    stopping a group can also reap them: where PID 1 does not reap (many containers), they
    would otherwise stay zombies that still answer `kill(pgid, 0)`."""
    global _subreaper_done
    with _subreaper_lock:
        if _subreaper_done:
            return True
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            ok = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            ok = False
        _subreaper_done = ok
        return ok


def members(pgid: int) -> list[tuple[int, str, int]]:
    """(pid, state, ppid) of every process in group `pgid`, from /proc."""
    out: list[tuple[int, str, int]] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2 :].split()
        if len(rest) > 3 and int(rest[2]) == pgid:
            out.append((int(name), rest[0].decode(), int(rest[1])))
    return out


def reap_group(pgid: int, exclude: int | None = None) -> None:
    """Reap the zombies of group `pgid` that are our children (re-parented to us)."""
    me = os.getpid()
    for pid, state, ppid in members(pgid):
        if pid != exclude and ppid == me and state == "Z":
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` still runs (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return any(state != "Z" for _pid, state, _ppid in members(pgid))


def signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def wait_group_gone(pgid: int, timeout: float, exclude: int | None = None) -> bool:
    """Wait until no process of the group runs, reaping the zombies that are ours."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        reap_group(pgid, exclude)
        if not group_alive(pgid):
            # a member may have died between the reap and the look: reap it too, or its
            # zombie keeps the group answering `killpg(pgid, 0)`
            reap_group(pgid, exclude)
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def stop_group(
    pgid: int,
    interrupt: float,
    terminate: float,
    *,
    leader_gone: Callable[[float], bool] | None = None,
    exclude: int | None = None,
) -> str:
    """SIGCONT (a frozen group cannot act on a signal), SIGINT, wait, SIGTERM, wait, SIGKILL; once
    the leader is gone, SIGKILL whatever is left of the group. Returns the last signal sent.

    `leader_gone(timeout)` waits for the leader to exit (our own child, reaped by its Popen);
    without it (an orphan of a dead driver) the whole group is watched instead."""

    def gone(t: float) -> bool:
        if leader_gone is not None:
            return leader_gone(t)
        return wait_group_gone(pgid, t, exclude)

    last = "none"
    signal_group(pgid, signal.SIGCONT)
    for sig, name, grace in (
        (signal.SIGINT, "SIGINT", interrupt),
        (signal.SIGTERM, "SIGTERM", terminate),
    ):
        if gone(0):
            break
        if signal_group(pgid, sig):
            last = name
        if gone(grace):
            break
    else:
        if not gone(0):
            signal_group(pgid, signal.SIGKILL)
            last = "SIGKILL"
            gone(5.0)
    if group_alive(pgid):
        signal_group(pgid, signal.SIGKILL)  # children that ignored the rest
        if last == "none":
            last = "SIGKILL(group)"
    wait_group_gone(pgid, 5.0, exclude)
    return last
