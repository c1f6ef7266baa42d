"""How fast core.gitops is on this machine.

    /work/venv/bin/python bench/bench_git.py [--runs N]

- commit_paths of 10 changed files in a 1,000-file repository (median of N runs)
- info() (branch, ahead/behind, dirty count) on a 10,000-file repository with 5 changed files
- milestone_commits() over 300 commits, 100 of them the milestone's

Repositories are built with pygit2 in a temporary folder; the user's git config is not read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _isolate_config(empty: Path) -> None:
    import pygit2
    from pygit2.enums import ConfigLevel

    for lvl in (ConfigLevel.SYSTEM, ConfigLevel.XDG, ConfigLevel.GLOBAL):
        pygit2.settings.search_path[lvl] = str(empty)


def _repo(path: Path, n_files: int) -> object:
    import pygit2

    repo = pygit2.init_repository(str(path), initial_head="main")
    repo.config["user.name"] = "Bench"
    repo.config["user.email"] = "bench@example.com"
    for i in range(n_files):
        f = path / f"src/pkg{i // 100:03d}/mod{i:05d}.py"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f"# module {i}\nVALUE = {i}\n")
    ms = path / ".milestones/active"
    ms.mkdir(parents=True)
    (ms / "m1.yaml").write_text("id: m1\nstatus: in_progress\n")
    # files older than the index, as in a real checkout (else every entry is "racily clean"
    # and each status() re-hashes every file)
    old = time.time() - 3600
    for f in path.rglob("*"):
        if ".git" not in f.parts:
            os.utime(f, (old, old))
    index = repo.index
    index.add_all()
    index.write()
    sig = pygit2.Signature("Bench", "bench@example.com")
    repo.create_commit("HEAD", sig, sig, "initial", index.write_tree(), [])
    return repo


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    from kiro_tui.core import git as gitops
    from kiro_tui.core.git.commit import commit_paths

    gitops.info(".")  # first call imports pygit2
    import_ms = (time.perf_counter() - t0) * 1000
    rows: list[tuple[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "cfg").mkdir()
        _isolate_config(base / "cfg")

        small = base / "r1k"
        _repo(small, 1_000)
        deliverables = small / ".milestones/deliverables/t1/design"
        deliverables.mkdir(parents=True)
        (small / "src/pkg000/mod00000.py").write_text("# the user's unstaged edit\n")
        counter = [0]

        def commit10() -> object:
            counter[0] += 1
            for i in range(9):
                (deliverables / f"doc{i}.md").write_text(f"run {counter[0]}\n")
            (small / ".milestones/active/m1.yaml").write_text(f"id: m1\nrun: {counter[0]}\n")
            sha = commit_paths(
                small,
                [".milestones/active/m1.yaml", ".milestones/deliverables/t1"],
                gitops.message("feat", "m1", "T", "design", "completed", milestone="m1", task="t1"),
            )
            assert sha is not None
            return sha

        rows.append(("commit_paths, 10 files, 1k-file repo", _time(commit10, args.runs)))

        big = base / "r10k"
        _repo(big, 10_000)
        for i in range(5):
            (big / f"src/pkg{i:03d}/mod{i * 100:05d}.py").write_text("# changed\n")
        (big / "untracked.txt").write_text("x\n")
        info = gitops.info(big)
        assert info.dirty == 6, info
        rows.append(
            ("info(), 10k-file repo, 6 changed", _time(lambda: gitops.info(big), args.runs))
        )

        for i in range(200):
            (small / "src/pkg001/mod00100.py").write_text(f"# {i}\n")
            commit_paths(small, ["src/pkg001/mod00100.py"], f"other {i}\n\nMilestone: m2\n")
        found = gitops.milestone_commits(small, "m1")
        assert len(found) >= args.runs, len(found)
        rows.append(
            (
                f"milestone_commits(), {len(found)} of ~{len(found) + 200} commits",
                _time(lambda: gitops.milestone_commits(small, "m1"), max(args.runs // 3, 3)),
            )
        )

    print(f"first gitops call (imports pygit2): {import_ms:.0f} ms\n")
    print(f"{'operation':<48} {'median':>8} {'min':>8} {'max':>8}   (ms, {args.runs} runs)")
    for name, ts in rows:
        print(f"{name:<48} {statistics.median(ts):>8.1f} {min(ts):>8.1f} {max(ts):>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
