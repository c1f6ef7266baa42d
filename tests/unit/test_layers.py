"""The layering rules of DESIGN.md, enforced: core never imports textual or rich, agents never
import the UI, and importing the engine does not drag the UI in."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "kiro_tui"


def _imports(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out.extend((str(path), a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                out.append((str(path), node.module))
    return out


def test_core_does_not_import_textual_or_rich() -> None:
    bad = [(f, m) for f, m in _imports(PKG / "core") if m.split(".")[0] in ("textual", "rich")]
    assert bad == []


def test_agents_do_not_import_the_ui() -> None:
    bad = [(f, m) for f, m in _imports(PKG / "agents")
           if m.split(".")[0] == "textual" or m.startswith("kiro_tui.ui")]
    assert bad == []


def test_engine_import_loads_no_ui() -> None:
    code = ("import sys, kiro_tui.core.service, kiro_tui.core.report, kiro_tui.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_building_the_cli_parser_stays_light() -> None:
    """Every command builds the whole parser: the modules that register subcommands (demo, run,
    git) import their heavy parts inside their handlers, not at the top."""
    code = ("import sys, kiro_tui.cli as c; c.build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith('kiro_tui.core') "
            "or m in ('subprocess', 'threading', 'tempfile', 'datetime', 'pygit2')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
