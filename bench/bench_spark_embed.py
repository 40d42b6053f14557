"""Embedding throughput (products/s) of the Spark runner against the local runner (prints figures).

Generates a demo catalog (PIL-drawn photos), ingests it into two stores and embeds each one, with
the local runner and with ``SparkRunner`` on ``--master``, then checks the vectors agree. Spark's
start-up (JVM, session) is timed apart from the job; the Python workers start inside the job.

    python bench/bench_spark_embed.py --products 600 --model fashion-lite
    python bench/bench_spark_embed.py --products 2000 --model fake:64 --master local[2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.ingest import ingest_catalog
from fashion_search.domain import SPACES
from fashion_search.embed.pipeline import embed_catalog
from fashion_search.embed.registry import EmbedderSpec
from fashion_search.pipelines.local import LocalRunner
from fashion_search.pipelines.spark import SparkRunner
from fashion_search.store.sqlite import SqliteStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=600)
    parser.add_argument("--model", default="fashion-lite")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        catalog = generate_demo_catalog(root / "catalog", n_products=args.products, seed=1)
        print(
            f"demo catalog of {args.products} products in {time.perf_counter() - started:.1f} s", flush=True
        )
        stores = {name: SqliteStore(root / name) for name in ("local", "spark")}
        for store in stores.values():
            ingest_catalog(catalog / "styles.csv", catalog / "images", store)
        spec = EmbedderSpec(args.model, cache_dir=root / "models")
        images = catalog / "images"
        rates = {}

        report = embed_catalog(
            stores["local"], spec, images, batch_size=args.batch_size, runner=LocalRunner()
        )
        n = report.embedded["text"]
        rates["local"] = n / report.seconds
        print(
            f"local runner:        {n} products in {report.seconds:6.1f} s = {rates['local']:7.1f} products/s"
        )

        with SparkRunner(master=args.master, partitions=args.partitions) as runner:
            started = time.perf_counter()
            runner.spark.range(1).count()
            print(f"spark start-up:      {time.perf_counter() - started:6.1f} s ({args.master})", flush=True)
            report = embed_catalog(stores["spark"], spec, images, batch_size=args.batch_size, runner=runner)
        rates["spark"] = report.embedded["text"] / report.seconds
        print(
            f"spark {args.master} x{args.partitions}: {report.embedded['text']} products in "
            f"{report.seconds:6.1f} s = {rates['spark']:7.1f} products/s (model {report.model})"
        )
        worst = 0.0
        for space in SPACES:
            (ids_l, vec_l), (ids_s, vec_s) = (stores[k].load_vectors(space) for k in ("local", "spark"))
            assert np.array_equal(ids_l, ids_s), space
            worst = max(worst, float(np.abs(vec_l - vec_s).max()) if vec_l.size else 0.0)
        print(f"same ids in every space; largest vector difference {worst:.2e}")
        for store in stores.values():
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
