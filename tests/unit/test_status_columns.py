"""`kiro-tui status` columns (issue 10, item 16): rows with ⚑ keep their phase columns where the
others have them, wide (CJK) titles are measured in cells, long titles are cut with "…"."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiro_tui.core.cells import cell_len, cut, fit
from kiro_tui.core.report import status_text
from kiro_tui.core.service import Workspace

M1 = "milestone-001"


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", "2026-11-25T14:03:07Z")


def glyph_column(line: str) -> int:
    """The cell at which the phase glyphs (or `plain`) start."""
    for marker in (" ·D ", " ✔D ", " ▶D ", " ?D ", " plain "):
        at = line.find(marker)
        if at >= 0:
            return cell_len(line[: at + 1])
    raise AssertionError(f"no phase column in {line!r}")


def test_rows_line_up_with_gates_wide_titles_and_long_titles(seed: Path) -> None:
    ws = Workspace.open(seed)
    ws.add_task(M1, "ログイン画面の実装", task_id="task-cjk")
    ws.add_task(M1, "Ünïcode tâsk with combining e\u0301 marks", task_id="task-accents")
    ws.add_task(M1, "An extremely long task title " * 4, task_id="task-long")
    ws.new_milestone("m-wide", "多言語対応のマイルストーン" * 3, [])
    out = status_text(ws.load(), None, 80)
    lines = out.splitlines()
    rows = [x for x in lines if x.startswith("  task-")]
    assert any(x.endswith("⚑") for x in rows) and any(not x.endswith("⚑") for x in rows)
    assert len({glyph_column(x) for x in rows}) == 1, "\n".join(rows)
    assert all(cell_len(x) <= 80 for x in lines), [x for x in lines if cell_len(x) > 80]
    cjk = next(x for x in rows if x.startswith("  task-cjk "))
    assert "ログイン画面の実装" in cjk
    long = next(x for x in rows if x.startswith("  task-long "))
    assert "…" in long and long.index("…") < long.index(" ·D ")
    wide = next(x for x in lines if x.startswith("m-wide"))
    assert "…" in wide and cell_len(wide) == 80
    heads = [x for x in lines if x.startswith(("milestone-", "m-wide"))]
    assert len({cell_len(x) for x in heads}) == 1  # measured in cells: all end at one cell


def test_cells_cut_and_fit() -> None:
    assert cell_len("abc") == 3 and cell_len("日本") == 4 and cell_len("e\u0301") == 1
    assert cut("日本語テキスト", 7) == "日本語…" and cell_len(cut("日本語テキスト", 7)) == 7
    assert cut("short", 10) == "short" and cut("abcdef", 4) == "abc…" and cut("x", 0) == ""
    assert fit("日本", 6) == "日本  " and fit("abcdef", 4) == "abc…"
