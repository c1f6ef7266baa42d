"""What a command handler gets: the parsed arguments and the workspace, opened once."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is built for every command: keep this import light
    from kiro_tui.core.clock import Clock
    from kiro_tui.core.service import Workspace


class Call:
    """One command line: `args`, the folder it runs in, the clock, and `ws` on first use."""

    def __init__(self, args: argparse.Namespace, clock: Clock) -> None:
        self.args = args
        self.clock = clock
        self._ws: Workspace | None = None

    @property
    def start(self) -> Path:
        """Where the command runs (`-C PATH`, else the current folder)."""
        return Path(self.args.cwd or os.getcwd())

    @property
    def root(self) -> Path:
        """The workspace root found from `start` upwards (raises WorkspaceNotFound); light:
        the dashboard opens the workspace itself, in a worker, after its first frame."""
        from kiro_tui.core.root import find_root

        return find_root(self.start)

    @property
    def ws(self) -> Workspace:
        """The workspace at `root`, opened once."""
        if self._ws is None:
            from kiro_tui.core.config import load_config
            from kiro_tui.core.service import Workspace

            root = self.root
            self._ws = Workspace(root, load_config(root), clock=self.clock)
        return self._ws


Handler = Callable[[Call], int]
