"""GET /health and the OpenAPI document: every route, documented errors and examples."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from fashion_search.api import create_app

if TYPE_CHECKING:
    from conftest import BuiltCatalog

ROUTES = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/health/live"),
    ("get", "/api/v1/health/ready"),
    ("post", "/api/v1/admin/index/rebuild"),
    ("post", "/api/v1/search/text"),
    ("post", "/api/v1/search/image"),
    ("post", "/api/v1/search/hybrid"),
    ("get", "/api/v1/products"),
    ("get", "/api/v1/products/{product_id}"),
    ("get", "/api/v1/products/{product_id}/image"),
    ("get", "/api/v1/products/{product_id}/similar"),
    ("get", "/api/v1/products/{product_id}/complete-look"),
    ("get", "/api/v1/users"),
    ("get", "/api/v1/users/{user_id}"),
    ("get", "/api/v1/users/{user_id}/profile"),
    ("post", "/api/v1/users/{user_id}/events"),
    ("get", "/api/v1/recommendations/{user_id}"),
    ("post", "/api/v1/stylist/chat"),
}


def test_health_reports_the_catalog(client: TestClient, built: BuiltCatalog) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["model"] == "fake-64"
    assert body["products"] == len(built.services.products())
    assert body["vectors"]["hybrid"] == body["products"]
    assert body["users"] == len(built.services.users())


def test_openapi_lists_every_route_with_tags_errors_and_examples(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    found = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert found == ROUTES
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["tags"] and op["summary"], (method, path)
            if not path.startswith(("/api/v1/health", "/api/v1/admin")) and not path.endswith("/users"):
                assert set(op["responses"]) & {"404", "422"}, (method, path)
    text = doc["paths"]["/api/v1/search/text"]["post"]["requestBody"]["content"]["application/json"]
    assert {"plain", "brand", "personal"} <= set(text["examples"])
    events = doc["paths"]["/api/v1/users/{user_id}/events"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    assert events["examples"]["purchase"]["value"][0]["type"] == "view"
    image = doc["paths"]["/api/v1/search/image"]["post"]
    assert {"413", "415"} <= set(image["responses"])
    assert doc["components"]["schemas"]["ProductPublic"]["examples"][0]["article_type"] == "Shirts"


def test_an_empty_store_answers_health_as_empty(tmp_path: object) -> None:
    from pathlib import Path

    from fashion_search.settings import load_settings

    settings = load_settings(data_dir=Path(str(tmp_path)) / "empty", model="fake:64")
    with TestClient(create_app(settings)) as c:
        body = c.get("/api/v1/health").json()
    assert body["status"] == "empty" and body["products"] == 0 and body["users"] == 0
