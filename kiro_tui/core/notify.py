"""Being told: which inbox items to announce, and on which channels.

Channels: the terminal bell, a desktop notification through the terminal (OSC 9 and OSC 777,
wrapped for tmux when `$TMUX` is set), a toast in the dashboard, and `notify.command` from the
USER config only (an argv that gets the item as JSON on stdin). `Notifier` remembers, per
repository in the user state folder, what it announced and when: an item is announced once,
also across restarts and across kiro-tui processes on the same repository, and again only when
it is still open after `renotify_after` seconds.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiro_tui.core import clock
from kiro_tui.core.config import user_config_dir
from kiro_tui.core.inbox import InboxItem, clean
from kiro_tui.core.notify_command import COMMAND_TIMEOUT, CommandRun, CommandRunner
from kiro_tui.core.userstate import locked, read_json, repo_state_dir, write_json

log = logging.getLogger("kiro_tui.notify")

BEL = "\a"
RENOTIFY_AFTER = 1800.0
MAX_PER_UPDATE = 3  # more new items than this at once: one summary instead
BURST_WINDOW = 8.0  # seconds (a toast's life): at most MAX_PER_UPDATE toasts and one summary
STATE_FILE = "notified.json"
SEEN_EVERY = 60.0  # seconds between two refreshes of an open item's "last seen"


@dataclass(frozen=True)
class NotifySettings:
    """`notify:` of the user config. `problems`: one line per bad value (the default is used)."""

    bell: bool = True
    toast: bool = True
    osc: bool = True
    command: tuple[str, ...] = ()
    renotify_after: float = RENOTIFY_AFTER
    command_timeout: float = COMMAND_TIMEOUT
    problems: tuple[str, ...] = ()


def parse_notify(raw: Any, source: str = "config.yaml") -> NotifySettings:
    """Settings from the `notify:` mapping (None or missing: the defaults)."""
    if raw is None:
        return NotifySettings()
    if not isinstance(raw, Mapping):
        return NotifySettings(
            problems=(
                f"{source}: notify must be a mapping, not {type(raw).__name__}; using the defaults",
            )
        )
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key in ("bell", "toast", "osc"):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool):
                values[key] = v
            else:
                problems.append(f"{source}: notify.{key} must be true or false, not {v!r}")
    if "command" in raw and raw["command"] not in (None, False, []):
        cmd = raw["command"]
        if isinstance(cmd, list) and cmd and all(isinstance(a, str) and a for a in cmd):
            values["command"] = tuple(cmd)
        else:
            problems.append(
                f"{source}: notify.command must be a list of strings (an argv, "
                f"no shell), not {cmd!r}"
            )
    for key, name in (("renotify_after", "renotify_after"), ("command_timeout", "timeout")):
        if name in raw:
            v = raw[name]
            if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
                values[key] = float(v)
            else:
                problems.append(
                    f"{source}: notify.{name} must be a positive number of seconds, not {v!r}"
                )
    return NotifySettings(**values, problems=tuple(problems))


def user_config_file(user_dir: Path | None = None) -> Path:
    """The user config file, as `config.load_config` finds it."""
    return (user_dir or user_config_dir()) / "config.yaml"


def load_notify_settings(user_dir: Path | None = None) -> NotifySettings:
    """`notify:` from the user config file (never the repository's)."""
    from kiro_tui.core.errors import InvalidFile
    from kiro_tui.core.yaml.roundtrip import load_fast

    path = user_config_file(user_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NotifySettings()
    except (OSError, UnicodeDecodeError) as exc:
        return NotifySettings(problems=(f"{path}: cannot read it ({exc}); using the defaults",))
    try:
        data = load_fast(text, path)
    except InvalidFile as exc:
        return NotifySettings(problems=(f"{exc}; using the notify defaults",))
    raw = data.get("notify") if isinstance(data, dict) else None
    return parse_notify(raw, str(path))


# ------------------------------------------------------------------------- terminal sequences
def _field(text: str, limit: int = 200) -> str:
    """Text for an OSC field: no control characters, no `;` (the field separator of OSC 777)."""
    return clean(text, limit).replace(";", ",")


def tmux_wrap(seq: str) -> str:
    """Pass `seq` through tmux to the outer terminal (DCS tmux; with ESC doubled)."""
    return "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def osc_notification(title: str, body: str, *, tmux: bool = False) -> str:
    """OSC 9 (iTerm2, WezTerm, kitty, Windows Terminal...) then OSC 777 (rxvt, foot, VTE),
    each ended by BEL; wrapped for tmux when `tmux`."""
    b = _field(body)
    if b[:1].isdigit():
        b = "- " + b  # "OSC 9;4;..." is a progress report in some terminals
    seqs = [f"\x1b]9;{b}\a", f"\x1b]777;notify;{_field(title, 80)};{b}\a"]
    return "".join(tmux_wrap(s) if tmux else s for s in seqs)


def in_tmux(env: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if env is None else env).get("TMUX"))


# ------------------------------------------------------------------------- deciding
@dataclass(frozen=True)
class Notifications:
    """What to emit for one update, per channel (empty when nothing is new)."""

    items: tuple[InboxItem, ...] = ()
    renotified: tuple[str, ...] = ()  # ids among `items` announced before
    bell: bool = False
    toasts: tuple[str, ...] = ()
    osc: str = ""
    payloads: tuple[str, ...] = ()  # JSON documents, one per command run

    def __bool__(self) -> bool:
        return bool(self.items)


def toast_text(item: InboxItem) -> str:
    return f"{item.where}: {clean(item.what, 160)} ({'Enter' if item.key == 'enter' else item.key})"


def payload(item: InboxItem, root: Path, now: datetime, renotify: bool) -> str:
    return json.dumps(
        {
            "schema": 1,
            "event": "renotify" if renotify else "attention",
            "repository": str(root),
            "item": item.as_json(now),
        },
        ensure_ascii=False,
    )


@dataclass
class Notifier:
    """Decides which items to announce. `state_dir` overrides the user state folder."""

    root: Path
    settings: NotifySettings = field(default_factory=NotifySettings)
    state_dir: Path | None = None
    env: Mapping[str, str] | None = None
    # when this process last announced (toasts, summary): a burst of gates arriving over
    # several snapshots makes a few toasts and one summary, not a toast per gate
    _recent: list[float] = field(default_factory=list, init=False, repr=False)
    _summed_at: float = field(default=-1e18, init=False, repr=False)

    @property
    def state_file(self) -> Path:
        return repo_state_dir(self.root, self.state_dir) / STATE_FILE

    def _load(self) -> dict[str, tuple[float, float]]:
        """Item id -> (announced at, last seen open at), epoch seconds."""
        data = read_json(self.state_file) or {}
        raw = data.get("items")
        if not isinstance(raw, dict):
            return {}
        out: dict[str, tuple[float, float]] = {}
        for k, v in raw.items():
            if (
                isinstance(v, list)
                and len(v) == 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
            ):
                out[str(k)] = (float(v[0]), float(v[1]))
        return out

    def notified(self) -> dict[str, float]:
        """Item id -> epoch seconds of its last announcement (as stored)."""
        return {k: v[0] for k, v in self._load().items()}

    def update(self, items: Sequence[InboxItem], now: datetime | None = None) -> Notifications:
        """Record and return what is new in `items` (the whole current inbox): items never
        announced, and items still open `renotify_after` seconds after their announcement.

        An item is forgotten once it has been out of every inbox for `renotify_after` seconds
        (then, coming back, it is new again). Not at once: two processes whose inboxes differ a
        little (a driver and an observer) would otherwise announce each other's items again
        and again. "Last seen" is refreshed at most every SEEN_EVERY seconds, so an update
        that announces nothing rarely writes."""
        now = now or clock.SYSTEM.now()
        t = now.timestamp()
        fresh: list[InboxItem] = []
        again: list[str] = []
        if not items and not self.state_file.exists():
            return Notifications()
        try:
            with locked(self.state_file):
                before = self._load()
                keep = self.settings.renotify_after
                state = {k: v for k, v in before.items() if t - v[1] < keep}
                for i in items:
                    entry = state.get(i.id)
                    if entry is None or t - entry[0] >= keep:
                        fresh.append(i)
                        if entry is not None:
                            again.append(i.id)
                        state[i.id] = (t, t)
                    elif t - entry[1] >= SEEN_EVERY:
                        state[i.id] = (entry[0], t)
                if state != before:
                    write_json(
                        self.state_file,
                        {
                            "schema": 1,
                            "root": str(self.root),
                            "items": {k: list(v) for k, v in state.items()},
                        },
                    )
        except Exception as exc:  # an unwritable state folder never stops the dashboard
            log.warning("notify state %s: %s", self.state_file, exc)
        return self._emit(fresh, again, now)

    def _emit(self, fresh: list[InboxItem], again: list[str], now: datetime) -> Notifications:
        if not fresh:
            return Notifications()
        s = self.settings
        shown = fresh[:MAX_PER_UPDATE]
        t = now.timestamp()
        self._recent[:] = [x for x in self._recent if t - x < BURST_WINDOW]
        told = fresh[: max(0, MAX_PER_UPDATE - len(self._recent))]
        lines = [toast_text(i) for i in told]
        self._recent += [t] * len(told)
        if len(fresh) > len(told) and t - self._summed_at >= BURST_WINDOW:
            self._summed_at = t
            lines.append(f"... and {len(fresh) - len(told)} more need you (i: inbox)")
        payloads = (
            tuple(payload(i, self.root, now, i.id in again) for i in shown) if s.command else ()
        )
        if not lines:  # within a burst already announced: the header's count says it
            return Notifications(items=tuple(fresh), renotified=tuple(again), payloads=payloads)
        osc = ""
        if s.osc:
            tmux = in_tmux(self.env)
            if len(fresh) == 1:
                osc = osc_notification("kiro-tui: needs you", lines[0], tmux=tmux)
            else:
                osc = osc_notification(
                    f"kiro-tui: {len(fresh)} need you",
                    "; ".join(clean(i.what, 60) for i in shown),
                    tmux=tmux,
                )
        return Notifications(
            items=tuple(fresh),
            renotified=tuple(again),
            bell=s.bell,
            toasts=tuple(lines) if s.toast else (),
            osc=osc,
            payloads=payloads,
        )


def send(
    out: Notifications,
    settings: NotifySettings,
    runner: CommandRunner,
    write: Callable[[str], None] | None = None,
) -> list[CommandRun]:
    """Emit the terminal channels through `write` (the bell, then the OSC sequences) and start
    `notify.command` once per payload. The dashboard instead calls `App.bell()`, shows
    `out.toasts` and writes `out.osc` to its driver's output."""
    if write is not None:
        text = (BEL if out.bell else "") + out.osc
        if text:
            write(text)
    if not settings.command:
        return []
    return [runner.run(settings.command, p, settings.command_timeout) for p in out.payloads]
