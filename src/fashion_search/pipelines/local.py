"""The local runner: partitions one after another in this process, each batch written as it comes."""

from __future__ import annotations

import time
from collections.abc import Callable

from fashion_search.pipelines.base import BatchT, Mapper, Reader, ResultT, RunStats, Writer, partition_mapper


class LocalRunner:
    """Runs a reader -> mapper -> writer job in the current process.

    The mapper factory is called once per partition (as a worker would), the mapper is closed when
    its partition ends or fails, and every result is written before the next one is asked for.
    """

    def run(
        self,
        reader: Reader[BatchT],
        mapper_factory: Callable[[], Mapper[BatchT, ResultT]],
        writer: Writer[ResultT],
    ) -> RunStats:
        started = time.perf_counter()
        partitions = 0
        batches = 0
        for partition in reader.partitions():
            with partition_mapper(mapper_factory) as mapper:
                for result in mapper.map_partition(partition):
                    writer.write(result)
                    batches += 1
            partitions += 1
        return RunStats(partitions=partitions, batches=batches, seconds=time.perf_counter() - started)
