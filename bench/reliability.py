"""Issue 11 at full size: one figure line per scenario (results are never asserted here).

    python bench/reliability.py [--writers 8] [--ops 1000] [--kills 200] [--milestones 10000]
                                [--outside-ops 500] [--run-kills 200]
                                [--only writers|outside|outside-rename|outside-inplace|kill9|kill9-run|corpus]

- writers: W kiro-tui processes x N actions on one milestone, a reader checking every version:
  lost updates, torn files, torn log lines, missing / extra events (all should be 0);
- outside: 2 kiro-tui processes deciding (block, unblock, approve) against an unlocked rename
  writer (`yq -i`) and then an in-place truncating writer: acknowledged decisions lost, outside
  values lost because of kiro-tui (both should be 0);
- kill9: SIGKILL at random moments of start / phase start / complete / approve / pause /
  resume: parse ok, before-or-after, next action not blocked (all = kills), leftover temp files
  after the next write (0);
- kill9-run: SIGKILL at a random moment of a real `kiro-tui run` (the driver writing), then a
  next `run` that must take over at once and stop on SIGTERM: parse ok, next run ok (all =
  kills), leftover temp files (0);
- corpus: every hostile class plus 10,000 milestones through status, validate, log, `run`
  for a few seconds and the dashboard in a pseudo-terminal (quit with `q`): tracebacks, hangs
  over 15 s, outside folder changed (0), peak memory against a normal workspace of the same
  size, dashboard included (within 2x).
The scenarios live in tests/reliability/ (the tests there run them small).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.common import outside_folder
from tests.reliability.corpus import baseline_peak, run_corpus
from tests.reliability.corruption import run_outside, run_writers
from tests.reliability.kill9 import run_kill9
from tests.reliability.kill9_run import run_kill9_run


def line(name: str, figures: dict[str, object]) -> None:
    shown = "  ".join(
        f"{k}={v}" for k, v in figures.items() if k not in ("bad", "problems", "error_samples")
    )
    print(f"{name:<16} {shown}", flush=True)
    for k in ("bad", "problems", "error_samples"):
        if figures.get(k):
            print(f"{'':<16} {k}: {figures[k]}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--outside-ops", type=int, default=500)
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--run-kills", type=int, default=200)
    ap.add_argument("--milestones", type=int, default=10_000)
    ap.add_argument("--huge-line-mb", type=int, default=100)
    ap.add_argument(
        "--only",
        choices=[
            "writers",
            "outside",
            "outside-rename",
            "outside-inplace",
            "kill9",
            "kill9-run",
            "corpus",
        ],
    )
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="kiro-reliability-"))
    try:
        t0 = time.monotonic()
        if args.only in (None, "writers"):
            line("writers", run_writers(base / "w" / "ws", args.writers, args.ops))
        if args.only in (None, "outside", "outside-rename", "outside-inplace"):
            only = args.only or "outside"
            for kind in [k for k in ("rename", "inplace") if only in ("outside", f"outside-{k}")]:
                line(
                    f"outside-{kind}",
                    run_outside(base / f"o-{kind}" / "ws", kind, 2, args.outside_ops, 10),
                )
        if args.only in (None, "kill9"):
            line("kill9", run_kill9(base / "k" / "ws", args.kills))
        if args.only in (None, "kill9-run"):
            (base / "kr").mkdir()
            line("kill9-run", run_kill9_run(base / "kr", args.run_kills))
        if args.only in (None, "corpus"):
            (base / "c").mkdir()
            got = run_corpus(
                base / "c" / "ws",
                outside_folder(base / "c"),
                huge_line=args.huge_line_mb << 20,
                milestones=args.milestones,
                run_seconds=5.0,
                dashboard=True,
            )
            (base / "n").mkdir()
            normal = baseline_peak(base / "n" / "ws", args.milestones, dashboard=True)
            got["normal_peak_kb"] = normal
            got["peak_ratio"] = round(got["peak_kb"] / normal, 2) if normal else None
            line("corpus", got)
        print(f"{'total':<16} seconds={time.monotonic() - t0:.0f}", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
