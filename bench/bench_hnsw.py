"""Top-10 latency and recall of the exact NumPy index against the HNSW index (prints figures; not a test).

For each catalog size it builds an :class:`ExactIndex` and an :class:`HnswIndex` over the same
vectors and products, then runs the same queries through both, unfiltered and with a filter that
keeps about 10% of the products, and prints p50 / p99 latency of ``search`` (whole products
returned, as the services call it) and recall@10 of HNSW against the exact answers. HNSW is
measured at several efSearch values from one build (efSearch is a query-time setting).

Vectors: a fashion-search data directory given with ``--store DIR`` provides real vectors (the
``--space`` of its model) and real products; otherwise, or for sizes beyond the store, clustered
synthetic vectors (see :func:`synthetic`) with products whose ``base_colour`` takes one of ten
values at random (the ~10% filter: ``base_colour = Black``).

    python bench/bench_hnsw.py                       # 44k and 1M synthetic, 384-d
    python bench/bench_hnsw.py --sizes 44424 --store fashion-search-data --space hybrid
    python bench/bench_hnsw.py --sizes 1000000 --json out.json

The 1M build takes 10+ minutes on 2 cores. ``OMP_NUM_THREADS`` bounds FAISS's build threads.
Single queries run with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` unless set): on a busy 2-core
machine a multi-threaded matrix-vector product waits for a second core and measured about 12 ms
where one thread takes about 1 ms (20k x 384-d).
"""

from __future__ import annotations

import os

# Before NumPy loads OpenBLAS (see the module docstring).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from fashion_search.domain import Filter, Product, where  # noqa: E402
from fashion_search.index.exact import ExactIndex  # noqa: E402
from fashion_search.index.hnsw import HnswIndex, HnswParams  # noqa: E402

COLOURS = ["Black", "White", "Blue", "Red", "Grey", "Green", "Brown", "Pink", "Navy Blue", "Beige"]


def synthetic(n: int, dim: int, seed: int, clusters: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` catalog vectors and a generator's parameters for queries from the same distribution.

    Each vector is a cluster centre (random direction) plus a component in that cluster's own
    16-d subspace plus isotropic noise, so neighbourhoods have a low intrinsic dimension inside a
    high-dimensional space, as embeddings of similar products do. Returns (vectors, labels).
    """
    rng = np.random.default_rng(seed)
    clusters = clusters or max(50, n // 200)
    out = np.empty((n, dim), dtype=np.float32)
    labels = rng.integers(clusters, size=n)
    centres, bases = _cluster_model(dim, clusters, seed)
    for start in range(0, n, 50_000):
        stop = min(n, start + 50_000)
        out[start:stop] = _draw(rng, centres, bases, labels[start:stop])
    return out, labels


def _cluster_model(dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1_000_003)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    bases = (rng.standard_normal((clusters, 16, dim)) / np.sqrt(dim)).astype(np.float32)
    return centres, bases


def _draw(rng: np.random.Generator, centres: np.ndarray, bases: np.ndarray, labels: np.ndarray) -> np.ndarray:
    dim = centres.shape[1]
    coef = rng.standard_normal((labels.shape[0], 16)).astype(np.float32) * 3.0
    within = np.einsum("nk,nkd->nd", coef, bases[labels])
    noise = rng.standard_normal((labels.shape[0], dim)).astype(np.float32) * 0.35
    return centres[labels] + within + noise


def synthetic_queries(n_queries: int, dim: int, seed: int, clusters: int) -> np.ndarray:
    """New points from the catalog's distribution (not catalog points themselves)."""
    rng = np.random.default_rng(seed + 7)
    centres, bases = _cluster_model(dim, clusters, seed)
    return _draw(rng, centres, bases, rng.integers(clusters, size=n_queries))


def synthetic_products(n: int, seed: int) -> list[Product]:
    rng = np.random.default_rng(seed + 11)
    colours = rng.integers(len(COLOURS), size=n)
    return [Product(id=i + 1, name=f"product {i + 1}", base_colour=COLOURS[c]) for i, c in enumerate(colours)]


def store_data(directory: Path, space: str) -> tuple[list[Product], np.ndarray, np.ndarray]:
    from fashion_search.store.factory import open_store

    store = open_store(str(directory))
    try:
        products = [p for batch in store.iter_products(batch_size=10_000) for p in batch]
        ids, vectors = store.load_vectors(space)
    finally:
        store.close()
    return products, ids, vectors


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.asarray(samples) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def timed_searches(
    index: ExactIndex, space: str, queries: np.ndarray, filt: Filter | None
) -> tuple[list[list[int]], list[float]]:
    results: list[list[int]] = []
    times: list[float] = []
    for q in queries:
        started = time.perf_counter()
        hits = index.search(space, q, k=10, where=filt)
        times.append(time.perf_counter() - started)
        results.append([h.product.id for h in hits])
    return results, times


def recall_at_10(got: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(g) & set(t)) / max(len(t), 1) for g, t in zip(got, truth, strict=True)]))


def run_size(args: argparse.Namespace, n: int) -> dict[str, Any]:
    space = "image"
    filt = where(base_colour="Black")
    source = "synthetic"
    if args.store is not None:
        products, ids, vectors = store_data(Path(args.store), args.space)
        if ids.shape[0] >= n:
            keep = set(ids[:n].tolist())
            products = [p for p in products if p.id in keep]
            ids, vectors = ids[:n], vectors[:n]
            space = args.space
            source = f"store {args.store} ({args.space})"
            colours = [p.base_colour for p in products]
            top = max(set(colours) - {None}, key=colours.count)
            filt = where(base_colour=top)
            rng = np.random.default_rng(args.seed)
            picks = rng.choice(ids.shape[0], size=args.queries, replace=False)
            # Queries: stored vectors of held-out products, slightly perturbed.
            queries = vectors[picks] + 0.05 * rng.standard_normal((args.queries, vectors.shape[1]))
            queries = queries.astype(np.float32)
        else:
            print(f"  store has {ids.shape[0]} vectors < {n}: synthetic vectors instead", flush=True)
    if source == "synthetic":
        clusters = max(50, n // 200)
        vectors, _ = synthetic(n, args.dim, args.seed, clusters)
        ids = np.arange(1, n + 1, dtype=np.int64)
        products = synthetic_products(n, args.seed)
        queries = synthetic_queries(args.queries, args.dim, args.seed, clusters)
    share = sum(1 for p in products if filt.matches(p)) / len(products)
    print(
        f"\n== {n:,} vectors x {vectors.shape[1]}-d ({source}); filter {filt.conditions[0].field}="
        f"{filt.conditions[0].value!r} keeps {share:.1%}",
        flush=True,
    )

    started = time.perf_counter()
    exact = ExactIndex()
    exact.upsert_products(products)
    exact.upsert(space, ids, vectors)
    exact.count(space)
    exact.search(space, queries[0], k=10, where=filt)  # builds the columns
    load_s = time.perf_counter() - started

    params = HnswParams(m=args.m, ef_construction=args.ef_construction, ef_search=args.ef[0])
    hnsw = HnswIndex(params=params)
    hnsw.upsert_products(products)
    hnsw.upsert(space, ids, vectors)
    hnsw.search(space, queries[0], k=10, where=filt)  # columns
    del vectors, products
    gc.collect()
    started = time.perf_counter()
    hnsw.graph_stats(space)  # builds the graph
    build_s = time.perf_counter() - started
    print(
        f"  load {load_s:.1f} s; HNSW build (M={args.m}, efConstruction={args.ef_construction}) "
        f"{build_s:.1f} s"
    )

    out: dict[str, Any] = {
        "n": n,
        "dim": int(queries.shape[1]),
        "source": source,
        "filter_share": share,
        "build_s": build_s,
        "m": args.m,
        "ef_construction": args.ef_construction,
        "rows": [],
    }
    print(f"  {'index':<26}{'filter':<10}{'p50 ms':>9}{'p99 ms':>9}{'recall@10':>11}")
    for label, f in (("none", None), ("~10%", filt)):
        truth, times = timed_searches(exact, space, queries, f)
        p50, p99 = percentiles(times)
        print(f"  {'exact (NumPy)':<26}{label:<10}{p50:>9.3f}{p99:>9.3f}{1.0:>11.3f}", flush=True)
        out["rows"].append({"index": "exact", "filter": label, "p50_ms": p50, "p99_ms": p99, "recall": 1.0})
        for ef in args.ef:
            hnsw.params = replace(params, ef_search=ef)
            hnsw.search(space, queries[0], k=10, where=f)  # warm
            got, times = timed_searches(hnsw, space, queries, f)
            p50, p99 = percentiles(times)
            rec = recall_at_10(got, truth)
            name = f"hnsw efSearch={ef}"
            print(f"  {name:<26}{label:<10}{p50:>9.3f}{p99:>9.3f}{rec:>11.3f}", flush=True)
            out["rows"].append({"index": name, "filter": label, "p50_ms": p50, "p99_ms": p99, "recall": rec})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="44424,1000000", help="comma-separated catalog sizes")
    parser.add_argument("--dim", type=int, default=384, help="dimension of synthetic vectors")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--m", type=int, default=HnswParams().m)
    parser.add_argument("--ef-construction", type=int, default=HnswParams().ef_construction)
    parser.add_argument(
        "--ef",
        default=f"{HnswParams().ef_search},128,256",
        help="efSearch values to measure (first: default)",
    )
    parser.add_argument("--store", type=Path, default=None, help="a fashion-search data dir with vectors")
    parser.add_argument("--space", default="hybrid", help="space of the store's vectors to use")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    args.ef = [int(e) for e in str(args.ef).split(",")]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, {args.queries} queries, top-10",
        flush=True,
    )
    results = [run_size(args, n) for n in sizes]
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
