"""The Claude path through the real ``anthropic`` SDK, against a scripted Messages API on 127.0.0.1.

Each test starts the fake API (``tests/fake_messages_api.py``), points the SDK at it with the
settings (key and base URL) and checks both sides: what the SDK sent (tools, system prompt,
``tool_result`` blocks with the right ``tool_use_id``, content and ``is_error``) and what the
stylist answered (text, the products it named, the tool calls). No network.
"""

from __future__ import annotations

import base64
import io
import json
from types import ModuleType
from typing import Any

import pytest
from PIL import Image

from fashion_search.errors import ModelError
from fashion_search.search.vocabulary import Facet
from fashion_search.settings import Settings
from fashion_search.stylist import Stylist, Toolbox, chat_model_from_settings
from fashion_search.stylist.claude import IMAGE_SIDE, AnthropicChatModel, image_block
from fashion_search.stylist.offline import OfflineChatModel
from fashion_search.stylist.phrasing import money

KEY = "sk-ant-test-key"
MODEL = "claude-test-model"
TOOL_NAMES = {
    "search_by_text",
    "search_similar_by_image",
    "get_personalized_recommendations",
    "complete_the_look",
    "get_product",
}


def claude_settings(url: str, **stylist: Any) -> Settings:
    return Settings(
        model="fake:64",
        stylist={"anthropic_api_key": KEY, "base_url": url, "model": MODEL, **stylist},
    )


def claude_stylist(toolbox: Toolbox, url: str, **stylist: Any) -> Stylist:
    model = chat_model_from_settings(claude_settings(url, **stylist))
    assert isinstance(model, AnthropicChatModel)
    return Stylist(toolbox, model)


def products_in(result_block: dict[str, Any]) -> list[dict[str, Any]]:
    """The products listed in a tool_result block's JSON content."""
    content = result_block["content"]
    assert isinstance(content, str)
    listed: list[dict[str, Any]] = json.loads(content)["products"]
    return listed


def test_a_key_chooses_claude_and_no_key_the_offline_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert isinstance(chat_model_from_settings(Settings(model="fake:64")), OfflineChatModel)
    model = chat_model_from_settings(claude_settings("http://127.0.0.1:9"))
    assert isinstance(model, AnthropicChatModel)
    assert model.name == f"anthropic:{MODEL}" and model.base_url == "http://127.0.0.1:9"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "  from-the-environment ")
    from_env = chat_model_from_settings(Settings(model="fake:64"))
    assert isinstance(from_env, AnthropicChatModel) and from_env.base_url is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")
    assert isinstance(chat_model_from_settings(Settings(model="fake:64")), OfflineChatModel)


def test_tool_use_then_tool_result_then_the_final_answer(toolbox: Toolbox, fake_api: ModuleType) -> None:
    search_args = {
        "text": "black sneakers",
        "gender": "Men",
        "colours": ["Black"],
        "article_types": ["Casual Shoes", "Sports Shoes"],
        "k": 3,
    }

    def ask_for_a_search(body: dict[str, Any]) -> dict[str, Any]:
        return fake_api.message(
            [
                fake_api.text("Let me look."),
                fake_api.tool_use("toolu_search_1", "search_by_text", search_args),
            ],
            "tool_use",
        )

    def answer_from_the_result(body: dict[str, Any]) -> dict[str, Any]:
        # A model that reads the tool's result and recommends its first two products.
        (result,) = fake_api.tool_results(body)
        first, second = products_in(result)[:2]
        words = (
            f"Try **{first['name']}** (#{first['id']}) and **{second['name']}** (#{second['id']}), "
            "both black and made for men."
        )
        return fake_api.message([fake_api.text(words)], "end_turn")

    with fake_api.serve([ask_for_a_search, answer_from_the_result]) as api:
        stylist = claude_stylist(toolbox, api.url)
        reply = stylist.chat("black sneakers for men")

    first_request, second_request = (r.body for r in api.requests)
    assert all(r.path == "/v1/messages" for r in api.requests)
    # The key from the settings (SDK versions differ in the header they put it in).
    assert all(
        KEY in (r.headers.get("x-api-key"), r.headers.get("authorization", "").removeprefix("Bearer "))
        and r.headers.get("anthropic-version")
        for r in api.requests
    )
    # The first request: the model from the settings, the five shared tools, the shopper's message.
    assert first_request["model"] == MODEL
    assert {t["name"] for t in first_request["tools"]} == TOOL_NAMES
    assert first_request["tools"] == toolbox.anthropic_tools()
    assert "stylist" in first_request["system"]
    # Claude is told what the filters can take, so it need not guess the catalog's values.
    vocabulary = toolbox.vocabulary()
    for facet in (Facet.ARTICLE_TYPE, Facet.COLOUR, Facet.GENDER):
        assert ", ".join(sorted(vocabulary.values(facet))) in first_request["system"]
    prices = sorted(p.price for p in toolbox.services.products().values() if p.price is not None)
    assert f"Prices run from {money(prices[0])} to {money(prices[-1])}" in first_request["system"]
    assert first_request["messages"] == [{"role": "user", "content": "black sneakers for men"}]
    # The second request: the assistant's tool_use echoed, then the tool's result under its id.
    assistant, user = second_request["messages"][-2:]
    assert assistant["role"] == "assistant"
    assert assistant["content"][1] == {
        "type": "tool_use",
        "id": "toolu_search_1",
        "name": "search_by_text",
        "input": search_args,
    }
    (result,) = user["content"]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_search_1"
    assert result["is_error"] is False
    expected = toolbox.run("search_by_text", search_args)
    assert expected.items
    assert json.loads(result["content"]) == json.loads(expected.to_json())
    assert all(
        item["colour"] == "Black" and item["gender"] in ("Men", "Unisex") and item["reason"]
        for item in products_in(result)
    )
    # The stylist's reply: the final text, the two products it named (in its order), the tool call.
    assert reply.model == f"anthropic:{MODEL}"
    assert reply.answer.startswith("Try **")
    named = [p["id"] for p in products_in(result)[:2]]
    assert [r.product.id for r in reply.products] == named
    assert all(
        r.product.base_colour == "Black" and r.product.gender in ("Men", "Unisex") for r in reply.products
    )
    assert [(c.name, dict(c.arguments), c.error) for c in reply.tool_calls] == [
        ("search_by_text", search_args, None)
    ]


def test_a_tool_error_reaches_the_model_as_an_error_result(toolbox: Toolbox, fake_api: ModuleType) -> None:
    real = min(toolbox.services.products())

    def ask_for_a_missing_product(body: dict[str, Any]) -> dict[str, Any]:
        return fake_api.message(
            [fake_api.tool_use("toolu_bad", "get_product", {"product_id": 999999})], "tool_use"
        )

    def correct_itself(body: dict[str, Any]) -> dict[str, Any]:
        (result,) = fake_api.tool_results(body)
        assert result["is_error"] is True and result["tool_use_id"] == "toolu_bad"
        return fake_api.message(
            [
                fake_api.text("That id does not exist; here is another one."),
                fake_api.tool_use("toolu_good", "get_product", {"product_id": real}),
            ],
            "tool_use",
        )

    def finish(body: dict[str, Any]) -> dict[str, Any]:
        (result,) = fake_api.tool_results(body)
        product = json.loads(result["content"])["product"]
        return fake_api.message(
            [fake_api.text(f"Here it is: {product['name']} (#{product['id']}).")], "end_turn"
        )

    with fake_api.serve([ask_for_a_missing_product, correct_itself, finish]) as api:
        reply = claude_stylist(toolbox, api.url).chat("tell me about product 999999")

    assert len(api.requests) == 3
    (bad,) = fake_api.tool_results(api.requests[1].body)
    assert bad == {
        "type": "tool_result",
        "tool_use_id": "toolu_bad",
        "content": json.dumps({"error": "product 999999 not found"}),
        "is_error": True,
    }
    (good,) = fake_api.tool_results(api.requests[2].body)
    assert good["tool_use_id"] == "toolu_good" and good["is_error"] is False
    assert [(c.name, c.error) for c in reply.tool_calls] == [
        ("get_product", "product 999999 not found"),
        ("get_product", None),
    ]
    assert [r.product.id for r in reply.products] == [real]


@pytest.mark.parametrize(
    ("name", "arguments", "words"),
    [
        ("search_by_text", {"text": "shirt", "colours": ["zzz"]}, "unknown colour 'zzz'"),
        ("search_by_text", {"k": 5}, "text"),
        ("make_coffee", {}, "unknown tool 'make_coffee'"),
    ],
)
def test_bad_calls_come_back_as_error_results(
    toolbox: Toolbox, fake_api: ModuleType, name: str, arguments: dict[str, Any], words: str
) -> None:
    steps = [
        lambda body: fake_api.message([fake_api.tool_use("toolu_x", name, arguments)], "tool_use"),
        lambda body: fake_api.message([fake_api.text("Sorry, that did not work.")], "end_turn"),
    ]
    with fake_api.serve(steps) as api:
        reply = claude_stylist(toolbox, api.url).chat("a shirt")
    (result,) = fake_api.tool_results(api.requests[1].body)
    assert result["is_error"] is True and result["tool_use_id"] == "toolu_x"
    assert words in json.loads(result["content"])["error"]
    assert reply.tool_calls[0].error is not None and words in reply.tool_calls[0].error
    assert reply.answer == "Sorry, that did not work." and reply.products == ()


def test_a_crashing_tool_is_an_error_result_not_a_crash(
    toolbox: Toolbox, fake_api: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> object:
        raise RuntimeError("disk on fire")

    boxed = Toolbox(toolbox.services)
    monkeypatch.setitem(boxed._handlers, "get_product", broken)
    steps = [
        lambda body: fake_api.message(
            [fake_api.tool_use("toolu_c", "get_product", {"product_id": 1})], "tool_use"
        ),
        lambda body: fake_api.message([fake_api.text("The catalog is having trouble.")], "end_turn"),
    ]
    with fake_api.serve(steps) as api:
        reply = claude_stylist(boxed, api.url).chat("tell me about product 1")
    (result,) = fake_api.tool_results(api.requests[1].body)
    assert result["is_error"] is True
    assert "RuntimeError: disk on fire" in json.loads(result["content"])["error"]
    assert reply.answer == "The catalog is having trouble."


def test_several_tool_uses_in_one_step_get_one_result_each(toolbox: Toolbox, fake_api: ModuleType) -> None:
    ids = sorted(toolbox.services.products())[:2]
    steps = [
        lambda body: fake_api.message(
            [
                fake_api.tool_use("toolu_a", "get_product", {"product_id": ids[0]}),
                fake_api.tool_use("toolu_b", "get_product", {"product_id": ids[1]}),
            ],
            "tool_use",
        ),
        lambda body: fake_api.message([fake_api.text(f"#{ids[1]} is nicer than #{ids[0]}.")], "end_turn"),
    ]
    with fake_api.serve(steps) as api:
        reply = claude_stylist(toolbox, api.url).chat(f"compare {ids[0]} and {ids[1]}")
    results = fake_api.tool_results(api.requests[1].body)
    assert [r["tool_use_id"] for r in results] == ["toolu_a", "toolu_b"]
    assert [json.loads(r["content"])["product"]["id"] for r in results] == ids
    # Products come back in the order the answer names them.
    assert [r.product.id for r in reply.products] == [ids[1], ids[0]]


def test_the_number_of_steps_is_bounded(toolbox: Toolbox, fake_api: ModuleType) -> None:
    def again(body: dict[str, Any]) -> dict[str, Any]:
        step = len(body["messages"])
        return fake_api.message(
            [fake_api.tool_use(f"toolu_{step}", "search_by_text", {"text": "shirt", "k": 1})], "tool_use"
        )

    with fake_api.serve([again] * 10) as api:
        reply = claude_stylist(toolbox, api.url, max_steps=3).chat("shirts")
    assert len(api.requests) == 3
    assert len(reply.tool_calls) == 3
    assert "stopped after 3 steps" in reply.answer


def test_the_conversation_and_the_shopper_go_to_claude(toolbox: Toolbox, fake_api: ModuleType) -> None:
    user = toolbox.services.users().list_users()[0][0]
    pid = min(toolbox.services.products())
    name = toolbox.services.products()[pid].name
    steps = [
        lambda body: fake_api.message(
            [fake_api.tool_use("toolu_p", "get_product", {"product_id": pid})], "tool_use"
        ),
        lambda body: fake_api.message([fake_api.text(f"How about {name}?")], "end_turn"),
        lambda body: fake_api.message([fake_api.text("It goes with jeans.")], "end_turn"),
    ]
    with fake_api.serve(steps) as api:
        stylist = claude_stylist(toolbox, api.url)
        first = stylist.chat("show me something", user_id=user.id)
        second = stylist.chat("what goes with it?", session_id=first.session_id)
    assert [r.product.id for r in first.products] == [pid]  # named by its name, not its id
    assert second.session_id == first.session_id and second.user_id == user.id
    last = api.requests[-1].body
    assert f"user_id {user.id}" in last["system"]
    messages = last["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"] == "show me something"
    assert f"How about {name}?" in messages[1]["content"] and f"#{pid}" in messages[1]["content"]
    assert messages[2]["content"] == "what goes with it?"


def test_an_uploaded_photo_can_be_searched_by_claude(toolbox: Toolbox, fake_api: ModuleType) -> None:
    services = toolbox.services
    images_dir = services.images_dir()
    assert images_dir is not None
    product = next(p for p in sorted(services.products().values(), key=lambda p: p.id) if p.image_file)
    data = (images_dir / str(product.image_file)).read_bytes()
    steps = [
        lambda body: fake_api.message(
            [fake_api.tool_use("toolu_img", "search_similar_by_image", {"image_ref": "upload:1", "k": 3})],
            "tool_use",
        ),
        lambda body: fake_api.message([fake_api.text(f"The closest is #{product.id}.")], "end_turn"),
    ]
    steps.append(lambda body: fake_api.message([fake_api.text("Anything else?")], "end_turn"))
    with fake_api.serve(steps) as api:
        stylist = claude_stylist(toolbox, api.url)
        reply = stylist.chat("find this", image=data)
        later = stylist.chat("thanks", session_id=reply.session_id)
    assert "upload:1" in api.requests[0].body["system"]
    # Claude sees the photo itself: an image block before the words, a JPEG no larger than it needs.
    image, words = api.requests[0].body["messages"][-1]["content"]
    assert words == {"type": "text", "text": "find this"}
    assert image["type"] == "image" and image["source"]["media_type"] == "image/jpeg"
    with Image.open(io.BytesIO(base64.b64decode(image["source"]["data"]))) as sent:
        assert sent.format == "JPEG" and max(sent.size) <= IMAGE_SIDE
        with Image.open(io.BytesIO(data)) as original:
            assert sent.size == original.size or max(sent.size) == IMAGE_SIDE
    # A later message refers to the photo by name only.
    assert api.requests[2].body["messages"][-1] == {"role": "user", "content": "thanks"}
    assert "upload:1" in api.requests[2].body["system"] and later.answer == "Anything else?"
    (result,) = fake_api.tool_results(api.requests[1].body)
    assert result["is_error"] is False
    assert product.id in [p["id"] for p in products_in(result)]
    assert [r.product.id for r in reply.products] == [product.id]


def test_an_api_failure_falls_back_to_the_offline_planner(toolbox: Toolbox, fake_api: ModuleType) -> None:
    def overloaded(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 529, fake_api.error_body("overloaded_error", "Overloaded")

    with fake_api.serve([overloaded]) as api:
        model = AnthropicChatModel(KEY, MODEL, base_url=api.url, max_retries=0)
        reply = Stylist(toolbox, model).chat("black sneakers for men")
    assert len(api.requests) == 1
    assert reply.answer.startswith("(Claude is unavailable right now: HTTP 529")
    assert reply.model == f"offline (fallback from anthropic:{MODEL})"
    assert reply.products and all(r.product.base_colour == "Black" for r in reply.products)
    assert [c.name for c in reply.tool_calls] == ["search_by_text"]


def test_without_a_fallback_an_api_failure_is_a_model_error(toolbox: Toolbox, fake_api: ModuleType) -> None:
    def refused(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 401, fake_api.error_body("authentication_error", "invalid x-api-key")

    with fake_api.serve([refused]) as api:
        model = AnthropicChatModel(KEY, MODEL, base_url=api.url, max_retries=0, fallback=None)
        with pytest.raises(ModelError, match="HTTP 401.*invalid x-api-key"):
            Stylist(toolbox, model).chat("hello")


def test_an_unreachable_api_falls_back_too(toolbox: Toolbox, fake_api: ModuleType) -> None:
    with fake_api.serve([]) as api:
        url = api.url  # a port that was just closed: nothing listens there any more
    model = AnthropicChatModel(KEY, MODEL, base_url=url, max_retries=0, timeout=5)
    reply = Stylist(toolbox, model).chat("a watch for my dad")
    assert reply.answer.startswith("(Claude is unavailable right now: Connection error")
    assert reply.model == f"offline (fallback from anthropic:{MODEL})"
    assert reply.products and all(r.product.article_type == "Watches" for r in reply.products)


def test_a_photo_that_cannot_be_read_goes_as_words_only(toolbox: Toolbox, fake_api: ModuleType) -> None:
    assert image_block(b"not a photo") is None
    big = io.BytesIO()
    Image.new("RGB", (4000, 1000), (200, 30, 30)).save(big, format="PNG")
    block = image_block(big.getvalue())
    assert block is not None
    with Image.open(io.BytesIO(base64.b64decode(block["source"]["data"]))) as sent:
        assert sent.size == (IMAGE_SIDE, IMAGE_SIDE // 4)
    steps = [lambda body: fake_api.message([fake_api.text("I can't open that photo.")], "end_turn")]
    with fake_api.serve(steps) as api:
        reply = claude_stylist(toolbox, api.url).chat("like this", image=b"not a photo")
    assert api.requests[0].body["messages"][-1] == {"role": "user", "content": "like this"}
    assert reply.image_ref == "upload:1" and reply.answer == "I can't open that photo."
