"""What the hostile and reliability tests share: running the real CLI, hashing a folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HANG = 15.0  # seconds: a command that takes longer than this is a hang


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(root: Path, *args: str, timeout: float = HANG, env: dict[str, str] | None = None) -> Run:
    """`python -m kiro_tui -C ROOT ARGS` in a real process; a hang fails the test, and so does
    a traceback on its output."""
    full = {**os.environ, **(env or {})}
    full.pop("KIRO_TUI_DEBUG", None)
    p = subprocess.run(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), *args],
        capture_output=True,
        timeout=timeout,
        env=full,
        stdin=subprocess.DEVNULL,
    )
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out + err, out + err
    assert "internal error" not in out + err, out + err
    return Run(p.returncode, out, err)


def folder_hash(folder: Path) -> str:
    """A hash of every name, kind and content under `folder` (links are not followed)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(folder)):
        dirnames.sort()
        for n in sorted(filenames + dirnames):
            p = Path(dirpath) / n
            h.update(str(p.relative_to(folder)).encode())
            if p.is_symlink():
                h.update(b"L" + os.readlink(p).encode())
            elif p.is_file():
                h.update(b"F" + p.read_bytes())
    return h.hexdigest()


def outside_folder(base: Path) -> Path:
    """A folder outside the repository holding what an attacker points links at."""
    out = base / "outside"
    (out / "logs").mkdir(parents=True)
    (out / "victim.txt").write_text("do not touch\n")
    (out / "victim.jsonl").write_text('{"event": "outside"}\n')
    (out / "secret.yaml").write_text(
        'id: secret\ntitle: "TOP-SECRET-TITLE"\nstatus: planned\ntasks: []\n'
    )
    (out / "config.yaml").write_text("phase_weights: {design: 1, spec: 1, task: 1, execute: 97}\n")
    return out
