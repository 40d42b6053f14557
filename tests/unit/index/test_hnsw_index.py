from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest

from fashion_search.domain import Filter, Product, condition, where
from fashion_search.errors import ConfigurationError, IndexCorruptError
from fashion_search.index.exact import ExactIndex

pytest.importorskip("faiss")

from fashion_search.index.hnsw import HNSW_MANIFEST, HnswIndex, HnswParams  # noqa: E402

DIM = 32
N = 2000
COLOURS = ["Black", "White", "Red", "Blue", "Green", "Grey", "Navy Blue", "Pink", "Brown", "Beige"]
IndexT = TypeVar("IndexT", bound=ExactIndex)
GRAPH_ONLY = HnswParams(m=16, ef_construction=40, ef_search=64, exact_max_cells=0)


CENTRES = np.random.default_rng(0).standard_normal((30, DIM))


def clustered(rng: np.random.Generator, n: int) -> np.ndarray:
    """Points around 30 fixed centres: catalog vectors and queries come from the same distribution."""
    picks = CENTRES[rng.integers(CENTRES.shape[0], size=n)]
    return (picks + 0.6 * rng.standard_normal((n, DIM))).astype(np.float32)


@pytest.fixture(scope="module")
def data() -> tuple[list[Product], np.ndarray]:
    rng = np.random.default_rng(7)
    products = [
        Product(
            id=i,
            name=f"p{i}",
            base_colour=COLOURS[i % 10],
            article_type="Watches" if i % 100 == 0 else "Tshirts",
            price=float(i % 100),
        )
        for i in range(1, N + 1)
    ]
    return products, clustered(rng, N)


def filled(index: IndexT, data: tuple[list[Product], np.ndarray]) -> IndexT:
    products, vectors = data
    index.upsert_products(products)
    index.upsert("image", [p.id for p in products], vectors)
    return index


@pytest.fixture(scope="module")
def exact(data: tuple[list[Product], np.ndarray]) -> ExactIndex:
    return filled(ExactIndex(), data)


@pytest.fixture(scope="module")
def graph(data: tuple[list[Product], np.ndarray]) -> HnswIndex:
    """Read-only tests share one graph (tests that write build their own)."""
    index = filled(HnswIndex(params=GRAPH_ONLY), data)
    assert isinstance(index, HnswIndex)
    return index


def recall(got: list, expected: list) -> float:
    return len({h.product.id for h in got} & {h.product.id for h in expected}) / max(len(expected), 1)


def test_graph_recall_against_exact_unfiltered_and_filtered(exact: ExactIndex, graph: HnswIndex) -> None:
    hnsw = graph
    rng = np.random.default_rng(3)
    queries = clustered(rng, 60)
    filters: list[Filter | None] = [None, where(base_colour="Red"), Filter((condition("price", "<", 30.0),))]
    for filt in filters:
        recalls = []
        for q in queries:
            want = exact.search("image", q, k=10, where=filt)
            got = hnsw.search("image", q, k=10, where=filt)
            assert len(got) == 10
            assert all(filt is None or filt.matches(h.product) for h in got)
            # Scores are the exact cosine of the stored vectors, best first.
            for h in got:
                assert h.score == pytest.approx(
                    float(exact.vectors("image", [h.product.id])[0] @ q / np.linalg.norm(q)), abs=1e-5
                )
            assert [h.score for h in got] == sorted((h.score for h in got), reverse=True)
            recalls.append(recall(got, want))
        assert np.mean(recalls) >= 0.98, filt
    assert hnsw.graph_stats("image") == {"labels": N, "dead": 0, "vectors": N}


def test_selective_filter_still_returns_k_through_top_up(
    data: tuple[list[Product], np.ndarray], exact: ExactIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20 watches, scattered: a graph walk with a bitmap may find fewer than 10; the exact top-up must not.
    hnsw = filled(
        HnswIndex(
            params=HnswParams(
                m=8,
                ef_construction=16,
                ef_search=4,
                exact_max_cells=0,
                filtered_ef_power=0.0,
                max_filtered_ef=4,
            )
        ),
        data,
    )
    walks: list[bool] = []
    walk = HnswIndex._walk

    def spy(self: HnswIndex, *args: object) -> object:
        result = walk(self, *args)  # type: ignore[arg-type]
        walks.append(result is not None)
        return result

    monkeypatch.setattr(HnswIndex, "_walk", spy)
    filt = where(article_type="Watches")
    for q in clustered(np.random.default_rng(5), 20):
        got = hnsw.search("image", q, k=10, where=filt)
        assert [h.product.id for h in got] == [
            h.product.id for h in exact.search("image", q, k=10, where=filt)
        ]
    # Every query walked the graph, and some walks came back short and were topped up.
    assert len(walks) == 20 and not all(walks)


def test_small_candidate_sets_are_answered_exactly(
    data: tuple[list[Product], np.ndarray], exact: ExactIndex
) -> None:
    hnsw = filled(HnswIndex(), data)  # 2000 x 32 cells is below the default exact_max_cells
    q = clustered(np.random.default_rng(9), 1)[0]
    for filt in (None, where(base_colour="Blue")):
        assert hnsw.search("image", q, k=25, where=filt) == exact.search("image", q, k=25, where=filt)
    assert hnsw._graphs == {}  # no graph was needed


def test_include_and_exclude_ids_on_the_graph(exact: ExactIndex, graph: HnswIndex) -> None:
    hnsw = graph
    q = clustered(np.random.default_rng(11), 1)[0]
    top = [h.product.id for h in exact.search("image", q, k=12)]
    got = [h.product.id for h in hnsw.search("image", q, k=10, exclude_ids=top[:2])]
    assert got == top[2:12]
    allowed = list(range(1, N + 1, 3))
    got_inc = hnsw.search("image", q, k=10, include_ids=allowed, exclude_ids=[top[0]])
    assert len(got_inc) == 10 and all(h.product.id in set(allowed) - {top[0]} for h in got_inc)


def test_updates_reach_the_graph_copy_on_write(data: tuple[list[Product], np.ndarray]) -> None:
    products, vectors = data
    hnsw = filled(HnswIndex(params=GRAPH_ONLY), data)
    rng = np.random.default_rng(13)
    q = clustered(rng, 1)[0]
    hnsw.search("image", q, k=5)
    before = hnsw._graphs["image"].index
    # Replace 10 vectors with the query itself, delete 20 products, add 30 new ones.
    replaced = [p.id for p in products[:10]]
    hnsw.upsert("image", replaced, np.tile(q, (10, 1)))
    hnsw.delete([p.id for p in products[100:120]])
    new = [Product(id=10_000 + i, name=f"new{i}", base_colour="Gold") for i in range(30)]
    hnsw.upsert_products(new)
    hnsw.upsert("image", [p.id for p in new], clustered(rng, 30))
    got = hnsw.search("image", q, k=10)
    assert {h.product.id for h in got[:10]} == set(replaced)
    assert all(h.score == pytest.approx(1.0, abs=1e-5) for h in got)
    stats = hnsw.graph_stats("image")
    assert stats == {"labels": N + 10 + 30, "dead": 30, "vectors": N - 20 + 30}
    assert before.ntotal == N  # searches running on the old graph kept it whole
    gold = hnsw.search("image", q, k=10, where=where(base_colour="Gold"))
    assert len(gold) == 10 and all(h.product.id >= 10_000 for h in gold)
    deleted = {p.id for p in products[100:120]}
    everything = hnsw.search("image", q, k=N + 100)
    assert len(everything) == N + 10 and deleted.isdisjoint(h.product.id for h in everything)
    # Deleting and re-adding an id gives it one live label with the new vector.
    hnsw.upsert_products([products[100]])
    hnsw.upsert("image", [products[100].id], (-q)[None, :])
    worst = hnsw.search("image", -q, k=1)[0]
    assert worst.product.id == products[100].id


def test_many_dead_labels_trigger_a_rebuild(data: tuple[list[Product], np.ndarray]) -> None:
    products, vectors = data
    hnsw = filled(HnswIndex(params=GRAPH_ONLY), data)
    hnsw.search("image", vectors[0], k=1)
    ids = [p.id for p in products[: N // 3]]  # 666 dead of 2666 labels: over the 20% default
    hnsw.upsert("image", ids, vectors[: N // 3] * 2.0)
    assert hnsw.graph_stats("image") == {"labels": N, "dead": 0, "vectors": N}


def test_save_load_round_trip_and_interrupted_save(
    data: tuple[list[Product], np.ndarray], tmp_path: Path
) -> None:
    hnsw = filled(HnswIndex(params=GRAPH_ONLY), data)
    hnsw.delete([1, 2, 3])
    q = clustered(np.random.default_rng(17), 1)[0]
    hnsw.search("image", q, k=3)
    hnsw.upsert("image", [4], q[None, :])
    hnsw.save(tmp_path)
    loaded = HnswIndex.load(tmp_path)
    assert loaded.params == GRAPH_ONLY
    assert loaded.graph_stats("image") == hnsw.graph_stats("image")
    for filt in (None, where(base_colour="Red")):
        assert loaded.search("image", q, k=10, where=filt) == hnsw.search("image", q, k=10, where=filt)
    # A save that stopped after the exact files: the graphs belong to the old index and are rebuilt.
    hnsw.upsert("image", [5], q[None, :])
    ExactIndex.save(hnsw, tmp_path)
    resumed = HnswIndex.load(tmp_path)
    assert resumed._graphs == {}
    assert {h.product.id for h in resumed.search("image", q, k=2)} == {4, 5}


def test_graph_not_matching_its_vectors_is_corrupt(
    data: tuple[list[Product], np.ndarray], tmp_path: Path
) -> None:
    hnsw = filled(HnswIndex(params=GRAPH_ONLY), data)
    hnsw.save(tmp_path)
    manifest = json.loads((tmp_path / HNSW_MANIFEST).read_text())
    entry = manifest["body"]["spaces"]["image"]["label_ids"]
    labels_path = tmp_path / entry["file"]
    labels = np.load(labels_path)
    labels[0] = 999_999  # a valid file, consistently checksummed, naming a product that does not exist
    np.save(labels_path, labels)
    entry["sha256"] = hashlib.sha256(labels_path.read_bytes()).hexdigest()
    manifest["sha256"] = hashlib.sha256(json.dumps(manifest["body"], sort_keys=True).encode()).hexdigest()
    (tmp_path / HNSW_MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="does not match its vectors"):
        HnswIndex.load(tmp_path)
    (tmp_path / HNSW_MANIFEST).unlink()
    with pytest.raises(IndexCorruptError, match="no hnsw.json"):
        HnswIndex.load(tmp_path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("m", 1),
        ("ef_search", 0),
        ("ef_construction", True),
        ("exact_max_cells", -1),
        ("filtered_ef_power", 3.0),
        ("rebuild_dead_fraction", 0.0),
    ],
)
def test_bad_params_name_the_setting(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=field):
        HnswParams(**{field: value})  # type: ignore[arg-type]


def test_filtered_ef_grows_as_the_filter_narrows() -> None:
    p = HnswParams(ef_search=64, filtered_ef_power=0.6, max_filtered_ef=1024)
    assert p.filtered_ef(1.0, 10) == 64
    assert p.filtered_ef(0.1, 10) == 255  # 64 * 10 ** 0.6 = 254.8, rounded up
    assert p.filtered_ef(1e-6, 10) == 1024
    assert p.filtered_ef(1.0, 500) == 500


# -- per-value sub-graphs (partition_fields) ------------------------------------------------------

PARTITIONED = HnswParams(
    m=16,
    ef_construction=40,
    ef_search=64,
    exact_max_cells=0,
    partition_fields=("base_colour",),
    partition_min_rows=100,
    partition_ef_search=64,
)


def partitioned_index(data: tuple[list[Product], np.ndarray], extra_gold: int = 30) -> HnswIndex:
    """The module's catalog (200 products per colour) plus a few "Gold" ones (too few for a sub-graph)."""
    index = filled(HnswIndex(params=PARTITIONED), data)
    assert isinstance(index, HnswIndex)
    gold = [Product(id=20_000 + i, name=f"gold{i}", base_colour="Gold", price=5.0) for i in range(extra_gold)]
    index.upsert_products(gold)
    index.upsert("image", [p.id for p in gold], clustered(np.random.default_rng(23), extra_gold))
    return index


def exact_copy(index: HnswIndex, q: np.ndarray, k: int, filt: Filter | None, **kw: object) -> list:
    return ExactIndex.search(index, "image", q, k=k, where=filt, **kw)  # type: ignore[arg-type]


def test_partition_filters_walk_subgraphs_and_match_exact(
    data: tuple[list[Product], np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    hnsw = partitioned_index(data)
    walks: list[bool] = []
    walk = HnswIndex._walk_subgraph

    def spy(self: HnswIndex, *args: object) -> object:
        result = walk(self, *args)  # type: ignore[arg-type]
        walks.append(result is not None)
        return result

    monkeypatch.setattr(HnswIndex, "_walk_subgraph", spy)
    filters = [
        where(base_colour="Red"),
        Filter((condition("base_colour", "in", ("Red", "Blue", "Gold")),)),
        Filter((condition("base_colour", "=", "Blue"), condition("price", "<", 60.0))),
    ]
    queries = clustered(np.random.default_rng(29), 40)
    for filt in filters:
        recalls = []
        for q in queries:
            want = exact_copy(hnsw, q, 10, filt)
            got = hnsw.search("image", q, k=10, where=filt)
            assert len(got) == 10 and all(filt.matches(h.product) for h in got)
            assert [h.score for h in got] == sorted((h.score for h in got), reverse=True)
            for h in got:  # exact cosine of the stored float32 vectors, not the SQ8 codes
                assert h.score == pytest.approx(
                    float(hnsw.vectors("image", [h.product.id])[0] @ q / np.linalg.norm(q)), abs=1e-5
                )
            recalls.append(recall(got, want))
        assert np.mean(recalls) >= 0.98, filt
    # The sub-graphs answered (no whole-graph walk was needed), and only values with >= 100 rows have one.
    assert walks and all(walks)
    assert hnsw._graphs == {}
    stats = hnsw.partition_stats("image")
    assert {s["value"]: s["kind"] for s in stats} == {**dict.fromkeys(COLOURS, "graph"), "Gold": "block"}
    graphs = [s for s in stats if s["kind"] == "graph"]
    assert all(s["vectors"] == s["labels"] == N // 10 and s["dead"] == 0 and s["bytes"] > 0 for s in graphs)
    # Gold (30 products, no sub-graph) is scored exactly, ids and all.
    q = queries[0]
    gold = where(base_colour="Gold")
    assert hnsw.search("image", q, k=12, where=gold) == exact_copy(hnsw, q, 12, gold)


def test_partition_returns_k_whenever_k_match(data: tuple[list[Product], np.ndarray]) -> None:
    hnsw = partitioned_index(data)
    q = clustered(np.random.default_rng(31), 1)[0]
    red = [p.id for p in data[0] if p.base_colour == "Red"]
    # 60 of Red's 200 rows allowed: a bitmap walk inside the sub-graph, topped up exactly if short.
    allowed = red[::2][:60]
    for k in (10, 50, 60, 500):
        got = hnsw.search("image", q, k=k, where=where(base_colour="Red"), include_ids=allowed)
        want = exact_copy(hnsw, q, k, where(base_colour="Red"), include_ids=allowed)
        assert len(got) == min(k, 60) == len(want)
        assert recall(got, want) >= 0.9
    everything = hnsw.search("image", q, k=1000, where=where(base_colour="Blue"))
    assert len(everything) == 200
    top = [h.product.id for h in exact_copy(hnsw, q, 5, where(base_colour="Red"))]
    got_ex = hnsw.search("image", q, k=10, where=where(base_colour="Red"), exclude_ids=top[:3])
    assert len(got_ex) == 10 and not set(top[:3]) & {h.product.id for h in got_ex}
    assert hnsw.search("image", q, k=10, where=where(base_colour="Teal")) == []


def test_partition_updates_reach_subgraphs_copy_on_write(data: tuple[list[Product], np.ndarray]) -> None:
    products, vectors = data
    hnsw = partitioned_index(data)
    rng = np.random.default_rng(37)
    q = clustered(rng, 1)[0]
    hnsw.search("image", q, k=5, where=where(base_colour="Red"))
    red_graph = hnsw._parts["image"][1]["base_colour"].graphs["Red"]
    before = red_graph.index.ntotal
    # Product 3 is Red (ids 1..2000, colour i % 10 -> COLOURS[3 % 10] = "Blue"): pick by colour instead.
    blue = [p for p in products if p.base_colour == "Blue"]
    red = [p for p in products if p.base_colour == "Red"]
    moved = blue[0]
    hnsw.upsert_products([Product(id=moved.id, name=moved.name, base_colour="Red", price=moved.price)])
    hnsw.upsert("image", [moved.id], q[None, :])  # the query itself: the best Red product now
    hnsw.upsert("image", [red[0].id], (-q)[None, :])  # a Red product moved to the far side
    hnsw.delete([red[1].id])
    got = hnsw.search("image", q, k=10, where=where(base_colour="Red"))
    assert got[0].product.id == moved.id and got[0].score == pytest.approx(1.0, abs=1e-5)
    assert red[1].id not in {h.product.id for h in got}
    assert moved.id not in {
        h.product.id for h in hnsw.search("image", q, k=300, where=where(base_colour="Blue"))
    }
    worst = hnsw.search("image", -q, k=1, where=where(base_colour="Red"))[0]
    assert worst.product.id == red[0].id
    assert red_graph.index.ntotal == before  # searches running on the old sub-graph kept it whole
    stats = {s["value"]: s for s in hnsw.partition_stats("image")}
    assert stats["Red"]["vectors"] == 200 and stats["Red"]["dead"] == 2  # red[0] replaced, red[1] deleted
    assert stats["Blue"]["vectors"] == 199 and stats["Blue"]["dead"] == 1
    # Many changes at once rebuild the sub-graph instead of piling up dead labels.
    hnsw.upsert("image", [p.id for p in red[2:80]], vectors[:78])
    stats = {s["value"]: s for s in hnsw.partition_stats("image")}
    assert stats["Red"] == {**stats["Red"], "labels": 200, "dead": 0}


def test_small_values_are_contiguous_blocks_scored_exactly(data: tuple[list[Product], np.ndarray]) -> None:
    # Default exact_max_cells: 200 rows x 32 dims per colour is far below it, so no value gets a graph.
    hnsw = filled(HnswIndex(params=HnswParams(partition_fields=("base_colour",))), data)
    assert isinstance(hnsw, HnswIndex)
    queries = clustered(np.random.default_rng(47), 5)
    filters = [
        where(base_colour="Red"),
        Filter((condition("base_colour", "in", ("Red", "Blue")), condition("price", ">=", 50.0))),
    ]
    for q in queries:
        for filt in filters:
            assert hnsw.search("image", q, k=15, where=filt) == exact_copy(hnsw, q, 15, filt)
    stats = hnsw.partition_stats("image")
    assert {s["kind"] for s in stats} == {"block"} and sum(s["vectors"] for s in stats) == N
    assert hnsw._graphs == {}
    # A write to one value copies that value's block again; the others are kept as they were.
    blocks = hnsw._parts["image"][1]["base_colour"].blocks
    red = next(p for p in data[0] if p.base_colour == "Red")
    hnsw.upsert("image", [red.id], queries[0][None, :])
    assert hnsw.search("image", queries[0], k=1, where=where(base_colour="Red"))[0].product.id == red.id
    after = hnsw._parts["image"][1]["base_colour"].blocks
    assert after["Blue"] is blocks["Blue"] and after["Red"] is not blocks["Red"]


def test_partition_save_load_round_trip(data: tuple[list[Product], np.ndarray], tmp_path: Path) -> None:
    hnsw = partitioned_index(data)
    hnsw.delete([1, 2, 3])
    q = clustered(np.random.default_rng(41), 1)[0]
    hnsw.search("image", q, k=3)
    hnsw.save(tmp_path)
    manifest = json.loads((tmp_path / HNSW_MANIFEST).read_text())
    assert manifest["body"]["version"] == 2
    saved = manifest["body"]["spaces"]["image"]["partitions"]
    assert sorted(e["value"] for e in saved) == sorted(COLOURS)
    loaded = HnswIndex.load(tmp_path)
    assert loaded.params == PARTITIONED
    assert loaded.partition_stats("image") == hnsw.partition_stats("image")
    for filt in (where(base_colour="Red"), Filter((condition("base_colour", "in", ("Red", "Gold")),))):
        assert loaded.search("image", q, k=10, where=filt) == hnsw.search("image", q, k=10, where=filt)
    # A damaged sub-graph's labels (consistently checksummed) do not match the value's products.
    entry = saved[0]["label_ids"]
    path = tmp_path / entry["file"]
    labels = np.load(path)
    labels[0] = labels[-1] + 10_000
    np.save(path, labels)
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["sha256"] = hashlib.sha256(json.dumps(manifest["body"], sort_keys=True).encode()).hexdigest()
    (tmp_path / HNSW_MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="base_colour = .* does not match its vectors"):
        HnswIndex.load(tmp_path)


def test_version_1_directories_still_load(data: tuple[list[Product], np.ndarray], tmp_path: Path) -> None:
    hnsw = filled(HnswIndex(params=GRAPH_ONLY), data)
    hnsw.save(tmp_path)
    manifest = json.loads((tmp_path / HNSW_MANIFEST).read_text())
    body = manifest["body"]
    # What a version-1 save wrote: no partition settings, no sub-graph entries.
    body["version"] = 1
    body["params"] = {k: v for k, v in body["params"].items() if not k.startswith("partition_")}
    del body["spaces"]["image"]["partitions"]
    manifest["sha256"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    (tmp_path / HNSW_MANIFEST).write_text(json.dumps(manifest))
    loaded = HnswIndex.load(tmp_path)
    assert loaded.params == GRAPH_ONLY and loaded._graphs
    q = clustered(np.random.default_rng(43), 1)[0]
    assert loaded.search("image", q, k=10, where=where(base_colour="Red")) == hnsw.search(
        "image", q, k=10, where=where(base_colour="Red")
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"partition_fields": ("price",)}, "not a text product field"),
        ({"partition_fields": ("colour",)}, "not a text product field"),
        ({"partition_fields": ("gender", "gender")}, "repeats"),
        ({"partition_storage": "pq"}, "partition_storage"),
        ({"partition_min_rows": 0}, "partition_min_rows"),
        ({"partition_walk_share": 1.5}, "partition_walk_share"),
    ],
)
def test_bad_partition_params_name_the_setting(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        HnswParams(**changes)  # type: ignore[arg-type]
