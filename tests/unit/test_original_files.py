"""Other files of the original `/milestone/*` commands (issue 10, items 4, 6 and 16): the
archive's non-milestone files, the unedited phase templates, and slugs of accented titles.

Texts are those the original's heredocs write (`generate_design_templates` in
templates/commands/milestone/_shared/kiro-native.md, the archive layout of archive.md), with
`$title` filled in as the shell would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiro_tui.core import deliverables as dl
from kiro_tui.core.errors import Refused
from kiro_tui.core.ids import slugify, task_id_from_title
from kiro_tui.core.model import Deliverable, Phase
from kiro_tui.core.service import Workspace
from kiro_tui.core.validate import check
from tests.unit.test_original_gates import MID, NOW, ORIGINAL, TID, make, phases, yq_set

# generate_design_templates "$dir" "Login form" "feature"
ARCHITECTURE_TEMPLATE = """\
# Architecture Design: Login form

## System Overview
[Describe the high-level system architecture]

## Components
- Component 1: [Description]
- Component 2: [Description]

## Data Flow
```mermaid
graph TD
    A[Input] --> B[Process]
    B --> C[Output]
```

## Integration Points
[List external systems and APIs]

## Security Considerations
[Security design decisions]
"""
API_TEMPLATE = """\
openapi: 3.0.0
info:
  title: Login form API
  version: 1.0.0
  description: API specification for Login form

paths:
  /endpoint:
    get:
      summary: Example endpoint
      responses:
        '200':
          description: Success
"""


# ---------------------------------------------------------------- item 4: archive files


def test_the_originals_non_milestone_files_are_skipped(tmp_path: Path) -> None:
    root = make(tmp_path)
    ms = root / ".milestones"
    (ms / "active" / "dependencies.yaml").write_text("dependencies:\n  m-orig:\n    requires: []\n")
    done = ms / "completed"
    arch = done / "milestone-000"
    arch.mkdir(parents=True)
    (arch / "definition.yaml").write_text(
        'id: "milestone-000"\ntitle: "Setup"\nstatus: "completed"\ntasks: []\n'
    )
    for name, body in {
        "completion-report.yaml": "validation:\n  status: passed\n  completion_percentage: 100\n",
        "performance-analysis.yaml": "estimated_hours: 16\nactual_hours: 22\n",
        "lessons-learned.yaml": 'lessons:\n  - "Early demos prevent scope creep"\n',
        "stakeholder-feedback.yaml": "satisfaction: 4.5\n",
    }.items():
        (arch / name).write_text(body)
    (arch / "audit-trail.jsonl").write_text('{"event": "archived"}\n')
    (done / "archive-index.yaml").write_text(
        'archives:\n  - id: "milestone-000"\n    archived_at: "2026-11-19T17:00:00Z"\n'
        '    path: ".milestones/completed/milestone-000/"\n'
    )
    # the same report files, left beside the milestones by an archive agent
    (done / "completion-report.yaml").write_text("validation:\n  status: passed\n")
    state = Workspace.open(root).load()
    assert state.problems == ()
    assert [(m.id, m.archive) for m in state.milestones] == [(MID, False), ("milestone-000", True)]
    assert check(state) == []


# ---------------------------------------------------------------- item 6: templates


def phase_of(names: list[str]) -> Phase:
    return Phase("design", "in_progress", True, tuple(Deliverable(n) for n in names))


def write(root: Path, name: str, text: str | bytes) -> None:
    path = root / ".milestones" / "deliverables" / TID / "design" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def test_the_originals_unedited_templates_are_not_delivered(tmp_path: Path) -> None:
    root = make(tmp_path, yq_set(ORIGINAL, "design", "status", '"in_progress"'))
    write(root, "architecture_diagram.md", ARCHITECTURE_TEMPLATE)
    write(root, "api_specification.yaml", API_TEMPLATE)
    rep = dl.report(
        root, TID, phase_of(["architecture_diagram.md", "api_specification.yaml", "data_model.md"])
    )
    assert rep.template == ("architecture_diagram.md", "api_specification.yaml")
    assert rep.present == ("data_model.md",) and not rep.complete
    assert dl.state(root, TID, "design", Deliverable("architecture_diagram.md")) == "template"


def test_completing_with_a_template_is_refused_until_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", NOW)
    root = make(tmp_path, yq_set(ORIGINAL, "design", "status", '"in_progress"'))
    write(root, "architecture_diagram.md", ARCHITECTURE_TEMPLATE)
    ws = Workspace.open(root)
    with pytest.raises(Refused, match=r"still templates: architecture_diagram\.md"):
        ws.complete_phase(MID, TID, "design")
    # one real sentence under one heading is enough
    write(
        root,
        "architecture_diagram.md",
        ARCHITECTURE_TEMPLATE.replace(
            "[Security design decisions]", "Passwords are hashed with argon2id."
        ),
    )
    ws.complete_phase(MID, TID, "design")
    assert phases(root)["design"]["status"] == "waiting_approval"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("# Data model\n\n## Tables\n", "template"),  # headings only
        ("# Risks\n\n1. [Risk]\n2. [Risk]\n* [ ] [Mitigation]\n", "template"),
        ("# Plan\n> [Describe the rollout]\n---\n<!-- fill in -->\n", "template"),
        ("[Describe the approach]; [List the trade-offs]\n", "template"),
        (" \n\t\n", "empty"),
        ("# Data model\n\nusers(id, email)\n", "present"),
        ("# Links\n- [the RFC](https://example.org/rfc)\n", "present"),  # a link is content
        ("# Steps\n- Component 1: Login form posts to /session\n", "present"),
        ('["a", "b"]\n', "present"),  # JSON, not a placeholder
        ("```mermaid\ngraph TD\n    Login --> Session\n```\n", "present"),  # a real diagram
        (API_TEMPLATE.replace("/endpoint:", "/session:"), "present"),
        (b"\x89PNG\r\n\x1a\n\x00\x00[x]", "present"),  # binary
        ("# A big file\n" + "[placeholder]\n" * 10000, "present"),  # too big to be a template
    ],
    ids=[
        "headings",
        "numbered-and-checkbox-placeholders",
        "quote-rule-comment",
        "two-placeholders",
        "blank",
        "content",
        "link",
        "bullet-with-text",
        "json",
        "real-diagram",
        "real-openapi",
        "binary",
        "big",
    ],
)
def test_the_template_rule(tmp_path: Path, text: str | bytes, state: str) -> None:
    write(tmp_path, "doc.md", text)
    assert dl.state(tmp_path, TID, "design", Deliverable("doc.md")) == state


def test_a_folder_of_templates_is_a_template(tmp_path: Path) -> None:
    write(tmp_path, "implementation_code/README.md", "# Implementation\n[Describe]\n")
    assert dl.state(tmp_path, TID, "design", Deliverable("implementation_code")) == "template"
    write(tmp_path, "implementation_code/main.py", "print('hello')\n")
    assert dl.state(tmp_path, TID, "design", Deliverable("implementation_code")) == "present"


def test_the_kiro_tui_marker_still_wins_over_real_text(tmp_path: Path) -> None:
    write(tmp_path, "x.md", f"{dl.TEMPLATE_MARKER}\n# Design\n\nA real paragraph.\n")
    assert dl.state(tmp_path, TID, "design", Deliverable("x.md")) == "template"


# ---------------------------------------------------------------- item 16: slugs


def test_slugs_keep_accented_letters_as_their_base_letter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert task_id_from_title("Ünïcode tâsk", set()) == "task-unicode-task"
    assert slugify("Crème brûlée à la carte") == "creme-brulee-a-la-carte"
    assert slugify("Straße ﬁx") == "strasse-fix"  # casefold and compatibility forms
    assert slugify("日本語") == "untitled"  # no base letter to keep
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", NOW)
    root = make(tmp_path)
    assert Workspace.open(root).add_task(MID, "Ünïcode tâsk") == "task-unicode-task"
