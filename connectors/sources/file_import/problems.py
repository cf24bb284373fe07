"""Bad rows of one import: every one written to a CSV file as found, only the first few kept in memory."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, overload

KEPT_IN_MEMORY = 1000


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


class ProblemLog(Sequence[Problem]):
    """A sequence of every problem; those beyond the first :data:`KEPT_IN_MEMORY` are read back from ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total = 0
        self._head: list[Problem] = []
        self._handle: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def add(self, line: int, reason: str) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.DictWriter(self._handle, fieldnames=["line", "reason"])
            self._writer.writeheader()
        self._writer.writerow({"line": line, "reason": reason})
        self.total += 1
        if len(self._head) < KEPT_IN_MEMORY:
            self._head.append(Problem(line, reason))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle, self._writer = None, None

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Problem]:
        if self.total <= len(self._head):
            yield from self._head
            return
        if self._handle is not None:
            self._handle.flush()
        with self.path.open(encoding="utf-8", newline="") as handle:
            for item in csv.DictReader(handle):
                yield Problem(int(item["line"]), item["reason"])

    @overload
    def __getitem__(self, index: int) -> Problem: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Problem]: ...

    def __getitem__(self, index: int | slice) -> Problem | Sequence[Problem]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.total)
            if max(start, stop) <= len(self._head):
                return self._head[index]
            if step > 0:
                return list(itertools.islice(self, start, stop, step))
            return list(self)[index]
        position = index + self.total if index < 0 else index
        if not 0 <= position < self.total:
            raise IndexError("problem index out of range")
        if position < len(self._head):
            return self._head[position]
        return next(itertools.islice(self, position, None))
