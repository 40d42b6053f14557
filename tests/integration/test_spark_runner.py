"""SparkRunner in local[2] mode: the same jobs as the local runner, with the same answers.

One session serves the whole module (starting Spark takes seconds). Marked ``spark``: needs
PySpark (extra ``spark``) and Java.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java (java on PATH or JAVA_HOME)", allow_module_level=True)

from fashion_search.catalog.demo import generate_demo_catalog  # noqa: E402
from fashion_search.catalog.ingest import ingest_catalog  # noqa: E402
from fashion_search.domain import SPACES  # noqa: E402
from fashion_search.embed.fake import FakeEmbedder  # noqa: E402
from fashion_search.embed.pipeline import embed_catalog  # noqa: E402
from fashion_search.embed.registry import EmbedderSpec  # noqa: E402
from fashion_search.errors import PipelineError, ValidationError  # noqa: E402
from fashion_search.pipelines.local import LocalRunner  # noqa: E402
from fashion_search.pipelines.spark import SparkRunner  # noqa: E402
from fashion_search.store.sqlite import SqliteStore  # noqa: E402

pytestmark = pytest.mark.spark

N_PRODUCTS = 60


@pytest.fixture(scope="module")
def runner() -> Iterator[SparkRunner]:
    with SparkRunner(master="local[2]", partitions=3) as spark_runner:
        yield spark_runner


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_catalog(tmp_path_factory.mktemp("demo"), n_products=N_PRODUCTS, seed=3)


def _ingested(demo: Path, directory: Path) -> SqliteStore:
    store = SqliteStore(directory)
    ingest_catalog(demo / "styles.csv", demo / "images", store)
    return store


def _vectors(store: SqliteStore) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {space: store.load_vectors(space) for space in SPACES}


# --------------------------------------------------------------------------------------------
# the embedding job
# --------------------------------------------------------------------------------------------


def test_spark_embedding_equals_local(runner: SparkRunner, demo: Path, tmp_path: Path) -> None:
    spec = EmbedderSpec("fake:48", cache_dir=tmp_path / "models")
    local_store = _ingested(demo, tmp_path / "local")
    spark_store = _ingested(demo, tmp_path / "spark")
    try:
        local = embed_catalog(local_store, spec, demo / "images", batch_size=7, runner=LocalRunner())
        spark = embed_catalog(spark_store, spec, demo / "images", batch_size=7, runner=runner)
        assert spark.embedded == local.embedded
        assert local.embedded["text"] == local_store.count_products() >= N_PRODUCTS - 2
        assert local.embedded["image"] > 0
        assert spark.batches == local.batches == -(-local.embedded["text"] // 7)
        assert spark.vectors == local.vectors and spark.coverage == local.coverage
        assert sorted(f.product_id for f in spark.images_failed) == sorted(
            f.product_id for f in local.images_failed
        )
        want, got = _vectors(local_store), _vectors(spark_store)
        for space in SPACES:
            np.testing.assert_array_equal(got[space][0], want[space][0])
            np.testing.assert_allclose(got[space][1], want[space][1], atol=1e-6)
        hashes = {s: {i: e.content_hash for i, e in local_store.embedding_info(s).items()} for s in SPACES}
        assert hashes == {
            s: {i: e.content_hash for i, e in spark_store.embedding_info(s).items()} for s in SPACES
        }

        # Incremental on Spark too: nothing new, nothing embedded.
        again = embed_catalog(spark_store, spec, demo / "images", batch_size=7, runner=runner)
        assert again.embedded == {"text": 0, "image": 0, "hybrid": 0}
    finally:
        local_store.close()
        spark_store.close()


def test_embed_command_runs_on_spark(runner: SparkRunner, demo: Path, tmp_path: Path) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from fashion_search.cli.embed import embed_command

    app = typer.Typer()
    app.command("embed")(embed_command)
    app.command("noop")(lambda: None)
    _ingested(demo, tmp_path / "spark").close()
    _ingested(demo, tmp_path / "local").close()
    reports = {}
    for name, extra in (("spark", ["--runner", "spark", "--spark-partitions", "2"]), ("local", [])):
        args = [
            "embed",
            "--data-dir",
            str(tmp_path / name),
            "--model",
            "fake:48",
            "--images",
            str(demo / "images"),
        ]
        result = CliRunner().invoke(app, [*args, "--json", "--batch-size", "16", *extra])
        assert result.exit_code == 0, result.output
        reports[name] = json.loads(result.stdout)
    assert reports["spark"]["embedded"] == reports["local"]["embedded"]
    assert reports["spark"]["embedded"]["text"] >= N_PRODUCTS - 2
    stores = {name: SqliteStore(tmp_path / name) for name in reports}
    try:
        for space in SPACES:
            (ids_s, vec_s), (ids_l, vec_l) = (
                stores["spark"].load_vectors(space),
                stores["local"].load_vectors(space),
            )
            np.testing.assert_array_equal(ids_s, ids_l)
            np.testing.assert_allclose(vec_s, vec_l, atol=1e-6)
    finally:
        for store in stores.values():
            store.close()
    assert runner.spark.range(2).count() == 2  # the command used the active session and left it running


def test_a_built_model_is_never_pickled(runner: SparkRunner, demo: Path, tmp_path: Path) -> None:
    store = _ingested(demo, tmp_path / "store")
    try:
        with pytest.raises(ValidationError, match="EmbedderSpec"):
            embed_catalog(store, FakeEmbedder(48), demo / "images", runner=runner)
        assert store.embedding_info("text") == {}
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# the runner on a toy job with known answers
# --------------------------------------------------------------------------------------------


@dataclass
class NumbersReader:
    """Two partitions of batches of consecutive integers."""

    batches: int
    batch: int = 4

    def partitions(self) -> Iterator[Iterable[list[int]]]:
        half = self.batches // 2
        numbers = [list(range(b * self.batch, (b + 1) * self.batch)) for b in range(self.batches)]
        yield numbers[:half]
        yield numbers[half:]


@dataclass(frozen=True)
class SquareMapperFactory:
    """Picklable; leaves one file per mapper built so the test can count builds across processes."""

    marks: Path
    fail_on: int | None = None

    def __call__(self) -> SquareMapper:
        import uuid

        (self.marks / uuid.uuid4().hex).touch()
        return SquareMapper(self.fail_on)


class SquareMapper:
    def __init__(self, fail_on: int | None) -> None:
        self.fail_on = fail_on

    def map_partition(self, batches: Iterable[list[int]]) -> Iterator[tuple[int, list[int]]]:
        # Reads one batch ahead, as the embedding mapper does.
        previous: list[int] | None = None
        for batch in batches:
            if self.fail_on in batch:
                raise RuntimeError(f"cannot square {self.fail_on}")
            if previous is not None:
                yield os.getpid(), [x * x for x in previous]
            previous = batch
        if previous is not None:
            yield os.getpid(), [x * x for x in previous]

    def close(self) -> None:
        pass


@dataclass
class ListWriter:
    results: list[list[int]]

    def write(self, result: tuple[int, list[int]]) -> None:
        self.results.append(result[1])


def test_results_come_back_in_order_with_one_mapper_per_partition(
    runner: SparkRunner, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    writer = ListWriter([])
    stats = runner.run(NumbersReader(batches=11), SquareMapperFactory(marks), writer)
    assert writer.results == [[x * x for x in range(b * 4, b * 4 + 4)] for b in range(11)]
    assert stats.batches == 11 and stats.partitions == 3
    assert len(list(marks.iterdir())) == 3  # the factory ran once per Spark partition


def test_waves_bound_what_the_driver_holds(tmp_path: Path, runner: SparkRunner) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    writer = ListWriter([])
    waves = SparkRunner(runner.spark, partitions=2, wave_batches=4)
    stats = waves.run(NumbersReader(batches=10), SquareMapperFactory(marks), writer)
    assert writer.results == [[x * x for x in range(b * 4, b * 4 + 4)] for b in range(10)]
    # Waves of 4, 4 and 2 batches, each in 2 partitions.
    assert stats.partitions == 6 and len(list(marks.iterdir())) == 6
    waves.close()  # not its session: must not stop it
    assert runner.spark.range(3).count() == 3


def test_a_failing_mapper_raises_pipeline_error(runner: SparkRunner, tmp_path: Path) -> None:
    writer = ListWriter([])
    with pytest.raises(PipelineError, match="cannot square 21"):
        runner.run(NumbersReader(batches=8), SquareMapperFactory(tmp_path, fail_on=21), writer)


def test_empty_job_runs_no_spark_job(runner: SparkRunner, tmp_path: Path) -> None:
    stats = runner.run(NumbersReader(batches=0), SquareMapperFactory(tmp_path), ListWriter([]))
    assert (stats.batches, stats.partitions) == (0, 0)
