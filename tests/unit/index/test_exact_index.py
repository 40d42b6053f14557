from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import Filter, Product, condition, where
from fashion_search.errors import IndexCorruptError, StoreError, ValidationError
from fashion_search.index.base import VectorIndex
from fashion_search.index.exact import ExactIndex


def small_index(n: int = 200, dim: int = 8, seed: int = 0) -> tuple[ExactIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    index = ExactIndex(model="fake:8")
    colours = ["Black", "White", "Red", "Blue"]
    index.upsert_products(
        [
            Product(id=i, name=f"p{i}", base_colour=colours[i % 4], price=float(i), year=2010 + i % 5)
            for i in range(n)
        ]
    )
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    index.upsert("image", np.arange(n), vectors)
    return index, vectors


def test_satisfies_the_protocol() -> None:
    assert isinstance(ExactIndex(), VectorIndex)


def test_selective_and_broad_filters_agree_with_full_scoring() -> None:
    # 1 % of rows takes the gather path, 50 % the score-everything path; both must be exact.
    index, vectors = small_index()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = np.random.default_rng(1).standard_normal(8).astype(np.float32)
    for filt in [Filter((condition("price", "<", 2.0),)), Filter((condition("price", "<", 100.0),))]:
        allowed = np.array([filt.matches(index.get_product(i)) for i in range(200)])  # type: ignore[arg-type]
        scores = unit @ (q / np.linalg.norm(q))
        expected = [int(i) for i in np.argsort(-np.where(allowed, scores, -np.inf))[: min(5, allowed.sum())]]
        got = index.search("image", q, k=5, where=filt)
        assert [h.product.id for h in got] == expected
        assert [h.score for h in got] == pytest.approx(scores[expected].tolist(), abs=1e-6)


def test_stored_rows_are_unit_length_and_zero_rows_stay_zero() -> None:
    index = ExactIndex()
    index.upsert_products([Product(id=1, name="a"), Product(id=2, name="b")])
    index.upsert("text", [1, 2], np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(index.vectors("text", [1, 2]), [[0.6, 0.8], [0.0, 0.0]], atol=1e-7)
    hits = index.search("text", np.array([1.0, 0.0]), k=2)
    assert [(h.product.id, round(h.score, 6)) for h in hits] == [(1, 0.6), (2, 0.0)]


def test_later_upserts_of_an_id_win_before_any_search() -> None:
    index = ExactIndex()
    index.upsert_products([Product(id=i, name=str(i)) for i in range(3)])
    index.upsert("image", [0, 1], np.array([[1.0, 0.0], [1.0, 0.0]]))
    index.upsert("image", [1, 2], np.array([[0.0, 1.0], [1.0, 1.0]]))
    index.upsert("image", [0], np.array([[-1.0, 0.0]]))
    assert index.count("image") == 3
    assert [h.product.id for h in index.search("image", np.array([0.0, 1.0]), k=3)] == [1, 2, 0]


def test_delete_then_reinsert() -> None:
    index, _ = small_index(n=10)
    index.delete([3])
    assert index.get_product(3) is None and index.count("image") == 9
    with pytest.raises(ValidationError, match="3"):
        index.upsert("image", [3], np.ones((1, 8)))
    index.upsert_products([Product(id=3, name="back")])
    index.upsert("image", [3], np.ones((1, 8)))
    assert index.search("image", np.ones(8), k=1)[0].product.name == "back"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"vector": np.zeros(8)}, "zeros"),
        ({"vector": np.full(8, np.nan)}, "non-finite"),
        ({"vector": np.ones((2, 8))}, "one numeric row"),
        ({"vector": np.ones(8), "k": -1}, "k"),
        ({"vector": np.ones(8), "k": 2.5}, "k"),
        ({"vector": np.ones(8), "where": {"gender": "Men"}}, "Filter"),
        ({"vector": np.ones(8), "exclude_ids": ["a"]}, "exclude_ids"),
    ],
)
def test_search_validates(args: dict[str, object], message: str) -> None:
    index, _ = small_index(n=10)
    with pytest.raises(ValidationError, match=message):
        index.search("image", **args)  # type: ignore[arg-type]


def test_search_edge_cases() -> None:
    index, _ = small_index(n=10)
    assert index.search("image", np.ones(8), k=0) == []
    assert index.search("text", np.ones(3), k=5) == []  # empty space: nothing to compare
    assert len(index.search("image", np.ones((1, 8)), k=3)) == 3
    assert index.count_matching(where(base_colour="Black")) == 3
    assert index.count_matching(None) == 10


@pytest.mark.parametrize(
    ("ids", "vectors", "message"),
    [
        ([0, 0], np.ones((2, 8)), "more than once"),
        ([0], np.array([[np.inf] * 8]), "non-finite"),
        ([0], np.ones((1, 4)), "8-d"),
        ([0.5], np.ones((1, 8)), "integers"),
        ([0], np.array([["a"] * 8]), "numeric"),
    ],
)
def test_upsert_validates(ids: list[object], vectors: np.ndarray, message: str) -> None:
    index, _ = small_index(n=10)
    with pytest.raises(ValidationError, match=message):
        index.upsert("image", ids, vectors)  # type: ignore[arg-type]


def test_upsert_products_validates_numbers() -> None:
    with pytest.raises(ValidationError, match="price"):
        ExactIndex().upsert_products([Product(id=1, name="a", price="cheap")])  # type: ignore[arg-type]


def test_concurrent_searches_and_writes() -> None:
    index, _ = small_index(n=300)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        rng = np.random.default_rng()
        try:
            while not stop.is_set():
                hits = index.search("image", rng.standard_normal(8), k=5, where=where(base_colour="Red"))
                assert len(hits) == 5 and all(h.product.base_colour == "Red" for h in hits)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for round_ in range(30):
        index.upsert("image", [round_], np.ones((1, 8)))
        index.upsert_products([Product(id=1000 + round_, name="new", base_colour="Red")])
        index.upsert("image", [1000 + round_], np.ones((1, 8)))
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert index.count("image") == 330


# --------------------------------------------------------------------------------------------
# persistence details
# --------------------------------------------------------------------------------------------


def test_save_writes_a_manifest_with_checksums_and_no_temp_files(tmp_path: Path) -> None:
    index, _ = small_index(n=20)
    index.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format"] == "fashion-search-exact-index" and manifest["version"] == 1
    assert manifest["model"] == "fake:8"
    assert manifest["spaces"]["image"]["dim"] == 8 and manifest["spaces"]["image"]["count"] == 20
    assert manifest["products"]["count"] == 20
    assert set(manifest["spaces"]) == {"image"}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert ExactIndex.exists(tmp_path)
    loaded = ExactIndex.load(tmp_path)
    assert loaded.model == "fake:8" and loaded.dims == {"image": 8}
    assert loaded.get_product(7) == index.get_product(7)


def test_saving_again_keeps_one_previous_generation_for_readers_in_flight(tmp_path: Path) -> None:
    index, _ = small_index(n=20)
    index.save(tmp_path)
    first = {p.name for p in tmp_path.iterdir()}
    first_manifest = (tmp_path / "manifest.json").read_bytes()
    index.delete([0, 1])
    index.save(tmp_path)
    second = {p.name for p in tmp_path.iterdir()}
    # The old generation's files stay: a process that read the old manifest can still load them.
    assert first <= second and len(second) == 2 * len(first) - 1
    assert ExactIndex.load(tmp_path).count("image") == 18
    (tmp_path / "old").mkdir()
    for name in first - {"manifest.json"}:
        (tmp_path / "old" / name).write_bytes((tmp_path / name).read_bytes())
    (tmp_path / "old" / "manifest.json").write_bytes(first_manifest)
    assert ExactIndex.load(tmp_path / "old").count("image") == 20
    index.save(tmp_path)
    third = {p.name for p in tmp_path.iterdir() if p.is_file()}
    # Two saves later the first generation is gone; only the current and the previous remain.
    assert not (first - {"manifest.json"}) & third and len(third) == len(second)
    (tmp_path / "notes.txt").write_text("mine")
    index.save(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_missing_index_is_a_store_error(tmp_path: Path) -> None:
    assert not ExactIndex.exists(tmp_path)
    with pytest.raises(StoreError, match="fashion-search index") as info:
        ExactIndex.load(tmp_path)
    assert not isinstance(info.value, IndexCorruptError)


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    small_index(n=5)[0].save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["version"] = 2
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="version 2"):
        ExactIndex.load(tmp_path)


def test_manifest_naming_a_foreign_file_is_refused(tmp_path: Path) -> None:
    small_index(n=5)[0].save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["products"]["file"] = "../../etc/passwd"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="unexpected file"):
        ExactIndex.load(tmp_path)


def test_inconsistent_counts_are_corruption(tmp_path: Path) -> None:
    small_index(n=5)[0].save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["spaces"]["image"]["count"] = 6
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="expected"):
        ExactIndex.load(tmp_path)
