"""A run record and its `raw.jsonl` written by hand, as Claude Code's stream-json would have
left them, for the run view's snapshot test and screenshot (a fixed clock makes them
deterministic: the record's times are fixed, its driver is not alive)."""

from __future__ import annotations

import json
from pathlib import Path

from kiro_tui.core.runs import records
from kiro_tui.core.runs.records import RunRecord, Usage

SESSION = "5f0c1a2e-demo"


def _lines(deliverables: list[str]) -> list[dict[str, object]]:
    def assistant(*content: dict[str, object]) -> dict[str, object]:
        return {"type": "assistant", "session_id": SESSION, "message": {"content": list(content)}}

    out: list[dict[str, object]] = [
        {"type": "system", "subtype": "init", "session_id": SESSION, "model": "claude-sonnet"},
        assistant({"type": "text", "text": "Reading the task and the approved design first."}),
        assistant(
            {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "README.md"}}
        ),
        assistant({"type": "text", "text": "The [bold] in the task title stays text."}),
    ]
    for i, path in enumerate(deliverables):
        out.append(
            assistant(
                {
                    "type": "tool_use",
                    "id": f"w{i}",
                    "name": "Write",
                    "input": {"file_path": path, "content": "..."},
                }
            )
        )
    out.append(
        assistant(
            {
                "type": "tool_use",
                "id": "b1",
                "name": "Bash",
                "input": {"command": "python -m pytest -q tests/test_login.py"},
            }
        )
    )
    out.append(assistant({"type": "text", "text": "Tests pass; writing the summary next."}))
    return out


def write_sample_run(
    root: Path,
    milestone_id: str,
    task_id: str,
    phase: str,
    *,
    run_id: str = "run-20261125-145818-demo",
    deliverables: tuple[str, ...] = ("technical_design.md", "architecture_decisions.md"),
    started_at: str = "2026-11-25T14:58:18.000Z",
) -> RunRecord:
    """A running run (its driver gone) with some output and $0.0380 spent so far."""
    rec = RunRecord(
        run_id,
        milestone_id,
        task_id,
        phase,
        status="running",
        preset="claude",
        dialect="claude",
        argv=("claude", "-p", "--output-format", "stream-json", "--verbose"),
        host=records.hostname(),
        pid=None,
        session_id=SESSION,
        queued_at=started_at,
        started_at=started_at,
        usage=Usage(input_tokens=18200, output_tokens=2100, cost_usd=0.038),
        lines=9,
    )
    records.write(root, rec)
    raw = records.run_dir(root, run_id) / "raw.jsonl"
    with raw.open("w", encoding="utf-8") as fh:
        for obj in _lines(list(deliverables)):
            fh.write(json.dumps(obj) + "\n")  # JSON stdout lines are kept as they came
        fh.write(json.dumps({"stream": "stderr", "line": "warning: \x1b[31mcolour\x1b[0m"}) + "\n")
    return rec
