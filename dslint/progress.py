"""Progress on long steps (loading, embedding, neighbour search): one self-rewriting line on stderr.

Shown only when stderr is a terminal, DSLINT_QUIET is unset (`-q` sets it) and the step has run for `delay`
seconds, so hooks, CI logs, pipes and quick runs never see it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Iterable, Iterator, TypeVar

T = TypeVar("T")


class Progress:
    """Count, rate and ETA (when the total is known) of one step; redrawn at most ten times a second."""

    def __init__(self, label: str, total: int | None = None, *, unit: str = "rows", delay: float = 0.5,
                 stream: IO[str] | None = None):
        self.label, self.total, self.unit, self.delay = label, total, unit, delay
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.start = time.monotonic()
        self._drawn_at = 0.0
        self._shown = False
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) and not os.environ.get("DSLINT_QUIET") and total != 0

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.done / max(now - self.start, 1e-9)
        if self.total:
            eta = (self.total - self.done) / rate if rate > 0 else 0.0
            text = (f"{self.label}: {self.done:,}/{self.total:,} {self.unit} "
                    f"({rate:,.0f} {self.unit}/s, ETA {eta:,.0f}s)")
        else:
            text = f"{self.label}: {self.done:,} {self.unit} ({rate:,.0f} {self.unit}/s)"
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(items: Iterable[T], label: str, total: int | None = None, *, unit: str = "rows") -> Iterator[T]:
    """Yield `items` unchanged while showing progress over them."""
    with Progress(label, total, unit=unit) as progress:
        for item in items:
            yield item
            progress.update()
