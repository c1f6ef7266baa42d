"""Reading the values of one file's `executor:` mapping: numbers, string lists, verify
commands. Bad values never raise: each gives a located one-line problem (the caller keeps the
default)."""

from __future__ import annotations

from typing import Any

from kiro_tui.core.errors import Problem
from kiro_tui.core.runs.settings import VerifyCommand


class SettingsReader:
    """Collects located problems while reading one file's `executor:` mapping."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def bad(self, key: str, message: str) -> None:
        self.problems.append(
            Problem(self.source, f"executor.{key}: {message}", kind="invalid_config")
        )

    def mapping(self, raw: Any, key: str) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.bad(key, f"must be a mapping, got {type(raw).__name__}")
            return {}
        return raw

    def number(
        self,
        raw: dict[str, Any],
        key: str,
        where: str,
        *,
        integer: bool = False,
        allow_zero: bool = False,
    ) -> float | None:
        if key not in raw or raw[key] is None:
            return None
        v = raw[key]
        ok = (
            not isinstance(v, bool)
            and isinstance(v, int | float)
            and (v > 0 or (allow_zero and v == 0))
        )
        if ok and integer and float(v) != int(v):
            ok = False
        if not ok:
            kind = "an integer" if integer else "a number"
            self.bad(
                f"{where}.{key}" if where else key,
                f"must be {kind} {'>= 0' if allow_zero else '> 0'}, got {v!r}",
            )
            return None
        return float(v)

    def strings(self, raw: Any, key: str) -> tuple[str, ...] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            self.bad(key, "must be a list, not a string (argv lists only, never shell strings)")
            return None
        if not isinstance(raw, list) or not all(
            isinstance(x, str | int | float) and not isinstance(x, bool) for x in raw
        ):
            self.bad(key, "must be a list of strings")
            return None
        return tuple(str(x) for x in raw)

    def verify(self, raw: Any, key: str) -> tuple[VerifyCommand, ...] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            self.bad(key, "must be a list of argv lists, not a string (never shell strings)")
            return None
        if not isinstance(raw, list):
            self.bad(key, "must be a list of commands (each an argv list or {argv, timeout})")
            return None
        out: list[VerifyCommand] = []
        for i, item in enumerate(raw):
            where = f"{key}[{i}]"
            timeout = 600.0
            if isinstance(item, dict):
                t = self.number(item, "timeout", where)
                timeout = t if t is not None else timeout
                item = item.get("argv")
            argv = self.strings(item, where)
            if argv is None:
                if item is None:
                    self.bad(where, "has no argv")
                continue
            if not argv:
                self.bad(where, "is an empty command")
                continue
            out.append(VerifyCommand(argv, timeout))
        return tuple(out)
