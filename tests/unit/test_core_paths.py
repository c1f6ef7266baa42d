"""Ids and deliverable paths (FORMAT.md sections 2 and 5): refused, never joined into a path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiro_tui.core import deliverables as dl
from kiro_tui.core.errors import InvalidId, KiroError
from kiro_tui.core.ids import check_id, check_phase, is_valid_id, slugify, task_id_from_title
from kiro_tui.core.model import Deliverable, Phase
from kiro_tui.core.service import Workspace
from kiro_tui.core.sessions import session_path
from kiro_tui.core.validate import check
from tests.unit.test_core_workflow import tree

GOOD = ["m1", "milestone-001", "A", "a.b_c-d", "x" * 128, "9lives", "v1.2.3"]
BAD = [
    "",
    ".hidden",
    "-dash",
    "_under",
    "a/b",
    "a\\b",
    "..",
    "a..b",
    "../x",
    "x" * 129,
    "a b",
    "tab\t",
    "ü",
    "a:b",
    "~home",
    "/abs",
    "a\nb",
    None,
    12,
    ["a"],
]


@pytest.mark.parametrize("value", GOOD)
def test_valid_ids(value: str) -> None:
    assert is_valid_id(value) and check_id(value) == value


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_invalid_ids_are_refused_with_a_clear_message(value: object) -> None:
    assert not is_valid_id(value)
    with pytest.raises(InvalidId) as info:
        check_id(value, "task id")
    msg = str(info.value)
    assert msg.startswith("invalid task id ") and "\n" not in msg.replace("\\n", "")


def test_phases() -> None:
    for p in ("design", "spec", "task", "execute"):
        assert check_phase(p) == p
    for p in ("Design", "deploy", "", "../design", None):
        with pytest.raises(InvalidId, match="unknown phase"):
            check_phase(p)


def test_slugs() -> None:
    assert slugify("Login API / v2!") == "login-api-v2"
    assert slugify("Ünïcode ✓") == "unicode"  # accented letters keep their base letter
    assert slugify("!!!") == "untitled"
    assert task_id_from_title("Login", set()) == "task-login"
    assert task_id_from_title("Login", {"task-login", "task-login-2"}) == "task-login-3"
    long = task_id_from_title("x" * 500, set())
    assert is_valid_id(long)


@pytest.mark.parametrize("bad", ["../escape", "a/b", "..", ".x", ""])
def test_service_refuses_bad_ids_before_any_path(seed: Path, bad: str) -> None:
    ws = Workspace.open(seed)
    before = tree(seed.parent)
    for action in (
        lambda: ws.approve(bad, "task-001", "spec"),
        lambda: ws.approve("milestone-001", bad, "spec"),
        lambda: ws.start_milestone(bad),
        lambda: ws.pause(bad),
        lambda: ws.new_milestone(bad, "t", []),
        lambda: ws.add_task("milestone-001", "t", task_id=bad),
        lambda: ws.execution_log(bad),
        lambda: session_path(seed, bad),
        lambda: dl.phase_dir(seed, bad, "design"),
    ):
        with pytest.raises(InvalidId):
            action()
    assert tree(seed.parent) == before


# ---------------------------------------------------------------- deliverables


def phase(*ds: Deliverable) -> Phase:
    return Phase(name="design", status="in_progress", gate=True, deliverables=ds)


def test_name_deliverables_live_in_the_phase_folder(tmp_path: Path) -> None:
    d = Deliverable("notes.md")
    assert dl.resolve(tmp_path, "t1", "design", d) == (
        tmp_path / ".milestones/deliverables/t1/design/notes.md"
    )
    for bad in ("../notes.md", "a/b.md", "..", ".", "a\\b"):
        with pytest.raises(InvalidId):
            dl.resolve(tmp_path, "t1", "design", Deliverable(bad))
    with pytest.raises(InvalidId):
        dl.resolve(tmp_path, "../t1", "design", d)


def test_path_deliverables_are_relative_to_the_repository(tmp_path: Path) -> None:
    d = Deliverable("design.md", path="docs/design.md", type="doc")
    assert dl.resolve(tmp_path, "t1", "design", d) == tmp_path / "docs/design.md"
    rep = dl.report(tmp_path, "t1", phase(d))
    assert rep.missing == ("docs/design.md",)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/design.md").write_text("# Design\nThe form posts to /api/login.\n")
    rep = dl.report(tmp_path, "t1", phase(d))
    assert rep.present == ("docs/design.md",) and rep.complete
    # the inside of the repository may be reached through `..` that stays inside
    inner = Deliverable("x", path="docs/../docs/design.md")
    assert dl.state(tmp_path, "t1", "design", inner) == "present"


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "~/secret", "../outside.md", "docs/../../outside.md"]
)
def test_escaping_path_deliverables_are_refused(tmp_path: Path, path: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.md").write_text("secret\n")
    d = Deliverable("x", path=path)
    with pytest.raises(InvalidId):
        dl.resolve(root, "t1", "design", d)
    assert dl.state(root, "t1", "design", d) == "invalid"
    rep = dl.report(root, "t1", phase(d))
    assert rep.invalid == (path,) and rep.missing == (path,)


def test_symlink_escapes_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret\n")
    folder = root / ".milestones/deliverables/t1/design"
    folder.mkdir(parents=True)
    os.symlink(outside / "secret.md", folder / "notes.md")
    os.symlink(outside, root / "linked")
    for d in (Deliverable("notes.md"), Deliverable("s", path="linked/secret.md")):
        with pytest.raises(InvalidId, match="outside the repository"):
            dl.resolve(root, "t1", "design", d)
        assert dl.state(root, "t1", "design", d) == "invalid"
    # a symlink that stays inside the repository is fine
    (root / "docs").mkdir()
    (root / "docs/real.md").write_text("real\n")
    os.symlink(root / "docs/real.md", folder / "inside.md")
    assert dl.state(root, "t1", "design", Deliverable("inside.md")) == "present"
    # the digest never reads what lies outside
    digest = dl.digest(root, "t1", phase(Deliverable("notes.md")))
    (outside / "secret.md").write_text("changed\n")
    assert dl.digest(root, "t1", phase(Deliverable("notes.md"))) == digest


def test_symlinked_phase_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.md").write_text("x\n")
    (root / ".milestones/deliverables/t1").mkdir(parents=True)
    os.symlink(outside, root / ".milestones/deliverables/t1/design")
    rep = dl.report(root, "t1", phase(Deliverable("a.md")))
    assert rep.invalid == ("a.md",) and not rep.present


def test_workflow_refuses_escaping_deliverables(seed: Path) -> None:
    """A milestone whose phase names a deliverable outside the repository cannot complete it,
    validate reports it, and starting the phase writes no starter outside."""
    path = seed / ".milestones/active/milestone-002.yaml"
    text = path.read_text().replace(
        'deliverables: ["architecture_diagram.md", "api_specification.yaml", "data_model.md", '
        '"security_design.md"]',
        'deliverables: [{type: doc, path: "../outside.md"}, {path: "/tmp/abs.md"}, '
        '"../x.md", {type: doc, path: "docs/inside.md"}]',
        1,
    )
    path.write_text(text)
    ws = Workspace.open(seed)
    msgs = [p.message for p in check(ws.load()) if p.file.endswith("milestone-002.yaml")]
    assert any("'../outside.md'" in m for m in msgs)
    assert any("'/tmp/abs.md'" in m and "absolute" in m for m in msgs)
    assert any("'../x.md'" in m for m in msgs)
    assert not any("inside.md" in m for m in msgs)
    ws.start_phase("milestone-002", "task-010", "design")
    assert not (seed.parent / "outside.md").exists() and not (seed.parent / "x.md").exists()
    (seed / "docs").mkdir()
    (seed / "docs/inside.md").write_text("in\n")
    (seed.parent / "outside.md").write_text("out\n")
    with pytest.raises(KiroError, match=r"outside\.md"):
        ws.complete_phase("milestone-002", "task-010", "design")


def test_fast_paths_agree_with_the_plain_checks(seed: Path, tmp_path: Path) -> None:
    """`report` and `problems` with the folder listing (the big-workspace path) say what they
    say without it, on the seed and on a tree with links in and out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.md").write_text("x\n")
    base = seed / ".milestones/deliverables"
    (outside / "design").mkdir()
    os.symlink(outside, base / "task-010")  # a whole task folder leading out
    (base / "task-011" / "design").mkdir(parents=True)
    os.symlink(outside / "x.md", base / "task-011/design/root_cause_analysis.md")
    (base / "task-011/design/fix_approach.md").write_text("")
    state = Workspace.open(seed).load()
    folders = dl.task_folders(seed)
    assert {"task-001", "task-002", "task-010", "task-011"} <= folders
    seen_invalid = 0
    for m in state.milestones:
        for t in m.tasks:
            for ph in t.phases:
                assert dl.report(seed, t.id, ph, folders) == dl.report(seed, t.id, ph)
                assert dl.problems(seed, t.id, ph, folders) == dl.problems(seed, t.id, ph)
                rep = dl.report(seed, t.id, ph)
                assert set(rep.invalid) == {label for label, _ in dl.problems(seed, t.id, ph)}
                seen_invalid += len(rep.invalid)
    assert seen_invalid == 5  # task-010 design (4) and task-011's linked file
    rep = dl.report(
        seed,
        "task-011",
        state.milestone("milestone-002")
        .task(  # type: ignore[union-attr]
            "task-011"
        )
        .phase("design"),
    )  # type: ignore[union-attr]
    assert rep.invalid == ("root_cause_analysis.md",)
    assert rep.missing == ("root_cause_analysis.md", "fix_approach.md", "regression_prevention.md")


def test_starter_files_are_never_written_through_a_link_out(seed: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, seed / ".milestones/deliverables/task-010")
    Workspace.open(seed).start_phase("milestone-002", "task-010", "design")
    assert list(outside.iterdir()) == []
