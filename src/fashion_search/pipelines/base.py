"""Batch jobs as reader -> mapper -> writer, per partition.

A job is three parts, so that where it runs is a separate choice (:class:`LocalRunner` here, a
Spark runner later) and every runner reuses the same mapper and writer:

* a :class:`Reader` splits the input into partitions, each an iterable of batches;
* a :class:`Mapper` turns the batches of one partition into results. It is built on the worker,
  once per partition, by calling a picklable :data:`MapperFactory`; so a model is loaded where it
  runs and never pickled;
* a :class:`Writer` stores each result as soon as it comes, so a killed job loses at most the
  batch in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

BatchT = TypeVar("BatchT")
ResultT = TypeVar("ResultT")
BatchT_co = TypeVar("BatchT_co", covariant=True)
BatchT_contra = TypeVar("BatchT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)
ResultT_contra = TypeVar("ResultT_contra", contravariant=True)


@runtime_checkable
class Reader(Protocol[BatchT_co]):
    def partitions(self) -> Iterator[Iterable[BatchT_co]]:
        """The input as partitions; each partition is an iterable of batches, read lazily."""
        ...


@runtime_checkable
class Mapper(Protocol[BatchT_contra, ResultT_co]):
    def map_partition(self, batches: Iterable[BatchT_contra]) -> Iterator[ResultT_co]:
        """One result per batch, in order. May work ahead (e.g. decode the next batch meanwhile)."""
        ...

    def close(self) -> None:
        """Release what the mapper holds (threads, sessions); called once its partition is done."""
        ...


MapperFactory = Callable[[], "Mapper[BatchT, ResultT]"]
"""A picklable callable that builds a mapper; runners call it on the worker, once per partition."""


@contextmanager
def partition_mapper(
    mapper_factory: Callable[[], Mapper[BatchT, ResultT]],
) -> Iterator[Mapper[BatchT, ResultT]]:
    """The mapper of one partition, as every runner must handle it: built by the factory where the
    partition runs, and closed when the partition ends or fails."""
    mapper = mapper_factory()
    try:
        yield mapper
    finally:
        mapper.close()


@runtime_checkable
class Writer(Protocol[ResultT_contra]):
    def write(self, result: ResultT_contra) -> None:
        """Persist one batch's result (its own transaction(s)): done before the next batch is read."""
        ...


@dataclass(frozen=True, slots=True)
class RunStats:
    """What a runner did: partitions and batches completed, and wall-clock seconds."""

    partitions: int
    batches: int
    seconds: float


class Runner(Protocol):
    def run(
        self,
        reader: Reader[BatchT],
        mapper_factory: Callable[[], Mapper[BatchT, ResultT]],
        writer: Writer[ResultT],
    ) -> RunStats:
        """Run the job to the end; an exception in any part stops it after the last written batch."""
        ...
