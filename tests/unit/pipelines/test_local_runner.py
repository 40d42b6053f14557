"""LocalRunner on a toy reader -> mapper -> writer job with known answers."""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pytest

from fashion_search.pipelines.base import Mapper, Reader, RunStats, Writer
from fashion_search.pipelines.local import LocalRunner


@dataclass
class NumbersReader:
    """Partitions of batches of consecutive integers: sizes[p] batches of ``batch`` numbers."""

    sizes: list[int]
    batch: int = 3

    def partitions(self) -> Iterator[Iterable[list[int]]]:
        start = 0
        for n_batches in self.sizes:
            batches = [
                list(range(start + b * self.batch, start + (b + 1) * self.batch)) for b in range(n_batches)
            ]
            start += n_batches * self.batch
            yield batches


@dataclass
class Events:
    built: int = 0
    closed: int = 0


class SquareMapper:
    def __init__(self, events: Events, fail_on: int | None) -> None:
        self._events = events
        self._fail_on = fail_on

    def map_partition(self, batches: Iterable[list[int]]) -> Iterator[list[int]]:
        for batch in batches:
            if self._fail_on is not None and self._fail_on in batch:
                raise RuntimeError(f"cannot map {self._fail_on}")
            yield [x * x for x in batch]

    def close(self) -> None:
        self._events.closed += 1


@dataclass(frozen=True)
class SquareMapperFactory:
    """Picklable; the events object stands in for 'a model built on the worker'."""

    events: Events
    fail_on: int | None = None

    def __call__(self) -> SquareMapper:
        self.events.built += 1
        return SquareMapper(self.events, self.fail_on)


@dataclass
class ListWriter:
    written: list[list[int]] = field(default_factory=list)

    def write(self, result: list[int]) -> None:
        self.written.append(result)


def test_every_batch_is_mapped_and_written_in_order_with_one_mapper_per_partition() -> None:
    events = Events()
    writer = ListWriter()
    reader = NumbersReader([2, 0, 3])
    assert isinstance(reader, Reader) and isinstance(writer, Writer)
    assert isinstance(SquareMapperFactory(events)(), Mapper)
    events.built = 0

    stats = LocalRunner().run(reader, SquareMapperFactory(events), writer)

    assert isinstance(stats, RunStats)
    assert (stats.partitions, stats.batches) == (3, 5)
    assert writer.written == [[x * x for x in range(i, i + 3)] for i in range(0, 15, 3)]
    assert (events.built, events.closed) == (3, 3)
    assert stats.seconds >= 0


def test_a_failure_stops_after_the_last_written_batch_and_closes_the_mapper() -> None:
    events = Events()
    writer = ListWriter()
    with pytest.raises(RuntimeError, match="cannot map 10"):
        LocalRunner().run(NumbersReader([2, 3]), SquareMapperFactory(events, fail_on=10), writer)
    # Batches [0..2], [3..5], [6..8] were written; [9..11] failed; nothing after it ran.
    assert writer.written == [[0, 1, 4], [9, 16, 25], [36, 49, 64]]
    assert (events.built, events.closed) == (2, 2)


def test_the_mapper_factory_travels_by_pickle() -> None:
    clone = pickle.loads(pickle.dumps(SquareMapperFactory(Events())))
    writer = ListWriter()
    LocalRunner().run(NumbersReader([1]), clone, writer)
    assert writer.written == [[0, 1, 4]]
    assert clone.events.built == 1
