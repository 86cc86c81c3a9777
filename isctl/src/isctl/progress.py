"""A small progress bar on stderr for long imports.

Hand-written rather than a dependency: one line redrawn with a carriage return on a
terminal, and a single summary line when stderr is a file or a pipe (CI logs stay clean).
"""
from __future__ import annotations

import sys
from typing import IO


class Progress:
    def __init__(self, total: int, label: str, stream: IO[str] | None = None,
                 live: bool | None = None, width: int = 30):
        self.total, self.label, self.width, self.done = total, label, width, 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._drawn = 0
        if self.live:
            self._draw("")

    def line(self, note: str = "") -> str:
        filled = self.width * self.done // self.total if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self.label} [{bar}] {self.done}/{self.total}" + (f" {note}" if note else "")

    def _draw(self, note: str) -> None:
        text = self.line(note)
        self.stream.write("\r" + text + " " * max(self._drawn - len(text), 0))
        self.stream.flush()
        self._drawn = len(text)

    def advance(self, note: str = "") -> None:
        self.done += 1
        if self.live:
            self._draw(note)

    def close(self) -> None:
        if self.live:
            self._draw("")
            self.stream.write("\n")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
