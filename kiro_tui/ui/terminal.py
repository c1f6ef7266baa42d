"""Writing an escape sequence (a desktop notification: OSC 9 / OSC 777) to the app's terminal.

Textual 8 has no public call for raw output: `App.bell` and `App.copy_to_clipboard` write
their sequences through the app's driver themselves. This module is the one place that does
the same for other sequences, so the driver's output stays in order with the frames it writes
(writing to the terminal's file directly would interleave with them).
"""

from __future__ import annotations

from typing import Any

from textual.app import App


def write_sequence(app: App[Any], seq: str) -> bool:
    """Write `seq` through `app`'s driver; False when there is none (not running)."""
    driver = getattr(app, "_driver", None)  # no public accessor in Textual 8 (see above)
    if driver is None or not seq:
        return False
    driver.write(seq)
    driver.flush()
    return True
