"""Typed errors the user can cause. Each renders as one line naming the file and the problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class KiroError(Exception):
    """Base class: an error with a one-line message meant for the user."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        from kiro_tui.core.text import plain  # repository text never reaches a terminal raw

        return plain(f"{where}{self.message}", one_line=True)


class WorkspaceNotFound(KiroError):
    """No `.milestones/` folder in the given folder or any parent."""


class Refused(KiroError):
    """An action the state machine does not allow now. Nothing was changed on disk."""


class NotFound(KiroError):
    """A milestone, task or phase that does not exist."""


class InvalidId(KiroError):
    """An id or path component that fails FORMAT.md section 2."""


class InvalidFile(KiroError):
    """A file that could not be parsed or has the wrong shape."""


class LockTimeout(KiroError):
    """Another writer held the lock for too long."""


@dataclass(frozen=True)
class Problem:
    """A located problem found while loading the workspace."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    kind: str = "invalid_file"

    def __str__(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return f"{loc}: {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "kind": self.kind,
            "message": self.message,
        }
