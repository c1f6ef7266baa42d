"""Other writers: the fair lock, a thread-safe Loader, unlocked rename and in-place writers,
and decisions that a file lost being re-applied (issue 11)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from kiro_tui.core import decisions, events
from kiro_tui.core.config import Config
from kiro_tui.core.lock import file_lock
from kiro_tui.core.safewrite import ConcurrentEdit, edit_yaml
from kiro_tui.core.service import Workspace
from kiro_tui.core.store import Loader
from kiro_tui.core.yaml.roundtrip import load_fast

M1 = "milestone-001"


def test_the_lock_never_fails_while_others_make_progress(tmp_path: Path) -> None:
    """Six writers each hold the lock for 0.1 s, ten times: every wait is far longer than the
    1 s limit, yet nobody gives up, because the holders keep changing the file."""
    path = tmp_path / "m.yaml"
    path.write_text("id: m\ncount: 0\n")
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(10):
                with file_lock(path, timeout=1.0):
                    n = load_fast(path.read_text(), path)["count"]
                    time.sleep(0.1)
                    tmp = path.with_name(f".{path.name}.tmp.{threading.get_ident()}")
                    tmp.write_text(f"id: m\ncount: {n + 1}\n")
                    os.replace(tmp, path)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert load_fast(path.read_text(), path)["count"] == 60


def test_a_stuck_holder_is_given_up_on(tmp_path: Path) -> None:
    from kiro_tui.core.errors import LockTimeout

    path = tmp_path / "m.yaml"
    path.write_text("id: m\n")
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with file_lock(path):
            held.set()
            release.wait(60)

    t = threading.Thread(target=holder)
    t.start()
    assert held.wait(60)
    try:
        start = time.monotonic()
        try:
            with file_lock(path, timeout=0.3):
                raise AssertionError("got a lock that is held")
        except LockTimeout as exc:
            assert "without any progress" in str(exc)
        assert time.monotonic() - start >= 0.3
    finally:
        release.set()
        t.join()
    with file_lock(path, timeout=5):  # released for good, nothing left behind
        pass
    assert os.listdir(tmp_path) == ["m.yaml"]


def test_the_loader_is_safe_to_share_between_threads(seed: Path) -> None:
    loader = Loader(seed, Config(), persist_cache=False)
    active = seed / ".milestones/active"
    stop = threading.Event()
    errors: list[BaseException] = []

    def churn() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            (active / f"extra-{i % 20}.yaml").write_text(
                f'id: extra-{i % 20}\ntitle: "n{i}"\nstatus: planned\n'
            )
            if i % 3 == 0:
                (active / f"extra-{(i * 7) % 20}.yaml").unlink(missing_ok=True)

    def load() -> None:
        try:
            for _ in range(60):
                state = loader.load()
                assert state.milestone(M1) is not None
                loader.load_one(active / "milestone-002.yaml", "active", "milestone-002", False)
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=churn)
    writer.start()
    readers = [threading.Thread(target=load) for _ in range(4)]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    writer.join()
    assert errors == []


def _outside_rename_writer(path: Path, key: str, count: int, lost: list[int]) -> None:
    """yq -i: read, edit, write a copy, rename it over. Before each write it checks that its
    previous value is still there: only kiro-tui writes besides it, so a missing value is one
    kiro-tui lost."""
    last = 0
    for i in range(1, count + 1):
        text = path.read_text()
        data = load_fast(text, path)
        if data.get(key, 0) != last:
            lost.append(last)
        lines = [x for x in text.splitlines() if not x.startswith(f"{key}:")]
        tmp = path.with_name(f".yq-{os.getpid()}-{i}")
        tmp.write_text("\n".join([*lines, f"{key}: {i}"]) + "\n")
        os.replace(tmp, path)
        last = i
        time.sleep(0.001)


def test_an_unlocked_rename_writer_loses_nothing_to_kiro_tui(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("id: m\nours: 0\n")
    lost: list[int] = []
    t = threading.Thread(target=_outside_rename_writer, args=(path, "theirs", 300, lost))
    t.start()
    done = starved = 0
    while t.is_alive() or done - starved < 50:
        try:
            edit_yaml(path, lambda d: d.__setitem__("ours", int(d.get("ours", 0)) + 1))
        except ConcurrentEdit:  # a writer faster than the edit (a loaded machine): nothing
            starved += 1  # was written, so nothing of theirs is lost; the edit is refused
        done += 1
    t.join()
    assert lost == []
    assert load_fast(path.read_text(), path)["theirs"] == 300


def test_an_in_place_writer_is_never_refused_nor_overwritten(tmp_path: Path) -> None:
    """A shell `>` writer: truncate, write half, pause, write the rest."""
    path = tmp_path / "m.yaml"
    path.write_text("id: m\nours: 0\nx_inplace: 0\n")
    lost: list[int] = []
    errors: list[BaseException] = []

    def in_place() -> None:
        last = 0
        for i in range(1, 60):
            data = load_fast(path.read_text(), path)
            if data.get("x_inplace") != last:
                lost.append(last)
            body = f"id: m\nours: {data.get('ours', 0)}\nx_inplace: {i}\n".encode()
            with open(path, "r+b") as fh:
                fh.truncate(0)
                fh.write(body[:7])
                fh.flush()
                time.sleep(0.005)
                fh.write(body[7:])
            last = i
            time.sleep(0.002)

    t = threading.Thread(target=in_place)
    t.start()
    while t.is_alive():
        try:
            edit_yaml(path, lambda d: d.__setitem__("ours", int(d.get("ours", 0)) + 1))
        except BaseException as exc:
            errors.append(exc)
            break
    t.join()
    assert errors == [] and lost == []


def _old_copy_over(path: Path, text: str) -> None:
    """An unlocked writer puts an older copy back (its read came before kiro-tui's write)."""
    tmp = path.with_name(".old-copy")
    tmp.write_text(text)
    os.replace(tmp, path)


def _phase(ws: Workspace, task: str, phase: str) -> str:
    m = ws.milestone(M1)
    assert m is not None
    ph = m.task(task).phase(phase)  # type: ignore[union-attr]
    assert ph is not None
    return ph.status


def test_an_in_place_write_into_the_replaced_file_is_not_lost(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The in-place writer's worst moment: it opened the file (as `>` does) just before
    kiro-tui's rename and writes just after it, into the version the rename displaced. Its
    value must end up in the file, with kiro-tui's edit made on top of it.

    Deterministic: the writer's write is made at kiro-tui's first pause after the rename (the
    moment a real writer's write lands), or at once after the edit when there is no pause."""
    from kiro_tui.core import safewrite

    path = tmp_path / "m.yaml"
    path.write_text("id: m\nx_outside: 1\nkiro: 0\n")  # just written: fresh, not kiro-tui's
    held: list[Any] = []

    def writer_opens() -> None:  # before the rename: the writer has the file open
        if not held:
            held.append(open(path, "r+b"))  # noqa: SIM115

    def writer_writes() -> None:
        if held and not held[0].closed:
            fh = held[0]
            fh.truncate(0)
            fh.write(b"id: m\nx_outside: 2\nkiro: 0\n")
            fh.close()

    real_sleep = time.sleep

    class Clock:
        @staticmethod
        def time() -> float:
            return time.time()

        @staticmethod
        def monotonic() -> float:
            return time.monotonic()

        @staticmethod
        def sleep(seconds: float) -> None:
            writer_writes()
            real_sleep(seconds)

    monkeypatch.setattr(safewrite, "time", Clock)

    def edit(doc: Any) -> None:
        doc["kiro"] = 1

    edit_yaml(path, edit, before_rename=writer_opens)
    writer_writes()  # no pause was made: the writer writes now, after the rename
    data = load_fast(path.read_text(), path)
    assert data["kiro"] == 1
    assert data["x_outside"] == 2, "the in-place writer's value was lost"


def test_a_lost_approval_is_found_and_re_applied(seed: Path) -> None:
    ws = Workspace(seed, persist_cache=False)
    path = seed / ".milestones/active/milestone-001.yaml"
    before = path.read_text()
    ws.approve(M1, "task-001", "spec", "alice", note="fine")
    _old_copy_over(path, before)
    assert _phase(ws, "task-001", "spec") == "waiting_approval"
    log = events.read_all(ws.execution_log(M1)).events
    lost = decisions.lost_decisions(load_fast(path.read_text(), path), log, M1)
    assert [(d.kind, d.task_id, d.phase, d.actor) for d in lost] == [
        ("approve", "task-001", "spec", "alice")
    ]
    done = decisions.reapply(ws, M1)
    assert [r.result for r in done] == ["reapplied"]
    assert _phase(ws, "task-001", "spec") == "approved"
    doc = load_fast(path.read_text(), path)
    spec = doc["tasks"][0]["kiro_workflow"]["phases"]["spec"]
    assert spec["approved_by"] == "alice" and spec["approval_notes"] == "fine"
    tail = events.read_all(ws.execution_log(M1)).events
    assert tail[-1].event == "decision_reapplied" and tail[-1].actor == "alice"
    assert decisions.reapply(ws, M1) == []  # nothing lost any more: nothing written
    assert path.read_text() == path.read_text()


def test_a_lost_approval_of_changed_deliverables_is_not_re_applied(seed: Path) -> None:
    ws = Workspace(seed, persist_cache=False)
    path = seed / ".milestones/active/milestone-001.yaml"
    before = path.read_text()
    ws.approve(M1, "task-001", "spec", "alice")
    _old_copy_over(path, before)
    spec_dir = seed / ".milestones/deliverables/task-001/spec"
    target = next(p for p in sorted(spec_dir.iterdir()) if p.is_file())
    target.write_text(target.read_text() + "\nchanged after the approval\n")
    done = decisions.reapply(ws, M1)
    assert [r.result for r in done] == ["stale"]
    assert _phase(ws, "task-001", "spec") == "waiting_approval"


def test_lost_reject_block_and_pause_are_re_applied(seed: Path) -> None:
    ws = Workspace(seed, persist_cache=False)
    path = seed / ".milestones/active/milestone-001.yaml"
    ws.start_milestone(M1, "bob")
    before = path.read_text()
    ws.reject(M1, "task-001", "spec", "needs a test plan", "bob")
    ws.block(M1, "task-002", "design", "waiting for legal", "bob")
    ws.pause(M1, "bob")
    _old_copy_over(path, before)
    got = decisions.reapply(ws, M1, session_status="paused")
    assert sorted((r.decision.kind, r.result) for r in got) == [
        ("block", "reapplied"),
        ("pause", "reapplied"),
        ("reject", "reapplied"),
    ]
    doc: dict[str, Any] = load_fast(path.read_text(), path)
    assert doc["status"] == "paused"
    t1, t2 = doc["tasks"][0], doc["tasks"][1]
    assert t1["kiro_workflow"]["phases"]["spec"]["status"] == "in_progress"
    assert t1["kiro_workflow"]["phases"]["spec"]["rejection_reason"] == "needs a test plan"
    assert t2["kiro_workflow"]["phases"]["design"]["blocked_reason"] == "waiting for legal"


def test_a_decision_the_file_moved_past_is_left_alone(seed: Path) -> None:
    """An approval, then the phase legitimately went on: nothing is re-applied."""
    ws = Workspace(seed, persist_cache=False)
    ws.approve(M1, "task-001", "spec", "alice")
    assert decisions.reapply(ws, M1) == []
    assert _phase(ws, "task-001", "spec") == "approved"
