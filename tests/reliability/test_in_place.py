"""Issue 11: a milestone file caught half written by an in-place writer (truncate, then write)
is waited for on every read an action makes, not only in the edit: the action is never refused.

The writer here is this test: it leaves the file half written until the kiro-tui process has
read it (its access time moves: relatime updates it on the first read after a write), then
writes the rest."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.scenarios import MID, doc_of, env, make_workspace, phases


def _unparsable_half(text: str, path: Path) -> str:
    from kiro_tui.core.errors import InvalidFile
    from kiro_tui.core.yaml.roundtrip import load_fast

    cut = len(text) // 2
    while cut > 1:
        try:
            if not isinstance(load_fast(text[:cut], path), dict):
                return text[:cut]
        except InvalidFile:
            return text[:cut]
        cut -= 1
    raise AssertionError("no half of the file fails to parse")


def _atime_moves(tmp_path: Path) -> bool:
    p = tmp_path / "probe"
    p.write_text("x")
    before = os.stat(p).st_atime_ns
    p.read_text()
    return os.stat(p).st_atime_ns != before


def _half_written_while(root: Path, argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run `argv` while the milestone is half written; finish the write once it was read."""
    path = root / ".milestones/active" / f"{MID}.yaml"
    raw = path.read_text(encoding="utf-8")
    half = _unparsable_half(raw, path).encode()
    with open(path, "r+b") as fh:
        fh.truncate(0)
        fh.write(half)
        fh.flush()
        written = os.stat(path).st_atime_ns
        p = subprocess.Popen(
            argv,
            env=env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while os.stat(path).st_atime_ns == written and p.poll() is None:
            assert time.monotonic() < deadline, "the action never read the file"
            time.sleep(0.002)
        fh.write(raw.encode()[len(half) :])
    out, err = p.communicate(timeout=15)
    return subprocess.CompletedProcess(argv, p.returncode, out, err)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    if not _atime_moves(tmp_path):
        pytest.skip("this file system does not update access times")
    root = tmp_path / "ws"
    make_workspace(root, 3, 1, deliverables=True, status="planned")
    cli = [sys.executable, "-m", "kiro_tui", "-C", str(root), "start", MID]
    assert subprocess.run(cli, env=env(), capture_output=True).returncode == 0
    return root


def test_an_action_that_loads_the_milestone_waits_for_a_half_written_one(root: Path) -> None:
    got = _half_written_while(
        root, [sys.executable, "-m", "kiro_tui", "-C", str(root), "pause", MID]
    )
    assert got.returncode == 0, got.stderr
    assert doc_of(root)["status"] == "paused"


def test_looking_for_lost_decisions_waits_for_a_half_written_milestone(root: Path) -> None:
    block = ["phase", "block", MID, "t-002", "design", "--reason", "a decision in the log"]
    cli = [sys.executable, "-m", "kiro_tui", "-C", str(root), *block]
    assert subprocess.run(cli, env=env(), capture_output=True).returncode == 0
    code = (
        "import sys; from pathlib import Path; from kiro_tui.core import decisions;"
        "from kiro_tui.core.service import Workspace;"
        "ws = Workspace(Path(sys.argv[1]), persist_cache=False);"
        "decisions.reapply(ws, 'rel'); ws.approve('rel', 't-000', 'design', 'ann')"
    )
    got = _half_written_while(root, [sys.executable, "-c", code, str(root)])
    assert got.returncode == 0, got.stderr
    assert phases(doc_of(root), "t-000")["design"]["status"] == "approved"
