"""The stat signature of a phase's deliverables: the quick way (one lstat per regular file in a
folder known to lie inside) gives what the full check gives, for every kind of file a hostile
repository can hold."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kiro_tui.agents.facts import FactCache, _checked, _signature
from kiro_tui.core import deliverables as dl
from kiro_tui.core.model import Deliverable, Phase

NAMES = ("a.md", "b.md", "c", "d.md", "e.md", "f", "g.md")


def full(root: Path, task_id: str, phase: Phase) -> tuple[tuple[tuple[Any, ...], ...], Any]:
    sig: list[tuple[Any, ...]] = []
    newest = None
    for d in phase.deliverables:
        newest = _checked(root, task_id, phase, d, sig, newest)
    return tuple(sig), newest


def test_the_quick_signature_is_the_full_checks(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    (outside / "design").mkdir(parents=True)
    (outside / "secret.md").write_text("outside\n")
    (outside / "design" / "a.md").write_text("outside\n")
    base = root / ".milestones" / "deliverables"
    t1 = base / "t1" / "design"
    t1.mkdir(parents=True)
    (t1 / "a.md").write_text("# A\nreal\n")  # b.md missing
    (t1 / "c").mkdir()
    (t1 / "c" / "one.txt").write_text("1\n")
    (t1 / "c" / "two.txt").write_text("2\n")
    os.symlink(t1 / "a.md", t1 / "d.md")  # a link that stays inside
    os.symlink(outside / "secret.md", t1 / "e.md")  # a link out
    os.mkfifo(t1 / "f")  # not a regular file
    os.symlink(t1 / "nowhere.md", t1 / "g.md")  # a dangling link
    (root / "docs").mkdir()
    (root / "docs" / "x.md").write_text("x\n")
    (base / "t3").mkdir()
    os.symlink(outside / "design", base / "t3" / "design")  # the phase folder is a link out
    (root / "elsewhere" / "design").mkdir(parents=True)
    (root / "elsewhere" / "design" / "a.md").write_text("inside\n")
    os.symlink(root / "elsewhere", base / "t4")  # the task folder is a link that stays inside
    ds = (
        *(Deliverable(n) for n in NAMES),
        Deliverable("x.md", path="docs/x.md"),
        Deliverable("../z.md"),
    )
    phase = Phase(name="design", status="in_progress", gate=True, deliverables=ds)
    for task_id in ("t1", "t2", "t3", "t4", "../t1", "t 5"):
        assert _signature(root, task_id, phase)[:2] == full(root, task_id, phase), task_id
    sig = dict((x[0], x[1:]) for x in _signature(root, "t1", phase)[0] if x[0] != "c")
    assert sig["b.md"] == (None,)
    assert sig["e.md"] == ("invalid",) and sig["../z.md"] == ("invalid",)
    assert sig["a.md"] == sig["d.md"]
    assert {x[1] for x in _signature(root, "t1", phase)[0] if x[0] == "c"} == {
        "one.txt",
        "two.txt",
    }
    assert _signature(root, "t3", phase)[0][0] == ("a.md", "invalid")
    assert _signature(root, "t2", phase)[0][0] == ("a.md", None)
    assert _signature(root, "t4", phase)[0][0][0:1] == ("a.md",)
    assert _signature(root, "t4", phase)[0][0][1] != "invalid"

    for task_id in ("t1", "t2", "t3", "t4", "../t1"):  # the facts say what a report says
        facts = FactCache(root).phase("m1", task_id, phase, False)
        assert facts.missing == dl.report(root, task_id, phase).missing, task_id


def test_facts_from_the_quick_look_are_a_reports(tmp_path: Path) -> None:
    """Regular files and missing ones only: the facts come from the signature's own look."""
    folder = tmp_path / ".milestones" / "deliverables" / "t1" / "design"
    folder.mkdir(parents=True)
    (folder / "real.md").write_text("# Design\nThe form posts to /api/login.\n")
    (folder / "template.md").write_text("# Design\n\n[Describe the architecture]\n")
    (folder / "empty.md").write_text("")
    names = ("real.md", "template.md", "empty.md", "missing.md")
    phase = Phase(
        name="design",
        status="in_progress",
        gate=True,
        deliverables=tuple(Deliverable(n) for n in names),
    )
    assert _signature(tmp_path, "t1", phase)[2] is not None  # the quick look was enough
    facts = FactCache(tmp_path).phase("m1", "t1", phase, False)
    assert facts.missing == dl.report(tmp_path, "t1", phase).missing
    assert facts.missing == ("template.md", "empty.md", "missing.md") and not facts.complete
    for name in names[1:]:
        (folder / name).write_text(f"# {name}\nReal content for {name}.\n")
    facts = FactCache(tmp_path).phase("m1", "t1", phase, False)
    assert facts.complete and facts.missing == ()


def test_facts_kept_between_runs_are_taken_only_for_unchanged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run reads the facts file and looks at no deliverable's content; a file
    changed since (even with its mtime put back) has its facts made again."""
    folder = tmp_path / ".milestones" / "deliverables" / "t1" / "design"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("# A\nReal content.\n")
    (folder / "b.md").write_text("# B\n\n[Describe it]\n")  # a template: not done yet
    phase = Phase(
        name="design",
        status="in_progress",
        gate=True,
        deliverables=(Deliverable("a.md"), Deliverable("b.md")),
    )
    store = tmp_path / "cache" / "facts-x.pickle"
    first = FactCache(tmp_path, store)
    got = first.phase("m1", "t1", phase, False)
    assert got.missing == ("b.md",)
    first.save()
    assert store.is_file() and first.saves == 1
    first.save()  # nothing new: not written again
    assert first.saves == 1

    looked: list[str] = []
    real = dl.file_state
    monkeypatch.setattr(dl, "file_state", lambda p, *a: (looked.append(str(p)), real(p, *a))[1])
    again = FactCache(tmp_path, store).phase("m1", "t1", phase, False)
    assert again == got and looked == []  # from the file: no deliverable read

    stat = (folder / "b.md").stat()
    (folder / "b.md").write_text("# B\nDone, for real\n")  # the same size and mtime ...
    os.utime(folder / "b.md", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (folder / "b.md").stat().st_size == stat.st_size  # ... only its ctime tells
    fresh = FactCache(tmp_path, store).phase("m1", "t1", phase, False)
    assert fresh.complete and looked  # made again from the files
    store.write_bytes(b"not a pickle")
    assert FactCache(tmp_path, store).phase("m1", "t1", phase, False).complete


def test_the_facts_file_keeps_only_what_the_last_run_asked_for(tmp_path: Path) -> None:
    import pickle

    for name in ("design", "spec"):
        folder = tmp_path / ".milestones" / "deliverables" / "t1" / name
        folder.mkdir(parents=True)
        (folder / "a.md").write_text(f"# {name}\nReal content.\n")
    phases = {
        n: Phase(name=n, status="in_progress", gate=True, deliverables=(Deliverable("a.md"),))
        for n in ("design", "spec")
    }
    store = tmp_path / "facts.pickle"
    first = FactCache(tmp_path, store)
    for ph in phases.values():
        first.phase("m1", "t1", ph, False)
    first.save()
    second = FactCache(tmp_path, store)  # the spec phase is gone from the milestone
    (tmp_path / ".milestones/deliverables/t1/design/a.md").write_text("# design\nMore.\n")
    second.phase("m1", "t1", phases["design"], False)
    second.save()
    _version, stored = pickle.loads(store.read_bytes())
    assert [k[2] for k in stored] == ["design"]
