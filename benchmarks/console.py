"""What the benchmark says while it runs and when it is done: progress, machine, table."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import sqlalchemy


class Progress:
    """A progress line on stderr, rewritten in place on a terminal, else every few seconds."""

    def __init__(self, label: str, total: int, unit: str = "items") -> None:
        self.label, self.total, self.unit = label, total, unit
        self.started = time.perf_counter()
        self._tty = sys.stderr.isatty()
        self._last = 0.0
        self._every = 0.5 if self._tty else 10.0

    def update(self, done: int) -> None:
        """Report ``done`` of ``total``, at most every half second (ten on a pipe)."""
        now = time.perf_counter()
        if now - self._last < self._every and done < self.total:
            return
        self._last = now
        rate = done / max(now - self.started, 1e-9)
        line = f"{self.label}: {done:,}/{self.total:,} {self.unit} ({rate:,.0f}/s)"
        if self._tty:
            sys.stderr.write("\r\033[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def done(self, note: str = "") -> None:
        """The phase's last line."""
        elapsed = time.perf_counter() - self.started
        line = f"{self.label}: done in {elapsed:,.1f} s{('; ' + note) if note else ''}"
        sys.stderr.write(("\r\033[K" if self._tty else "") + line + "\n")
        sys.stderr.flush()


def say(text: str) -> None:
    """One line of narration on stderr."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _filesystem(path: Path) -> str:
    """The type of the filesystem holding ``path`` (ext4, tmpfs …), from /proc/mounts."""
    best, kind = "", "unknown"
    try:
        target = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and target.startswith(parts[1]) and len(parts[1]) > len(best):
                best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def fsync_ms(directory: Path, rounds: int = 50) -> float:
    """Median milliseconds of a 4 KiB write + fsync in ``directory``: the floor under FULL."""
    fd, name = tempfile.mkstemp(dir=directory, prefix="fsync-probe-")
    samples = []
    try:
        for _ in range(rounds):
            os.write(fd, b"\0" * 4096)
            t0 = time.perf_counter()
            os.fsync(fd)
            samples.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        os.unlink(name)
    return statistics.median(samples)


def machine(directory: Path) -> dict[str, Any]:
    """The facts a reader needs to compare figures between machines."""
    memory = _memory_gib()
    return {
        "cores": os.cpu_count() or 0,
        "cpu": _cpu_model(),
        "memory_gib": round(memory, 1) if memory else None,
        "sqlite": sqlite3.sqlite_version,
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "pydantic": pydantic.VERSION,
        "platform": platform.platform(),
        "dir": str(directory),
        "filesystem": _filesystem(directory),
        "fsync_ms": round(fsync_ms(directory), 3),
    }


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    figure: str
    product: str
    raw: str
    ratio: str
    target: str
    verdict: str  # PASS | FAIL | info


def table(rows: list[Row]) -> str:
    """The rows as an aligned plain-text table."""
    head = Row("figure", "rectiflow", "raw sqlite3", "ratio", "target", "result")
    cells = [head, *rows]
    widths = [max(_width(getattr(r, f)) for r in cells) for f in Row.__dataclass_fields__]
    lines = []
    for i, r in enumerate(cells):
        values = [getattr(r, f) for f in Row.__dataclass_fields__]
        lines.append(
            "  ".join(
                _pad(v, w, right=0 < j < 4)
                for j, (v, w) in enumerate(zip(values, widths, strict=True))
            ).rstrip()
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap
