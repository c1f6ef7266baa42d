"""Command line: headless commands, and the dashboard when no command is given.

One dispatch mechanism: every command module has `register(sub)`, which adds its subparsers
with `set_defaults(handler=fn)`; `main` builds one `Call` (arguments, clock, the workspace
opened on first use) and runs the handler.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from kiro_tui import __version__
from kiro_tui.cli import demo, git, inbox, milestones, run, runs
from kiro_tui.cli.call import Call

COMMANDS = (milestones, run, runs, git, inbox, demo)


class _Parser(argparse.ArgumentParser):
    """One-line usage errors that point to the verb's own `--help`."""

    verbs: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(2, f"kiro-tui: {message} (see '{self.prog} --help')\n")

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        """Unknown arguments are reported by the verb they were given to."""
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            verbs = getattr(self, "verbs", {})
            verb = verbs.get(getattr(ns, "cmd", None) or "", self)
            sub = getattr(verb, "verbs", {}).get(getattr(ns, "git_cmd", None) or "", verb)
            sub.error(f"unrecognized arguments: {' '.join(extra)}")
        return ns


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kiro-tui", description="Mission control for spec-driven milestones.")
    p.add_argument("-C", dest="cwd", metavar="PATH", help="run as if started in PATH")
    p.add_argument("--version", action="version", version=f"kiro-tui {__version__}")
    p.set_defaults(handler=dashboard)
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub)
    p.verbs = dict(sub.choices)
    return p


def dashboard(call: Call) -> int:
    """`kiro-tui` with no command: find the workspace and open the dashboard."""
    from kiro_tui.core.errors import WorkspaceNotFound

    try:
        root = call.root
    except WorkspaceNotFound:
        print(
            f"kiro-tui: no .milestones/ in {call.start.resolve()} or above; "
            "create one with 'kiro-tui init'",
            file=sys.stderr,
        )
        return 1
    from kiro_tui.ui.app import make_app

    code = make_app(root, clock=call.clock).run()
    return int(code or 0)


def main(argv: list[str] | None = None) -> int:
    from kiro_tui.core.clock import Clock
    from kiro_tui.core.errors import KiroError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage error (2), or --help / --version (0)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    call = Call(args, Clock.from_env())
    try:
        return int(args.handler(call))
    except KiroError as exc:
        print(f"kiro-tui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `kiro-tui log | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the final flush at exit cannot fail
        except (OSError, ValueError):
            pass
        return 0
    except Exception as exc:  # a traceback in front of a user is a bug; say it in one line
        if os.environ.get("KIRO_TUI_DEBUG"):
            raise
        print(
            f"kiro-tui: internal error: {type(exc).__name__}: {exc} "
            "(set KIRO_TUI_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1
