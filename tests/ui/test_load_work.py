"""Loading a big workspace costs work linear in its size: the milestone tree derives the
blocked ids once per snapshot (not once per milestone or task) and adds or relabels each node
about once, however many preload snapshots come in. Work is counted, never timed."""

from __future__ import annotations

from pathlib import Path

from kiro_tui.core.service import Workspace
from kiro_tui.ui.app import make_app
from kiro_tui.ui.source import PRELOAD_FROM
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import quiet, ready, wait_for

N = PRELOAD_FROM + 20  # enough files for the preload (milestones shown as they are parsed)


def _workspace(root: Path) -> None:
    Workspace.init(root)
    ws = Workspace(root, persist_cache=False)
    for i in range(N):
        mid = f"m{i:03d}"
        ws.new_milestone(mid, f"Milestone {i}", [])
        ws.add_task(mid, "A", task_id=f"a{i:03d}")
        ws.add_task(mid, "B", task_id=f"b{i:03d}", depends_on=[f"a{i:03d}"])


async def test_loading_n_milestones_is_linear_work(tmp_path: Path) -> None:
    _workspace(tmp_path)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        await wait_for(
            pilot,
            lambda: (
                app.snapshot is not None and app.snapshot.seq > 0 and len(tree.root.children) == N
            ),
            "every milestone in the tree",
        )
        await quiet(pilot)
        # what the user sees: every milestone, in file order
        shown = [str(c.label).split()[0] for c in tree.root.children]
        assert shown == [f"m{i:03d}" for i in range(N)]
        # the blocked ids: at most once per snapshot applied, not once per milestone
        assert tree.blocked_sets <= app.snapshots_applied
        # each milestone node added about once, plus the first milestone's two tasks
        # (a relabel when the full snapshot's blockers arrive is allowed, once each)
        assert tree.node_updates <= 2 * (N + 2), tree.node_updates


def test_the_first_screen_comes_first_and_is_not_parsed_again(tmp_path: Path) -> None:
    """A big workspace shows its first milestones before the coordinator is set up: one
    snapshot of the first FIRST_SCREEN files, which the loader then hands back unparsed."""
    from kiro_tui.core.store import milestone_files
    from kiro_tui.ui.messages import SnapshotArrived
    from kiro_tui.ui.source import FIRST_SCREEN, first_screen

    _workspace(tmp_path)
    ws = Workspace(tmp_path, persist_cache=False)
    posted: list[object] = []
    first_screen(ws, posted.append)
    assert len(posted) == 1 and isinstance(posted[0], SnapshotArrived)
    shown = posted[0].snapshot.state.milestones
    assert [m.id for m in shown] == [f"m{i:03d}" for i in range(FIRST_SCREEN)]
    assert posted[0].snapshot.seq == 0  # a preload snapshot: the full one replaces it
    for m, (path, location, stem, archive) in zip(shown, milestone_files(tmp_path), strict=False):
        assert ws.loader.load_one(path, location, stem, archive)[0] is m


def test_a_small_workspace_has_no_first_screen(tmp_path: Path) -> None:
    from kiro_tui.ui.source import first_screen

    Workspace.init(tmp_path)
    ws = Workspace(tmp_path, persist_cache=False)
    ws.new_milestone("m1", "Only", [])
    posted: list[object] = []
    first_screen(ws, posted.append)
    assert posted == []


async def test_the_trees_label_widths_are_its_rendered_labels(tmp_path: Path) -> None:
    """MilestoneTree measures a label without rendering it (Textual measures every line each
    time the lines change): the width must be the rendered label's, for every kind of row."""
    from rich.style import Style

    from kiro_tui.demo import build

    root = build(tmp_path / "demo", git=False)
    app = make_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await quiet(pilot)
        tree = app.query_one(MilestoneTree)
        tree.root.expand_all()
        await pilot.pause()
        nodes, todo = [], list(tree.root.children)
        while todo:
            node = todo.pop()
            nodes.append(node)
            todo.extend(node.children)
        infos = [n.data for n in nodes if n.data is not None]
        assert len(nodes) > 20 and any(i.waiting for i in infos) and any(i.blocked for i in infos)
        for node in nodes:
            rendered = tree.render_label(node, Style(), Style()).cell_len
            assert tree.get_label_width(node) == rendered, node.label
