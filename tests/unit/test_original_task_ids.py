"""Tasks whose ids the original's formula made invalid (issue 10, item 8): shown read only,
counted, never joined into a path, and renamed by the fix-ids logic.

`create_kiro_native_task` makes ids as
`task-$(date +%s)-$(echo "$title" | tr '[:upper:]' '[:lower:]' | tr ' ' '-' | head -c 20)`, so
"Set up CI/CD: stage 2" gives `task-1732000000-set-up-ci/cd:-stage-`, and its
`mkdir -p .milestones/deliverables/$task_id/design` makes nested folders of it. The file is
written by hand as mikefarah yq v4 leaves it (that yq is not on this machine).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kiro_tui.core import deliverables as dl
from kiro_tui.core import fix_ids, workflow
from kiro_tui.core.config import Config
from kiro_tui.core.errors import InvalidId, Refused
from kiro_tui.core.progress import milestone_progress
from kiro_tui.core.service import Workspace
from kiro_tui.core.validate import check
from kiro_tui.core.yaml.roundtrip import RoundTrip, load_fast
from tests.unit.test_core_workflow import tree

MID = "m-ci"
BAD = "task-1732000000-set-up-ci/cd:-stage-"  # "Set up CI/CD: stage 2"
COLON = "task-1732000001-fix:-login-redirect"  # "Fix: login redirect loop"
GOOD = "task-1732000002-release-notes"


def kiro(status: str, design: str) -> str:
    return f"""\
    status: "{status}"
    # Kiro workflow is MANDATORY
    kiro_workflow:
      enabled: true
      current_phase: "design"
      phases:
        design: {{status: "{design}", approval_required: true, deliverables: ["plan.md"]}}
        spec: {{status: "pending", approval_required: true, deliverables: ["spec.md"]}}
        task: {{status: "pending", approval_required: false, deliverables: ["tasks.md"]}}
        execute: {{status: "pending", approval_required: false, deliverables: ["code"]}}
"""


TEXT = f"""\
id: "{MID}"
title: "Continuous delivery"
status: "in_progress"
tasks:
  - id: "{BAD}"
    title: "Set up CI/CD: stage 2"
    dependencies: []
{kiro("in_progress", "in_progress")}\
  - id: "{COLON}"
    title: "Fix: login redirect loop"
    dependencies: ["{BAD}"]
{kiro("pending", "pending")}\
  - id: "{GOOD}"
    title: "Release notes"
    depends_on: ["{BAD}", "{COLON}"]  # written by hand
    status: "pending"
    estimated_hours: 2
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".milestones" / "active").mkdir(parents=True)
    (root / ".milestones" / "active" / f"{MID}.yaml").write_text(TEXT, encoding="utf-8")
    base = root / ".milestones" / "deliverables"
    for tid in (BAD, COLON):  # the original's mkdir -p of each phase folder
        for phase in ("design", "spec"):
            (base / tid / phase).mkdir(parents=True)
    (base / COLON / "design" / "plan.md").write_text("# Plan\n\nBreak the redirect loop.\n")
    (base / BAD / "design" / "plan.md").write_text("# Plan\n\nTwo stages.\n")
    return root


def path_of(root: Path) -> Path:
    return root / ".milestones" / "active" / f"{MID}.yaml"


def test_invalid_ids_are_shown_read_only_and_counted(root: Path) -> None:
    state = Workspace.open(root).load()
    m = state.milestone(MID)
    assert m is not None
    assert [(t.id, t.read_only) for t in m.tasks] == [(BAD, True), (COLON, True), (GOOD, False)]
    bad = m.task(BAD)
    assert bad is not None and bad.problem is not None
    assert f"rename it with 'kiro-tui fix-ids {MID}'" in bad.problem
    # design in progress (7.5), nothing yet, a pending plain task: (7.5 + 0 + 0) / 3
    assert milestone_progress(m) == pytest.approx(2.5)
    probs = [p for p in state.problems if p.kind == "invalid_id"]
    lines = TEXT.splitlines()
    assert [(p.file, p.line) for p in probs] == [
        (f"active/{MID}.yaml", lines.index(f'  - id: "{tid}"') + 1) for tid in (BAD, COLON)
    ]
    assert all(str(p).startswith(f"active/{MID}.yaml:") and "\n" not in str(p) for p in probs)
    # dependencies that name them are not "unknown"; no path was made of them
    msgs = [str(p) for p in check(state)]
    assert not any("unknown task" in x for x in msgs)
    assert dl.report(root, BAD, bad.phases[0]).invalid == ("plan.md",)


def test_actions_on_them_are_refused_and_change_nothing(root: Path) -> None:
    ws = Workspace.open(root)
    before = tree(root)
    for action in (
        lambda: ws.start_phase(MID, COLON, "design"),
        lambda: ws.complete_phase(MID, BAD, "design"),
        lambda: ws.block(MID, BAD, "design", "x"),
    ):
        with pytest.raises(InvalidId, match="invalid task id"):
            action()
    doc = RoundTrip(TEXT, "m.yaml").data
    ctx = workflow.Ctx(root=root, config=Config(), now="2026-11-25T14:03:07Z", actor="a")
    with pytest.raises(Refused, match="has an invalid id and is read only"):
        workflow.start_phase(doc, COLON, "design", ctx)
    assert tree(root) == before


def test_fix_ids_renames_rewires_and_moves_what_is_safe(root: Path) -> None:
    report = fix_ids.fix_milestone(root, path_of(root))
    new_bad, new_colon = "task-1732000000-set-up-ci-cd-stage", "task-1732000001-fix-login-redirect"
    assert report.renamed == [(BAD, new_bad), (COLON, new_colon)]
    assert report.references == 3
    ms = ".milestones/deliverables"
    assert report.moved == [(f"{ms}/{COLON}", f"{ms}/{new_colon}")]
    assert report.left == [
        f"left {ms}/{BAD} in place: {BAD!r} is not a single folder name; "
        f"move its deliverables to {ms}/{new_bad}/ by hand"
    ]
    assert report.lines()[0] == f"task {BAD!r} -> {new_bad}"
    text = path_of(root).read_text(encoding="utf-8")
    assert f'  - id: "{new_bad}"\n' in text and f'dependencies: ["{new_bad}"]' in text
    # the comment stays at its column (ruamel), so the shorter ids leave a wider gap
    assert re.search(rf'depends_on: \["{new_bad}", "{new_colon}"\] +# written by hand\n', text)
    assert text.count("# Kiro workflow is MANDATORY") == 2
    # every other line stays byte for byte
    back = text.replace(new_bad, BAD).replace(new_colon, COLON).splitlines()
    assert [x for x in back if "depends_on" not in x] == [
        x for x in TEXT.splitlines() if "depends_on" not in x
    ]
    base = root / ".milestones" / "deliverables"
    assert (base / new_colon / "design" / "plan.md").is_file() and not (base / COLON).exists()
    assert (base / BAD / "design" / "plan.md").is_file()  # the nested one, left as it was
    state = Workspace.open(root).load()
    assert [p for p in state.problems if p.kind == "invalid_id"] == []
    m = state.milestone(MID)
    assert m is not None and not any(t.read_only for t in m.tasks)
    assert m.task(GOOD).depends_on == (new_bad, new_colon)  # type: ignore[union-attr]
    design = m.task(new_colon).phase("design")  # type: ignore[union-attr]
    assert design is not None and dl.report(root, new_colon, design).present == ("plan.md",)
    again = fix_ids.fix_milestone(root, path_of(root))
    assert not again.changed and again.lines() == ["every task id is valid: nothing to do"]


def test_new_ids_are_unique_and_avoid_other_milestones_folders(root: Path) -> None:
    # another milestone's task already owns the folder the slug would take
    (root / ".milestones" / "deliverables" / "task-1732000001-fix-login-redirect").mkdir()
    report = fix_ids.fix_milestone(root, path_of(root))
    assert dict(report.renamed)[COLON] == "task-1732000001-fix-login-redirect-2"
    doc = {
        "tasks": [
            {"id": "task-a"},
            {"id": "task a"},
            {"id": "task:a"},
            {"title": "No id"},
            {"id": None, "title": "No id"},
            {"id": 7, "dependencies": "7"},
            {"id": "../../escape", "depends_on": ["task a", "task-a"]},
        ]
    }
    pairs, refs = fix_ids.rename_invalid_ids(doc)
    assert [t["id"] for t in doc["tasks"]] == [
        "task-a",
        "task-a-2",
        "task-a-3",
        "task-no-id",
        "task-no-id-2",
        "task-7",
        "task-escape",
    ]
    assert ("", "task-no-id") in pairs and refs == 2
    assert doc["tasks"][5]["dependencies"] == "task-7"
    assert doc["tasks"][6]["depends_on"] == ["task-a-2", "task-a"]


def test_folders_are_moved_only_when_safe(root: Path, tmp_path: Path) -> None:
    base = root / ".milestones" / "deliverables"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, base / "task:link")
    (base / "task:taken").mkdir()
    (base / "task-taken").mkdir()
    moved, left = fix_ids.move_folders(
        root,
        [
            ("task:link", "task-link"),
            ("task:taken", "task-taken"),
            ("../../etc", "task-etc"),
            ("task:none", "task-none"),
        ],
    )
    assert moved == []
    assert left == [
        "left .milestones/deliverables/task:link in place: it is not a folder inside the "
        "repository",
        "left .milestones/deliverables/task:taken in place: .milestones/deliverables/task-taken "
        "already exists",
    ]
    assert os.path.islink(base / "task:link") and list(outside.iterdir()) == []
    assert load_fast(path_of(root).read_text(encoding="utf-8"), "m")["id"] == MID


def test_fix_ids_command_renames_and_says_what_it_did(root: Path) -> None:
    """`kiro-tui fix-ids m-ci` in a child process, on the file the original wrote."""
    import subprocess
    import sys

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kiro_tui", "-C", str(root), *argv],
            capture_output=True,
            text=True,
            timeout=60,
        )

    new_bad, new_colon = "task-1732000000-set-up-ci-cd-stage", "task-1732000001-fix-login-redirect"
    proc = cli("fix-ids", MID)
    assert (proc.returncode, proc.stderr) == (0, "")
    lines = proc.stdout.splitlines()
    assert lines[:3] == [
        f"{MID}: task {BAD!r} -> {new_bad}",
        f"{MID}: task {COLON!r} -> {new_colon}",
        f"{MID}: 3 dependency reference(s) rewritten",
    ]
    ms = ".milestones/deliverables"
    assert f"{MID}: moved {ms}/{COLON} -> {ms}/{new_colon}" in lines
    assert any(x.startswith(f"{MID}: left {ms}/{BAD} in place") for x in lines)
    text = path_of(root).read_text(encoding="utf-8")
    assert BAD not in text and COLON not in text and f'"{new_bad}"' in text
    status = cli("status", MID, "--json")
    assert status.returncode == 0
    again = cli("fix-ids", MID)
    assert again.stdout == f"{MID}: every task id is valid: nothing to do\n"
    missing = cli("fix-ids", "no-such")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "no milestone 'no-such'" in missing.stderr and "Traceback" not in missing.stderr
