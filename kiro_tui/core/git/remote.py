"""Pushing to a remote: the one push of kiro-tui (FORMAT.md section 11).

`push` talks to the remote through pygit2 and never force-pushes; `push_and_log` is what the
service's `Workspace.push` runs: it names the remote from the config and writes one `git_push`
line with the honest result (`ok`, `up_to_date`, or the refusal)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core.git.repo import GitBlocked, PushResult, _branch_name, _open, upstream_oid

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace


def push(root: Path | str, remote: str, branch: str | None = None) -> PushResult:
    """Push `branch` (default: the current one) to the configured remote `remote`; the result
    has the sha the remote now has and whether anything was pushed. Raises GitBlocked: no_remote, detached_head, no_branch, diverged
    (the remote-tracking branch has commits we lack and we have commits it lacks),
    push_rejected (the remote refused a non-fast-forward), push_failed."""
    import pygit2

    repo = _open(root)
    if branch is None:
        branch = _branch_name(repo)
        if branch is None:
            raise GitBlocked(
                "detached_head",
                "HEAD is detached: no branch to push",
                "switch to a branch, then push",
            )
    try:
        local = repo.lookup_reference(f"refs/heads/{branch}").target
    except (KeyError, pygit2.InvalidSpecError):
        raise GitBlocked(
            "no_branch", f"branch {branch!r} has no commit yet", "commit something first"
        ) from None
    try:
        rem = repo.remotes[remote]
    except (KeyError, pygit2.GitError):
        raise GitBlocked(
            "no_remote",
            f"no git remote named {remote!r}",
            f"add it (git remote add {remote} <url>) or set git.remote in "
            ".milestones/config/kiro-config.yaml",
        ) from None
    tracking = upstream_oid(repo, branch, remote, upstream=False)
    if tracking is not None and tracking != local:
        ahead, behind = repo.ahead_behind(local, tracking)
        if behind and ahead:
            raise GitBlocked(
                "diverged",
                f"{branch} and {remote}/{branch} have diverged ({ahead} ahead, {behind} behind)",
                f"merge or rebase onto {remote}/{branch} yourself, then push",
            )
        if behind:  # the remote already has everything we have
            return PushResult(branch, remote, str(tracking), pushed=False)

    rejected: list[str] = []
    tried: list[bool] = []

    class _Callbacks(pygit2.RemoteCallbacks):
        def push_update_reference(self, refname: str, message: str | None) -> None:
            if message:
                rejected.append(message)

        def credentials(self, url: str, username_from_url: str | None, allowed_types: Any) -> Any:
            if tried or not allowed_types & pygit2.enums.CredentialType.SSH_KEY:
                raise pygit2.GitError(f"no credentials for {url}")
            tried.append(True)
            return pygit2.KeypairFromAgent(username_from_url or "git")

    suggestion = (
        f"the remote has commits this branch lacks: fetch, then merge or rebase onto "
        f"{remote}/{branch} and push again (kiro-tui never force-pushes)"
    )
    try:
        rem.push([f"refs/heads/{branch}:refs/heads/{branch}"], callbacks=_Callbacks())
    except pygit2.GitError as exc:
        text = str(exc)
        if "fastforward" in text or "fast-forward" in text or "not present locally" in text:
            raise GitBlocked(
                "push_rejected", f"push of {branch} to {remote} rejected: {text}", suggestion
            ) from None
        raise GitBlocked(
            "push_failed",
            f"push of {branch} to {remote} failed: {text}",
            "check the remote's URL, network and credentials",
        ) from None
    if rejected:
        raise GitBlocked(
            "push_rejected", f"push of {branch} to {remote} rejected: {rejected[0]}", suggestion
        )
    # the remote-tracking branch already at our tip: the push had nothing to send
    return PushResult(branch, remote, str(local), pushed=tracking != local)


def push_and_log(
    ws: Workspace,
    mid: str | None,
    *,
    remote: str | None,
    role: str,
    session_id: str | None,
    log_path: Path | None,
    data: dict[str, Any] | None,
    log_refusal: bool,
) -> PushResult:
    """Push the current branch to `remote` (default `git.remote`).

    With `mid`, one `git_push` line goes to the log (`log_path`, else the milestone's): the
    result (`ok`, or `up_to_date` when the remote already had everything) or, when
    `log_refusal`, the refusal. Raises GitBlocked (no_remote, diverged, push_rejected...)."""
    remote = remote or ws.config.git.remote
    if not remote:
        raise GitBlocked(
            "no_remote",
            "no remote to push to",
            "set git.remote (e.g. `git:` then `  remote: origin`) in "
            ".milestones/config/kiro-config.yaml, or pass --remote NAME",
        )
    from kiro_tui.core.git import current_branch

    record: dict[str, Any] = {
        "event": "git_push",
        "remote": remote,
        "branch": current_branch(ws.root),
        "data": data,
    }
    where: dict[str, Any] = {"role": role, "session_id": session_id, "path": log_path}
    try:
        result = push(ws.root, remote)
    except GitBlocked as exc:
        if mid and log_refusal:
            refusal = {"level": "warning", "message": exc.reason, "result": exc.kind}
            ws.log(mid, {**record, **refusal, "suggestion": exc.suggestion or None}, **where)
        raise
    if mid:
        outcome = "ok" if result.pushed else "up_to_date"
        done = {"branch": result.branch, "message": result.message, "sha": result.sha}
        ws.log(mid, {**record, **done, "result": outcome}, **where)
    return result
