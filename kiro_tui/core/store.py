"""Finding the workspace and loading milestones (cached by mtime and size); safe writes live in
safewrite.py and are re-exported here."""

from __future__ import annotations

import gc
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiro_tui.core.config import Config, user_cache_dir
from kiro_tui.core.errors import InvalidFile, Problem
from kiro_tui.core.model import Milestone
from kiro_tui.core.parse import build_milestone
from kiro_tui.core.root import MS

# not milestones: files the original /milestone/* commands write beside them (archive-index by
# /milestone/archive; the report files belong beside completed/<id>/definition.yaml)
SKIP_NAMES = {
    "current.txt",
    "dependencies.yaml",
    "dependencies.yml",
    "archive-index.yaml",
    "archive-index.yml",
    "completion-report.yaml",
    "performance-analysis.yaml",
    "lessons-learned.yaml",
    "stakeholder-feedback.yaml",
}
CACHE_VERSION = 4  # 4: each entry's milestone pickled on its own


def skipped_name(name: str) -> bool:
    return (
        name.startswith(".")
        or name in SKIP_NAMES
        or name.endswith(".tmp")
        or ".tmp." in name
        or ".bak." in name
        or ".backup." in name
    )


def milestone_files(root: Path) -> Iterator[tuple[Path, str, str, bool]]:
    """(path, location, stem, archive) for every milestone file, active first."""
    for path, _rel, location, stem, archive in _entries(root):
        yield Path(path), location, stem, archive


def _entries(root: Path) -> Iterator[tuple[str, str, str, str, bool]]:
    """(path, rel, location, stem, archive) as strings: `rel` is the path under .milestones/
    (no Path objects: a scan of 2,000 files runs on every change a watcher sees)."""
    ms = os.path.join(root, MS)
    for location in ("active", "completed"):
        folder = os.path.join(ms, location)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            name = e.name
            if skipped_name(name):
                continue
            if name.endswith((".yaml", ".yml")):
                # whatever it is (a folder, a FIFO, a link out): the loader says what is wrong
                yield e.path, f"{location}/{name}", location, name.rsplit(".", 1)[0], False
            elif location == "completed" and e.is_dir(follow_symlinks=False):
                d = os.path.join(e.path, "definition.yaml")
                if os.path.isfile(d):
                    yield d, f"{location}/{name}/definition.yaml", location, name, True


@dataclass(frozen=True)
class WorkspaceState:
    """An immutable snapshot of everything loaded from one workspace."""

    root: Path
    milestones: tuple[Milestone, ...]
    problems: tuple[Problem, ...]
    config: Config
    loaded_at: float = 0.0
    by_id: dict[str, Milestone] = field(default_factory=dict, compare=False)

    def milestone(self, mid: str) -> Milestone | None:
        return self.by_id.get(mid)


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    """What identifies one version of a file: (mtime_ns, size, inode, ctime_ns). The inode
    catches atomic replacements and ctime catches an mtime put back (`touch -d`, `cp -p`)."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


class _FileCache:
    """Built milestones, packed (model.pack_milestone), by path, `stat_key` and the settings
    they were built with; kept in memory and in the user cache folder. Each entry's milestone
    is kept pickled (bytes): unpickled, the entries of 2,000 milestones x 20 tasks took 138 MB
    beside the milestones built from them, as bytes 28 MB, and the file is written without
    walking them again."""

    def __init__(self, root: Path, cache_dir: Path | None, persist: bool) -> None:
        self._entries: dict[str, tuple[Any, ...]] | None = None
        self.persist = persist
        key = hashlib.sha256(str(root).encode()).hexdigest()[:16]
        self.file = (cache_dir or user_cache_dir()) / f"parsed-{key}.pickle"
        self.dirty = False
        self.changed: set[str] = set()  # entries changed (or pruned) since the last save
        self._saved_at: float | None = None
        self.saves = 0  # for tests: how many times the file was written
        self._from_disk = False  # the entries were read from the file (a warm start)

    def beside(self, kind: str) -> Path | None:
        """The file of another cache of this workspace (`kind`-<key>.pickle, beside this
        one), or None when nothing of it is kept on disk."""
        if not self.persist:
            return None
        return self.file.with_name(self.file.name.replace("parsed-", f"{kind}-", 1))

    @property
    def entries(self) -> dict[str, tuple[Any, ...]]:
        """Read from disk on first use: an action that never loads the workspace (approve)
        does not pay for it."""
        if self._entries is None:
            self._entries = {}
            if self.persist:
                import pickle  # here: an action that loads one milestone never needs it

                try:
                    with open(self.file, "rb") as fh:
                        version, entries = pickle.load(fh)
                    if version == _cache_version() and isinstance(entries, dict):
                        self._entries = entries
                        self._from_disk = True
                except Exception:
                    pass
        return self._entries

    def prune(self, seen: set[str]) -> None:
        """Forget files that no longer exist (a workspace's cache never grows past it)."""
        gone = [k for k in self.entries if k not in seen]
        for k in gone:
            del self.entries[k]
            self.mark(k)

    def mark(self, rel: str) -> None:
        self.dirty = True
        self.changed.add(rel)

    SAVE_EVERY = 30.0  # seconds between two saves of a long-running process
    STALE_SHARE = 50  # ... and only when 1/50 of the entries changed (at least one)

    def save(self, force: bool = False) -> None:
        """Write the cache file when something changed. After a cold start the first save
        happens at once (the next run starts warm); later ones (and every one after a warm
        start) at most every SAVE_EVERY seconds and only when enough entries changed: a driver
        or a dashboard changing one milestone of 500 does not rewrite the whole file (the few
        stale entries cost the next start a few parses, far less than writing 8 MB)."""
        if not (self.persist and self.dirty):
            return
        now = time.monotonic()
        if not force and (self._saved_at is not None or self._from_disk):
            enough = max(1, len(self.entries) // self.STALE_SHARE)
            recent = self._saved_at is not None and now - self._saved_at < self.SAVE_EVERY
            if recent or len(self.changed) < enough:
                return
        self._saved_at = now
        import pickle

        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump((_cache_version(), self.entries), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
            self.dirty = False
            self.changed.clear()
            self.saves += 1
        except OSError:
            pass


def _cache_version() -> str:
    from kiro_tui.core.model import MODEL_SHAPE

    return f"{CACHE_VERSION}:{hashlib.sha1(MODEL_SHAPE.encode()).hexdigest()[:12]}"


def _settings_key(config: Config) -> str:
    """What of the settings a built milestone depends on (weights, gates, enforcement)."""
    return repr((sorted(config.weights.items()), sorted(config.gates.items()), config.enforcement))


class Loader:
    """Loads a workspace, re-parsing only files whose (mtime, size) changed since last time.

    Shared by the coordinator thread and the UI's workers: `load` and `load_one` hold one
    lock, so the built entries and the cache are never changed by two threads at once."""

    def __init__(
        self,
        root: Path,
        config: Config,
        *,
        cache_dir: Path | None = None,
        persist_cache: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self.root = root
        self.config = config
        self.cache = _FileCache(root, cache_dir, persist_cache)
        self._settings = _settings_key(config)
        self._built: dict[
            str, tuple[tuple[int, int, int, int], Milestone | None, tuple[Problem, ...]]
        ] = {}
        self._last: WorkspaceState | None = None

    def _read(self, path: Path, rel: str) -> tuple[Any, str | None, str]:
        """(data, error, text) of one file; error is `line\tcolumn\tmessage` when located.

        Only a regular file inside the repository, at most `max_file_bytes`, is read
        (safeio): a link out, a FIFO, a folder named x.yaml or a huge file is a problem."""
        from kiro_tui.core import safeio
        from kiro_tui.core.yaml.roundtrip import load_fast

        try:
            text = safeio.read_text(path, self.root, max_bytes=self.config.max_file_bytes)
        except UnicodeDecodeError:
            return None, "not valid UTF-8 text", ""
        except InvalidFile as exc:
            return None, exc.message, ""
        except OSError as exc:
            return None, f"cannot read: {exc.strerror}", ""
        if "\x00" in text:
            return None, "holds NUL bytes: not a YAML text file", ""
        try:
            return load_fast(text, rel), None, text
        except InvalidFile as exc:
            return None, f"{exc.line or ''}\t{exc.column or ''}\t{exc.message}", text

    def _build(
        self, path: Path, rel: str, location: str, stem: str, archive: bool
    ) -> tuple[Milestone | None, tuple[Problem, ...]]:
        data, err, text = self._read(path, rel)
        if err is not None:
            parts = err.split("\t")
            if len(parts) == 3:
                line = int(parts[0]) if parts[0] else None
                col = int(parts[1]) if parts[1] else None
                return None, (Problem(rel, parts[2], line, col),)
            return None, (Problem(rel, err),)
        m, plist = build_milestone(
            data, rel_path=rel, location=location, stem=stem, config=self.config, archive=archive
        )
        if any(p.line is None for p in plist):  # build again with the text to find lines
            m, plist = build_milestone(
                data,
                rel_path=rel,
                location=location,
                stem=stem,
                config=self.config,
                archive=archive,
                text=text,
            )
        return m, tuple(plist)

    def load_one(
        self, path: Path, location: str, stem: str, archive: bool, *, persisted: bool = True
    ) -> tuple[Milestone | None, tuple[Problem, ...]]:
        """One milestone file. `persisted=False` skips the cache file in the user's folder
        (reading it costs more than parsing one file)."""
        with self._lock:
            return self._load_one(path, location, stem, archive, persisted)

    def _load_one(
        self,
        path: Path | str,
        location: str,
        stem: str,
        archive: bool,
        persisted: bool,
        rel: str | None = None,
    ) -> tuple[Milestone | None, tuple[Problem, ...]]:
        from kiro_tui.core.model import (
            pack_milestone,
            pack_problems,
            unpack_milestone,
            unpack_problems,
        )

        if rel is None:
            rel = Path(path).relative_to(self.root / MS).as_posix()
        try:
            st = os.stat(path)  # of a link's target: its changes count
        except OSError:
            try:
                st = os.lstat(path)  # a dangling link or a loop: still reported
            except OSError:
                return None, ()
        key = stat_key(st)
        built = self._built.get(rel)
        if built and built[0] == key:
            return built[1], built[2]
        want = (self._settings, location, stem, archive)
        hit = self.cache.entries.get(rel) if persisted or self.cache._entries is not None else None
        m: Milestone | None = None
        probs: tuple[Problem, ...] | None = None
        if isinstance(hit, tuple) and len(hit) == 3 and hit[0] == key and hit[1] == want:
            import pickle

            try:
                packed, packed_probs = pickle.loads(hit[2])
                m = unpack_milestone(packed) if packed is not None else None
                probs = unpack_problems(packed_probs)
            except Exception:  # a cache written by something else: build again
                m, probs = None, None
        if probs is None:
            m, probs = self._build(Path(path), rel, location, stem, archive)
            if persisted or self.cache._entries is not None:
                import pickle

                blob = pickle.dumps(
                    (pack_milestone(m) if m else None, pack_problems(probs)),
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
                self.cache.entries[rel] = (key, want, blob)
                self.cache.mark(rel)
        self._built[rel] = (key, m, probs)
        return m, probs

    def load(self) -> WorkspaceState:
        with self._lock:
            return self._load()

    def _load(self) -> WorkspaceState:
        milestones: list[Milestone] = []
        problems: list[Problem] = []
        seen: dict[str, str] = {}
        rels: set[str] = set()
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for path, rel, location, stem, archive in _entries(self.root):
                rels.add(rel)
                m, probs = self._load_one(path, location, stem, archive, True, rel)
                problems.extend(probs)
                if m is None:
                    continue
                if m.id in seen:
                    problems.append(
                        Problem(
                            m.path,
                            f"milestone {m.id!r} is also defined in "
                            f"{seen[m.id]}; this copy is ignored",
                        )
                    )
                    continue
                seen[m.id] = m.path
                milestones.append(m)
        finally:
            if gc_was:
                gc.enable()
        self.cache.prune(rels)
        for rel in [k for k in self._built if k not in rels]:
            del self._built[rel]
        self.cache.save()
        last = self._last
        if (
            last is not None
            and len(last.milestones) == len(milestones)
            and all(a is b for a, b in zip(last.milestones, milestones, strict=True))
            and last.problems == tuple(problems)
        ):
            # nothing changed: the same tuples, so that what is derived from them (findings,
            # blockers) can be kept by identity
            state = replace(last, loaded_at=time.time())
        else:
            state = WorkspaceState(
                root=self.root,
                milestones=tuple(milestones),
                problems=tuple(problems),
                config=self.config,
                loaded_at=time.time(),
                by_id={m.id: m for m in milestones},
            )
        self._last = state
        return state
