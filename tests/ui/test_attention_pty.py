"""The dashboard in a real terminal (a pty): the OSC 9 / OSC 777 desktop notification reaches
the terminal through the real driver, and `o` hands the terminal to `$EDITOR` with
`App.suspend` (the alternate screen is left before the editor writes, entered again after)
and the edit shows on return (the milestone's new title; a deliverable's new content in the
approval modal, where Tab and `o` typed at once still reach the file list). Headless Pilot tests cannot show either: their driver neither
writes nor suspends."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

ROWS, COLS = 40, 120
DEADLINE = 60.0
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]")  # CSI: cursor moves, styles, modes
MILESTONE = ".milestones/active/milestone-001.yaml"
SPEC = ".milestones/deliverables/task-001/spec/technical_specification.md"

EDITOR = """\
import sys
from pathlib import Path

print("EDITOR-HAS-THE-TERMINAL", flush=True)
path = Path(sys.argv[-1])
text = path.read_text(encoding="utf-8")
if path.suffix == ".md":
    text += "\\nSUSPENDED-EDIT\\n"
path.write_text(text.replace("User authentication", "User sign-in"), encoding="utf-8")
"""


class Term:
    """A process in a pty, its output collected as it arrives."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.buf = b""
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not data:
                return
            with self.cond:
                self.buf += data
                self.cond.notify_all()

    def wait_for(self, needle: bytes, since: int = 0) -> int:
        """The offset just after `needle`'s first appearance after `since`."""
        end = time.monotonic() + DEADLINE
        with self.cond:
            while (at := self.buf.find(needle, since)) < 0:
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{needle!r} not seen in the terminal")
                self.cond.wait(left)
            return at + len(needle)

    def wait_text(self, needle: bytes, since: int = 0) -> int:
        """`needle` as drawn on the screen after `since`: with the escape sequences taken out.
        A partial update writes a line in chops (the cuts of every widget edge on that line,
        the modal's edge among them) with a cursor move before each, and a style change can
        fall inside a word: the drawn text is then not one run of bytes. Returns the buffer's
        length when it is seen (what comes next is asked for after a key sent then)."""
        end = time.monotonic() + DEADLINE
        with self.cond:
            while needle not in ESCAPES.sub(b"", self.buf[since:]):
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{needle!r} not drawn in the terminal")
                self.cond.wait(left)
            return len(self.buf)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


@pytest.mark.skipif(sys.platform != "linux", reason="a pty")
def test_osc_notification_and_the_editor_in_a_real_terminal(seed: Path, tmp_path: Path) -> None:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    env = dict(os.environ, TERM="xterm-256color", EDITOR=f"{sys.executable} {script}")
    env.pop("VISUAL", None)
    env.pop("TMUX", None)
    term = Term([sys.executable, "-m", "kiro_tui", "-C", str(seed)], env)
    try:
        # the spec gate, never announced before, is announced through the driver
        at = term.wait_for(b"\x1b]9;milestone-001 > task-001 > spec")
        term.wait_for(b"\x1b]777;notify;kiro-tui: needs you;", at - 200)
        term.wait_text(b"1 needs you")
        mark = term.wait_text(b"User authentication")  # milestone-001, selected at start
        term.send(b"o")  # its file, in the editor
        left = term.wait_for(b"\x1b[?1049l", mark)  # App.suspend leaves the alternate screen
        ran = term.wait_for(b"EDITOR-HAS-THE-TERMINAL", left)
        back = term.wait_for(b"\x1b[?1049h", ran)  # and enters it again after the editor
        term.wait_text(b"User sign-in", back)  # the edit, on screen (the tree and the detail)
        assert 'title: "User sign-in"' in (seed / MILESTONE).read_text(encoding="utf-8")
        # the approval modal: Tab then o typed at once still open the highlighted file
        term.send(b"n")
        mark = term.wait_text(b"task-001 \xe2\x80\xba spec", back)  # the detail names the phase
        term.send(b"a")
        # the modal (its title), then its content drawn after it: the detail pane under it
        # shows the same file, so the content alone does not say the modal has it
        mark = term.wait_text(b"(Login API) \xe2\x80\xba spec", mark)  # the modal's title
        mark = term.wait_text(b"POST /login returns a token.", mark)  # the modal's viewer
        term.send(b"\to")
        left = term.wait_for(b"\x1b[?1049l", mark)
        back = term.wait_for(b"\x1b[?1049h", term.wait_for(b"EDITOR-HAS-THE-TERMINAL", left))
        term.wait_text(b"SUSPENDED-EDIT", back)  # the modal shows the new content
        assert (seed / SPEC).read_text(encoding="utf-8").endswith("SUSPENDED-EDIT\n")
        mark = len(term.buf)
        term.send(b"\x1b")  # closes the modal
        # the tree, no longer under the modal: the selected phase's row, drawn again (other
        # tasks' rows may be scrolled out of the tree's few rows at this size)
        term.wait_text(b"spec  waiting approval (gate)", mark)
        term.send(b"q")
        assert term.proc.wait(DEADLINE) == 0
    finally:
        term.close()
