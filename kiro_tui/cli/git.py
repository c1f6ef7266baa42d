"""`kiro-tui git status` and `kiro-tui git push`: the headless face of core.git."""

from __future__ import annotations

import sys
from typing import Any

from kiro_tui.cli.call import Call


def register(sub: Any) -> None:
    g = sub.add_parser("git", help="git status and push for the workspace's repository")
    gsub = g.add_subparsers(
        dest="git_cmd",
        required=True,
        parser_class=type(g),
        metavar="COMMAND",
        help="status or push",
    )
    s = gsub.add_parser("status", help="branch, ahead/behind, changed files, milestone commits")
    s.add_argument("milestone", nargs="?", help="whose commits to list (default: the current one)")
    s.add_argument("-n", type=int, default=10, help="how many commits to list (default 10)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=_status)
    s = gsub.add_parser("push", help="push the current branch to the configured remote")
    s.add_argument("--remote", metavar="NAME", help="a configured remote (default: git.remote)")
    s.add_argument("--milestone", metavar="ID", help="log the push in this milestone's log")
    s.set_defaults(handler=_push)
    g.verbs = dict(gsub.choices)  # unknown arguments are reported by `git status`/`git push`


def _status(call: Call) -> int:
    from kiro_tui.core import git as gitops
    from kiro_tui.core.git.repo import GitBlocked

    args, ws = call.args, call.ws
    remote = ws.config.git.remote
    info = gitops.info(ws.root, remote=remote)
    mid = args.milestone or ws.current_milestone()
    if args.milestone:
        ws.milestone_path(args.milestone)  # a clear error for a milestone that does not exist
    commits = (
        gitops.milestone_commits(ws.root, mid, limit=max(args.n, 0))
        if info.is_repo and not info.error and mid
        else []
    )
    if args.json:
        import json
        from dataclasses import asdict

        out = {
            "schema": 1,
            "root": str(ws.root),
            **asdict(info),
            "remote": remote,
            "milestone": mid,
            "commits": [asdict(c) for c in commits],
        }
        json.dump(out, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0 if info.is_repo and not info.error else 1
    if not info.is_repo:
        raise GitBlocked(
            "not_a_repository",
            f"{ws.root} is not inside a git working tree",
            "run 'git init' there, or set git.enabled: false",
        )
    if info.error:
        raise GitBlocked("broken_repository", f"cannot read the repository: {info.error}")
    where = f"detached at {info.branch}" if info.detached else f"on {info.branch}"
    track = (
        f", {info.ahead} ahead, {info.behind} behind {remote}"
        if remote
        else f", {info.ahead} ahead, {info.behind} behind"
        if info.ahead or info.behind
        else ""
    )
    print(f"{where}{track}, {info.dirty} changed file(s)")
    if mid:
        print(f"commits of {mid}: {len(commits) or 'none'}")
        for c in commits:
            print(f"  {c.short}  {c.time}  {c.summary}  ({len(c.files)} file(s))")
    return 0


def _push(call: Call) -> int:
    args, ws = call.args, call.ws
    if args.milestone:
        ws.milestone_path(args.milestone)
    print(ws.push(args.milestone, remote=args.remote).message)
    return 0
