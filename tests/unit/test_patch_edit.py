"""Edits written as patches of the changed values' text (core/yaml/patch_edit.py): the rest of
the file stays byte for byte, new text follows the file's own style, and anything that does not
fit falls back to the round trip (None), never to a guess."""

from __future__ import annotations

import difflib
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from kiro_tui.core.safewrite import edit_yaml
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.patch_edit import edit_patched
from kiro_tui.core.yaml.roundtrip import RoundTrip, load_fast
from tests.conftest import FIXTURES

SEED = FIXTURES / "seed-basic" / ".milestones" / "active" / "milestone-001.yaml"


def changed_lines(before: str, after: str) -> list[str]:
    return [
        x
        for x in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
        if x[:1] in "+-" and not x.startswith(("+++", "---"))
    ]


def design(d: dict[str, Any], task: int = 0) -> dict[str, Any]:
    return d["tasks"][task]["kiro_workflow"]["phases"]["design"]  # type: ignore[no-any-return]


def test_a_status_change_rewrites_only_that_value_in_its_own_quotes() -> None:
    text = SEED.read_text()

    def edit(d: dict[str, Any]) -> str:
        design(d, 1)["status"] = "blocked"
        return "ok"

    got = edit_patched(text, edit)
    assert got is not None and got[0] == "ok"
    assert changed_lines(text, got[1]) == [
        '-          status: "in_progress"',
        '+          status: "blocked"',
    ]


def test_new_values_take_the_neighbours_quotes_and_nulls_the_files_style() -> None:
    seed_style = 'id: "m"\nstarted_at: null\nnote: "x"\n'
    got = edit_patched(seed_style, lambda d: d.update(started_at="2026-12-01T10:00:00Z"))
    assert got is not None and got[1] == 'id: "m"\nstarted_at: "2026-12-01T10:00:00Z"\nnote: "x"\n'

    plain = "id: m\nstarted_at: null\nnote: x\n"
    got = edit_patched(plain, lambda d: d.update(started_at="2026-12-01T10:00:00Z", note="y z"))
    # a timestamp written plainly would load as a date: quoted, as ruamel would
    assert got is not None and got[1] == "id: m\nstarted_at: '2026-12-01T10:00:00Z'\nnote: y z\n"

    empty_nulls = "id: m\nstarted_at:\nended_at:\nnote: x\n"
    got = edit_patched(empty_nulls, lambda d: d.update(started_at="now"))
    assert got is not None and got[1] == "id: m\nstarted_at: now\nended_at:\nnote: x\n"
    back = edit_patched(got[1], lambda d: d.update(started_at=None))
    assert back is not None and back[1] == empty_nulls


def test_added_keys_go_at_the_end_of_their_mapping_before_blank_lines_and_comments() -> None:
    text = "a:\n  x: 1  # the x\n\n# about b\nb: 2\n"
    got = edit_patched(text, lambda d: d["a"].update(y="new", z=None, w=[1, 2], v={"k": True}))
    assert got is not None
    assert got[1] == (
        "a:\n  x: 1  # the x\n  y: new\n  z: null\n  w:\n    - 1\n    - 2\n  v:\n    k: true\n"
        "\n# about b\nb: 2\n"
    )
    assert load_fast(got[1], "x")["a"] == {
        "x": 1,
        "y": "new",
        "z": None,
        "w": [1, 2],
        "v": {"k": True},
    }


def test_block_then_unblock_gives_the_file_back_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "seed"
    shutil.copytree(FIXTURES / "seed-basic", root)
    path = root / ".milestones/active/milestone-001.yaml"
    original = path.read_bytes()
    ws = Workspace(root, persist_cache=False)
    ws.block("milestone-001", "task-002", "design", "waiting for the API")
    blocked = path.read_text()
    assert len(changed_lines(original.decode(), blocked)) == 5  # status twice, 3 new keys
    ws.unblock("milestone-001", "task-002", "design")
    assert path.read_bytes() == original


def test_an_approval_appends_its_review_entry_in_the_files_indentation(tmp_path: Path) -> None:
    root = tmp_path / "seed"
    shutil.copytree(FIXTURES / "seed-basic", root)
    path = root / ".milestones/active/milestone-001.yaml"
    before = path.read_text()
    Workspace(root, persist_cache=False).approve("milestone-001", "task-001", "spec")
    after = path.read_text()
    added = [x[1:] for x in changed_lines(before, after) if x.startswith("+")]
    assert "          review_history:" in added
    assert '            - action: "approved"' in added
    # and the data is what a whole round trip makes of the same edit
    data = load_fast(after, path)
    spec = data["tasks"][0]["kiro_workflow"]["phases"]["spec"]
    assert spec["status"] == "approved" and spec["review_history"][-1]["action"] == "approved"


def test_flow_collections_keep_their_items_and_grow_in_flow_style() -> None:
    text = "deliverables: [a.md, 'b.md']\nmeta: {by: \"x\"}\npauses: []\n"

    def edit(d: dict[str, Any]) -> None:
        d["deliverables"].append("c.md")
        d["meta"]["at"] = "2026-12-01T10:00:00Z"
        d["pauses"].append({"at": "now", "by": "me"})

    got = edit_patched(text, edit)
    assert got is not None
    assert got[1] == (
        "deliverables: [a.md, 'b.md', c.md]\n"
        'meta: {by: "x", at: "2026-12-01T10:00:00Z"}\n'  # the quotes of its neighbours
        "pauses:\n  - at: now\n    by: me\n"  # an empty `[]` that gets content: block style
    )


def test_a_number_that_changes_type_is_written_as_its_new_type() -> None:
    got = edit_patched("hours: 0\n", lambda d: d.update(hours=0.0))
    assert got is not None and got[1] == "hours: 0.0\n"
    assert isinstance(load_fast(got[1], "x")["hours"], float)


@pytest.mark.parametrize(
    ("text", "edit"),
    [
        ("a: &x 1\nb: *x\n", lambda d: d.update(a=2)),  # anchors: one value, two places
        ("a: |\n  text\nb: 1\n", lambda d: d.update(a="other")),  # a block scalar
        ("a: |\n  text\n", lambda d: d.update(b=1)),  # a key after a block scalar
        ("a: 1\nb: 2\n", lambda d: d.update(a=d.pop("a"))),  # a key moved to the end
        ("l:\n  - 1\n  - 2\n", lambda d: d["l"].pop(0)),  # a list that shrank
        ("a: !!str 1\n", lambda d: d.update(a="2")),  # a tag
        ("- 1\n", lambda d: None),  # not a mapping
    ],
)
def test_what_does_not_fit_falls_back(text: str, edit: Any, tmp_path: Path) -> None:
    assert edit_patched(text, edit) is None
    p = tmp_path / "m.yaml"
    p.write_text(text)
    if not text.startswith("-"):
        edit_yaml(p, edit)  # the round trip does it instead
        rt = RoundTrip(text, p)
        edit(rt.data)
        assert load_fast(p.read_text(), p) == load_fast(rt.dump(), p)


def test_refusals_raised_by_the_edit_come_through() -> None:
    class No(Exception):
        pass

    def edit(d: dict[str, Any]) -> None:
        raise No

    with pytest.raises(No):
        edit_patched("a: 1\n", edit)


def test_random_edits_load_back_as_exactly_the_edited_data() -> None:
    """Whatever is patched loads back as the edit's data (else it is not patched at all)."""
    text = SEED.read_text()
    rng = random.Random(7)
    values: list[Any] = [None, 0, 1.5, True, "plain", "with: colon", "2026-12-01", "it's", "ü"]
    patched = 0
    for _ in range(150):
        picks = [
            (rng.randrange(4), rng.choice(["design", "spec", "task", "execute"])) for _ in "xyz"
        ]
        expected: dict[str, Any] = {}

        def edit(
            d: dict[str, Any],
            picks: list[tuple[int, str]] = picks,
            expected: dict[str, Any] = expected,
        ) -> None:
            for t, ph in picks:
                if t >= len(d["tasks"]) or "kiro_workflow" not in d["tasks"][t]:
                    continue
                phase = d["tasks"][t]["kiro_workflow"]["phases"].get(ph)
                if not isinstance(phase, dict):
                    continue
                key = rng.choice(["status", "started_at", "notes_x", "actual_hours"])
                phase[key] = rng.choice(values)
                if rng.random() < 0.2:
                    phase.pop("approved_at", None)
            expected["data"] = d

        got = edit_patched(text, edit)
        if got is None:
            continue
        patched += 1
        assert load_fast(got[1], "m") == expected["data"]
        assert [type(v) for v in _leaves(load_fast(got[1], "m"))] == [
            type(v) for v in _leaves(expected["data"])
        ]
    assert patched > 100


def _leaves(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in _leaves(v)]
    if isinstance(data, list):
        return [x for v in data for x in _leaves(v)]
    return [data]
