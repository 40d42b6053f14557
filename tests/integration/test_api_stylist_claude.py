"""POST /stylist/chat answered by Claude: ANTHROPIC_API_KEY set, the SDK pointed at a scripted
Messages API on 127.0.0.1 (``tests/fake_messages_api.py``). No network."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from fashion_search.api import create_app
from fashion_search.stylist import Stylist
from fashion_search.stylist.claude import AnthropicChatModel

if TYPE_CHECKING:
    from conftest import BuiltCatalog

CHAT = "/api/v1/stylist/chat"


def fake_api() -> ModuleType:
    # Loaded by path: with --import-mode=importlib the tests folder is not on sys.path.
    name = "fashion_search_tests_fake_messages_api"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "fake_messages_api.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_a_key_in_the_environment_makes_claude_answer_the_chat(
    built: BuiltCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_module = fake_api()
    products = built.services.products()
    shirt = next(
        p
        for p in sorted(products.values(), key=lambda p: p.id)
        if p.article_type == "Shirts" and p.gender == "Men"
    )

    def look(body: dict[str, Any]) -> dict[str, Any]:
        return api_module.message(
            [api_module.tool_use("toolu_look", "complete_the_look", {"product_id": shirt.id, "per_role": 1})],
            "tool_use",
        )

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        (result,) = api_module.tool_results(body)
        roles = json.loads(result["content"])["roles"]
        picks = [items[0] for items in roles.values() if items]
        named = ", ".join(f"**{p['name']}** (#{p['id']})" for p in picks)
        return api_module.message([api_module.text(f"With the {shirt.name}, wear {named}.")], "end_turn")

    with api_module.serve([look, answer]) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        app = create_app(built.settings, built.services, warm_up=False)
        assert isinstance(app.state.stylist, Stylist)
        assert isinstance(app.state.stylist.model, AnthropicChatModel)
        with TestClient(app) as client:
            response = client.post(CHAT, json={"message": f"what goes with product {shirt.id}?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == f"anthropic:{built.settings.stylist.model}"
    assert [c["name"] for c in body["tool_calls"]] == ["complete_the_look"]
    (result,) = api_module.tool_results(fake.requests[1].body)
    assert result["tool_use_id"] == "toolu_look" and result["is_error"] is False
    roles = json.loads(result["content"])["roles"]
    expected = [items[0]["id"] for items in roles.values() if items]
    assert expected and [p["product"]["id"] for p in body["products"]] == expected
    assert all(p["role"] in roles and p["reason"] for p in body["products"])
    assert body["answer"].startswith(f"With the {shirt.name}")


def test_claude_refusing_the_key_falls_back_and_says_so(
    built: BuiltCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_module = fake_api()

    def refused(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 401, api_module.error_body("authentication_error", "invalid x-api-key")

    with api_module.serve([refused]) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        with TestClient(create_app(built.settings, built.services, warm_up=False)) as client:
            body = client.post(CHAT, json={"message": "white sneakers for men"}).json()
    assert len(fake.requests) == 1  # a 401 is not retried
    assert body["answer"].startswith("(Claude is unavailable right now: HTTP 401")
    assert body["model"].startswith("offline (fallback from anthropic:")
    assert body["products"] and all(p["product"]["base_colour"] == "White" for p in body["products"])
