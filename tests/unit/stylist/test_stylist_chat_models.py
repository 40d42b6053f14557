"""One contract for every chat model (the offline planner, and Claude through a scripted local API).

Whatever answers, a reply names each product it returns, returns only products of the catalog that
its own tool calls found, records those calls, and is kept in its session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from fashion_search.settings import Settings
from fashion_search.stylist import TOOL_SPECS, Stylist, Toolbox, chat_model_from_settings
from fashion_search.stylist.offline import OfflineChatModel

MESSAGES = ["black sneakers for men", "watches for women under 200"]


def scripted_claude(fake_api: ModuleType) -> Any:
    """A model that searches for the shopper's words, then recommends the first three results."""

    def step(body: dict[str, Any]) -> dict[str, Any]:
        last = body["messages"][-1]
        if isinstance(last["content"], str):
            use = fake_api.tool_use("toolu_s", "search_by_text", {"text": last["content"], "k": 3})
            return fake_api.message([use], "tool_use")
        (result,) = fake_api.tool_results(body)
        picks = json.loads(result["content"])["products"][:3]
        named = "; ".join(f"**{p['name']}** (#{p['id']}) - ${p['price']}" for p in picks)
        return fake_api.message([fake_api.text(f"Try these: {named}.")], "end_turn")

    return step


@pytest.fixture(params=["offline", "anthropic"])
def any_stylist(request: pytest.FixtureRequest, toolbox: Toolbox, fake_api: ModuleType) -> Iterator[Stylist]:
    if request.param == "offline":
        yield Stylist(toolbox, OfflineChatModel())
        return
    with fake_api.serve([scripted_claude(fake_api)] * 2 * len(MESSAGES)) as api:
        settings = Settings(model="fake:64", stylist={"anthropic_api_key": "sk-test", "base_url": api.url})
        yield Stylist(toolbox, chat_model_from_settings(settings))


def test_every_chat_model_keeps_the_contract(any_stylist: Stylist) -> None:
    catalog = any_stylist.toolbox.services.products()
    tool_names = {spec.name for spec in TOOL_SPECS}
    session: str | None = None
    for number, message in enumerate(MESSAGES, start=1):
        reply = any_stylist.chat(message, session_id=session)
        session = reply.session_id
        assert reply.answer and reply.model.startswith(any_stylist.model.name)
        assert reply.tool_calls and all(c.name in tool_names and c.error is None for c in reply.tool_calls)
        assert reply.products
        for rec in reply.products:
            assert catalog[rec.product.id] == rec.product
            assert f"#{rec.product.id}" in reply.answer and rec.product.name in reply.answer
        # The products come from this turn's own tool calls, run again here with the same arguments.
        found = {
            item.product.id
            for call in reply.tool_calls
            for item in any_stylist.toolbox.run(call.name, call.arguments).items
        }
        assert {rec.product.id for rec in reply.products} <= found
        conversation = any_stylist.sessions.get(session)
        assert conversation is not None and len(conversation.turns) == number
        kept = conversation.turns[-1]
        assert (kept.message, kept.answer) == (message, reply.answer)
        assert kept.product_ids == tuple(rec.product.id for rec in reply.products)
