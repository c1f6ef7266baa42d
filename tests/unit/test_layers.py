"""The layering rules of DESIGN.md, enforced: core never imports textual, rich, agents or the
UI; agents never import the UI; importing the engine does not drag the UI in; building the CLI
parser stays light. Imports are read with `ast` (every import, also those inside functions)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "kiro_tui"


def _imports(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out.extend((str(path.relative_to(PKG)), a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.append((str(path.relative_to(PKG)), node.module))
    return out


def _bad(folder: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (f, m)
        for f, m in _imports(PKG / folder)
        if any(m == x or m.startswith(x + ".") for x in forbidden)
    ]


def test_core_imports_neither_textual_rich_agents_nor_ui() -> None:
    assert (
        _bad(
            "core",
            ("textual", "rich", "kiro_tui.agents", "kiro_tui.ui", "kiro_tui.cli", "kiro_tui.demo"),
        )
        == []
    )


def test_agents_do_not_import_the_ui() -> None:
    assert _bad("agents", ("textual", "rich", "kiro_tui.ui", "kiro_tui.cli")) == []


def test_the_checks_see_a_layering_hole() -> None:
    """The rule above would catch `core/` importing `agents/` (the hole it once missed)."""
    probe = PKG / "core" / "_layer_probe.py"
    probe.write_text(
        "def f():\n    from kiro_tui.agents.builder import SnapshotBuilder\n", encoding="utf-8"
    )
    try:
        assert _bad("core", ("kiro_tui.agents",)) == [
            ("core/_layer_probe.py", "kiro_tui.agents.builder")
        ]
    finally:
        probe.unlink()


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after `code`, minus those the same interpreter
    holds after doing nothing (site-packages may hold .pth startup files importing some)."""
    show = "; import sys; print('\\n'.join(sorted(sys.modules)))"
    bare = subprocess.run(
        [sys.executable, "-c", "pass" + show], capture_output=True, text=True, check=True
    ).stdout.split()
    after = subprocess.run(
        [sys.executable, "-c", code + show], capture_output=True, text=True, check=True
    ).stdout.split()
    return set(after) - set(bare)


def test_engine_import_loads_no_ui() -> None:
    got = _modules_after("import kiro_tui.core.service, kiro_tui.core.report, kiro_tui.cli")
    assert sorted(m for m in got if m.split(".")[0] in ("textual", "rich")) == []


def test_building_the_cli_parser_stays_light() -> None:
    """Every command builds the whole parser: the modules that register subcommands (demo, run,
    git, milestones) import their heavy parts inside their handlers, not at the top."""
    got = _modules_after("import kiro_tui.cli as c; c.build_parser()")
    heavy = (
        "subprocess",
        "threading",
        "tempfile",
        "datetime",
        "pygit2",
        "ruamel",
        "textual",
        "watchfiles",
    )
    assert sorted(m for m in got if m.startswith("kiro_tui.core") or m.split(".")[0] in heavy) == []


def _module_path(module: str) -> Path | None:
    parts = module.split(".")[1:]
    if not parts:
        return PKG / "__init__.py"
    rel = Path(*parts)
    for path in (PKG / rel.with_suffix(".py"), PKG / rel / "__init__.py"):
        if path.exists():
            return path
    return None


def _names(path: Path) -> tuple[set[str], set[str]]:
    """(names a module defines at its top level, names it only imports there)."""
    defined: set[str] = set()
    imported: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
    return defined, imported - defined


def test_no_module_re_exports_another_modules_names() -> None:
    """Every `from kiro_tui.x import name` (package and tests) takes `name` from the module
    that defines it, and no module declares `__all__`: no re-exports, no shims."""
    wrong: list[str] = []
    for path in sorted([*PKG.rglob("*.py"), *(PKG.parent / "tests").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                wrong.append(f"{path.name}: __all__")
            if not (
                isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kiro_tui")
            ):
                continue
            assert node.module is not None
            source = _module_path(node.module)
            if source is None:
                continue
            _defined, only_imported = _names(source)
            for a in node.names:
                if a.name in only_imported and _module_path(f"{node.module}.{a.name}") is None:
                    wrong.append(f"{path.name}: {a.name} from {node.module}, which imports it")
    assert wrong == []
