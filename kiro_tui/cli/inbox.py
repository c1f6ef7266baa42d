"""`kiro-tui inbox` and `kiro-tui wait`: the attention inbox for scripts and other terminals."""

from __future__ import annotations

import json
import sys
from typing import Any

from kiro_tui.cli.call import Call


def register(sub: Any) -> None:
    p = sub.add_parser("inbox", help="everything that waits on a person, oldest critical first")
    p.add_argument("milestone", nargs="?", help="only this milestone's items")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_inbox)
    p = sub.add_parser("wait", help="block until something needs a person (exit 1 on timeout)")
    p.add_argument("milestone", nargs="?", help="only this milestone's items")
    p.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")
    p.add_argument("--any", action="store_true", help="return at once if something waits now")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_wait)


def _inbox(call: Call) -> int:
    from kiro_tui.core.inbox import inbox_json, inbox_text
    from kiro_tui.core.wait import current_inbox

    items = current_inbox(call.ws, call.args.milestone)
    now = call.clock.now()
    if call.args.json:
        json.dump(inbox_json(items, now), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(inbox_text(items, now))
    return 0


def _wait(call: Call) -> int:
    from kiro_tui.core.wait import wait_for_item, wait_text

    args = call.args
    if args.timeout is not None and args.timeout < 0:
        print("kiro-tui: --timeout must be 0 or more seconds", file=sys.stderr)
        return 2
    try:
        res = wait_for_item(call.root, args.milestone, timeout=args.timeout, any_item=args.any)
    except KeyboardInterrupt:  # Ctrl-C: stop quietly
        return 130
    if args.json:
        out: dict[str, Any] = {
            "schema": 1,
            "reason": res.reason,
            "waited_seconds": round(res.waited, 3),
            "item": None if res.item is None else res.item.as_json(call.clock.now()),
        }
        json.dump(out, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(
            wait_text(res, call.clock.now()),
            file=sys.stdout if res.item is not None else sys.stderr,
        )
    return 0 if res.item is not None else 1
