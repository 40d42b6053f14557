"""The Store contract: every backend must pass this suite with identical results.

A backend plugs in through ``STORE_BACKENDS``: a fixture-like generator that yields a name and a
function that opens (or reopens) the store living at a location derived from a test's ``tmp_path``
(for PostgreSQL: a fresh schema per test on the session's server).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, ImageStatus, Product, User
from fashion_search.errors import NotFoundError, StoreError, ValidationError
from fashion_search.store.base import Store, UpsertResult
from fashion_search.store.sqlite import SqliteStore


@dataclass(frozen=True)
class StoreBackend:
    name: str
    open: Callable[[Path], Store]


def _sqlite_backend(_request: pytest.FixtureRequest) -> Iterator[StoreBackend]:
    yield StoreBackend("sqlite", SqliteStore)


def _postgres_backend(request: pytest.FixtureRequest) -> Iterator[StoreBackend]:
    uri = request.getfixturevalue("postgres_uri")
    schema = request.getfixturevalue("postgres_schema")
    from fashion_search.store.postgres import PostgresStore

    yield StoreBackend("postgres", lambda _location: PostgresStore(uri, schema=schema))


STORE_BACKENDS = [
    pytest.param(_sqlite_backend, id="sqlite"),
    pytest.param(_postgres_backend, id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=STORE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[StoreBackend]:
    yield from request.param(request)


@pytest.fixture
def location(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(backend: StoreBackend, location: Path) -> Iterator[Store]:
    s = backend.open(location)
    yield s
    s.close()


def make_products() -> list[Product]:
    return [
        Product(
            id=15970,
            name="Turtle Check Men Navy Blue Shirt",
            gender="Men",
            master_category="Apparel",
            sub_category="Topwear",
            article_type="Shirts",
            base_colour="Navy Blue",
            season="Fall",
            year=2011,
            usage="Casual",
            price=34.5,
            image_status=ImageStatus.PRESENT,
            image_file="15970.jpg",
            attributes={"pattern": "checked", "sleeves": "long"},
        ),
        Product(id=39386, name="Peter England Men Party Blue Jeans", gender="Men", price=60.25),
        Product(id=59263, name="Titan Women Silver Watch", gender="Women", year=2016, usage=None),
        Product(id=21379, name="Manchester United Men Solid Black Track Pants", base_colour="Black"),
        Product(id=53759, name="Puma Men Grey T-shirt", image_status=ImageStatus.UNREADABLE),
        Product(id=1855, name="Inkfruit Mens Chain Reaction T-shirt — édition ü", price=0.1),
    ]


def ts(minutes: int) -> datetime:
    return datetime(2024, 3, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)


# --------------------------------------------------------------------------------------------
# products
# --------------------------------------------------------------------------------------------


def test_upsert_counts_inserted_updated_unchanged(store: Store) -> None:
    products = make_products()
    assert store.upsert_products(products) == UpsertResult(inserted=6, updated=0, unchanged=0)
    assert store.upsert_products(products) == UpsertResult(inserted=0, updated=0, unchanged=6)

    changed = [
        Product(**{**products[0].to_dict(), "price": 40.0, "image_status": ImageStatus.PRESENT}),
        Product(
            **{**products[1].to_dict(), "attributes": {"fit": "slim"}, "image_status": ImageStatus.MISSING}
        ),
    ]
    new = Product(id=7, name="New product")
    result = store.upsert_products([*changed, new, products[2], products[3]])
    assert result == UpsertResult(inserted=1, updated=2, unchanged=2)
    assert store.count_products() == 7
    assert store.get_product(15970) == changed[0]
    assert store.get_product(39386) == changed[1]
    assert store.get_product(7) == new


def test_upsert_of_nothing_is_a_no_op(store: Store) -> None:
    assert store.upsert_products([]) == UpsertResult(0, 0, 0)
    assert store.count_products() == 0


def test_upsert_rejects_duplicate_ids_and_leaves_nothing(store: Store) -> None:
    a = Product(id=1, name="a")
    with pytest.raises(ValidationError, match="1"):
        store.upsert_products([a, Product(id=2, name="b"), Product(id=1, name="c")])
    assert store.count_products() == 0


def test_upsert_rejects_bad_values_and_leaves_nothing(store: Store) -> None:
    with pytest.raises(ValidationError, match="price"):
        store.upsert_products([Product(id=1, name="ok"), Product(id=2, name="bad", price=float("nan"))])
    assert store.count_products() == 0


def test_products_round_trip_every_field(store: Store) -> None:
    products = make_products()
    store.upsert_products(products)
    for p in products:
        got = store.get_product(p.id)
        assert got == p
        assert got is not None and isinstance(got.image_status, ImageStatus)


def test_get_product_missing_is_none(store: Store) -> None:
    store.upsert_products(make_products())
    assert store.get_product(123456) is None


def test_get_products_keeps_the_order_asked_and_skips_missing(store: Store) -> None:
    products = {p.id: p for p in make_products()}
    store.upsert_products(list(products.values()))
    got = store.get_products([59263, 999, 1855, 15970, 424242])
    assert [p.id for p in got] == [59263, 1855, 15970]
    assert got == [products[59263], products[1855], products[15970]]
    assert store.get_products([]) == []


def test_get_products_handles_many_ids(store: Store) -> None:
    store.upsert_products([Product(id=i, name=f"p{i}") for i in range(2500)])
    ids = list(range(2499, -1, -3))
    assert [p.id for p in store.get_products(ids)] == ids


def test_iter_products_in_id_order_and_batches(store: Store) -> None:
    products = make_products()
    store.upsert_products(products)
    batches = list(store.iter_products(batch_size=4))
    assert [len(b) for b in batches] == [4, 2]
    flat = [p for b in batches for p in b]
    assert flat == sorted(products, key=lambda p: p.id)
    assert [len(b) for b in store.iter_products(batch_size=6)] == [6]
    with pytest.raises(ValidationError, match="batch_size"):
        list(store.iter_products(batch_size=0))


def test_iter_products_of_empty_store(store: Store) -> None:
    assert list(store.iter_products()) == []


def test_update_attributes_replaces_and_is_atomic(store: Store) -> None:
    store.upsert_products(make_products())
    store.update_attributes({1855: {"pattern": "graphic"}, 15970: {}})
    assert dict(store.get_product(1855).attributes) == {"pattern": "graphic"}  # type: ignore[union-attr]
    assert dict(store.get_product(15970).attributes) == {}  # type: ignore[union-attr]
    with pytest.raises(NotFoundError, match="777"):
        store.update_attributes({39386: {"fit": "slim"}, 777: {"fit": "loose"}})
    assert dict(store.get_product(39386).attributes) == {}  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# users and events
# --------------------------------------------------------------------------------------------


def make_users() -> list[User]:
    return [
        User(id=3, name="Carol", segment="budget", description="likes bargains"),
        User(id=1, name="Ana", segment="premium", description="office wear", is_persona=True),
        User(id=2, name="Bo", segment="sporty"),
        User(id=10, name="Dee", segment="trendy", is_persona=True),
    ]


def test_users_round_trip_update_and_listing(store: Store) -> None:
    users = make_users()
    store.upsert_users(users)
    assert store.get_user(1) == users[1]
    assert store.get_user(99) is None
    assert [u.id for u in store.list_users()] == [1, 2, 3, 10]
    assert [u.id for u in store.list_users(personas_only=True)] == [1, 10]
    assert [u.id for u in store.list_users(limit=2, offset=1)] == [2, 3]
    assert store.list_users(limit=0) == []
    renamed = User(id=2, name="Bo B.", segment="outdoor", description="hikes", is_persona=True)
    store.upsert_users([renamed])
    assert store.get_user(2) == renamed
    assert len(store.list_users()) == 4
    with pytest.raises(ValidationError):
        store.list_users(limit=-1)


def test_events_round_trip_and_ordering(store: Store) -> None:
    store.upsert_products(make_products())
    store.upsert_users(make_users())
    events = [
        Event(1, 15970, EventType.VIEW, ts(5)),
        Event(2, 1855, EventType.PURCHASE, ts(1)),
        Event(1, 39386, EventType.ADD_TO_CART, ts(-3)),
        Event(1, 1855, EventType.PURCHASE, ts(5)),  # same time as the first: insertion order decides
        Event(1, 59263, EventType.VIEW, ts(2).astimezone(timezone(timedelta(hours=5)))),
    ]
    assert store.add_events(events) == 5
    assert store.add_events([]) == 0
    assert store.count_events() == 5
    mine = store.events_for_user(1)
    assert mine == [events[2], events[4], events[0], events[3]]
    assert all(isinstance(e.type, EventType) for e in mine)
    assert store.events_for_user(2) == [events[1]]
    assert store.events_for_user(3) == []
    batches = list(store.iter_events(batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [e for b in batches for e in b] == events


def test_events_for_unknown_user_or_product_are_rejected_whole(store: Store) -> None:
    store.upsert_products(make_products())
    store.upsert_users(make_users())
    with pytest.raises(ValidationError, match="4242"):
        store.add_events([Event(1, 15970, EventType.VIEW, ts(0)), Event(4242, 15970, EventType.VIEW, ts(1))])
    with pytest.raises(ValidationError, match="8888"):
        store.add_events([Event(1, 15970, EventType.VIEW, ts(0)), Event(1, 8888, EventType.VIEW, ts(1))])
    assert store.count_events() == 0


# --------------------------------------------------------------------------------------------
# vectors
# --------------------------------------------------------------------------------------------


def _hashes(ids: list[int], tag: str = "h") -> list[str]:
    return [f"{tag}{i}" for i in ids]


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert_products([Product(id=i, name=f"p{i}") for i in range(1, 41)])
    return store


def test_vectors_round_trip_bit_exact_and_ids_ascending(filled: Store) -> None:
    rng = np.random.default_rng(7)
    ids = [int(i) for i in rng.permutation(np.arange(1, 41))]
    vectors = rng.standard_normal((40, 24)).astype(np.float32)
    vectors[0, :3] = [np.float32(1e-38), np.float32(3.4e38), np.float32(-0.0)]
    filled.put_vectors("image", "model-a", ids, vectors, _hashes(ids))
    got_ids, got = filled.load_vectors("image")
    assert got_ids.dtype == np.int64 and got.dtype == np.float32
    assert got_ids.tolist() == sorted(ids)
    order = np.argsort(ids)
    assert got.tobytes() == vectors[order].tobytes()
    assert filled.load_vectors("image", model="model-a")[1].tobytes() == vectors[order].tobytes()
    one = filled.get_vectors("image", [ids[3], 999, ids[0]])
    assert set(one) == {ids[3], ids[0]}
    assert one[ids[3]].tobytes() == vectors[3].tobytes()


def test_load_vectors_of_empty_space(filled: Store) -> None:
    ids, vectors = filled.load_vectors("text")
    assert ids.shape == (0,) and ids.dtype == np.int64
    assert vectors.shape[0] == 0 and vectors.dtype == np.float32
    assert filled.embedding_info("text") == {}


def test_spaces_are_independent(filled: Store) -> None:
    a = np.ones((2, 4), dtype=np.float32)
    b = np.full((3, 8), 2.0, dtype=np.float32)
    filled.put_vectors("image", "m", [1, 2], a, _hashes([1, 2]))
    filled.put_vectors("hybrid", "m", [2, 3, 4], b, _hashes([2, 3, 4]))
    assert filled.load_vectors("image")[0].tolist() == [1, 2]
    assert filled.load_vectors("hybrid")[1].shape == (3, 8)
    assert filled.load_vectors("text")[0].tolist() == []


def test_put_vectors_replaces_and_updates_info(filled: Store) -> None:
    filled.put_vectors("text", "m", [1, 2], np.zeros((2, 3), dtype=np.float32), ["old1", "old2"])
    before = datetime.now(UTC) - timedelta(seconds=5)
    new = np.array([[1, 2, 3]], dtype=np.float32)
    filled.put_vectors("text", "m", [2], new, ["new2"])
    info = filled.embedding_info("text")
    assert set(info) == {1, 2}
    assert (info[2].product_id, info[2].space, info[2].model, info[2].dim) == (2, "text", "m", 3)
    assert info[2].content_hash == "new2" and info[1].content_hash == "old1"
    assert info[2].created_at >= before
    ids, vectors = filled.load_vectors("text")
    assert ids.tolist() == [1, 2]
    assert vectors[1].tolist() == [1.0, 2.0, 3.0]


def test_put_vectors_is_atomic(filled: Store) -> None:
    filled.put_vectors("image", "m", [1, 2], np.ones((2, 4), dtype=np.float32), ["a", "b"])
    batch = np.full((3, 4), 5.0, dtype=np.float32)
    with pytest.raises(ValidationError, match="999"):
        filled.put_vectors("image", "m", [2, 3, 999], batch, ["x", "y", "z"])
    ids, vectors = filled.load_vectors("image")
    assert ids.tolist() == [1, 2]
    assert np.all(vectors == 1.0)
    assert filled.embedding_info("image")[2].content_hash == "b"


@pytest.mark.parametrize(
    ("space", "ids", "vectors", "hashes", "message"),
    [
        ("colour", [1], np.ones((1, 4)), ["h"], "colour"),
        ("image", [1, 2], np.ones((1, 4)), ["h", "h"], "shape"),
        ("image", [1], np.ones(4), ["h"], "shape"),
        ("image", [1, 2], np.array([[1.0, np.nan], [0.0, 1.0]]), ["h", "h"], "non-finite"),
        ("image", [1, 2], np.array([[1.0, 0.0], [np.inf, 1.0]]), ["h", "h"], "non-finite"),
        ("image", [1, 2], np.ones((2, 4)), ["h"], "content hashes"),
        ("image", [1, 1], np.ones((2, 4)), ["h", "h"], "more than once"),
    ],
)
def test_put_vectors_validates(
    filled: Store, space: str, ids: list[int], vectors: np.ndarray, hashes: list[str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        filled.put_vectors(space, "m", ids, vectors, hashes)
    assert filled.load_vectors("image")[0].tolist() == []


def test_put_vectors_refuses_a_second_dimension_for_one_model(filled: Store) -> None:
    filled.put_vectors("image", "m", [1], np.ones((1, 4)), ["h"])
    with pytest.raises(ValidationError, match="4-d"):
        filled.put_vectors("image", "m", [2], np.ones((1, 8)), ["h"])


def test_several_models_in_one_space_need_a_model_name(filled: Store) -> None:
    filled.put_vectors("image", "model-a", [1, 2], np.ones((2, 4)), ["h", "h"])
    filled.put_vectors("image", "model-b", [3], np.full((1, 6), 3.0), ["h"])
    with pytest.raises(StoreError, match="model-a.*model-b"):
        filled.load_vectors("image")
    ids, vectors = filled.load_vectors("image", model="model-b")
    assert ids.tolist() == [3] and vectors.shape == (1, 6)
    assert filled.load_vectors("image", model="model-a")[0].tolist() == [1, 2]
    assert filled.load_vectors("image", model="nope")[0].tolist() == []


def test_delete_vectors(filled: Store) -> None:
    for space in ("image", "text"):
        filled.put_vectors(space, "m", [1, 2, 3], np.ones((3, 2)), ["h"] * 3)
    assert filled.delete_vectors("image", [2, 3, 99]) == 2
    assert filled.load_vectors("image")[0].tolist() == [1]
    assert filled.load_vectors("text")[0].tolist() == [1, 2, 3]
    assert filled.delete_vectors("text") == 3
    assert filled.load_vectors("text")[0].tolist() == []
    assert filled.delete_vectors("hybrid", []) == 0


# --------------------------------------------------------------------------------------------
# durability and sharing
# --------------------------------------------------------------------------------------------


def test_everything_survives_a_reopen(backend: StoreBackend, location: Path) -> None:
    rng = np.random.default_rng(3)
    products, users = make_products(), make_users()
    events = [Event(1, 15970, EventType.VIEW, ts(1)), Event(3, 1855, EventType.PURCHASE, ts(2))]
    ids = [p.id for p in products]
    vectors = rng.standard_normal((len(ids), 12)).astype(np.float32)
    first = backend.open(location)
    first.upsert_products(products)
    first.upsert_users(users)
    first.add_events(events)
    first.put_vectors("hybrid", "m", ids, vectors, _hashes(ids))
    first.close()

    again = backend.open(location)
    try:
        assert [p for b in again.iter_products() for p in b] == sorted(products, key=lambda p: p.id)
        assert again.list_users() == sorted(users, key=lambda u: u.id)
        assert [e for b in again.iter_events() for e in b] == events
        got_ids, got = again.load_vectors("hybrid")
        assert got.tobytes() == vectors[np.argsort(ids)].tobytes()
        assert got_ids.tolist() == sorted(ids)
        assert again.upsert_products(products) == UpsertResult(0, 0, len(products))
    finally:
        again.close()


def test_one_store_serves_several_threads(filled: Store) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            ids = [worker * 10 + i for i in range(1, 11)]
            for round_ in range(5):
                vectors = np.full((10, 4), float(round_), dtype=np.float32)
                filled.put_vectors("image", "m", ids, vectors, _hashes(ids))
                assert len(filled.get_products(ids)) == 10
                filled.load_vectors("image")
        except BaseException as e:  # noqa: BLE001 - reported to the main thread below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids, vectors = filled.load_vectors("image")
    assert ids.tolist() == list(range(1, 41))
    assert np.all(vectors == 4.0)
