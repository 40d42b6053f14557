"""The offline planner on realistic requests over a demo catalog built by the real pipeline.

Each test checks which tools were called with which arguments, that every constraint of the request
holds in the products returned (price, gender, colour, type), against sets computed from the catalog
itself, and that the answer names every product it returns (name, id and price).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest

from fashion_search.domain import Product
from fashion_search.stylist import Stylist, StylistReply, Toolbox, ToolResult
from fashion_search.stylist.offline import OfflineChatModel
from fashion_search.stylist.phrasing import money
from fashion_search.stylist.planner import DEFAULT_K
from fashion_search.stylist.tools import ToolContext

SNEAKERS = {"Casual Shoes", "Sports Shoes"}
MEN = {"Men", "Unisex"}
WOMEN = {"Women", "Unisex"}


def names_all(reply: StylistReply) -> None:
    """The answer names every returned product with its id and price."""
    assert reply.products, reply.answer
    for rec in reply.products:
        p = rec.product
        assert p.name in reply.answer, (p.name, reply.answer)
        assert f"#{p.id}" in reply.answer
        assert money(p.price) in reply.answer


def tools(reply: StylistReply) -> list[str]:
    return [c.name for c in reply.tool_calls]


def matching(catalog: dict[int, Product], keep: Callable[[Product], bool]) -> set[int]:
    return {pid for pid, p in catalog.items() if keep(p)}


def products(reply: StylistReply) -> list[Product]:
    return [r.product for r in reply.products]


# -- single searches ------------------------------------------------------------------------------


def test_black_sneakers_for_men(stylist: Stylist, catalog: dict[int, Product]) -> None:
    allowed = matching(
        catalog, lambda p: p.article_type in SNEAKERS and p.gender in MEN and p.base_colour == "Black"
    )
    assert len(allowed) >= 3, "the fixture catalog must hold black men's sneakers"
    reply = stylist.chat("black sneakers for men")
    assert tools(reply) == ["search_by_text"]
    args = reply.tool_calls[0].arguments
    assert args["gender"] == "Men" and args["colours"] == ["Black"]
    assert set(args["article_types"]) == SNEAKERS
    assert {p.id for p in products(reply)} <= allowed
    assert len(reply.products) == min(5, len(allowed))
    names_all(reply)


def test_blue_dress_under_80(stylist: Stylist, catalog: dict[int, Product]) -> None:
    allowed = matching(
        catalog,
        lambda p: (
            p.article_type == "Dresses" and p.base_colour in ("Blue", "Navy Blue") and (p.price or 1e9) < 80
        ),
    )
    assert allowed
    reply = stylist.chat("Can you show me a blue dress under 80?")
    assert tools(reply) == ["search_by_text"]
    assert reply.tool_calls[0].arguments["max_price"] == 79.99
    assert {p.id for p in products(reply)} <= allowed
    names_all(reply)


def test_a_watch_for_my_dad_reads_the_person_as_menswear(
    stylist: Stylist, catalog: dict[int, Product]
) -> None:
    allowed = matching(
        catalog, lambda p: p.article_type == "Watches" and p.gender in MEN and (p.price or 1e9) <= 200
    )
    reply = stylist.chat("a watch for my dad, budget 200")
    assert tools(reply) == ["search_by_text"]
    assert reply.tool_calls[0].arguments["gender"] == "Men"
    assert {p.id for p in products(reply)} <= allowed
    names_all(reply)


def test_several_items_get_one_search_each_within_one_budget(
    stylist: Stylist, catalog: dict[int, Product]
) -> None:
    reply = stylist.chat("a white shirt and black jeans for men under 150")
    assert tools(reply)[0] == "search_by_text"
    by_type = {c.arguments["article_types"][0]: c.arguments for c in reply.tool_calls}
    assert set(by_type) == {"Shirts", "Jeans"}
    caps = [a["max_price"] for a in by_type.values()]
    assert sum(caps) <= 150
    shirts = [p for p in products(reply) if p.article_type == "Shirts"]
    jeans = [p for p in products(reply) if p.article_type == "Jeans"]
    assert shirts and jeans
    assert all(p.gender in MEN for p in products(reply))
    # Any one shirt with any one pair of jeans stays within the budget.
    assert max(p.price or 0 for p in shirts) + max(p.price or 0 for p in jeans) <= 150
    names_all(reply)


# -- outfits --------------------------------------------------------------------------------------


def test_outfit_for_a_beach_wedding_under_150(stylist: Stylist) -> None:
    reply = stylist.chat("an outfit for a beach wedding under 150")
    assert set(tools(reply)) == {"search_by_text"} and len(reply.tool_calls) >= 3
    items = products(reply)
    assert len(items) >= 3
    assert sum(p.price or 0 for p in items) <= 149.99
    roles = [r.role for r in reply.products]
    assert len(set(roles)) == len(roles), roles
    assert any(r in ("top", "dress") for r in roles) and "footwear" in roles
    # One person's outfit: menswear or womenswear, never both.
    genders = {p.gender for p in items} - {"Unisex"}
    assert len(genders) <= 1
    assert all(c.arguments.get("max_price") is not None for c in reply.tool_calls)
    assert "beach wedding" in reply.answer
    names_all(reply)


def test_womens_beach_wedding_outfit_keeps_gender_and_budget(stylist: Stylist) -> None:
    reply = stylist.chat("what should I wear to a beach wedding? I'm a woman, budget 200")
    assert all(c.arguments.get("gender") == "Women" for c in reply.tool_calls)
    items = products(reply)
    assert all(p.gender in WOMEN for p in items)
    assert sum(p.price or 0 for p in items) <= 200
    assert any(p.article_type == "Dresses" for p in items)
    # A dress needs no bottom.
    assert not any(p.sub_category == "Bottomwear" for p in items)
    names_all(reply)


def test_job_interview_outfit_for_men_is_formal(stylist: Stylist) -> None:
    reply = stylist.chat("What should I wear to a job interview? I'm a man")
    first = reply.tool_calls[0].arguments
    assert first["usages"] == ["Formal"] and first["gender"] == "Men"
    items = products(reply)
    assert all(p.gender in MEN for p in items)
    roles = {r.role: r.product for r in reply.products}
    assert roles["footwear"].article_type == "Formal Shoes"
    assert roles["top"].article_type in ("Shirts", "Blazers")
    names_all(reply)


def test_gym_outfit_for_women_is_sportswear(stylist: Stylist) -> None:
    reply = stylist.chat("gym outfit for women")
    assert all(c.arguments.get("usages") == ["Sports"] for c in reply.tool_calls[:1])
    items = products(reply)
    assert all(p.gender in WOMEN for p in items)
    shoes = [p for p in items if p.master_category == "Footwear"]
    assert shoes and all(p.article_type == "Sports Shoes" for p in shoes)
    names_all(reply)


def test_party_outfit_in_black_binds_the_main_piece(stylist: Stylist) -> None:
    reply = stylist.chat("party outfit for women in black")
    assert reply.tool_calls[0].arguments["colours"] == ["Black"]
    main = reply.products[0]
    assert main.product.base_colour == "Black" and main.product.gender in WOMEN
    names_all(reply)


def test_outfit_budget_too_small_says_so_without_inventing(stylist: Stylist) -> None:
    reply = stylist.chat("an outfit for the office under 20")
    assert reply.products == ()
    assert "tight" in reply.answer and "$19.99" in reply.answer


# -- anchored requests ------------------------------------------------------------------------------


def _a_mens_shirt(catalog: dict[int, Product]) -> Product:
    return next(
        p
        for p in sorted(catalog.values(), key=lambda p: p.id)
        if p.article_type == "Shirts" and p.gender == "Men"
    )


def test_what_goes_with_product_n(stylist: Stylist, catalog: dict[int, Product]) -> None:
    shirt = _a_mens_shirt(catalog)
    reply = stylist.chat(f"what goes with product {shirt.id}?")
    assert tools(reply) == ["complete_the_look"]
    assert reply.tool_calls[0].arguments["product_id"] == shirt.id
    assert shirt.id not in {p.id for p in products(reply)}
    assert {r.role for r in reply.products} >= {"bottom", "footwear"}
    assert all(p.sub_category != "Topwear" for p in products(reply))
    assert shirt.name in reply.answer
    names_all(reply)


def test_complete_the_look_with_a_budget_per_item(stylist: Stylist, catalog: dict[int, Product]) -> None:
    shirt = _a_mens_shirt(catalog)
    reply = stylist.chat(f"complete the look for {shirt.id} with pieces under 40")
    assert reply.tool_calls[0].arguments == {"product_id": shirt.id, "max_price": 39.99, "per_role": 2}
    assert all((p.price or 1e9) <= 39.99 for p in products(reply))
    names_all(reply)


def test_unknown_product_is_reported_not_raised(stylist: Stylist) -> None:
    reply = stylist.chat("what goes with product 999999?")
    assert [(c.name, c.error) for c in reply.tool_calls] == [("get_product", "product 999999 not found")]
    assert reply.products == ()
    assert "999999" in reply.answer and "couldn't find" in reply.answer


def test_tell_me_about_a_product(stylist: Stylist, catalog: dict[int, Product]) -> None:
    shirt = _a_mens_shirt(catalog)
    reply = stylist.chat(f"tell me about {shirt.id}")
    assert tools(reply) == ["get_product"]
    assert [p.id for p in products(reply)] == [shirt.id]
    assert shirt.base_colour and shirt.base_colour in reply.answer
    names_all(reply)


# -- follow-ups -------------------------------------------------------------------------------------


def test_something_like_this_but_cheaper(stylist: Stylist, catalog: dict[int, Product]) -> None:
    first = stylist.chat("black sneakers for men")
    shown = products(first)
    # "this" is the first product of the previous answer; pick a request where a cheaper one exists.
    anchor = shown[0]
    cheaper = matching(
        catalog,
        lambda p: (
            p.article_type == anchor.article_type
            and p.gender in {anchor.gender, "Unisex"}
            and (p.price or 1e9) < (anchor.price or 0)
        ),
    )
    reply = stylist.chat("something like this but cheaper", session_id=first.session_id)
    assert reply.session_id == first.session_id
    assert tools(reply) == ["search_similar_by_image"]
    args = reply.tool_calls[0].arguments
    assert args["product_id"] == anchor.id
    assert args["max_price"] < (anchor.price or 0)
    assert args["article_types"] == [anchor.article_type]
    assert cheaper, "the fixture must hold something cheaper than the first pick"
    found = {p.id for p in products(reply)}
    assert found <= cheaper
    assert len(found) == min(4, len(cheaper))
    assert anchor.name in reply.answer
    names_all(reply)


def test_something_like_the_second_one_in_another_colour(
    stylist: Stylist, catalog: dict[int, Product]
) -> None:
    first = stylist.chat("watches for men")
    second = products(first)[1]
    reply = stylist.chat("something like the second one in black", session_id=first.session_id)
    args = reply.tool_calls[0].arguments
    assert args["product_id"] == second.id and args["colours"] == ["Black"]
    assert products(reply)
    assert all(p.base_colour == "Black" and p.article_type == "Watches" for p in products(reply))
    assert second.id not in {p.id for p in products(reply)}
    assert second.name in reply.answer
    names_all(reply)


def test_refine_the_last_search(stylist: Stylist, catalog: dict[int, Product]) -> None:
    first = stylist.chat("sneakers for men")
    assert all(p.article_type in SNEAKERS and p.gender in MEN for p in products(first))
    reply = stylist.chat("in white?", session_id=first.session_id)
    args = reply.tool_calls[0].arguments
    assert args["colours"] == ["White", "Off White"] or args["colours"] == ["White"]
    assert args["gender"] == "Men" and set(args["article_types"]) == SNEAKERS
    allowed = matching(
        catalog,
        lambda p: p.article_type in SNEAKERS and p.gender in MEN and p.base_colour in ("White", "Off White"),
    )
    assert {p.id for p in products(reply)} <= allowed and reply.products
    names_all(reply)
    cheaper = stylist.chat("under 50", session_id=first.session_id)
    assert cheaper.tool_calls[0].arguments["max_price"] == 49.99
    under = {p.id for p in catalog.values() if p.id in allowed and (p.price or 1e9) < 50}
    assert {p.id for p in products(cheaper)} <= under
    if under:
        names_all(cheaper)
    else:
        assert cheaper.products == () and "Nothing matches" in cheaper.answer


def test_show_me_more_leaves_out_what_was_shown(stylist: Stylist) -> None:
    first = stylist.chat("bags for women")
    more = stylist.chat("show me more", session_id=first.session_id)
    assert tools(more) == ["search_by_text"]
    assert set(more.tool_calls[0].arguments["exclude_ids"]) == {p.id for p in products(first)}
    assert not {p.id for p in products(more)} & {p.id for p in products(first)}
    assert products(more)
    assert all(p.sub_category == "Bags" and p.gender in WOMEN for p in products(more))
    names_all(more)


def test_what_goes_with_the_second_one(stylist: Stylist) -> None:
    first = stylist.chat("casual shirts for men")
    second = products(first)[1]
    reply = stylist.chat("what goes with the second one?", session_id=first.session_id)
    assert reply.tool_calls[0].name == "complete_the_look"
    assert reply.tool_calls[0].arguments["product_id"] == second.id
    assert second.name in reply.answer


def test_follow_up_without_a_previous_answer_asks_back(stylist: Stylist) -> None:
    reply = stylist.chat("something like this but cheaper")
    assert reply.tool_calls == () and reply.products == ()
    assert "which" in reply.answer.lower()


def test_what_goes_with_it_after_asking_about_a_product(
    stylist: Stylist, catalog: dict[int, Product]
) -> None:
    shirt = _a_mens_shirt(catalog)
    first = stylist.chat(f"tell me about {shirt.id}")
    reply = stylist.chat("what goes with it?", session_id=first.session_id)
    assert tools(reply) == ["complete_the_look"]
    assert reply.tool_calls[0].arguments["product_id"] == shirt.id
    assert {r.role for r in reply.products} >= {"bottom", "footwear"}
    assert all(p.gender in MEN for p in products(reply))
    names_all(reply)


def test_the_shoes_of_an_outfit_but_cheaper(stylist: Stylist, catalog: dict[int, Product]) -> None:
    outfit = stylist.chat("date night outfit for women under 120")
    assert sum(p.price or 0 for p in products(outfit)) <= 119.99
    shoes = next(r.product for r in outfit.products if r.role == "footwear")
    # "the shoes" names the outfit's footwear even when it is a pair of sandals.
    reply = stylist.chat("something similar to the shoes but cheaper", session_id=outfit.session_id)
    assert tools(reply) == ["search_similar_by_image"]
    args = reply.tool_calls[0].arguments
    assert args["product_id"] == shoes.id and args["article_types"] == [shoes.article_type]
    assert args["gender"] == "Women" and args["max_price"] < (shoes.price or 0)
    allowed = matching(
        catalog,
        lambda p: (
            p.article_type == shoes.article_type
            and p.gender in WOMEN
            and (p.price or 1e9) < (shoes.price or 0)
        ),
    )
    assert {p.id for p in products(reply)} <= allowed
    if allowed:
        assert reply.products and shoes.name in reply.answer
        names_all(reply)
    else:
        assert "Nothing cheaper" in reply.answer


class _KidsFirstToolbox(Toolbox):
    """A catalog whose searches without a gender bring back only children's pieces."""

    def run(
        self, name: str, arguments: Mapping[str, Any] | None, context: ToolContext | None = None
    ) -> ToolResult:
        result = super().run(name, arguments, context)
        if name != "search_by_text" or (arguments or {}).get("gender") is not None:
            return result
        kids = tuple(i for i in result.items if i.product.gender in ("Boys", "Girls"))
        return replace(result, items=kids)


def test_an_open_outfit_never_dresses_a_grown_up_in_kids_pieces(
    stylist: Stylist, catalog: dict[int, Product]
) -> None:
    assert any(p.gender in ("Boys", "Girls") and p.sub_category == "Topwear" for p in catalog.values())
    kids_first = Stylist(_KidsFirstToolbox(stylist.toolbox.services), OfflineChatModel())
    reply = kids_first.chat("an outfit for a casual day out")
    first, retry = reply.tool_calls[:2]
    assert "gender" not in first.arguments
    assert (
        retry.arguments["gender"] == "Women"
        and retry.arguments["article_types"] == first.arguments["article_types"]
    )
    items = products(reply)
    assert items and not {p.gender for p in items} & {"Boys", "Girls"}
    names_all(reply)


def test_a_mens_wedding_look_pairs_colours_that_go_together(stylist: Stylist) -> None:
    from fashion_search.outfit.colours import CLASH_BELOW, harmony

    reply = stylist.chat("I'm going to a wedding next month, what should I wear? I'm a guy")
    assert all(c.arguments["gender"] == "Men" for c in reply.tool_calls)
    assert all(c.arguments["usages"][0] == "Ethnic" for c in reply.tool_calls)
    main, *rest = reply.products
    assert rest
    for pick in rest:
        # Nothing that clashes with the main piece, and no reason that admits a clash.
        assert harmony(main.product.base_colour, pick.product.base_colour).score >= CLASH_BELOW, pick
        assert "clash" not in pick.reason
    roles = [r.role for r in reply.products]
    assert "jewellery" not in roles  # a man's watch is called a watch
    assert "watch" in roles and roles.count("watch") == 1
    assert "a ethnic" not in reply.answer
    names_all(reply)


def test_thanks_gets_a_welcome_not_the_introduction(stylist: Stylist) -> None:
    reply = stylist.chat("thanks!")
    assert reply.tool_calls == () and "welcome" in reply.answer


@pytest.mark.parametrize(
    ("outfit", "follow_up"),
    [
        ("an outfit for the office for women", "make it cheaper"),
        ("an outfit for a beach wedding", "cheaper please"),
    ],
)
def test_a_cheaper_take_on_the_last_outfit(stylist: Stylist, outfit: str, follow_up: str) -> None:
    first = stylist.chat(outfit)
    total = sum(p.price or 0 for p in products(first))
    wardrobe = {c.arguments.get("gender") for c in first.tool_calls[1:]}
    assert len(wardrobe) == 1
    reply = stylist.chat(follow_up, session_id=first.session_id)
    assert set(tools(reply)) == {"search_by_text"} and len(reply.tool_calls) >= 3
    budget = int(total * 0.8)
    assert all(c.arguments["max_price"] <= budget for c in reply.tool_calls)
    # The same occasion, for the same person, within 80% of what the last look cost.
    assert {c.arguments.get("gender") for c in reply.tool_calls} == wardrobe
    assert len(products(reply)) >= 3
    assert sum(p.price or 0 for p in products(reply)) <= budget
    assert first.answer.split(",")[0] == reply.answer.split(",")[0]  # "Here's an office look for women"
    assert "cheaper take" in reply.answer
    names_all(reply)


# -- how shoppers say things ------------------------------------------------------------------------


def test_i_dont_like_black_excludes_it(stylist: Stylist, catalog: dict[int, Product]) -> None:
    allowed = matching(
        catalog, lambda p: p.article_type in SNEAKERS and p.gender in WOMEN and p.base_colour != "Black"
    )
    reply = stylist.chat("I don't like black, show me sneakers for women")
    assert tools(reply) == ["search_by_text"]
    args = reply.tool_calls[0].arguments
    assert args["exclude_colours"] == ["Black"] and "colours" not in args
    assert products(reply) and {p.id for p in products(reply)} <= allowed
    assert "nothing in Black" in reply.answer
    names_all(reply)


def test_anything_but_red(stylist: Stylist, catalog: dict[int, Product]) -> None:
    reply = stylist.chat("anything but red, t-shirts for men")
    args = reply.tool_calls[0].arguments
    assert args["exclude_colours"] == ["Red"] and args["article_types"] == ["Tshirts"]
    assert products(reply)
    assert all(
        p.base_colour != "Red" and p.article_type == "Tshirts" and p.gender in MEN for p in products(reply)
    )
    names_all(reply)


def test_a_number_before_the_item_is_how_many(stylist: Stylist, catalog: dict[int, Product]) -> None:
    reply = stylist.chat("show me 3 watches for women")
    assert reply.tool_calls[0].arguments["k"] == 3
    assert len(reply.products) == 3
    assert all(p.article_type == "Watches" and p.gender in WOMEN for p in products(reply))
    names_all(reply)
    # A size is not a count.
    sized = stylist.chat("size 10 sneakers for women")
    assert sized.tool_calls[0].arguments["k"] == DEFAULT_K


def test_a_price_range(stylist: Stylist, catalog: dict[int, Product]) -> None:
    reply = stylist.chat("casual shirts between 30 and 60 dollars")
    args = reply.tool_calls[0].arguments
    assert (args["min_price"], args["max_price"]) == (30, 60) and args["usages"] == ["Casual"]
    assert products(reply)
    assert all(30 <= (p.price or 0) <= 60 and p.article_type == "Shirts" for p in products(reply))
    assert "between $30 and $60" in reply.answer
    names_all(reply)


def test_running_shoes_for_women_under_80(stylist: Stylist, catalog: dict[int, Product]) -> None:
    reply = stylist.chat("running shoes for women under 80")
    assert tools(reply) == ["search_by_text"]
    assert products(reply)
    assert all(
        p.article_type == "Sports Shoes" and p.gender in WOMEN and (p.price or 1e9) < 80
        for p in products(reply)
    )
    names_all(reply)


def test_cheaper_options_of_a_search(stylist: Stylist) -> None:
    first = stylist.chat("watches for men")
    prices = sorted(p.price or 0 for p in products(first))
    middle = prices[len(prices) // 2]
    reply = stylist.chat("show me cheaper options", session_id=first.session_id)
    args = reply.tool_calls[0].arguments
    assert args["max_price"] == round(middle - 0.01, 2) and args["gender"] == "Men"
    assert products(reply)
    assert all(p.article_type == "Watches" and (p.price or 1e9) < middle for p in products(reply))
    names_all(reply)


def test_a_brand_is_kept_or_its_absence_is_said(stylist: Stylist, catalog: dict[int, Product]) -> None:
    nike_shoes = matching(catalog, lambda p: p.name.startswith("Nike ") and p.master_category == "Footwear")
    assert nike_shoes
    first = stylist.chat("Do you have Nike shoes?")
    assert products(first) and {p.id for p in products(first)} <= nike_shoes
    assert first.tool_calls[0].arguments["text"] == "Nike shoes"
    names_all(first)
    white = stylist.chat("in white", session_id=first.session_id)
    args = white.tool_calls[0].arguments
    assert args["colours"] == ["White"] and "Nike" in args["text"]
    found = products(white)
    assert found and all(p.base_colour == "White" and p.master_category == "Footwear" for p in found)
    white_nike = {p.id for p in catalog.values() if p.id in nike_shoes and p.base_colour == "White"}
    if white_nike:
        assert {p.id for p in found} <= white_nike
    else:
        assert "Nothing from Nike matches all of that" in white.answer
    names_all(white)


# -- the shopper ------------------------------------------------------------------------------------


def test_recommend_something_for_me_uses_the_active_shopper(stylist: Stylist) -> None:
    user = stylist.toolbox.services.users().list_users()[0][0]
    bought = stylist.toolbox.services.users().purchased(user.id)
    reply = stylist.chat("recommend something for me", user_id=user.id)
    assert reply.tool_calls[0].name == "get_personalized_recommendations"
    assert reply.tool_calls[0].arguments["user_id"] == user.id
    assert not {p.id for p in products(reply)} & bought
    assert user.name in reply.answer
    names_all(reply)
    # The shopper stays active for the session's later messages.
    later = stylist.chat("anything under 60?", session_id=reply.session_id)
    assert later.user_id == user.id


def test_recommend_without_a_shopper_asks_who(stylist: Stylist) -> None:
    reply = stylist.chat("recommend something for me")
    assert reply.tool_calls == () and reply.products == ()
    assert "persona" in reply.answer


def test_greeting_calls_no_tool(stylist: Stylist) -> None:
    reply = stylist.chat("hi")
    assert reply.tool_calls == () and reply.products == ()
    assert "outfit" in reply.answer


def test_a_photo_is_searched_by_image(stylist: Stylist, catalog: dict[int, Product]) -> None:
    services = stylist.toolbox.services
    images_dir = services.images_dir()
    assert images_dir is not None
    dress = next(p for p in catalog.values() if p.article_type == "Dresses" and p.image_file)
    data = (images_dir / str(dress.image_file)).read_bytes()
    reply = stylist.chat("find me something like this", image=data)
    assert reply.image_ref == "upload:1"
    assert reply.tool_calls[0].name == "search_similar_by_image"
    assert reply.tool_calls[0].arguments["image_ref"] == "upload:1"
    assert dress.id in {p.id for p in products(reply)}  # the photo's own product looks most like it
    # Complete the look of a photo: its closest catalog product is the anchor.
    again = stylist.chat("what goes with the photo I uploaded?", session_id=reply.session_id)
    assert tools(again) == ["search_similar_by_image", "complete_the_look"]
    assert again.tool_calls[0].arguments["image_ref"] == "upload:1"
    assert again.tool_calls[1].arguments["product_id"] == dress.id
    assert "footwear" in {r.role for r in again.products}


@pytest.mark.parametrize(
    "message",
    ["", "   ", "x" * 2001],
)
def test_bad_messages_are_rejected(stylist: Stylist, message: str) -> None:
    from fashion_search.errors import ValidationError

    with pytest.raises(ValidationError, match="message"):
        stylist.chat(message)
