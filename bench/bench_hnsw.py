"""Top-10 latency and recall of the HNSW index, unfiltered and filtered (prints figures; not a test).

For each catalog size it fills one :class:`HnswIndex` (with per-value sub-graphs of the
``--partition-fields``), builds the main graph and the sub-graphs (timed, with their memory), and
runs the same queries unfiltered and with filters keeping about 10% of the products:

* ``exact``: the exact NumPy answer over the same vectors (the ground truth);
* ``hnsw``: the index's path with sub-graphs per value of ``--partition-fields`` (values of at
  most ``exact_max_cells`` cells are contiguous blocks scored exactly instead);
* ``hnsw, no sub-graphs``: the path before sub-graphs (filters answered exactly up to
  ``exact_max_cells``, else a walk of the whole graph through an ``IDSelectorBitmap`` with a raised
  efSearch) - the same index with ``partition_fields=()``;
* ``varied``: every query a different value of the partitioned field (no value repeats in a row),
  so nothing is warm for the next query's filter: the cold figure. The index keeps no filter
  cache, so cold and repeated filters take the same path.

It then profiles one filtered query path by parts (filter mask over the columns, bitmap packing,
graph walk, exact rescoring and whole products).

Latency is of ``search()`` returning whole products, as the services call it. Recall@10 is
against the exact answer and tie-aware (a hit scoring as high as the 10th exact hit counts: the
real catalog has many products with identical descriptions, hence identical text vectors).

Data: sizes up to the shared catalog's use its real products (``styles.csv``) with the shipped
fashion-lite model's text vectors of their descriptions (cached under ``--cache`` per model
version) and shopper phrases as queries (``bench_index.py``'s); filters ``usage = Sports`` and
``base_colour = Blue``. Larger sizes use clustered synthetic vectors (:func:`synthetic`) with
products whose ``base_colour`` is one of ten values (``base_colour = Black`` keeps 10%) and
``gender`` one of five, queries fresh from the same distribution.

    python bench/bench_hnsw.py                                  # 44,446 real and 1,000,000 synthetic
    python bench/bench_hnsw.py --sizes 44446 --partition-fields base_colour,usage,gender
    nice python bench/bench_hnsw.py --sizes 1000000 --json out.json > bench.log

The 1M builds take about half an hour on 2 cores. ``OMP_NUM_THREADS`` bounds FAISS's build
threads. Single queries run with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` unless set): on a
busy 2-core machine a multi-threaded matrix-vector product waits for a second core and measured
about 12 ms where one thread takes about 1 ms (20k x 384-d).
"""

from __future__ import annotations

import os

# Before NumPy loads OpenBLAS (see the module docstring).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import asdict, dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from fashion_search.domain import Filter, Hit, Product, where  # noqa: E402
from fashion_search.index.exact import ExactIndex  # noqa: E402
from fashion_search.index.hnsw import (  # noqa: E402
    HnswIndex,
    HnswParams,
    _bitmap_selector,
    _faiss,
    _graph_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CATALOG = ROOT.parent / "shared" / "data" / "fashion-product-images"
COLOURS = ["Black", "White", "Blue", "Red", "Grey", "Green", "Brown", "Pink", "Navy Blue", "Beige"]
GENDERS = ["Men", "Women", "Boys", "Girls", "Unisex"]
K = 10
TIE_EPS = 1e-5


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


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
    """Products with a random colour (one of ten) and gender (one of five, drawn separately)."""
    colours = np.random.default_rng(seed + 11).integers(len(COLOURS), size=n)
    genders = np.random.default_rng(seed + 13).integers(len(GENDERS), size=n)
    return [
        Product(id=i + 1, name=f"product {i + 1}", base_colour=COLOURS[c], gender=GENDERS[g])
        for i, (c, g) in enumerate(zip(colours.tolist(), genders.tolist(), strict=True))
    ]


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Dataset:
    source: str
    products: list[Product]
    ids: np.ndarray
    vectors: np.ndarray
    queries: np.ndarray
    filters: dict[str, Filter]
    """The ~10% filters (the first is profiled) and a combined one (sub-graph plus a bitmap)."""
    varied_field: str
    varied_values: list[str]
    partition_fields: tuple[str, ...]


def real_dataset(args: argparse.Namespace, n: int) -> Dataset:
    bench_index = _load_module("fashion_search_bench_index", ROOT / "bench" / "bench_index.py")
    products = bench_index.load_products(args.catalog)[:n]
    ids = np.array([p.id for p in products], dtype=np.int64)
    vectors, queries, origin = bench_index.catalog_vectors(
        products, "fashion-lite", args.cache, args.queries, seed=args.seed
    )
    colours = [p.base_colour for p in products if p.base_colour]
    top = sorted(set(colours), key=lambda c: (-colours.count(c), c))[:10]
    return Dataset(
        source=f"{len(products):,} real products, {origin}, shopper-phrase queries",
        products=products,
        ids=ids,
        vectors=vectors,
        queries=queries,
        filters={
            "usage=Sports": where(usage="Sports"),
            "colour=Blue": where(base_colour="Blue"),
            "colour=Blue & gender=Women": where(base_colour="Blue", gender="Women"),
        },
        varied_field="base_colour",
        varied_values=top,
        partition_fields=tuple(args.partition_fields or ("base_colour", "usage")),
    )


def synthetic_dataset(args: argparse.Namespace, n: int) -> Dataset:
    clusters = max(50, n // 200)
    vectors, _ = synthetic(n, args.dim, args.seed, clusters)
    return Dataset(
        source=f"synthetic clustered vectors ({clusters} clusters, seed {args.seed})",
        products=synthetic_products(n, args.seed),
        ids=np.arange(1, n + 1, dtype=np.int64),
        vectors=vectors,
        queries=synthetic_queries(args.queries, args.dim, args.seed, clusters).astype(np.float32),
        filters={
            "colour=Black": where(base_colour="Black"),
            "colour=Black & gender=Women": where(base_colour="Black", gender="Women"),
        },
        varied_field="base_colour",
        varied_values=list(COLOURS),
        partition_fields=tuple(args.partition_fields or ("base_colour",)),
    )


# --------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------


Search = Callable[[np.ndarray, Filter | None], list[Hit]]


def timed(
    search: Search, queries: np.ndarray, filters: list[Filter | None]
) -> tuple[list[list[Hit]], list[float]]:
    results: list[list[Hit]] = []
    times: list[float] = []
    for q, f in zip(queries, filters, strict=True):
        started = time.perf_counter()
        hits = search(q, f)
        times.append(time.perf_counter() - started)
        results.append(hits)
    return results, times


def tie_aware_recall(got: list[list[Hit]], truth: list[list[Hit]]) -> float:
    out = []
    for g, t in zip(got, truth, strict=True):
        if not t:
            continue
        kth = t[-1].score
        out.append(min(len(t), sum(1 for h in g if h.score >= kth - TIE_EPS)) / len(t))
    return float(np.mean(out))


def ms(samples: list[float]) -> tuple[float, float]:
    arr = np.asarray(samples) * 1000.0
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def median_ms(fn: Callable[[int], object], n: int) -> float:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - started)
    return float(np.median(samples) * 1000.0)


def profile(
    hnsw: HnswIndex, space: str, queries: np.ndarray, filt: Filter, params: HnswParams
) -> dict[str, float]:
    """Median ms of each part of a filtered query, on both paths (private parts, measured apart)."""
    faiss = _faiss()
    snap = hnsw._current()
    data = snap.spaces[space]
    graph = hnsw._graphs[space]
    n = len(queries)
    qs = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    mask = snap.columns.mask(filt)[snap.rows[space]]
    rows = np.flatnonzero(mask)
    out: dict[str, float] = {"candidates": float(rows.shape[0])}
    out["mask over the columns"] = median_ms(lambda i: snap.columns.mask(filt)[snap.rows[space]], n)
    out["exact: gather candidate rows"] = median_ms(lambda i: np.take(data.matrix, rows, axis=0), n)
    block = np.take(data.matrix, rows, axis=0)
    out["exact: score gathered rows"] = median_ms(lambda i: block @ qs[i], n)
    out["bitmap: pack"] = median_ms(lambda i: _bitmap_selector(faiss, mask), n)
    selector, bits = _bitmap_selector(faiss, mask)
    ef = params.filtered_ef(rows.shape[0] / data.ids.shape[0], K)
    walk = faiss.SearchParametersHNSW(efSearch=ef, sel=selector)
    out[f"bitmap: walk whole graph (ef {ef})"] = median_ms(
        lambda i: graph.index.search(qs[i][None, :], K, params=walk), n
    )
    del bits
    _, parts = hnsw._partitions(space)
    cond = filt.conditions[0]
    sub = parts[cond.field].graphs.get(cond.value) if cond.field in parts else None
    if sub is not None:
        fetch = K * params.partition_fetch
        plain = faiss.SearchParametersHNSW(efSearch=max(params.partition_ef_search, fetch))
        out[f"sub-graph: walk (ef {params.partition_ef_search}, {fetch} fetched)"] = median_ms(
            lambda i: sub.index.search(qs[i][None, :], fetch, params=plain), n
        )
        found = [sub.label_rows[sub.index.search(q[None, :], fetch, params=plain)[1][0]] for q in qs]
        out["sub-graph: rescore fetched rows (float32)"] = median_ms(
            lambda i: np.lexsort((found[i], -(data.matrix[found[i]] @ qs[i])))[:K], n
        )
    top = rows[:K]
    out["whole products (Hit list)"] = median_ms(lambda i: hnsw._hits(snap, space, top, np.zeros(K)), n)
    return out


def run_size(args: argparse.Namespace, n: int) -> dict[str, Any]:
    load_start = os.getloadavg()[0]
    catalog_n = 0
    if args.catalog is not None and (args.catalog / "styles.csv").is_file():
        catalog_n = 44_446
    data = real_dataset(args, n) if n <= catalog_n else synthetic_dataset(args, n)
    space = "text"
    dim = int(data.vectors.shape[1])
    print(
        f"\n== {data.ids.shape[0]:,} vectors x {dim}-d: {data.source}; load average {load_start:.1f}",
        flush=True,
    )
    params = HnswParams(
        m=args.m,
        ef_construction=args.ef_construction,
        ef_search=args.ef,
        partition_fields=data.partition_fields,
        partition_storage=args.partition_storage,
    )
    hnsw = HnswIndex(params=params)
    started = time.perf_counter()
    hnsw.upsert_products(data.products)
    hnsw.upsert(space, data.ids, data.vectors)
    ExactIndex.search(hnsw, space, data.queries[0], k=K, where=next(iter(data.filters.values())))
    load_s = time.perf_counter() - started
    products, queries = data.products, data.queries
    data.vectors = np.empty((0, dim), dtype=np.float32)
    data.products = []
    gc.collect()
    started = time.perf_counter()
    hnsw.graph_stats(space)
    graph_s = time.perf_counter() - started
    started = time.perf_counter()
    stats = hnsw.partition_stats(space)
    parts_s = time.perf_counter() - started
    graph_bytes = _graph_bytes(hnsw._graphs[space].index)
    sub = [s for s in stats if s["kind"] == "graph"]
    blocks = [s for s in stats if s["kind"] == "block"]
    parts_bytes = sum(s["bytes"] for s in sub)
    block_bytes = sum(s["bytes"] for s in blocks)
    vector_bytes = data.ids.shape[0] * dim * 4
    print(
        f"  load {load_s:.1f} s; main graph (M={args.m}, efConstruction={args.ef_construction}, float32) "
        f"{graph_s:.1f} s, {graph_bytes / 2**20:,.0f} MiB; per value of {', '.join(data.partition_fields)} "
        f"{parts_s:.1f} s: {len(sub)} sub-graphs ({args.partition_storage}) {parts_bytes / 2**20:,.1f} MiB, "
        f"{len(blocks)} exact blocks (float32) {block_bytes / 2**20:,.1f} MiB "
        f"(the float32 vectors: {vector_bytes / 2**20:,.0f} MiB)",
        flush=True,
    )
    for s in stats:
        print(
            f"    {s['kind']:<6}{s['field']}={s['value']!r}: {s['vectors']:,} vectors, "
            f"{s['bytes'] / 2**20:,.1f} MiB"
        )

    out: dict[str, Any] = {
        "n": int(data.ids.shape[0]),
        "dim": dim,
        "source": data.source,
        "load_average_start": load_start,
        "graph_build_s": graph_s,
        "graph_bytes": graph_bytes,
        "subgraphs": stats,
        "subgraph_build_s": parts_s,
        "subgraph_bytes": parts_bytes,
        "block_bytes": block_bytes,
        "vector_bytes": vector_bytes,
        "params": asdict(params),
        "rows": [],
    }
    nq = queries.shape[0]
    cases: list[tuple[str, list[Filter | None]]] = [("none", [None] * nq)]
    for name, f in data.filters.items():
        cases.append((name, [f] * nq))
    varied: list[Filter | None] = [
        where(**{data.varied_field: data.varied_values[i % len(data.varied_values)]}) for i in range(nq)
    ]
    cases.append((f"varied {data.varied_field} (cold)", varied))
    modes: list[tuple[str, HnswParams]] = [
        (f"hnsw ef {args.ef}", params),
        ("hnsw, no sub-graphs", replace(params, partition_fields=())),
    ]
    print(f"  {'index':<24}{'filter':<30}{'share':>7}{'p50 ms':>9}{'p99 ms':>9}{'recall@10':>11}{'min k':>7}")

    def row(
        index: str, label: str, share: float, times: list[float], recall: float, got: list[list[Hit]]
    ) -> None:
        p50, p99 = ms(times)
        least = min(len(g) for g in got)
        print(
            f"  {index:<24}{label:<30}{share:>7.1%}{p50:>9.3f}{p99:>9.3f}{recall:>11.3f}{least:>7}",
            flush=True,
        )
        out["rows"].append(
            {
                "index": index,
                "filter": label,
                "share": share,
                "p50_ms": p50,
                "p99_ms": p99,
                "recall": recall,
                "min_k": least,
            }
        )

    for label, filters in cases:
        if filters[0] is None:
            share = 1.0
        else:
            share = float(
                np.mean([hnsw.count_matching(f) for f in filters[: len(data.varied_values)]])
            ) / len(products)

        def exact_search(q: np.ndarray, f: Filter | None) -> list[Hit]:
            return ExactIndex.search(hnsw, space, q, k=K, where=f)

        truth, times = timed(exact_search, queries, filters)
        row("exact (NumPy)", label, share, times, 1.0, truth)
        for name, mode in modes:
            if filters[0] is None and mode is not params:
                continue
            hnsw.params = mode

            def approx(q: np.ndarray, f: Filter | None) -> list[Hit]:
                return hnsw.search(space, q, k=K, where=f)

            timed(approx, queries[:5], filters[:5])  # warm
            got, times = timed(approx, queries, filters)
            row(name, label, share, times, tie_aware_recall(got, truth), got)
        hnsw.params = params

    first_name, first = next(iter(data.filters.items()))
    print(f"  profile of {first_name} (median ms per query, parts measured apart):")
    parts = profile(hnsw, space, queries, first, params)
    for part, value in parts.items():
        print(f"    {part:<48}{value:>9.3f}")
    out["profile"] = {"filter": first_name, **parts}
    out["load_average_end"] = os.getloadavg()[0]
    print(f"  load average at the end {out['load_average_end']:.1f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="44446,1000000", help="comma-separated catalog sizes")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG, help="folder with styles.csv")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fashion-search" / "bench",
        help="where bench_index.py caches the catalog's vectors",
    )
    parser.add_argument("--dim", type=int, default=384, help="dimension of synthetic vectors")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--m", type=int, default=HnswParams().m)
    parser.add_argument("--ef-construction", type=int, default=HnswParams().ef_construction)
    parser.add_argument("--ef", type=int, default=HnswParams().ef_search, help="efSearch of the main graph")
    parser.add_argument(
        "--partition-fields",
        default=None,
        help="comma-separated sub-graph fields (default: real base_colour,usage; synthetic base_colour)",
    )
    parser.add_argument(
        "--partition-storage", default=HnswParams().partition_storage, choices=("sq8", "flat")
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    args.partition_fields = [f for f in (args.partition_fields or "").split(",") if f] or None
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, {args.queries} queries, top-{K}",
        flush=True,
    )
    results = [run_size(args, n) for n in sizes]
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
