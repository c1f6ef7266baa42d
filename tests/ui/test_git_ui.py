"""The dashboard's git parts on real pygit2 repositories holding a copy of seed-basic: the header's
branch and dirty count, the git panel, and "Git: push now" to a bare remote."""

from __future__ import annotations

from pathlib import Path

import pygit2

from kiro_tui.core import git as gitops
from kiro_tui.core.git import remote as gitremote
from kiro_tui.core.git.commit import commit_paths
from kiro_tui.core.git.repo import GitInfo
from kiro_tui.ui.app import make_app
from kiro_tui.ui.screens.git_panel import GitPanelScreen
from kiro_tui.ui.widgets.kiro_header import KiroHeader, git_markup

from .helpers import log_records, quiet, ready, wait_for

SIZE = (120, 40)
CONFIG = ".milestones/config/kiro-config.yaml"


def make_repo(root: Path, remote: str | None = None) -> pygit2.Repository:
    """A repository on `main` at `root` with everything committed; `remote` also goes into
    git.remote of the workspace's config."""
    if remote:
        cfg = root / CONFIG
        cfg.write_text(
            cfg.read_text(encoding="utf-8") + f"\ngit:\n  remote: {remote}\n", encoding="utf-8"
        )
    repo = pygit2.init_repository(str(root), initial_head="main")
    repo.config["user.name"] = "Alice"
    repo.config["user.email"] = "alice@example.com"
    index = repo.index
    index.add_all()
    index.write()
    sig = pygit2.Signature("Alice", "alice@example.com")
    repo.create_commit("HEAD", sig, sig, "initial", index.write_tree(), [])
    return repo


def header_text(app: object) -> str:
    return app.query_one(KiroHeader).render().plain  # type: ignore[attr-defined]


def test_git_markup_shows_counts_and_detached_head() -> None:
    """What the header says for each repository state (the widget renders only this)."""
    assert git_markup(GitInfo()) == ""
    plain = git_markup(GitInfo(is_repo=True, branch="main", ahead=2, behind=1, dirty=3))
    assert "⎇ main" in plain and "↑2" in plain and "↓1" in plain and "±3" in plain
    clean = git_markup(GitInfo(is_repo=True, branch="main"))
    assert "↑" not in clean and "↓" not in clean and "±" not in clean
    assert "detached at abc1234" in git_markup(
        GitInfo(is_repo=True, branch="abc1234", detached=True)
    )
    assert "git error" in git_markup(GitInfo(is_repo=True, error="boom"))


async def test_header_shows_branch_and_dirty_count(seed: Path) -> None:
    make_repo(seed)
    (seed / "notes.txt").write_text("mine\n", encoding="utf-8")  # untracked
    readme = seed / ".milestones/active/current.txt"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # modified
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.snapshot.git.branch == "main" and app.snapshot.git.dirty >= 2
        text = header_text(app)
        assert "⎇ main" in text and f"±{app.snapshot.git.dirty}" in text


async def test_header_says_nothing_about_git_outside_a_repository(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert not app.snapshot.git.is_repo
        assert "⎇" not in header_text(app)


async def test_git_panel_lists_the_milestone_commits_from_the_palette(seed: Path) -> None:
    make_repo(seed)
    (seed / "docs").mkdir()
    (seed / "docs/login.md").write_text("# Login API\n", encoding="utf-8")
    msg = gitops.message("feat", "milestone-001", "Login API", "spec", "completed", task="task-001")
    sha = commit_paths(seed, ["docs/login.md"], msg)
    assert sha
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.query_one("#tree").selection.mid == "milestone-001"
        await pilot.press("ctrl+p")
        await pilot.press(*"Git: commits")

        def offered() -> bool:
            lists = app.screen.query("CommandList")
            return (
                bool(lists)
                and lists.first().option_count > 0
                and "Git: commits of the selected milestone"
                in str(lists.first().get_option_at_index(0).prompt)
            )

        await wait_for(pilot, offered, "the palette offers the git panel")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GitPanelScreen), "the git panel")
        panel = app.screen
        assert isinstance(panel, GitPanelScreen)
        await wait_for(pilot, lambda: panel.commits is not None, "the commits")
        assert panel.note is None
        assert [c.sha for c in panel.commits or []] == [sha]
        c = (panel.commits or [])[0]
        assert c.summary == "feat(milestone-001): Login API - spec completed"
        assert c.files == ("docs/login.md",) and c.task == "task-001"
        listing = panel.query_one("#git-panel-list")
        shown = str(listing.get_option_at_index(0).prompt)
        assert sha[:7] in shown and "Login API" in shown and "docs/login.md" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, GitPanelScreen)


async def test_git_panel_says_so_outside_a_repository_and_without_commits(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.main.action_git_commits()
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, GitPanelScreen) and app.screen.commits is not None,
            "the panel's answer",
        )
        assert "not inside a git repository" in (app.screen.note or "")
        await pilot.press("escape")
    make_repo(seed)
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.main.action_git_commits()
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, GitPanelScreen) and app.screen.commits is not None,
            "the panel's answer",
        )
        assert app.screen.note == "no commits of milestone-001 on main yet"


async def test_push_now_reaches_the_bare_remote_and_is_logged(seed: Path, tmp_path: Path) -> None:
    repo = make_repo(seed, remote="origin")
    bare = pygit2.init_repository(str(tmp_path / "remote.git"), bare=True)
    repo.remotes.create("origin", str(tmp_path / "remote.git"))
    head = str(repo.head.target)
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.main.action_git_push()
        await wait_for(pilot, lambda: app.last_notice is not None, "the push's outcome")
        await quiet(pilot)
        assert app.last_notice == f"pushed main to origin ({head[:7]})"
    assert str(bare.references["refs/heads/main"].target) == head
    recs = [r for r in log_records(seed, "milestone-001") if r["event"] == "git_push"]
    assert recs and recs[-1]["role"] == "git_integration" and recs[-1]["sha"] == head
    assert recs[-1]["remote"] == "origin" and recs[-1]["result"] == "ok"


async def test_push_now_when_behind_says_nothing_was_pushed(seed: Path, tmp_path: Path) -> None:
    """The bug this fixes: "Git: push now" said "pushed" (and logged ok) when the branch was
    behind the remote and nothing was pushed."""
    repo = make_repo(seed, remote="origin")
    pygit2.init_repository(str(tmp_path / "remote.git"), bare=True)
    repo.remotes.create("origin", str(tmp_path / "remote.git"))
    gitremote.push(seed, "origin")
    other = pygit2.clone_repository(
        str(tmp_path / "remote.git"), str(tmp_path / "other"), checkout_branch="main"
    )
    (tmp_path / "other" / "theirs.txt").write_text("theirs\n", encoding="utf-8")
    other.index.add("theirs.txt")
    other.index.write()
    sig = pygit2.Signature("Bob", "bob@example.com")
    other.create_commit("HEAD", sig, sig, "theirs", other.index.write_tree(), [other.head.target])
    other.remotes["origin"].push(["refs/heads/main:refs/heads/main"])
    repo.remotes["origin"].fetch()
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.main.action_git_push()
        await wait_for(pilot, lambda: app.last_notice is not None, "the push's outcome")
        assert app.last_notice.startswith("main is already on origin")
        assert "nothing to push" in app.last_notice
    recs = [r for r in log_records(seed, "milestone-001") if r["event"] == "git_push"]
    assert recs and recs[-1]["result"] == "up_to_date"


async def test_push_now_without_a_remote_says_how_to_set_one(seed: Path) -> None:
    make_repo(seed)
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.main.action_git_push()
        await wait_for(pilot, lambda: app.last_notice is not None, "the notice")
        assert "git.remote" in app.last_notice and "\n" not in app.last_notice
    assert not [r for r in log_records(seed, "milestone-001") if r["event"] == "git_push"]


async def test_push_now_refused_is_one_error_line(seed: Path) -> None:
    make_repo(seed, remote="origin")  # configured, but the repository has no such remote
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.main.action_git_push()
        await wait_for(pilot, lambda: app.last_notice is not None, "the notice")
        assert "no git remote named 'origin'" in app.last_notice
        assert "\n" not in app.last_notice
    recs = [r for r in log_records(seed, "milestone-001") if r["event"] == "git_push"]
    assert recs and recs[-1]["result"] == "no_remote" and recs[-1]["level"] == "warning"
