"""Shared fixtures: user folders in a temporary place, copies of the shared fixtures."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

# shared/fixtures beside the repository is the reference; tests/fixtures is a copy of it for
# checkouts that have no shared/ beside them.
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
FIXTURE_TIME = 1795348800.0  # 2026-11-22T12:00:00Z, within the fixtures' own timestamps
if not (FIXTURES / "seed-basic").is_dir():
    FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the developer's own config, cache and state out of every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("KIRO_USER", "tester")
    for key in list(os.environ):
        if key.startswith("KIRO_") and key != "KIRO_USER":
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def _no_user_git_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """libgit2 reads HOME once, when pygit2 is imported: point its global, XDG and system
    config search at an empty folder so the developer's git config never reaches a test."""
    import pygit2
    from pygit2.enums import ConfigLevel

    levels = (ConfigLevel.SYSTEM, ConfigLevel.XDG, ConfigLevel.GLOBAL, ConfigLevel.PROGRAMDATA)
    empty = str(tmp_path_factory.mktemp("gitconfig"))
    saved = {lvl: pygit2.settings.search_path[lvl] for lvl in levels}
    for lvl in levels:
        pygit2.settings.search_path[lvl] = empty
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    yield
    for lvl, value in saved.items():
        pygit2.settings.search_path[lvl] = value


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy `shared/fixtures/<name>` to `dest` with write bits, and return `dest`."""
    shutil.copytree(FIXTURES / name, dest, dirs_exist_ok=True)
    # the copy's times are those of the fixture's story (not of the clone or copy that holds
    # it), so that time-based rules such as stall detection see the same tree everywhere
    for dirpath, dirnames, filenames in os.walk(dest):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
            os.utime(p, (FIXTURE_TIME, FIXTURE_TIME))
    Path(dest).chmod(Path(dest).stat().st_mode | stat.S_IWUSR)
    return dest


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    """A writable copy of fixtures/seed-basic."""
    return copy_fixture("seed-basic", tmp_path / "seed")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A writable copy of fixtures/broken."""
    return copy_fixture("broken", tmp_path / "broken")
