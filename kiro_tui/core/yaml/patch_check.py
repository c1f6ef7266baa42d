"""Checking a patched text (patch_edit) before it is written: it must load as exactly the
edited data. When every patch lies inside one block mapping or list item (one task, one phase:
the usual case), only that region is parsed again, standalone, and must give the edited value,
and the whole text must make as many more parse events (counted in C) as the region does;
otherwise the whole text is parsed again and compared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiro_tui.core.yaml import fast


def copy(data: Any) -> Any:
    t = type(data)
    if t is dict:
        return {k: copy(v) for k, v in data.items()}
    if t is list:
        return [copy(v) for v in data]
    return data


def _kind(v: Any) -> type:
    for t in (bool, int, float, str, dict, list):
        if isinstance(v, t):
            return t
    return type(v)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same kinds all the way down (1, 1.0 and True differ here; a ruamel
    CommentedSeq is a list, a quoted ScalarString a str)."""
    ka = _kind(a)
    if ka is not _kind(b):
        return False
    if ka is dict:
        return bool(a.keys() == b.keys()) and all(same(v, b[k]) for k, v in a.items())
    if ka is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


Patches = list[tuple[int, int, str]]


def checked(
    old: str,
    new_text: str,
    data: Any,
    new: Any,
    where: Any,
    patches: Patches,
    scalars: dict[int, tuple[Any, bool]],
    marked: Callable[[str], tuple[Any, Any]],
) -> Any:
    """What `new_text` loads as (plain data), or None when it is not the edited data `new`.
    `data` (the old text's data, `where` its places) may be reused for the answer.

    A scalar written over a scalar is checked alone (its text must load as its value); the
    other patches must lie in one block collection, parsed again alone; and the whole text
    must make exactly as many more parse events as that collection does."""
    structural = [p for p in patches if p[0] not in scalars or "\n" in p[2]]
    fits = all(_scalar_ok(p[2], *scalars[p[0]]) for p in patches if p not in structural)
    if fits and not structural and fast.event_count(old) == fast.event_count(new_text) is not None:
        return _merge(data, new)
    region = _region(old, where, structural) if fits and structural else None
    if region is not None and _region_ok(old, new_text, new, patches, *region):
        return _merge(data, new)
    try:
        back, _w = marked(new_text)
    except Exception:
        return None
    return back if same(back, new) else None


def _scalar_ok(piece: str, value: Any, flow: bool) -> bool:
    text = piece.strip(" ")
    if not text:
        return value is None
    if "\n" in text:
        return False
    ok, got = fast.try_load(f"[{text}]" if flow else f"k: {text}\n", fresh=True)
    if not ok:
        return False
    got = got[0] if flow and isinstance(got, list) and len(got) == 1 else got
    return same(got if flow else (got or {}).get("k", _MISSING), value)


_MISSING = object()


def _merge(old: Any, new: Any) -> Any:
    """`old` (in place where it can) made into what `new` holds, in plain types: what the
    patched text loads as, once every patch was checked."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in [k for k in old if k not in new]:
            del old[k]
        for k, v in new.items():
            old[k] = _merge(old[k], v) if k in old else copy_plain(v)
        return old
    if isinstance(old, list) and isinstance(new, list) and len(old) <= len(new):
        for i, v in enumerate(new):
            if i < len(old):
                old[i] = _merge(old[i], v)
            else:
                old.append(copy_plain(v))
        return old
    return copy_plain(new)


def copy_plain(v: Any) -> Any:
    """A plain copy: dicts, lists, str, int, float, bool (ruamel's subclasses lose their
    styles here, as a load of the written text would)."""
    if isinstance(v, dict):
        return {k: copy_plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [copy_plain(x) for x in v]
    for t in (bool, int, float, str):
        if isinstance(v, t):
            return t(v)
    return v


def _region(text: str, where: Any, patches: Patches) -> tuple[int, int, list[Any], bool] | None:
    """(start, end, path, whether it is a list item) of the smallest block collection whose
    whole lines hold every patch; None when that is the document itself."""
    lo = min(p[0] for p in patches)
    hi = max(p[1] for p in patches)
    found = None
    path: list[Any] = []
    while True:
        for slot, (s, e, _style, child) in where.spans.items():
            if child is None or child.flow:
                continue
            start = text.rfind("\n", 0, s) + 1
            end = text.rfind("\n", 0, e) + 1 if e < len(text) else len(text)
            if start <= lo and hi <= end:
                path = [*path, slot]
                found = (start, end, path, isinstance(slot, int))
                where = child
                break
        else:
            return found


def _region_ok(
    old: str,
    new_text: str,
    new: Any,
    patches: Patches,
    start: int,
    end: int,
    path: list[Any],
    item: bool,
) -> bool:
    shift = sum(len(piece) - (e - s) for s, e, piece in patches if e <= start)
    grown = sum(len(piece) - (e - s) for s, e, piece in patches if start <= s and e <= end)
    before, after = old[start:end], new_text[start + shift : end + shift + grown]
    ok, value = fast.try_load(after, fresh=True)
    if not ok:
        return False
    if item:  # the item's text starts with its dash: a list of one
        if not isinstance(value, list) or len(value) != 1:
            return False
        value = value[0]
    target = new
    for slot in path:
        target = target[slot]
    if not same(value, target):
        return False
    counts = [fast.event_count(x) for x in (old, new_text, before, after)]
    return None not in counts and counts[1] - counts[0] == counts[3] - counts[2]  # type: ignore[operator]
