"""Workspace discovery and the loader's parse cache (in memory and in the user cache folder)."""

from __future__ import annotations

import math
import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from kiro_tui.core.config import Config
from kiro_tui.core.errors import WorkspaceNotFound
from kiro_tui.core.model import pack_milestone, pack_problems, unpack_milestone, unpack_problems
from kiro_tui.core.root import find_root
from kiro_tui.core.service import Workspace
from kiro_tui.core.store import CACHE_VERSION, Loader, _cache_version, stat_key

M1 = ".milestones/active/milestone-001.yaml"


def test_find_root_walks_up(seed: Path) -> None:
    deep = seed / "src" / "pkg" / "sub"
    deep.mkdir(parents=True)
    assert find_root(deep) == seed.resolve()
    assert find_root(seed) == seed.resolve()
    assert Workspace.open(deep).root == seed.resolve()


def test_find_root_without_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceNotFound) as info:
        find_root(tmp_path)
    msg = str(info.value)
    assert "no .milestones/ folder" in msg and "kiro-tui init" in msg and "\n" not in msg
    with pytest.raises(WorkspaceNotFound, match="no such folder"):
        find_root(tmp_path / "missing")


def cache_files() -> list[Path]:
    folder = Path(os.environ["XDG_CACHE_HOME"]) / "kiro-tui"
    return sorted(folder.glob("parsed-*.pickle")) if folder.is_dir() else []


def test_cold_then_warm_loads_agree(seed: Path, broken: Path) -> None:
    for root in (seed, broken):
        cold = Workspace.open(root).load()
        warm = Workspace.open(root).load()
        assert cold.milestones == warm.milestones
        assert cold.problems == warm.problems
    assert len(cache_files()) == 2  # one per workspace


def test_the_persisted_cache_is_used(seed: Path) -> None:
    Workspace.open(seed).load()
    (cache,) = cache_files()
    version, entries = pickle.loads(cache.read_bytes())
    assert version == _cache_version()
    rel = "active/milestone-001.yaml"
    key, settings, blob = entries[rel]
    assert isinstance(blob, bytes)  # each milestone pickled on its own (bytes in memory)
    packed, problems = pickle.loads(blob)
    assert key == stat_key((seed / M1).stat()) and problems == ()
    # plant a different title under the same key: a warm load must take it from the cache
    m = unpack_milestone(packed)
    planted = pickle.dumps((pack_milestone(replace(m, title="From the cache")), problems))
    entries[rel] = (key, settings, planted)
    cache.write_bytes(pickle.dumps((version, entries)))
    m = Workspace.open(seed).load().milestone("milestone-001")
    assert m is not None and m.title == "From the cache"


def test_pack_unpack_round_trip(seed: Path, broken: Path) -> None:
    for root in (seed, broken):
        state = Workspace.open(root, persist_cache=False).load()
        for m in state.milestones:
            assert unpack_milestone(pack_milestone(m)) == m
        assert unpack_problems(pack_problems(state.problems)) == state.problems


def test_a_changed_file_is_parsed_again(seed: Path) -> None:
    path = seed / M1
    Workspace.open(seed).load()
    st = path.stat()
    text = path.read_text()
    # same size, mtime put back: the inode change time still tells
    path.write_text(text.replace('title: "User authentication"', 'title: "User authenticatoin"'))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert Workspace.open(seed).load().milestone("milestone-001").title == (  # type: ignore[union-attr]
        "User authenticatoin"
    )


def test_the_same_loader_sees_changes(seed: Path) -> None:
    ws = Workspace.open(seed)
    first = ws.load()
    assert ws.load().milestones == first.milestones
    ws.approve("milestone-001", "task-001", "spec")
    m = ws.load().milestone("milestone-001")
    assert m is not None and m.task("task-001").phase("spec").status == "approved"  # type: ignore[union-attr]
    (seed / ".milestones/active/milestone-002.yaml").unlink()
    state = ws.load()
    assert state.milestone("milestone-002") is None
    assert "active/milestone-002.yaml" not in ws.loader.cache.entries


def test_deleted_files_leave_the_persisted_cache(seed: Path) -> None:
    Workspace.open(seed).load()
    (seed / ".milestones/active/milestone-002.yaml").unlink()
    Workspace.open(seed).load()
    (cache,) = cache_files()
    _v, entries = pickle.loads(cache.read_bytes())
    assert sorted(entries) == ["active/milestone-001.yaml", "completed/milestone-000.yaml"]


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"not a pickle",
        pickle.dumps((_cache_version(), [1, 2])),
        pickle.dumps((_cache_version(), {"x": 1})),
        pickle.dumps((_cache_version(), {"active/milestone-001.yaml": 1})),
        pickle.dumps((_cache_version(), {"active/milestone-001.yaml": (1, 2, 3, 4)})),
        pickle.dumps((CACHE_VERSION, {})),
        pickle.dumps("x"),
    ],
)
def test_a_bad_cache_file_is_ignored(seed: Path, junk: bytes) -> None:
    Workspace.open(seed).load()
    (cache,) = cache_files()
    cache.write_bytes(junk)
    state = Workspace.open(seed).load()
    assert state.milestone("milestone-001") is not None and not state.problems


def test_no_persisted_cache_when_asked(seed: Path) -> None:
    Workspace.open(seed, persist_cache=False).load()
    assert cache_files() == []


def test_an_unwritable_cache_folder_is_not_fatal(seed: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    loader = Loader(seed, Config(), cache_dir=blocker / "sub")
    assert loader.load().milestone("milestone-001") is not None


def test_config_changes_apply_to_cached_documents(
    seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiro_tui.core.progress import milestone_progress

    m = Workspace.open(seed).load().milestone("milestone-001")
    assert m is not None and milestone_progress(m) == 47.8125
    for p in ("DESIGN", "SPEC", "TASK", "EXECUTE"):
        monkeypatch.setenv(f"KIRO_{p}_WEIGHT", "1")
    m = Workspace.open(seed).load().milestone("milestone-001")
    assert m is not None and milestone_progress(m) != 47.8125


def test_scan_skips_and_archive_folder(seed: Path) -> None:
    ms = seed / ".milestones"
    (ms / "completed/old").mkdir()
    (ms / "completed/old/definition.yaml").write_text("id: old\ntitle: Old\nstatus: completed\n")
    (ms / "completed/emptydir").mkdir()
    (ms / "active/notes.txt").write_text("not yaml")
    state = Workspace.open(seed).load()
    assert [m.id for m in state.milestones] == [
        "milestone-001",
        "milestone-002",
        "milestone-000",
        "old",
    ]
    assert state.milestone("old").archive  # type: ignore[union-attr]
    assert not state.problems


def test_a_long_running_loader_saves_at_most_every_so_often(seed: Path) -> None:
    ws = Workspace.open(seed)
    ws.load()
    (cache,) = cache_files()
    first = cache.read_bytes()
    ws.approve("milestone-001", "task-001", "spec")
    ws.load()
    assert cache.read_bytes() == first and ws.loader.cache.dirty  # not yet
    ws.loader.cache.save(force=True)
    assert cache.read_bytes() != first and not ws.loader.cache.dirty


def test_a_packed_milestone_shares_equal_values_and_keeps_their_types(seed: Path) -> None:
    """Equal strings, floats and tuples of one file are pickled once and come back as one
    object (the cache and the milestones in memory hold each once); 2.0 stays a float."""
    state = Workspace.open(seed, persist_cache=False).load()
    m = next(x for x in state.milestones if len(x.tasks) >= 2)
    stamp = "2026-11-21T10:00:00Z"
    tasks = tuple(
        replace(
            t,
            assigned_to="".join(["cla", "ude"]),  # equal, never the same object
            estimated_hours=float(i % 2 + 1) if i else 2,
            phases=tuple(
                replace(p, started_at=stamp[:10] + stamp[10:], actual_hours=-0.0 if j else 0.0)
                for j, p in enumerate(t.phases)
            ),
        )
        for i, t in enumerate(m.tasks)
    )
    m = replace(m, tasks=tasks)
    back = unpack_milestone(pickle.loads(pickle.dumps(pack_milestone(m))))
    assert back == m
    first, second = back.tasks[0], back.tasks[1]
    assert first.assigned_to is second.assigned_to
    assert first.phases[0].started_at is second.phases[-1].started_at
    assert type(first.estimated_hours) is int and type(second.estimated_hours) is float
    hours = [p.actual_hours for p in first.phases]
    assert [math.copysign(1.0, h) for h in hours if h is not None][:2] == [1.0, -1.0]
