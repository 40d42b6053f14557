"""The Spark runner: the same reader -> mapper -> writer job, its mappers running on Spark executors.

How a job runs:

1. The driver reads batches from the reader (lazily, in waves of at most ``wave_batches``, so its
   memory stays bounded) and sends them, pickled, as rows of a DataFrame in ``partitions`` slices.
2. ``mapInPandas`` runs one function per partition on the executors: it unpickles the mapper
   *factory* (shipped once with the function), builds the mapper -- and so the model -- once per
   partition, feeds it the partition's batches in order and returns each result pickled. The
   model itself is never pickled: an embedder built on the driver ships as its recipe.
3. The mapped DataFrame is computed in parallel and kept (memory, then disk); the driver then
   streams the results back partition by partition, in the reader's order, and hands each to the
   writer (the store, a Parquet writer, ...), as the local runner does.

Using it::

    from fashion_search.embed.pipeline import embed_catalog
    from fashion_search.embed.registry import EmbedderSpec
    from fashion_search.pipelines.spark import SparkRunner

    with SparkRunner(master="local[4]") as runner:            # a session of its own
        embed_catalog(store, EmbedderSpec("fashion-lite", cache_dir), images_dir, runner=runner)

    runner = SparkRunner(spark)                               # an existing session (cluster, Databricks)

or ``fashion-search embed --runner spark [--spark-master URL] [--spark-partitions N]``.

On an existing cluster or Databricks: install the same ``fashion-search[spark]`` wheel on the
driver and every executor (a cluster library, or ``%pip install`` in a notebook), so that the
executors can import ``fashion_search`` and build the model; make the catalog images readable
under the same path on every node (a Unity Catalog volume ``/Volumes/...``, DBFS ``/dbfs/...``,
or any shared mount) and pass that folder as ``images_dir``; give the model as a spec string
(``EmbedderSpec``) whose files are readable on every node (for ``fashion-lite`` the weights ship
inside the package; ``model_cache_dir`` should be node-local, e.g. ``/local_disk0/tmp``). Then pass
the notebook's ``spark`` session to ``SparkRunner(spark)``; the runner never stops a session it did
not create. With ``spark-submit``, call the Python API from the submitted script, or run
``fashion-search embed --runner spark --spark-master yarn`` on the edge node. The store the
writer uses must be reachable from the driver (PostgreSQL for shared deployments).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from types import TracebackType
from typing import TYPE_CHECKING, Any

from fashion_search.errors import ConfigurationError, MissingDependencyError, PipelineError, ValidationError
from fashion_search.pipelines.base import BatchT, Mapper, Reader, ResultT, RunStats, Writer, partition_mapper

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

_PAYLOAD_SCHEMA = "seq long, payload binary"


def _pyspark() -> Any:
    try:
        import pyspark
    except ImportError as e:
        raise MissingDependencyError("pyspark", "spark", "the Spark runner") from e
    return pyspark


def local_session_conf(master: str) -> dict[str, str]:
    """The Spark settings of a session the runner starts itself (a laptop, CI, one machine)."""
    conf = {
        "spark.app.name": "fashion-search",
        "spark.master": master,
        "spark.ui.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Executors must run this interpreter, or they cannot import fashion_search and pyarrow.
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.sql.shuffle.partitions": "8",
    }
    if master.startswith("local"):
        # Nothing but loopback: a local job needs no network interface and must not open one.
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    return conf


class SparkRunner:
    """Runs a reader -> mapper -> writer job with ``mapInPandas`` (see the module docstring).

    ``spark``: an existing SparkSession to use (never stopped here). Without it the runner uses
    the active session if there is one, else starts its own on ``master`` (default ``local[2]``)
    with ``conf`` added, at the first run, and stops it in :meth:`close` (or leaving a ``with``).
    ``partitions``: how many slices the batches of a wave are split into (default: the session's
    default parallelism).
    ``wave_batches``: how many batches the driver reads and sends per Spark job.
    """

    def __init__(
        self,
        spark: SparkSession | None = None,
        *,
        master: str | None = None,
        partitions: int | None = None,
        wave_batches: int = 4096,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        _pyspark()
        if spark is not None and (master is not None or conf):
            raise ConfigurationError("give either an existing Spark session or master/conf for a new one")
        for name, value in (("partitions", partitions), ("wave_batches", wave_batches)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigurationError(f"Spark runner {name} must be a positive integer, got {value!r}")
        if master is not None and (not isinstance(master, str) or not master.strip()):
            raise ConfigurationError(
                f"Spark master must be a non-empty string such as local[2], got {master!r}"
            )
        self._spark = spark
        self._owned = spark is None
        self.master = master or "local[2]"
        self.partitions = partitions
        self.wave_batches = wave_batches
        self.conf = dict(conf or {})

    def __enter__(self) -> SparkRunner:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def spark(self) -> SparkSession:
        """The session jobs run on (started on first use when the runner owns it)."""
        if self._spark is None:
            from pyspark.sql import SparkSession

            active = SparkSession.getActiveSession()
            if active is not None:
                # Someone else's session (a notebook's, a test's): use it, never stop it.
                self._spark, self._owned = active, False
                return active
            # PySpark takes the executors' interpreter from PYSPARK_PYTHON when the context starts
            # (its spark.pyspark.python setting does not reach local-mode workers); without it they
            # run the first python3 on PATH, which cannot import pyarrow or fashion_search.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
            builder = SparkSession.builder
            for key, value in {**local_session_conf(self.master), **self.conf}.items():
                builder = builder.config(key, value)
            try:
                self._spark = builder.getOrCreate()
            except Exception as e:  # the JVM's failures arrive as many types (Py4J, runtime, OS)
                raise PipelineError(f"cannot start Spark on master {self.master!r}: {e}") from e
            self._spark.sparkContext.setLogLevel("ERROR")
        return self._spark

    def close(self) -> None:
        """Stop the session if this runner started it."""
        if self._owned and self._spark is not None:
            self._spark.stop()
            self._spark = None

    def run(
        self,
        reader: Reader[BatchT],
        mapper_factory: Callable[[], Mapper[BatchT, ResultT]],
        writer: Writer[ResultT],
    ) -> RunStats:
        started = time.perf_counter()
        shipped = self._ship(mapper_factory)
        batches = (batch for partition in reader.partitions() for batch in partition)
        spark = self.spark
        slices = self.partitions or max(1, int(spark.sparkContext.defaultParallelism))
        seq = 0
        written = 0
        partitions_run = 0
        while True:
            wave = [
                (seq + i, pickle.dumps(b, protocol=pickle.HIGHEST_PROTOCOL))
                for i, b in enumerate(islice(batches, self.wave_batches))
            ]
            if not wave:
                break
            seq += len(wave)
            n_slices = min(slices, len(wave))
            frame = spark.sparkContext.parallelize(wave, n_slices).toDF(_PAYLOAD_SCHEMA)
            mapped = frame.mapInPandas(_partition_function(shipped), schema=_PAYLOAD_SCHEMA)
            written += self._drain(mapped, writer)
            partitions_run += n_slices
        return RunStats(partitions=partitions_run, batches=written, seconds=time.perf_counter() - started)

    @staticmethod
    def _ship(mapper_factory: Callable[[], Mapper[BatchT, ResultT]]) -> bytes:
        from pyspark import cloudpickle

        try:
            return cloudpickle.dumps(mapper_factory)
        except ValidationError:
            raise
        except Exception as e:  # pickling raises whatever the object's reducers raise
            raise ValidationError(
                f"the job's mapper factory cannot be sent to Spark executors ({e}); build it from "
                "picklable parts (e.g. EmbedderSpec instead of a loaded model)"
            ) from e

    @staticmethod
    def _drain(mapped: DataFrame, writer: Writer[Any]) -> int:
        from pyspark import StorageLevel

        mapped = mapped.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            # Computes every partition in parallel; the loop below then reads them back in order.
            mapped.count()
            written = 0
            for row in mapped.toLocalIterator():
                writer.write(pickle.loads(row["payload"]))
                written += 1
            return written
        except Exception as e:
            if type(e).__module__.startswith(("pyspark", "py4j")):
                raise PipelineError(f"the Spark job failed: {_first_line(e)}") from e
            raise
        finally:
            mapped.unpersist()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    # PySpark puts the worker's traceback in the message; its last line names the cause.
    lines = [line for line in text.splitlines() if line.strip()]
    causes = [line for line in lines if "Error" in line and not line.startswith(" ")]
    return (causes[-1] if causes else lines[0] if lines else type(error).__name__)[:500]


def _partition_function(
    shipped: bytes,
) -> Callable[[Iterable[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The function ``mapInPandas`` runs once per partition (closes over the pickled factory only)."""

    def run_partition(frames: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pandas as pd

        factory = pickle.loads(shipped)
        pending: deque[int] = deque()

        def batches() -> Iterator[Any]:
            for frame in frames:
                for seq, payload in zip(frame["seq"].tolist(), frame["payload"].tolist(), strict=True):
                    pending.append(int(seq))
                    yield pickle.loads(payload)

        with partition_mapper(factory) as mapper:
            for result in mapper.map_partition(batches()):
                # A mapper may read ahead; results still come one per batch, in order.
                seq = pending.popleft()
                yield pd.DataFrame(
                    {"seq": [seq], "payload": [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)]}
                )

    return run_partition
