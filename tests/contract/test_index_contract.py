"""The VectorIndex contract: every backend must return what a brute-force reference returns.

The reference scores every product with NumPy and keeps those for which ``Filter.matches`` holds,
so the backends' filter evaluation is checked against the domain's reference semantics on
hundreds of random filter combinations. A backend plugs in through ``INDEX_BACKENDS``; backends
that persist to files also give ``save`` and ``load``.

Approximate backends (``approximate=True``, e.g. HNSW forced onto its graph) must return exactly
k eligible products with exact scores, best first, but may miss some of the reference's ids: for
them the suite measures recall@k against the reference instead of comparing ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import SPACES, Condition, Filter, Hit, ImageStatus, Op, Product, condition, where
from fashion_search.errors import IndexCorruptError, ValidationError
from fashion_search.index.base import VectorIndex
from fashion_search.index.exact import ExactIndex


@dataclass(frozen=True)
class IndexBackend:
    name: str
    make: Callable[[], VectorIndex]
    save: Callable[[VectorIndex, Path], None] | None = None
    load: Callable[[Path], VectorIndex] | None = None
    approximate: bool = False
    """Compared by recall@k (at least ``min_recall`` over a test's cases), not by exact ids."""
    min_recall: float = 1.0
    open_postgres: Callable[[str, str], VectorIndex] | None = None
    """For backends living in PostgreSQL: opens one on (server URI, fresh schema); see ``backend``."""


def _save_exact(index: VectorIndex, directory: Path) -> None:
    assert isinstance(index, ExactIndex)
    index.save(directory)


def _hnsw_backends() -> list[object]:
    try:
        import faiss  # noqa: F401
    except ImportError:
        reason = "faiss-cpu is not installed (extra 'hnsw')"
        return [
            pytest.param(None, id=f"hnsw-{kind}", marks=pytest.mark.skip(reason))
            for kind in ("small", "graph", "partitions", "blocks")
        ]
    from fashion_search.index.hnsw import HnswIndex, HnswParams

    def graph_only() -> VectorIndex:
        # exact_max_cells=0 sends every query with more than k candidates through the graph.
        return HnswIndex(params=HnswParams(m=16, ef_construction=64, ef_search=48, exact_max_cells=0))

    def partitioned() -> VectorIndex:
        # Sub-graphs per gender and colour (~40-60 products each), walked for every = / in filter.
        return HnswIndex(
            params=HnswParams(
                m=16,
                ef_construction=64,
                ef_search=48,
                exact_max_cells=0,
                partition_fields=("gender", "base_colour"),
                partition_min_rows=20,
            )
        )

    return [
        # Default thresholds: a catalog this small is answered exactly, ids and all.
        pytest.param(IndexBackend("hnsw-small", HnswIndex, _save_exact, HnswIndex.load), id="hnsw-small"),
        pytest.param(
            IndexBackend(
                "hnsw-graph", graph_only, _save_exact, HnswIndex.load, approximate=True, min_recall=0.98
            ),
            id="hnsw-graph",
        ),
        pytest.param(
            IndexBackend(
                "hnsw-partitions", partitioned, _save_exact, HnswIndex.load, approximate=True, min_recall=0.98
            ),
            id="hnsw-partitions",
        ),
        # Default thresholds: every value's rows are a contiguous block scored exactly, ids and all.
        pytest.param(
            IndexBackend(
                "hnsw-blocks",
                lambda: HnswIndex(params=HnswParams(partition_fields=("gender", "base_colour"))),
                _save_exact,
                HnswIndex.load,
            ),
            id="hnsw-blocks",
        ),
    ]


def _pgvector_backends() -> list[object]:
    def opener(**options: object) -> Callable[[str, str], VectorIndex]:
        def open_index(uri: str, schema: str) -> VectorIndex:
            from fashion_search.index.pgvector import PgVectorIndex

            return PgVectorIndex.open(uri, schema=schema, **options)

        return open_index

    def unopened() -> VectorIndex:
        raise AssertionError("the backend fixture gives PostgreSQL backends their make()")

    return [
        pytest.param(
            IndexBackend("pgvector-exact", unopened, open_postgres=opener(mode="exact")),
            id="pgvector-exact",
            marks=pytest.mark.postgres,
        ),
        # exact_max_rows=0 sends every query with a filter through the HNSW walk; at 300 products
        # the graph is near complete, so even the walk must find the reference's ids.
        pytest.param(
            IndexBackend("pgvector-hnsw", unopened, open_postgres=opener(mode="hnsw", exact_max_rows=0)),
            id="pgvector-hnsw",
            marks=pytest.mark.postgres,
        ),
    ]


INDEX_BACKENDS = [
    pytest.param(IndexBackend("exact", ExactIndex, _save_exact, ExactIndex.load), id="exact"),
    *_hnsw_backends(),
    *_pgvector_backends(),
]

DIM = 16
N_PRODUCTS = 300
GENDERS = ["Men", "Women", "Boys", "Girls", "Unisex"]
COLOURS = ["Black", "White", "Navy Blue", "Red", "Grey", "Blue", "Green"]
TYPES = ["Tshirts", "Shirts", "Jeans", "Watches", "Casual Shoes", "Kurtas"]
SEASONS = ["Summer", "Winter", "Fall", "Spring"]
STATUSES = list(ImageStatus)


@dataclass
class Catalog:
    products: dict[int, Product]
    vectors: dict[str, dict[int, np.ndarray]]
    """Per space: product id -> raw (unnormalised) vector; some products lack some spaces."""


def _maybe(rng: np.random.Generator, values: list[str], null_rate: float = 0.12) -> str | None:
    return None if rng.random() < null_rate else str(rng.choice(values))


def make_catalog(seed: int = 0, n: int = N_PRODUCTS) -> Catalog:
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(1, 100_000), size=n, replace=False)
    products: dict[int, Product] = {}
    for pid in ids.tolist():
        products[pid] = Product(
            id=pid,
            name=f"product {pid}",
            gender=_maybe(rng, GENDERS),
            master_category=_maybe(rng, ["Apparel", "Accessories", "Footwear"]),
            sub_category=_maybe(rng, ["Topwear", "Bottomwear", "Watches", "Shoes"]),
            article_type=_maybe(rng, TYPES),
            base_colour=_maybe(rng, COLOURS),
            season=_maybe(rng, SEASONS),
            year=None if rng.random() < 0.1 else int(rng.integers(2008, 2019)),
            usage=_maybe(rng, ["Casual", "Formal", "Sports", "Ethnic"]),
            price=None if rng.random() < 0.1 else float(np.round(rng.uniform(5, 250), 2)),
            image_status=STATUSES[int(rng.integers(len(STATUSES)))],
            image_file=f"{pid}.jpg",
        )
    vectors: dict[str, dict[int, np.ndarray]] = {}
    for space in SPACES:
        keep = [pid for pid in products if rng.random() < 0.85]
        raw = rng.standard_normal((len(keep), DIM)).astype(np.float32) * rng.uniform(0.5, 3.0)
        vectors[space] = {pid: raw[i] for i, pid in enumerate(keep)}
    return Catalog(products, vectors)


def fill(index: VectorIndex, catalog: Catalog) -> VectorIndex:
    index.upsert_products(list(catalog.products.values()))
    for space, vecs in catalog.vectors.items():
        ids = list(vecs)
        index.upsert(space, ids, np.stack([vecs[i] for i in ids]))
    return index


def reference(
    catalog: Catalog,
    space: str,
    query: np.ndarray,
    k: int,
    where_: Filter | None = None,
    exclude: frozenset[int] = frozenset(),
) -> tuple[list[tuple[int, float]], dict[int, float]]:
    """Brute force in float64: the expected (id, score) list and every eligible id's score."""
    q = query.astype(np.float64)
    q /= np.linalg.norm(q)
    scores: dict[int, float] = {}
    for pid, vec in catalog.vectors[space].items():
        if pid in exclude or (where_ is not None and not where_.matches(catalog.products[pid])):
            continue
        v = vec.astype(np.float64)
        scores[pid] = float(v @ q / np.linalg.norm(v))
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:k], scores


def assert_matches_reference(
    got: list[Hit],
    expected: list[tuple[int, float]],
    eligible: dict[int, float],
    catalog: Catalog,
    case: str,
    approximate: bool = False,
) -> float:
    """Checks one result against the reference and returns its recall@k (1.0 when exact)."""
    assert len(got) == len(expected), case
    ids = [h.product.id for h in got]
    assert len(set(ids)) == len(ids), case
    for rank, (hit, (exp_id, exp_score)) in enumerate(zip(got, expected, strict=True)):
        assert hit.product == catalog.products[hit.product.id], case
        assert hit.product.id in eligible, f"{case}: {hit.product.id} is excluded or fails the filter"
        assert hit.score == pytest.approx(eligible[hit.product.id], abs=1e-5), case
        if hit.product.id != exp_id and not approximate:
            # Only a float32 near-tie with the expected product may swap places with it.
            assert eligible[hit.product.id] == pytest.approx(exp_score, abs=1e-5), f"{case}: rank {rank}"
    assert [h.score for h in got] == sorted((h.score for h in got), reverse=True), case
    if not expected:
        return 1.0
    # A hit tied (within float32) with the k-th expected score counts as found.
    kth = expected[-1][1]
    wanted = {pid for pid, _ in expected}
    found = sum(1 for h in got if h.product.id in wanted or eligible[h.product.id] >= kth - 1e-5)
    return found / len(expected)


def random_condition(rng: np.random.Generator, catalog: Catalog) -> Condition:
    kind = int(rng.integers(9))
    text_fields = {
        "gender": GENDERS,
        "base_colour": COLOURS,
        "article_type": TYPES,
        "season": SEASONS,
        "image_status": [s.value for s in STATUSES],
    }
    field = str(rng.choice(list(text_fields)))
    values = text_fields[field] + ["Nowhere"]  # a value no product has
    if kind == 0:
        return condition(field, Op.EQ, str(rng.choice(values)))
    if kind == 1:
        return condition(field, Op.NE, str(rng.choice(values)))
    if kind == 2:
        return condition(field, Op.IN, [str(v) for v in rng.choice(values, size=int(rng.integers(1, 4)))])
    if kind == 3:
        return condition(field, Op.NOT_IN, [str(v) for v in rng.choice(values, size=int(rng.integers(1, 4)))])
    if kind in (4, 5):
        numeric = "price" if kind == 4 else "year"
        present = [getattr(p, numeric) for p in catalog.products.values() if getattr(p, numeric) is not None]
        # Half the bounds are values some product has exactly, to test inclusive/exclusive edges.
        bound = (
            present[int(rng.integers(len(present)))]
            if rng.random() < 0.5
            else (float(rng.uniform(0, 260)) if numeric == "price" else int(rng.integers(2007, 2020)))
        )
        return condition(numeric, str(rng.choice([">", ">=", "<", "<="])), bound)
    if kind == 6:
        years = [int(y) for y in rng.integers(2008, 2019, size=int(rng.integers(1, 4)))]
        return condition("year", Op.IN if rng.random() < 0.5 else Op.NOT_IN, years)
    if kind == 7:
        some = [int(i) for i in rng.choice(list(catalog.products), size=int(rng.integers(1, 30)))]
        return condition("id", Op.IN if rng.random() < 0.5 else Op.NOT_IN, some)
    price = [p.price for p in catalog.products.values() if p.price is not None]
    return condition("price", Op.EQ if rng.random() < 0.5 else Op.NE, price[int(rng.integers(len(price)))])


@pytest.fixture(params=INDEX_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[IndexBackend]:
    spec: IndexBackend = request.param
    if spec.open_postgres is None:
        yield spec
        return
    # Each make() gets a fresh schema on the session's server; all are closed and dropped after.
    import psycopg
    from psycopg import sql

    uri: str = request.getfixturevalue("postgres_uri")
    opened: list[tuple[VectorIndex, str]] = []
    open_postgres = spec.open_postgres

    def make() -> VectorIndex:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        index = open_postgres(uri, schema)
        opened.append((index, schema))
        return index

    yield replace(spec, make=make)
    with psycopg.connect(uri, autocommit=True) as conn:
        for index, schema in opened:
            index.close()  # type: ignore[attr-defined]
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return make_catalog()


@pytest.fixture
def index(backend: IndexBackend, catalog: Catalog) -> VectorIndex:
    return fill(backend.make(), catalog)


# --------------------------------------------------------------------------------------------
# results equal the reference
# --------------------------------------------------------------------------------------------


def test_unfiltered_search_equals_reference(
    backend: IndexBackend, index: VectorIndex, catalog: Catalog
) -> None:
    rng = np.random.default_rng(11)
    recalls = []
    for case in range(60):
        space = SPACES[case % 3]
        query = rng.standard_normal(DIM).astype(np.float32)
        k = int(rng.integers(1, 40))
        expected, eligible = reference(catalog, space, query, k)
        got = index.search(space, query, k=k)
        recalls.append(
            assert_matches_reference(got, expected, eligible, catalog, f"case {case}", backend.approximate)
        )
    assert np.mean(recalls) >= backend.min_recall


def test_random_filters_equal_reference(backend: IndexBackend, index: VectorIndex, catalog: Catalog) -> None:
    rng = np.random.default_rng(2024)
    recalls = []
    nonempty = 0
    for case in range(250):
        conditions = tuple(random_condition(rng, catalog) for _ in range(int(rng.integers(1, 4))))
        filt = Filter(conditions)
        space = SPACES[int(rng.integers(3))]
        query = rng.standard_normal(DIM).astype(np.float32)
        k = int(rng.integers(1, 60))
        exclude = (
            frozenset(int(i) for i in rng.choice(list(catalog.products), size=20))
            if rng.random() < 0.3
            else frozenset()
        )
        expected, eligible = reference(catalog, space, query, k, filt, exclude)
        got = index.search(space, query, k=k, where=filt, exclude_ids=exclude)
        case_name = f"case {case}: {filt} exclude={sorted(exclude)}"
        recalls.append(
            assert_matches_reference(got, expected, eligible, catalog, case_name, backend.approximate)
        )
        nonempty += bool(expected)
    # The generator must exercise real filtering, not mostly-empty results.
    assert nonempty > 150
    assert np.mean(recalls) >= backend.min_recall


def test_k_larger_than_matches_returns_every_match(index: VectorIndex, catalog: Catalog) -> None:
    filt = where(gender="Girls", season="Summer")
    query = np.ones(DIM, dtype=np.float32)
    expected, eligible = reference(catalog, "text", query, 1000, filt)
    assert 0 < len(expected) < 50
    got = index.search("text", query, k=1000, where=filt)
    assert_matches_reference(got, expected, eligible, catalog, "k > matches")
    unfiltered = index.search("text", query, k=10_000)
    assert len(unfiltered) == len(catalog.vectors["text"])


def test_filter_matching_nothing_returns_nothing(index: VectorIndex) -> None:
    assert index.search("image", np.ones(DIM), k=5, where=where(base_colour="Nowhere")) == []
    assert index.search("image", np.ones(DIM), k=5, where=Filter((condition("price", ">", 1e9),))) == []


def test_null_semantics_follow_filter_matches(index: VectorIndex, catalog: Catalog) -> None:
    query = np.ones(DIM, dtype=np.float32)
    for filt in [
        Filter((condition("base_colour", "!=", "Black"),)),
        Filter((condition("base_colour", "not in", ["Black", "White"]),)),
        Filter((condition("year", "!=", 2012),)),
        Filter((condition("price", "<", 100.0),)),
    ]:
        got = {h.product.id for h in index.search("hybrid", query, k=10_000, where=filt)}
        expected = {pid for pid in catalog.vectors["hybrid"] if filt.matches(catalog.products[pid])}
        assert got == expected, filt
    nulls = {h.product.id for h in index.search("hybrid", query, k=10_000, where=where(base_colour="Black"))}
    assert all(catalog.products[i].base_colour == "Black" for i in nulls)


def test_exclude_ids(index: VectorIndex, catalog: Catalog) -> None:
    query = np.asarray(next(iter(catalog.vectors["image"].values())))
    top = [h.product.id for h in index.search("image", query, k=5)]
    rest = [h.product.id for h in index.search("image", query, k=3, exclude_ids=top[:2])]
    assert rest == top[2:5]


def test_ties_are_broken_by_id(backend: IndexBackend) -> None:
    index = backend.make()
    index.upsert_products([Product(id=i, name=f"p{i}") for i in (9, 3, 5, 7)])
    index.upsert("image", [9, 3, 5, 7], np.tile(np.eye(4, dtype=np.float32)[0], (4, 1)))
    got = [h.product.id for h in index.search("image", np.eye(4)[0], k=3)]
    if backend.approximate:
        # A graph may reach any 3 of 4 equal vectors; those it returns are still ordered by id.
        assert len(got) == 3 and set(got) < {3, 5, 7, 9} and got == sorted(got)
    else:
        assert got == [3, 5, 7]

    # Many exact ties scattered among other rows, so a selection that ignores ids would differ.
    rng = np.random.default_rng(0)
    ids = rng.permutation(np.arange(1, 1001))
    tied = set(rng.choice(ids, size=500, replace=False).tolist())
    vectors = np.array([np.eye(4)[0] if i in tied else np.eye(4)[1] for i in ids.tolist()], dtype=np.float32)
    index = backend.make()
    index.upsert_products([Product(id=int(i), name=f"p{i}") for i in ids])
    # ndarray ids, as index_from_store passes them
    index.upsert("text", ids, vectors)
    for k in (1, 5, 10, 37):
        got = [h.product.id for h in index.search("text", np.eye(4)[0], k=k)]
        if backend.approximate:
            assert len(got) == k and set(got) <= tied and got == sorted(got)
        else:
            assert got == sorted(tied)[:k]


# --------------------------------------------------------------------------------------------
# writes
# --------------------------------------------------------------------------------------------


def test_upsert_replaces_vectors(index: VectorIndex, catalog: Catalog) -> None:
    target = sorted(catalog.vectors["image"])[17]
    query = np.random.default_rng(5).standard_normal(DIM).astype(np.float32)
    assert index.search("image", query, k=1)[0].product.id != target
    index.upsert("image", [target], query[None, :] * 3)
    best = index.search("image", query, k=1)[0]
    assert best.product.id == target and best.score == pytest.approx(1.0, abs=1e-5)
    assert index.count("image") == len(catalog.vectors["image"])
    assert np.allclose(index.vectors("image", [target])[0], query / np.linalg.norm(query), atol=1e-6)


def test_upsert_products_replaces_metadata(index: VectorIndex, catalog: Catalog) -> None:
    pid = sorted(catalog.vectors["text"])[3]
    renamed = Product(**{**catalog.products[pid].to_dict(), "base_colour": "Magenta"})
    index.upsert_products([renamed])
    got = index.search("text", np.ones(DIM), k=10, where=where(base_colour="Magenta"))
    assert [h.product for h in got] == [renamed]
    assert index.count() == len(catalog.products)


def test_delete_removes_from_every_space(index: VectorIndex, catalog: Catalog) -> None:
    in_all = [pid for pid in catalog.products if all(pid in catalog.vectors[s] for s in SPACES)][:5]
    index.delete([*in_all, 123_456_789])
    assert index.count() == len(catalog.products) - 5
    for space in SPACES:
        assert index.count(space) == len(catalog.vectors[space]) - 5
        ids = {h.product.id for h in index.search(space, np.ones(DIM), k=10_000)}
        assert ids.isdisjoint(in_all)
        assert not index.vectors(space, in_all).any()


def test_vectors_gives_zero_rows_for_missing(index: VectorIndex, catalog: Catalog) -> None:
    present = next(iter(catalog.vectors["image"]))
    absent = next(pid for pid in catalog.products if pid not in catalog.vectors["image"])
    got = index.vectors("image", [absent, present])
    assert got.shape == (2, DIM) and got.dtype == np.float32
    assert not got[0].any()
    expected = catalog.vectors["image"][present]
    assert np.allclose(got[1], expected / np.linalg.norm(expected), atol=1e-6)


def test_counts(index: VectorIndex, catalog: Catalog) -> None:
    assert index.count() == len(catalog.products)
    for space in SPACES:
        assert index.count(space) == len(catalog.vectors[space])


def test_bad_inputs_are_validation_errors(index: VectorIndex) -> None:
    with pytest.raises(ValidationError, match=f"{DIM}"):
        index.search("image", np.ones(DIM + 1), k=3)
    with pytest.raises(ValidationError, match="colour"):
        index.search("colour", np.ones(DIM), k=3)
    with pytest.raises(ValidationError, match="424242"):
        index.upsert("image", [424242], np.ones((1, DIM)))
    with pytest.raises(ValidationError, match="dim"):
        index.upsert("image", [1, 2], np.ones((1, DIM)))


# --------------------------------------------------------------------------------------------
# persistence (file-backed backends)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def saved(backend: IndexBackend, index: VectorIndex, tmp_path: Path) -> Path:
    if backend.save is None:
        pytest.skip(f"{backend.name} does not persist to files")
    directory = tmp_path / "index"
    backend.save(index, directory)
    return directory


def _data_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name != "manifest.json")


def test_persistence_round_trip_gives_identical_results(
    backend: IndexBackend, index: VectorIndex, catalog: Catalog, saved: Path
) -> None:
    assert backend.load is not None
    loaded = backend.load(saved)
    rng = np.random.default_rng(99)
    assert loaded.count() == index.count()
    for case in range(40):
        space = SPACES[case % 3]
        filt = Filter((random_condition(rng, catalog),)) if case % 2 else None
        query = rng.standard_normal(DIM).astype(np.float32)
        assert loaded.search(space, query, k=15, where=filt) == index.search(space, query, k=15, where=filt)
        assert loaded.count(space) == index.count(space)


@pytest.mark.parametrize("damage", ["flip", "truncate", "remove", "empty"])
def test_damaged_files_raise_index_corrupt(backend: IndexBackend, saved: Path, damage: str) -> None:
    assert backend.load is not None
    for victim in _data_files(saved):
        original = victim.read_bytes()
        if damage == "flip":
            data = bytearray(original)
            data[len(data) // 2] ^= 0x01
            victim.write_bytes(bytes(data))
        elif damage == "truncate":
            victim.write_bytes(original[: len(original) - 7])
        elif damage == "remove":
            victim.unlink()
        else:
            victim.write_bytes(b"")
        with pytest.raises(IndexCorruptError, match="fashion-search index"):
            backend.load(saved)
        victim.write_bytes(original)
    backend.load(saved)  # restored: loads again


def test_damaged_manifest_raises_index_corrupt(backend: IndexBackend, saved: Path) -> None:
    assert backend.load is not None
    manifest = saved / "manifest.json"
    manifest.write_text(manifest.read_text()[:-20])
    with pytest.raises(IndexCorruptError, match="fashion-search index"):
        backend.load(saved)
    manifest.write_text('{"format": "something else"}')
    with pytest.raises(IndexCorruptError):
        backend.load(saved)
