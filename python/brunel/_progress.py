"""Progress of a sweep: a tqdm bar when tqdm is installed (tqdm.auto in Jupyter), plain
lines on stderr otherwise."""

from __future__ import annotations

import sys
import time
from typing import Callable


class _Lines:
    """`label: done/total runs (x %), r runs/s, elapsed, ETA` every `every_s` seconds."""

    def __init__(self, label: str, every_s: float = 10.0):
        self.label, self.every_s = label, every_s
        self.start = self.last = time.monotonic()
        self.done = self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            self.line()

    def line(self) -> None:
        el = time.monotonic() - self.start
        rate = self.done / max(el, 1e-9)
        eta = f"{(self.total - self.done) / rate:.0f}s" if self.done else "?"
        pct = 100.0 * self.done / max(self.total, 1)
        print(f"{self.label}: {self.done}/{self.total} runs ({pct:.1f} %), {rate:.2f} runs/s, "
              f"elapsed {el:.0f}s, ETA {eta}", file=sys.stderr, flush=True)

    def close(self) -> None:
        self.line()


class _Bar:
    """A tqdm.auto bar whose total follows the sweep's (an adaptive sweep's levels add runs)."""

    def __init__(self, label: str, tqdm):
        self.bar = tqdm(total=0, desc=label, unit="run")

    def __call__(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
            self.bar.refresh()
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def make(progress, label: str) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """(callback(done, total), close()) for ``progress``: True (tqdm or lines), False/None
    (nothing) or a callable called with (done, total)."""
    if progress is None or progress is False:
        return None, lambda: None
    if callable(progress):
        return progress, lambda: None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        shown = _Lines(label)
    else:
        shown = _Bar(label, tqdm)
    return shown, shown.close
