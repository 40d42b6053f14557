"""Operational basics: liveness and readiness, request ids and structured access logs, request-size
and rate limits, the admin token, one server per data directory."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from fashion_search.api import create_app
from fashion_search.api.instance import DataDirLock
from fashion_search.api.limits import TokenBuckets
from fashion_search.api.logs import ACCESS_LOGGER, JsonFormatter
from fashion_search.app import build
from fashion_search.errors import StoreError
from fashion_search.settings import Settings

if TYPE_CHECKING:
    from conftest import Catalog

API = "/api/v1"


def _settings(catalog: Catalog, **api: object) -> Settings:
    validated = type(catalog.settings.api).model_validate({**catalog.settings.api.model_dump(), **api})
    return catalog.settings.model_copy(update={"api": validated})


@pytest.fixture
def client(catalog: Catalog) -> Iterator[TestClient]:
    with TestClient(create_app(catalog.settings, catalog.services)) as c:
        yield c


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_liveness_and_readiness_when_loaded(client: TestClient, catalog: Catalog) -> None:
    assert client.get(f"{API}/health/live").json()["status"] == "alive"
    ready = client.get(f"{API}/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"model": True, "index": True, "products": True},
        "products": len(catalog.services.products()),
    }


def test_not_ready_until_the_model_and_index_are_loaded(catalog: Catalog) -> None:
    cold = build(catalog.settings)  # nothing loaded yet
    try:
        with TestClient(create_app(catalog.settings, cold, warm_up=False)) as c:
            assert c.get(f"{API}/health/live").status_code == 200
            first = c.get(f"{API}/health/ready")
            assert first.status_code == 503
            assert first.json()["checks"] == {"model": False, "index": False, "products": False}
            assert c.get(f"{API}/health").status_code == 200  # loads model and index
            assert c.get(f"{API}/health/ready").status_code == 200
    finally:
        cold.close()


def test_readiness_fails_for_an_empty_catalog(catalog: Catalog) -> None:
    settings = catalog.settings.model_copy(update={"data_dir": catalog.settings.data_dir.parent / "empty"})
    services = build(settings)
    try:
        with TestClient(create_app(settings, services)) as c:
            body = c.get(f"{API}/health/ready").json()
            assert body["status"] == "not_ready" and body["checks"]["products"] is False
    finally:
        services.close()


def test_request_ids_are_returned_kept_when_tame_and_replaced_when_not(client: TestClient) -> None:
    fresh = client.get(f"{API}/products/{60000}")
    assert len(fresh.headers["x-request-id"]) == 32
    assert "app;dur=" in fresh.headers["server-timing"]
    assert client.get(f"{API}/health/live", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == (
        "abc-123"
    )
    for hostile in ("a" * 65, "bad id", "x\ty", "<script>"):
        rid = client.get(f"{API}/health/live", headers={"X-Request-ID": hostile}).headers["x-request-id"]
        assert rid != hostile and len(rid) == 32


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access_records() -> Iterator[list[logging.LogRecord]]:
    """Records of the access logger, caught on the logger itself (whatever propagation says)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_access_logs_are_json_with_ids_and_timings_and_no_secrets_or_bytes(
    catalog: Catalog, access_records: list[logging.LogRecord]
) -> None:
    token = "tok-Sup3rS3cret"
    app = create_app(_settings(catalog, admin_token=token), catalog.services)
    photo = _jpeg()
    with TestClient(app) as c:
        c.post(f"{API}/search/image", files={"file": ("me.jpg", photo, "image/jpeg")}, data={"k": "3"})
        c.post(f"{API}/search/text", json={"text": "private words of a shopper"})
        c.post(f"{API}/admin/index/rebuild", headers={"Authorization": f"Bearer {token}"})
        c.get(f"{API}/products", params={"q": "query in the url"})
    records = [r for r in access_records if r.name == ACCESS_LOGGER]
    assert len(records) == 4
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    for line in lines:
        assert len(line["request_id"]) == 32
        assert line["duration_ms"] >= 0 and line["status"] == 200
        assert set(line) >= {"ts", "level", "method", "path", "status", "duration_ms", "bytes_in"}
    assert [line["path"] for line in lines] == [
        f"{API}/search/image",
        f"{API}/search/text",
        f"{API}/admin/index/rebuild",
        f"{API}/products",
    ]
    assert lines[0]["bytes_in"] > len(photo)
    text = "\n".join(JsonFormatter().format(r) for r in access_records)
    assert token not in text and "private words" not in text and "query in the url" not in text
    assert photo[:64].decode("latin-1") not in text


def test_request_bodies_over_the_limit_get_413(catalog: Catalog) -> None:
    app = create_app(_settings(catalog, max_request_bytes=4096), catalog.services)
    with TestClient(app) as c:
        small = c.post(f"{API}/search/text", json={"text": "red shirt"})
        assert small.status_code == 200
        big = c.post(f"{API}/search/text", json={"text": "x" * 900, "filters": ["gender=Men"] * 400})
        assert big.status_code == 413
        assert "limit" in big.json()["detail"]
        assert c.get(f"{API}/health/live").status_code == 200


def test_rate_limit_answers_429_with_retry_after_and_spares_health(catalog: Catalog) -> None:
    app = create_app(_settings(catalog, rate_limit_per_second=0.01, rate_limit_burst=3), catalog.services)
    with TestClient(app) as c:
        statuses = [c.get(f"{API}/products/60000").status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        limited = c.get(f"{API}/products/60000")
        assert int(limited.headers["retry-after"]) >= 1
        assert "too many requests" in limited.json()["detail"]
        assert c.get(f"{API}/health/ready").status_code == 200
        doc = app.openapi()
        assert "429" in doc["paths"][f"{API}/products/{{product_id}}"]["get"]["responses"]


def test_token_buckets_refill_at_the_rate_and_forget_old_clients() -> None:
    now = [0.0]
    buckets = TokenBuckets(2.0, 2, max_clients=3, clock=lambda: now[0])
    assert [buckets.allow("a") for _ in range(3)] == [0.0, 0.0, 0.5]
    now[0] += 0.5  # one token back
    assert buckets.allow("a") == 0.0
    for key in "bcde":
        buckets.allow(key)
    assert len(buckets) == 3


def test_admin_route_needs_the_configured_token(catalog: Catalog) -> None:
    with TestClient(create_app(catalog.settings, catalog.services)) as off:
        assert off.post(f"{API}/admin/index/rebuild").status_code == 401
        denied = off.post(f"{API}/admin/index/rebuild", headers={"Authorization": "Bearer anything"})
        assert denied.status_code == 403 and "disabled" in denied.json()["detail"]
    app = create_app(_settings(catalog, admin_token="right-token"), catalog.services)
    with TestClient(app) as on:
        missing = on.post(f"{API}/admin/index/rebuild")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        wrong = on.post(f"{API}/admin/index/rebuild", headers={"Authorization": "Bearer wrong-token"})
        assert wrong.status_code == 401
        ok = on.post(f"{API}/admin/index/rebuild", headers={"Authorization": "Bearer right-token"})
        assert ok.status_code == 200
        assert ok.json()["products"] == len(catalog.services.products())
        assert ok.json()["vectors"]["image"] > 0


def test_a_second_lock_on_the_data_dir_is_refused_until_the_first_is_released(catalog: Catalog) -> None:
    first = DataDirLock(catalog.settings.data_dir)
    first.acquire()
    try:
        with pytest.raises(StoreError, match=r"another fashion-search server \(pid \d+\)"):
            DataDirLock(catalog.settings.data_dir).acquire()
    finally:
        first.release()
    with DataDirLock(catalog.settings.data_dir):
        pass


def test_the_openapi_document_describes_what_is_answered(client: TestClient) -> None:
    doc = client.get(f"{API}/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    text = doc["paths"][f"{API}/search/text"]["post"]["responses"]
    error = {"$ref": "#/components/schemas/ErrorPublic"}
    for status in ("400", "413", "422"):
        assert text[status]["content"]["application/json"]["schema"] == error
    form_ref = doc["paths"][f"{API}/search/image"]["post"]["requestBody"]["content"]["multipart/form-data"]
    form = schemas[form_ref["schema"]["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert form["file"]["minLength"] == 1
    assert form["w_visual"]["type"] == "number" and "anyOf" not in form["w_visual"]
    listing = {p["name"]: p["schema"] for p in doc["paths"][f"{API}/products"]["get"]["parameters"]}
    assert listing["gender"]["type"] == "array" and "anyOf" not in listing["gender"]
