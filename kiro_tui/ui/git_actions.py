"""The dashboard's git commands (palette): the git panel and "push now". A mixin of the app;
pygit2 runs in thread workers and answers with `post_message`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import work

from kiro_tui.ui.messages import ActionDone, CommitsLoaded

if TYPE_CHECKING:
    from pathlib import Path

    from kiro_tui.ui.view import Sel

NO_REMOTE = ("no remote to push to: set git.remote (e.g. `git:` then `  remote: origin`) in "
             ".milestones/config/kiro-config.yaml")


class GitActions:
    """Needs: workspace(), _selection(), _refresh_now(), post_message; an App."""

    root: Path
    _ws_lock: threading.Lock

    if TYPE_CHECKING:

        def workspace(self) -> Any: ...
        def _selection(self) -> Sel | None: ...
        def _refresh_now(self) -> None: ...
        def post_message(self, message: Any) -> bool: ...

    # ------------------------------------------------------------------ git panel
    def action_git_commits(self) -> None:
        """Open the git panel on the selected milestone's commits."""
        from kiro_tui.ui.screens.git_panel import GitPanelScreen

        sel = self._selection()
        if sel is None:
            return
        screen = GitPanelScreen(sel.mid)
        app: Any = self  # the App this is mixed into
        app.push_screen(screen)
        self._load_commits(sel.mid, screen)

    @work(thread=True, group="git", exit_on_error=False)
    def _load_commits(self, mid: str, screen: Any) -> None:
        from kiro_tui.core import git as gitops

        try:
            ws = self.workspace()
            info = gitops.info(ws.root, ws.config.git.remote)
            if not info.is_repo:
                msg = CommitsLoaded(mid, [], f"{ws.root} is not inside a git repository")
            elif info.error:
                msg = CommitsLoaded(mid, [], f"cannot read the repository: {info.error}")
            else:
                commits = gitops.milestone_commits(ws.root, mid)
                branch = f"detached at {info.branch}" if info.detached else info.branch
                msg = CommitsLoaded(mid, commits, None if commits else
                                    f"no commits of {mid} on {branch} yet", branch=branch)
        except Exception as exc:  # one line for the user, never a traceback
            msg = CommitsLoaded(mid, [], f"could not list commits: {exc}")
        screen.post_message(msg)

    # ------------------------------------------------------------------ push
    def action_git_push(self) -> None:
        """Push the current branch to the configured remote (`git.remote`)."""
        app: Any = self  # the App this is mixed into
        sel = app.query_one("#tree").selection  # where to log it; no selection is fine
        self._push_now(sel.mid if sel is not None else None)

    @work(thread=True, group="actions", exit_on_error=False)
    def _push_now(self, mid: str | None) -> None:
        from kiro_tui.core import git as gitops
        from kiro_tui.core.git.repo import GitBlocked

        try:
            ws = self.workspace()
            remote = ws.config.git.remote
            if not remote:
                self.post_message(ActionDone(NO_REMOTE, warning=True))
                return
            branch = gitops.info(ws.root, remote).branch
            record: dict[str, Any] = {"event": "git_push", "remote": remote, "branch": branch}
            try:
                sha = gitops.push(ws.root, remote)
            except GitBlocked as exc:
                if mid:
                    ws.log(mid, {**record, "level": "warning", "message": exc.reason,
                                 "result": exc.kind, "suggestion": exc.suggestion or None},
                           role="git_integration")
                self.post_message(ActionDone(str(exc), error=True))
                return
            text = f"pushed {branch} to {remote} ({sha[:7]})"
            if mid:
                ws.log(mid, {**record, "message": text, "sha": sha, "result": "ok"},
                       role="git_integration")
            self.post_message(ActionDone(text))
        except Exception as exc:  # a traceback in front of a user is a bug; say it in one line
            self.post_message(ActionDone(f"push failed: {type(exc).__name__}: {exc}",
                                         error=True))
            return
        self._refresh_now()
