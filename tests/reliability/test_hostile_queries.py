"""Hostile queries and paths: quotes, SQL fragments, overlong and odd unicode text, NaN, infinities
and negative prices, unknown fields and operators, absurd limits and offsets. Each is answered with a
clear 4xx (or harmlessly, as data), and nothing in the store changes. Product photos are served from
the catalog's image folder only, whatever a stored file name or a URL says.

The same hostile values are run through PostgreSQL in tests/integration/test_postgres_injection.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from fashion_search.api import create_app
from fashion_search.app import Services
from fashion_search.domain import SPACES, ImageStatus
from fashion_search.index.exact import ExactIndex
from fashion_search.store.factory import open_store

if TYPE_CHECKING:
    from conftest import Catalog

API = "/api/v1"

SQL = [
    "'; DROP TABLE products; --",
    '" OR "1"="1',
    "Men' OR '1'='1",
    "1; DELETE FROM events",
    "%' UNION SELECT * FROM users --",
    "\\'; --",
]
UNICODE = [
    "\u202eevil\u202c dress",  # right-to-left override
    "فستان أحمر",  # Arabic, right to left
    "👗👠💃 party",
    "e\u0301" * 300,  # combining marks
    "a\x00b",  # NUL
    "\ud7ff\ufeff\u200b zero width",
]


def _fingerprint(db: Path) -> dict[str, str]:
    """A digest of every row of every table, read through a read-only connection."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        query = "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
        tables = [r[0] for r in conn.execute(query)]
        digests = {}
        for table in tables:
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))  # name from sqlite
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return digests
    finally:
        conn.close()


@pytest.fixture
def unchanged(catalog: Catalog) -> Iterator[None]:
    """Fails the test if any stored row or the saved index changed during it."""
    db = catalog.services.store.path
    manifest = catalog.services.index_dir / "manifest.json"
    before, index_before = _fingerprint(db), manifest.read_bytes()
    yield
    assert _fingerprint(db) == before
    assert manifest.read_bytes() == index_before


def _text(http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    # allow_nan: the client sends NaN / Infinity literally, as a hostile client would.
    return http.post(
        f"{API}/search/text",
        content=json.dumps(body, allow_nan=True),
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize("text", SQL + UNICODE)
def test_hostile_search_text_is_just_text(http: httpx.Client, unchanged: None, text: str) -> None:
    response = _text(http, {"text": text, "k": 5})
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) <= 5
    listing = http.get(f"{API}/products", params={"q": text, "limit": 5})
    assert listing.status_code == 200


@pytest.mark.parametrize("value", SQL)
def test_hostile_filter_values_match_nothing(http: httpx.Client, unchanged: None, value: str) -> None:
    for filters in ({"gender": value}, {"base_colour": [value, "Black' --"]}, [f"article_type={value}"]):
        response = _text(http, {"text": "shirt", "filters": filters})
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            assert response.json()["count"] == 0
    listing = http.get(f"{API}/products", params={"gender": value, "usage": value})
    assert listing.status_code == 200 and listing.json()["count"] == 0


def test_overlong_text_is_refused_with_the_limit(http: httpx.Client, unchanged: None) -> None:
    long = "x" * 10_000
    for response in (
        _text(http, {"text": long}),
        http.get(f"{API}/products", params={"q": long}),
        http.post(f"{API}/search/hybrid", data={"text": long}),
    ):
        assert response.status_code == 422
        assert "at most 1000 characters" in response.json()["detail"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"price <": float("nan")}, "finite number"),
        ({"price <": float("inf")}, "finite number"),
        ({"price >=": float("-inf")}, "finite number"),
        ({"price <": -5}, "cannot be negative"),
        (["price<-3"], "cannot be negative"),
        (["price<nan"], "finite number"),
        ({"price <": True}, "boolean"),
        ({"colour_of_soul": "x"}, "unknown filter field 'colour_of_soul'"),
        ({"price ~": 5}, "unknown filter operator '~'"),
        ({"gender": {"$ne": "x"}}, "must be a string"),
        (["name LIKE %"], "unknown filter operator 'like'"),
        (["year>1e400"], "must be a number"),
        ("{not json", "filters must be JSON"),
    ],
)
def test_bad_filters_get_clear_422s(
    http: httpx.Client, unchanged: None, filters: object, message: str
) -> None:
    if isinstance(filters, str):
        files = {"file": ("a.jpg", b"x")}
        response = http.post(f"{API}/search/image", data={"filters": filters}, files=files)
    else:
        response = _text(http, {"text": "shirt", "filters": filters})
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/products", {"limit": 10**9}, "limit: Input should be less than or equal to 100"),
        ("/products", {"offset": -1}, "offset: Input should be greater than or equal to 0"),
        ("/products", {"price_min": -1}, "price_min"),
        ("/products", {"price_max": "nan"}, "price_max"),
        ("/products", {"price_max": "inf"}, "finite number"),
        ("/products", {"filter": "price<-1"}, "cannot be negative"),
        ("/products", {"sort": "id; DROP TABLE products"}, "sort"),
        ("/products", {"limit": "1e9"}, "limit"),
        ("/users", {"limit": 10**9}, "limit"),
        ("/users", {"offset": -5}, "offset"),
        ("/recommendations/1", {"limit": 10**9}, "limit"),
        ("/recommendations/1", {"offset": -1}, "offset"),
        ("/recommendations/1", {"max_price": "nan"}, "max_price"),
        ("/recommendations/1", {"max_price": -1}, "max_price"),
        ("/products/60000/similar", {"k": 10**9}, "k"),
        ("/products/60000/similar", {"offset": -1}, "offset"),
        ("/products/60000/complete-look", {"max_price": "-inf"}, "max_price"),
        ("/products/60000/complete-look", {"per_role": 10**9}, "per_role"),
    ],
)
def test_absurd_numbers_in_queries_get_clear_422s(
    http: httpx.Client, unchanged: None, path: str, params: dict[str, Any], message: str
) -> None:
    response = http.get(f"{API}{path}", params=params)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_json_bodies_take_numbers_not_lookalikes(http: httpx.Client, unchanged: None) -> None:
    for body in (
        {"text": "shirt", "k": "10"},
        {"text": "shirt", "k": True},
        {"text": "shirt", "k": 10**9},
        {"text": "shirt", "offset": -1},
        {"text": "shirt", "keyword_weight": "0.5"},
        {"text": "shirt", "keyword_weight": float("nan")},
        {"text": "shirt", "weights": {"visual": float("inf")}},
        {"text": "shirt", "unknown_field": 1},
    ):
        response = _text(http, body)
        assert response.status_code == 422, (body, response.text)


def test_events_with_hostile_values_change_nothing(http: httpx.Client, unchanged: None) -> None:
    for events in (
        [{"product_id": 2**70, "type": "view"}],
        [{"product_id": "60000; DROP TABLE events", "type": "view"}],
        [{"product_id": 60000, "type": "view'); DELETE FROM events; --"}],
        [{"product_id": 60000, "type": "view", "timestamp": "2025-13-45T99:99:99"}],
        [{"product_id": 60000, "type": "view", "user_id": 2}],
    ):
        response = http.post(f"{API}/users/1/events", json=events)
        assert response.status_code == 422, response.text
    assert http.post(f"{API}/users/99999999999999999999/events", json=[]).status_code in (404, 422)


# -- paths ------------------------------------------------------------------------------------------


@pytest.fixture
def trap(tmp_path: Path, catalog: Catalog) -> Iterator[tuple[TestClient, dict[str, int]]]:
    """An app whose stored image names try to leave the image folder; returns ids per trick."""
    images = tmp_path / "images"
    images.mkdir()
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8\xff secret bytes outside the image folder")
    photo = next(catalog.images_dir.glob("*.jpg"))
    (images / "fine.jpg").write_bytes(photo.read_bytes())
    os.symlink(secret, images / "link.jpg")
    (images / "sub").mkdir()
    os.symlink(tmp_path, images / "sub" / "up")
    names = {
        "fine.jpg": "fine",
        "../secret.jpg": "dotdot",
        str(secret): "absolute",
        "link.jpg": "symlink",
        "sub/up/secret.jpg": "symlinked_folder",
        "%2e%2e/secret.jpg": "url_encoded",
        "..%2fsecret.jpg": "url_encoded_slash",
        "sub/../../secret.jpg": "nested_dotdot",
    }
    base = sorted(catalog.services.products().values(), key=lambda p: p.id)[: len(names)]
    products = [
        dataclasses.replace(p, image_file=name, image_status=ImageStatus.PRESENT)
        for p, name in zip(base, names, strict=True)
    ]
    index = ExactIndex(model=catalog.services.embedder().name)
    index.upsert_products(products)
    rng = np.random.default_rng(0)
    for space in SPACES:
        index.upsert(space, [p.id for p in products], rng.normal(size=(len(products), 64)).astype(np.float32))
    settings = catalog.settings.model_copy(update={"data_dir": tmp_path / "data"})
    services = Services(settings=settings, store=open_store(str(tmp_path / "data")))
    services.set_embedder(catalog.services.embedder())
    services._index = index  # a hand-made index: the store has none of these products
    services.record_catalog(images)
    ids = {trick: p.id for p, trick in zip(products, names.values(), strict=True)}
    try:
        with TestClient(create_app(settings, services, warm_up=False)) as client:
            yield client, ids
    finally:
        services.close()


def test_photos_are_served_from_the_image_folder_only(trap: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = trap
    fine = client.get(f"{API}/products/{ids.pop('fine')}/image")
    assert fine.status_code == 200 and fine.headers["content-type"] == "image/jpeg"
    for trick, pid in ids.items():
        response = client.get(f"{API}/products/{pid}/image")
        assert response.status_code == 404, trick
        assert b"secret bytes" not in response.content, trick


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/%2e%2e/settings.py",
        "/static/..%2f..%2fsettings.py",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/....//....//etc/passwd",
        "/api/v1/products/..%2f..%2fetc%2fpasswd/image",
        "/api/v1/products/60000%2f..%2f..%2fetc/image",
    ],
)
def test_url_tricks_never_reach_files_outside(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code in (404, 422), (path, response.status_code)
    assert b"root:" not in response.content and b"[project]" not in response.content
