"""`kiro-tui trust [--show] [--yes]`, `kiro-tui untrust`, `kiro-tui runs [MILESTONE] [--json]`
and `kiro-tui runs show RUN_ID [--follow]`: the repository's executor settings reviewed and
trusted (stored in the user's state folder, never in the repository), and the agent runs."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from kiro_tui.cli.call import Call


def register(sub: Any) -> None:
    p = sub.add_parser("trust", help="review and trust the repository's executor commands")
    p.add_argument("--show", action="store_true", help="list what would run; change nothing")
    p.add_argument("--yes", action="store_true", help="trust without asking")
    p.set_defaults(handler=_trust)
    p = sub.add_parser("untrust", help="forget the trust of this repository's executor settings")
    p.set_defaults(handler=_untrust)
    p = sub.add_parser("runs", help="agent runs: list them, or 'runs show RUN_ID' for one")
    p.add_argument(
        "target",
        nargs="*",
        metavar="MILESTONE | show RUN_ID",
        help="a milestone whose runs to list, or `show RUN_ID` for one run",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--follow", action="store_true", help="with show: follow a live run")
    p.set_defaults(handler=_runs)


def _trust(call: Call) -> int:
    from kiro_tui.core.runs import trust

    root = call.root
    got = trust.review(root)
    for p in got.problems:
        print(f"kiro-tui: warning: {p}", file=sys.stderr)
    if not got.needs_trust:
        print(got.lines[0])
        return 0
    print("\n".join(got.lines))
    if call.args.show:
        print("status: trusted" if got.trusted else "status: NOT trusted (run 'kiro-tui trust')")
        return 0
    if not call.args.yes:
        if not sys.stdin.isatty():
            print("kiro-tui: not trusted: confirm on a terminal, or pass --yes", file=sys.stderr)
            return 1
        answer = input("Trust exactly these settings? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("kiro-tui: not trusted", file=sys.stderr)
            return 1
    fp = trust.confirm(root, got.fingerprint, by=call.ws.actor())
    print(f"trusted (fingerprint {fp[:16]}); any change to these settings needs trust again")
    return 0


def _untrust(call: Call) -> int:
    from kiro_tui.core.runs import trust

    if trust.untrust(call.root):
        print(f"{call.root}: trust forgotten; its executor commands will not run")
    else:
        print(f"{call.root}: was not trusted")
    return 0


def _runs(call: Call) -> int:
    from kiro_tui.core.ids import check_id
    from kiro_tui.core.runs import listing, records

    args, root = call.args, call.root
    target = list(args.target)
    if target[:1] == ["show"]:
        if len(target) != 2:
            print("kiro-tui: usage: kiro-tui runs show RUN_ID [--follow]", file=sys.stderr)
            return 2
        rid = check_id(target[1], "run id")
        rec = records.read(root, rid)
        if rec is None:
            print(f"kiro-tui: no run {rid} in {records.runs_dir(root)}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(listing.as_json(rec), ensure_ascii=False))
            return 0
        print("\n".join(listing.header(rec)))
        reader = listing.StreamReader(root, rec)
        while True:
            for line in reader.new_lines():
                print(line, flush=True)
            if not args.follow or not rec.live:
                return 0
            time.sleep(0.2)  # following a live file from a shell: a short poll is enough
            rec = records.read(root, rid) or rec
    if len(target) > 1:
        print("kiro-tui: usage: kiro-tui runs [MILESTONE] [--json]", file=sys.stderr)
        return 2
    mid = check_id(target[0], "milestone id") if target else None
    recs = records.list_runs(root, mid)
    if args.json:
        print(json.dumps([listing.as_json(r) for r in recs], ensure_ascii=False))
    else:
        print("\n".join(listing.table(recs)))
    return 0
