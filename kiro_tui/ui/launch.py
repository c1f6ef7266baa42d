"""`kiro-tui` with no command: find the workspace and open the dashboard."""

from __future__ import annotations

import argparse
import os
import sys


def launch(args: argparse.Namespace) -> int:
    from kiro_tui.core.errors import WorkspaceNotFound
    from kiro_tui.core.root import find_root

    start = getattr(args, "cwd", None) or os.getcwd()
    try:
        root = find_root(start)
    except WorkspaceNotFound:
        print(f"kiro-tui: no .milestones/ in {os.path.abspath(start)} or above; "
              "create one with 'kiro-tui init'", file=sys.stderr)
        return 1
    from kiro_tui.ui.app import make_app

    app = make_app(root, drive=getattr(args, "drive", None))
    code = app.run()
    return int(code or 0)
