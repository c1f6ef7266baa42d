"""Who acts: git's user.name is read off plain config files without importing pygit2, and the
answer is always the one git (pygit2) gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest

from kiro_tui.core import actor
from kiro_tui.core.actor import default_actor


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(h / ".config"))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    for key in ("KIRO_USER", "GIT_AUTHOR_NAME"):
        monkeypatch.delenv(key, raising=False)
    # libgit2 keeps the global search path it found first: point it at this HOME too
    level = pygit2.enums.ConfigLevel.GLOBAL
    was = pygit2.settings.search_path[level]
    pygit2.settings.search_path[level] = str(h)
    yield h
    pygit2.settings.search_path[level] = was


def _git_says(root: Path) -> str:
    name = pygit2.Repository(str(root)).config["user.name"]
    return str(name)


@pytest.mark.parametrize(
    ("global_text", "repo_text", "expected"),
    [
        ("[user]\n\tname = Ada Lovelace\n", "", "Ada Lovelace"),
        ("[user]\n\tname = Ada\n", '[core]\n\tbare = false\n[user]\n\tname = "Bob B"\n', "Bob B"),
        ("# c\n[User]\n  Name=Ada\n[user]\n  name = Later\n", "", "Later"),
        ('[remote "origin"]\n\tname = not-me\n[user]\n\tname = Ada\n', "", "Ada"),
    ],
)
def test_plain_config_files_give_gits_answer_without_pygit2(
    home: Path, tmp_path: Path, global_text: str, repo_text: str, expected: str
) -> None:
    (home / ".gitconfig").write_text(global_text)
    root = tmp_path / "repo"
    pygit2.init_repository(str(root))
    if repo_text:
        (root / ".git" / "config").write_text(repo_text)
    assert actor._git_user_name(root) == expected  # read off the files
    assert default_actor(root) == expected == _git_says(root)


def test_includes_and_escapes_are_left_to_git(home: Path, tmp_path: Path) -> None:
    other = home / "more.gitconfig"
    other.write_text("[user]\n\tname = Included Name\n")
    (home / ".gitconfig").write_text(f"[include]\n\tpath = {other}\n")
    root = tmp_path / "repo"
    pygit2.init_repository(str(root))
    assert actor._git_user_name(root) is None  # only git can tell
    assert default_actor(root) == "Included Name" == _git_says(root)

    (home / ".gitconfig").write_text('[user]\n\tname = "A \\"quoted\\" name"\n')
    assert actor._git_user_name(root) is None
    assert default_actor(root) == _git_says(root)


def test_no_name_anywhere_is_the_login(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pygit2.init_repository(str(root))
    assert actor._git_user_name(root) == ""
    assert default_actor(root) == actor._login()


def test_outside_a_repository_the_global_name_is_read(home: Path, tmp_path: Path) -> None:
    (home / ".gitconfig").write_text("[user]\n\tname = Ada\n")
    plain = tmp_path / "not-a-repo" / "sub"
    plain.mkdir(parents=True)
    assert actor._git_user_name(plain) == "Ada" == default_actor(plain)
    inner = tmp_path / "repo" / "deep"
    pygit2.init_repository(str(tmp_path / "repo"))
    (tmp_path / "repo" / ".git" / "config").write_text("[user]\n\tname = Repo Person\n")
    inner.mkdir()
    assert actor._git_user_name(inner) == "Repo Person" == _git_says(inner)
