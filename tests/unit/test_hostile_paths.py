"""Nothing is read or written outside the repository, nothing is written through a link, and
only regular files are opened (issue 11: writing outside the repository, FIFOs)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from kiro_tui.core import events, safecreate, safeio
from kiro_tui.core.errors import KiroError
from kiro_tui.core.safewrite import atomic_write, edit_yaml
from kiro_tui.core.service import Workspace
from kiro_tui.core.starters import write_starters
from tests.reliability.common import cli, folder_hash, outside_folder

M1 = "milestone-001"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    return outside_folder(tmp_path)


def test_a_log_that_links_out_is_never_appended_to(seed: Path, outside: Path) -> None:
    log = seed / ".milestones/logs/execution-milestone-001.jsonl"
    log.unlink()
    log.symlink_to(outside / "victim.jsonl")
    before = folder_hash(outside)
    r = cli(seed, "approve", M1, "task-001", "spec")
    assert r.rc == 1
    assert "logs/execution-milestone-001.jsonl" in r.err and "symbolic link" in r.err
    assert folder_hash(outside) == before


@pytest.mark.parametrize("folder", ["logs", "sessions", "active", ""])
def test_folders_that_link_out_get_nothing_written(seed: Path, outside: Path, folder: str) -> None:
    """`logs/`, `sessions/`, `active/`, `completed/` or `.milestones/` itself as a link to an
    outside folder: start, approve and the archive write nothing there."""
    ms = seed / ".milestones"
    target = ms / folder if folder else ms
    moved = outside / f"moved-{folder or 'ms'}"
    target.mkdir(exist_ok=True)
    shutil.move(str(target), moved)
    target.symlink_to(moved, target_is_directory=True)
    before = folder_hash(outside)
    for args in (
        ("start", M1),
        ("approve", M1, "task-001", "spec"),
        ("status",),
        ("validate",),
        ("log", "-n", "5"),
    ):
        cli(seed, *args)
    assert folder_hash(outside) == before


def test_planted_temporary_names_are_never_written_through(seed: Path, outside: Path) -> None:
    """Links planted at every temporary name kiro-tui used to choose (`.<name>.tmp.<pid>`)
    stay untouched, and the milestone stays a regular file."""
    active = seed / ".milestones/active"
    victim = outside / "victim.txt"
    for name in ("milestone-001.yaml", "current.txt"):
        for pid in range(os.getpid() - 5, os.getpid() + 200):
            (active / f".{name}.tmp.{pid}").symlink_to(victim)
    before = folder_hash(outside)
    ws = Workspace(seed, persist_cache=False)
    ws.approve(M1, "task-001", "spec", "alice")
    atomic_write(active / "current.txt", "milestone-001\n")
    assert folder_hash(outside) == before
    assert not (active / "milestone-001.yaml").is_symlink()


def test_starter_files_never_go_through_a_planted_link(seed: Path, outside: Path) -> None:
    """Starting a phase writes starter files; a deliverable (or its temporary name) that is a
    link out is never written through."""
    ws = Workspace(seed, persist_cache=False)
    folder = seed / ".milestones/deliverables/task-002/design"
    victim = outside / "victim.txt"
    for name in ("fix_approach.md", "regression_prevention.md", "root_cause_analysis.md"):
        for pid in (os.getpid(), *range(os.getpid() + 1, os.getpid() + 50)):
            p = folder / f".{name}.tmp.{pid}"
            if not p.exists():
                p.symlink_to(victim)
    (folder / "regression_prevention.md").unlink(missing_ok=True)
    (folder / "regression_prevention.md").symlink_to(victim)
    before = folder_hash(outside)
    write_starters(seed, "task-002", "design", ws.phase_model(M1, "task-002", "design"))
    assert folder_hash(outside) == before


def test_a_milestone_that_links_out_is_a_problem_and_is_not_read(seed: Path, outside: Path) -> None:
    (seed / ".milestones/active/secret.yaml").symlink_to(outside / "secret.yaml")
    r = cli(seed, "status", "--json")
    assert "TOP-SECRET-TITLE" not in r.out
    probs = json.loads(r.out)["problems"]
    assert any(
        p["file"] == "active/secret.yaml" and "leads out of the repository" in p["message"]
        for p in probs
    )
    assert "TOP-SECRET-TITLE" not in cli(seed, "status").out


def test_a_link_inside_the_repository_is_fine_for_reading(seed: Path) -> None:
    ms = seed / ".milestones"
    (seed / "shared.yaml").write_text('id: linked\ntitle: "Linked"\nstatus: planned\n')
    (ms / "active/linked.yaml").symlink_to(seed / "shared.yaml")
    state = Workspace(seed, persist_cache=False).load()
    assert state.milestone("linked") is not None


def test_a_config_that_links_out_is_not_obeyed(seed: Path, outside: Path) -> None:
    cfg = seed / ".milestones/config/kiro-config.yaml"
    cfg.unlink()
    cfg.symlink_to(outside / "config.yaml")
    ws = Workspace.open(seed, persist_cache=False)
    assert ws.config.weights["execute"] == 40.0
    r = cli(seed, "validate")
    assert "config/kiro-config.yaml" in r.out and "leads out of the repository" in r.out


@pytest.mark.parametrize(
    "where", ["config/kiro-config.yaml", "logs/execution-milestone-001.jsonl", "active/fifo.yaml"]
)
def test_a_fifo_never_blocks_and_is_named(seed: Path, where: str) -> None:
    p = seed / ".milestones" / where
    p.unlink(missing_ok=True)
    os.mkfifo(p)
    t0 = time.monotonic()
    outs = [cli(seed, "status", "--json"), cli(seed, "validate"), cli(seed, "log", "-n", "5")]
    assert time.monotonic() - t0 < 45
    if where.endswith(".yaml"):
        assert any(where in o.text and "FIFO" in o.text for o in outs)


def test_current_txt_as_a_fifo_reads_as_no_current_milestone(seed: Path) -> None:
    import subprocess
    import sys

    cur = seed / ".milestones/active/current.txt"
    cur.unlink()
    os.mkfifo(cur)
    code = (
        "import sys; from pathlib import Path; from kiro_tui.core.service import Workspace;"
        "print(Workspace(Path(sys.argv[1]), persist_cache=False).current_milestone())"
    )
    p = subprocess.run(
        [sys.executable, "-c", code, str(seed)], capture_output=True, text=True, timeout=15
    )
    assert p.stdout.strip() == "None", p.stderr


def test_a_fifo_where_a_log_or_session_goes_is_refused_by_name(seed: Path) -> None:
    ws = Workspace(seed, persist_cache=False)
    log = seed / ".milestones/logs/execution-milestone-002.jsonl"
    os.mkfifo(log)
    with pytest.raises(KiroError, match="FIFO"):
        events.append(log, {"event": "x"})
    (seed / ".milestones/sessions").mkdir(exist_ok=True)
    sess = seed / ".milestones/sessions/exec-milestone-001-20261122-120000.yaml"
    os.mkfifo(sess)
    from kiro_tui.core import sessions

    assert sessions.read_session(seed, "exec-milestone-001-20261122-120000") is None
    with pytest.raises(KiroError, match="FIFO"):
        edit_yaml(sess, lambda d: d)
    assert ws.current_milestone() == "milestone-001"


def test_a_folder_named_like_a_milestone_is_a_problem(seed: Path) -> None:
    (seed / ".milestones/active/x.yaml").mkdir()
    state = Workspace(seed, persist_cache=False).load()
    assert any(p.file == "active/x.yaml" and "folder" in p.message for p in state.problems)


def test_stale_temporary_files_are_removed_on_the_next_write(seed: Path) -> None:
    active = seed / ".milestones/active"
    old = active / ".milestone-001.yaml.tmp.4242"
    old.write_text("half")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    dead = active / f".milestone-001.yaml.tmp.{_dead_pid()}.0123abcd"
    dead.write_text("killed writer")
    fresh = active / f".milestone-001.yaml.tmp.{os.getppid()}"
    fresh.write_text("another live writer")
    foreign = active / ".someone-elses.tmp"
    foreign.write_text("not ours")
    safecreate._CLEANED.clear()
    Workspace(seed, persist_cache=False).approve(M1, "task-001", "spec", "alice")
    assert not old.exists() and not dead.exists()
    assert fresh.exists() and foreign.exists()


def _dead_pid() -> int:
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_writes_through_a_link_are_refused(tmp_path: Path) -> None:
    ms = tmp_path / ".milestones" / "active"
    ms.mkdir(parents=True)
    victim = tmp_path / "victim.yaml"  # inside the repository: may be read, never written
    victim.write_text("id: m\n")
    (ms / "m.yaml").symlink_to(victim)
    with pytest.raises(safeio.UnsafePath, match="symbolic link"):
        atomic_write(ms / "m.yaml", "id: x\n")
    with pytest.raises(safeio.UnsafePath, match="symbolic link"):
        edit_yaml(ms / "m.yaml", lambda d: d.__setitem__("id", "x"))
    assert victim.read_text() == "id: m\n" and (ms / "m.yaml").is_symlink()
