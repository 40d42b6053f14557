"""The offline planner: decides which tools to call for a request, calls them, and chooses the picks.

One plan per intent (see :class:`~fashion_search.stylist.intent.Intent`):

* **search**: one ``search_by_text`` with the filters read from the words (one per item when several
  are asked for, the budget split across them); a colour or usage that leaves nothing is relaxed,
  said so; a price or gender never is.
* **outfit**: one search per piece of the occasion's template, within a share of the budget, each
  later piece chosen for colour harmony with the main one (:mod:`~fashion_search.stylist.outfit_plan`).
* **complete the look**, **similar** ("but cheaper", "in black"), **more**, **refine**,
  **recommend**, **product** details: one or two tool calls on the product the message names, or on
  the previous answer's products.

Every call goes through :meth:`Toolbox.run`, the same tools Claude uses; the calls are recorded
(:class:`~fashion_search.stylist.turn_plan.TurnPlan` keeps them with the findings for the answer).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fashion_search.domain import Product
from fashion_search.search.vocabulary import Facet
from fashion_search.stylist.base import Recommended, ToolCall, TurnContext
from fashion_search.stylist.builtin_occasions import default_occasions
from fashion_search.stylist.catalog_facts import CatalogFacts
from fashion_search.stylist.findings import Findings, Section
from fashion_search.stylist.intent import Intent, Request, last_search_call, product_kind, read_request
from fashion_search.stylist.occasions import Occasion
from fashion_search.stylist.outfit_plan import plan_outfit
from fashion_search.stylist.phrasing import money
from fashion_search.stylist.tools import (
    COMPLETE_THE_LOOK,
    GET_PRODUCT,
    RECOMMEND,
    SEARCH_BY_TEXT,
    SEARCH_SIMILAR,
    Toolbox,
    ToolContext,
    ToolResult,
)
from fashion_search.stylist.turn_plan import TurnPlan

DEFAULT_K = 5
SIMILAR_K = 4


class Planner:
    """Plans and runs the tool calls for one message; see the module docstring."""

    def __init__(self, toolbox: Toolbox, occasions: Sequence[Occasion] | None = None) -> None:
        self.toolbox = toolbox
        self.facts = CatalogFacts(toolbox)
        self.occasions = tuple(occasions) if occasions is not None else default_occasions()

    def understand(self, turn: TurnContext) -> Request:
        return read_request(
            turn,
            self.toolbox.vocabulary(),
            self.occasions,
            lambda pid: self.toolbox.product(pid) is not None,
            self.facts.kind_of,
        )

    def run(self, turn: TurnContext) -> tuple[Findings, list[ToolResult]]:
        """Understand ``turn.message``, call the tools it needs, and return the findings and calls."""
        request = self.understand(turn)
        plan = TurnPlan(
            self.toolbox,
            self.facts,
            self.occasions,
            self.understand,
            turn,
            request,
            ToolContext(images=turn.images),
        )
        _HANDLERS[request.intent](plan)
        return plan.findings, plan.results


def plan_greeting(plan: TurnPlan) -> None:
    name = plan.findings.user_name
    hello = f"Hi {name}! " if name else "Hi! "
    if _THANKS.search(plan.request.message):
        plan.findings.direct = (
            "You're welcome! Ask me anytime: an outfit for an occasion, something specific, or what "
            "goes with a product."
        )
        return
    plan.findings.direct = (
        hello + 'I\'m your stylist. Ask me for a whole outfit ("an outfit for a beach wedding under 150"), '
        'for something specific ("black sneakers for men"), what goes with a product ("what goes with '
        'product 15970?"), or, after I show you something, "something like this but cheaper".'
    )


def plan_product(plan: TurnPlan) -> None:
    product = plan.anchor_product()
    if product is None:
        return
    result = plan.call(GET_PRODUCT, {"product_id": product.id})
    plan.findings.sections.append(Section("details", plan.picks(result)))


def plan_complete(plan: TurnPlan) -> None:
    r = plan.request
    anchor = plan.anchor_product() if r.anchor is not None else None
    if r.anchor is not None and anchor is None:
        return
    if anchor is None and r.image_ref is not None:
        found = plan.call(SEARCH_SIMILAR, {"image_ref": r.image_ref, "k": 1, "user_id": plan.turn.user_id})
        if found.items:
            anchor = found.items[0].product
            plan.findings.anchor_how = "the closest catalog match to your photo"
    elif anchor is None and r.article_types:
        args = {**plan.base_args(), "text": r.parsed.semantic_text, "k": 1, "max_price": None}
        found = plan.call(SEARCH_BY_TEXT, args)
        if found.items:
            anchor = found.items[0].product
            plan.findings.anchor_how = f'the best match for "{r.parsed.semantic_text}"'
    if anchor is None:
        plan.findings.direct = (
            'Which piece should I build the look around? Give me a product number ("what goes with '
            'product 15970?") or describe it ("what goes with a white linen shirt?").'
        )
        return
    plan.findings.anchor = anchor
    result = plan.call(
        COMPLETE_THE_LOOK,
        {"product_id": anchor.id, "user_id": plan.turn.user_id, "max_price": r.max_price, "per_role": 2},
    )
    if result.is_error:
        plan.findings.direct = f"I couldn't build a look around {anchor.name}: {result.error}."
        return
    roles: dict[str, list[Recommended]] = {}
    for item in result.items:
        roles.setdefault(item.role or "more", []).append(item)
    for role, picks in roles.items():
        plan.findings.sections.append(Section(role, picks))
    note = result.content.get("note")
    if note:
        plan.findings.notes.append(str(note)[:1].upper() + str(note)[1:] + ".")
    if r.max_price is not None:
        plan.findings.notes.append(f"Every piece is at most {money(r.max_price)}.")


def plan_similar(plan: TurnPlan) -> None:
    r = plan.request
    anchor: Product | None = None
    args: dict[str, Any] = {**plan.base_args(), "k": r.count or SIMILAR_K}
    # A photo sent with this very message wins over a product named earlier.
    photo_first = r.image_ref is not None and (r.anchor is None or plan.turn.new_image is not None)
    if r.anchor is not None and not photo_first:
        anchor = plan.anchor_product()
        if anchor is None:
            return
        args["product_id"] = anchor.id
        # "Like this" keeps what it is and who it is for, unless the shopper says otherwise.
        # Words that only named it loosely ("the shoes" for sandals) keep its own type too.
        kind = product_kind(anchor)
        loose = all(plan.facts.kind_of(t) == kind for t in args["article_types"])
        if anchor.article_type and anchor.article_type not in args["article_types"] and loose:
            args["article_types"] = [anchor.article_type]
        if args["gender"] is None:
            args["gender"] = _gender_like(plan, anchor)
        if r.cheaper and anchor.price is not None:
            below = round(anchor.price - 0.01, 2)
            args["max_price"] = below if args["max_price"] is None else min(below, args["max_price"])
        if r.pricier and anchor.price is not None:
            above = round(anchor.price + 0.01, 2)
            args["min_price"] = above if args["min_price"] is None else max(above, args["min_price"])
    elif r.image_ref is not None:
        args["image_ref"] = r.image_ref
        plan.findings.anchor_how = "your photo"
    else:
        plan.findings.direct = (
            "Like which one? Ask me to find something first, give me a product number, or send a photo."
        )
        return
    if (
        args.get("min_price") is not None
        and args.get("max_price") is not None
        and args["min_price"] > args["max_price"]
    ):
        plan.findings.direct = (
            f"That asks for something over {money(args['min_price'])} "
            f"but at most {money(args['max_price'])}, "
            "which nothing can be. Which limit should I keep?"
        )
        return
    result = plan.call(SEARCH_SIMILAR, args)
    if result.is_error:
        what = "search by your photo" if "image_ref" in args else "search for that"
        plan.findings.direct = f"I couldn't {what}: {result.error}."
        return
    title = "similar"
    empty = ""
    if not result.items:
        what = " or ".join(args.get("article_types") or []) or "products"
        who = f" for {str(args['gender']).lower()}" if args.get("gender") else ""
        if r.cheaper and anchor is not None and not args.get("colours"):
            empty = (
                f"Nothing cheaper: at {money(anchor.price)} it is already the lowest-priced "
                f"of the {what}{who} like it."
            )
        elif r.pricier and anchor is not None and not args.get("colours"):
            empty = f"Nothing pricier: at {money(anchor.price)} it is the top of the {what}{who} like it."
        else:
            summary = _similar_summary(plan, anchor, args)
            empty = f"I found no {what}{who} like it" + (f", {summary}" if summary else "") + "."
    plan.findings.summary = _similar_summary(plan, anchor, args)
    plan.findings.sections.append(Section(title, plan.picks(result), empty))


def _gender_like(plan: TurnPlan, anchor: Product) -> str | None:
    """Who "like this" is for: the anchor's gender, or for a unisex product picked from the last
    answer, the gender that answer's search was for ("sneakers for men", then "like the second one")."""
    if anchor.gender in ("Men", "Women", "Boys", "Girls"):
        return anchor.gender
    if anchor.id in {p.product.id for p in plan.turn.last_products}:
        previous = last_search_call(plan.turn)
        if previous is not None and isinstance(previous.arguments.get("gender"), str):
            return str(previous.arguments["gender"])
    return None


def _similar_summary(plan: TurnPlan, anchor: Product | None, args: Mapping[str, Any]) -> str:
    parts = []
    if plan.request.cheaper and anchor is not None:
        parts.append(f"cheaper than its {money(anchor.price)}")
    if plan.request.pricier and anchor is not None:
        parts.append(f"a step up from its {money(anchor.price)}")
    if args.get("colours"):
        parts.append("in " + " or ".join(args["colours"]))
    if args.get("max_price") is not None and not plan.request.cheaper:
        parts.append(f"at most {money(args['max_price'])}")
    return ", ".join(parts)


def plan_more(plan: TurnPlan) -> None:
    previous = last_search_call(plan.turn)
    if previous is None:
        plan.findings.direct = "More of what? Tell me what you are looking for and I'll find some."
        return
    shown = set(previous.arguments.get("exclude_ids") or [])
    for turn in plan.turn.history[-1:]:
        shown.update(turn.product_ids)
    args = {**previous.arguments, "exclude_ids": sorted(shown)}
    if plan.request.count:
        args["k"] = plan.request.count
    result = plan.call(previous.name, args)
    if previous.name == SEARCH_SIMILAR:
        anchor = plan.toolbox.product(int(args.get("product_id") or 0))
        plan.findings.summary = "more like " + (anchor.name if anchor is not None else "your photo")
    else:
        plan.findings.summary = "more " + plan.describe(args, str(args.get("text", "")))
    empty = "That was everything that matches; try loosening a filter." if not result.items else ""
    plan.findings.sections.append(Section("more", plan.picks(result), empty))


def plan_refine(plan: TurnPlan) -> None:
    previous = last_search_call(plan.turn)
    assert previous is not None
    r = plan.request
    args = dict(previous.arguments)
    args.pop("exclude_ids", None)
    text = str(args.get("text", ""))
    changed: list[str] = []
    if r.colours:
        args["colours"], changed = list(r.colours), [*changed, "colours"]
        args.pop("exclude_colours", None)
    excluded = r.parsed.detected.get("exclude", {}).get(Facet.COLOUR.value)
    if excluded:
        args["exclude_colours"] = list(excluded)
        args["colours"] = [c for c in args.get("colours") or [] if c not in excluded] or None
    if r.gender is not None:
        args["gender"], changed = r.gender, [*changed, "gender"]
    if r.usages:
        args["usages"], changed = list(r.usages), [*changed, "usages"]
    if r.max_price is not None:
        args["max_price"] = r.max_price
    if r.min_price is not None:
        args["min_price"] = r.min_price
    prices = [p.product.price for p in plan.turn.last_products if p.product.price is not None]
    if r.cheaper and prices:
        middle = statistics.median(prices)
        args["max_price"] = round(middle - 0.01, 2)
        plan.findings.notes.append(
            f"Cheaper here means under {money(middle)}, the middle price of what I showed."
        )
    if r.pricier and prices:
        middle = statistics.median(prices)
        args["min_price"] = round(middle + 0.01, 2)
    args = {k: v for k, v in args.items() if v is not None}
    dropped: list[str] = []
    if previous.name == SEARCH_SIMILAR:
        result = plan.call(SEARCH_SIMILAR, args)
        anchor = plan.toolbox.product(int(args.get("product_id") or 0))
        text = "products like " + (anchor.name if anchor is not None else "your photo")
    else:
        # The refinement's own words replace the old words of the same kind and lead the text.
        words = " ".join(t.text for t in r.parsed.terms if t.role == "filter")
        args["text"] = f"{words} {plan.strip_facets(text, changed)}".strip() if words else text
        text = args["text"]
        result, dropped = plan.search_relaxing(args, relax=("usages",))
    plan.show_results(
        "refined", result, args, text, dropped, "Nothing matches that change; the earlier picks still stand."
    )


def plan_recommend(plan: TurnPlan) -> None:
    user_id = plan.user_required()
    if user_id is None:
        return
    keys = plan.request.message.lower()
    args = {
        "user_id": user_id,
        "limit": plan.request.count or DEFAULT_K,
        "max_price": plan.request.max_price,
        "min_price": plan.request.min_price,
        "restrict_color": any(
            w in keys for w in ("my colour", "my color", "favourite colour", "favorite color")
        ),
        "restrict_category": any(
            w in keys for w in ("what i usually", "my usual", "favourite categor", "favorite categor")
        ),
        "restrict_price": any(w in keys for w in ("my price", "my usual price", "my budget", "price range")),
    }
    result = plan.call(RECOMMEND, {k: v for k, v in args.items() if v is not False})
    if result.is_error:
        plan.findings.direct = f"I couldn't get recommendations: {result.error}."
        return
    if result.content.get("note"):
        plan.findings.notes.append(str(result.content["note"]).capitalize() + ".")
    plan.findings.sections.append(Section("for you", plan.picks(result)))


def plan_search(plan: TurnPlan) -> None:
    r = plan.request
    if len(r.segments) > 1:
        _search_several(
            plan,
        )
        return
    args: dict[str, Any] = {
        **plan.base_args(),
        "text": r.parsed.semantic_text or r.text,
        "k": r.count or DEFAULT_K,
    }
    if r.occasion is not None and not args["usages"]:
        args["usages"] = list(plan.facts.present_usages(r.occasion.usages))
    result, dropped = plan.search_relaxing(args)
    if result.is_error:
        plan.findings.direct = f"I couldn't run that search: {result.error}."
        return
    empty = plan.nothing_found(args) if not result.items else ""
    plan.show_results("results", result, args, args["text"], dropped, empty)


def _search_several(plan: TurnPlan) -> None:
    """Several items in one message: one search per item, the budget split by typical prices."""
    r = plan.request
    segments = [plan.understand(_segment_turn(plan.turn, s)) for s in r.segments]
    guide = plan.facts.prices()
    caps: list[float | None] = [r.max_price] * len(segments)
    if r.max_price is not None and not r.each:
        weights = [guide.typical(s.article_types) for s in segments]
        caps = [round(r.max_price * w / sum(weights) - 0.005, 2) for w in weights]
        plan.findings.budget = r.max_price
        plan.findings.notes.append(
            f"I split your {money(r.max_price)} across the {len(segments)} pieces "
            "by what each usually costs, "
            "so any one pick of each stays within it."
        )
    for segment, cap in zip(segments, caps, strict=True):
        args = {
            **plan.base_args(segment),
            "gender": segment.gender or r.gender,
            "usages": list(segment.usages or r.usages),
            "max_price": cap if cap is not None else segment.max_price,
            "min_price": segment.min_price if segment.min_price is not None else r.min_price,
            "text": segment.parsed.semantic_text or segment.text,
            "k": 2,
        }
        if (
            args["min_price"] is not None
            and args["max_price"] is not None
            and args["min_price"] > args["max_price"]
        ):
            args["min_price"] = None
        result, dropped = plan.search_relaxing(args)
        if result.items:
            plan.relaxation_notes(dropped, args)
        empty = "" if result.items or result.is_error else plan.nothing_found(args)
        if result.is_error:
            empty = f"I couldn't search for it: {result.error}."
        plan.findings.sections.append(Section(plan.describe(args, args["text"]), plan.picks(result), empty))


_HANDLERS: Mapping[Intent, Callable[[TurnPlan], None]] = {
    Intent.GREETING: plan_greeting,
    Intent.PRODUCT: plan_product,
    Intent.COMPLETE: plan_complete,
    Intent.SIMILAR: plan_similar,
    Intent.MORE: plan_more,
    Intent.REFINE: plan_refine,
    Intent.OUTFIT: plan_outfit,
    Intent.RECOMMEND: plan_recommend,
    Intent.SEARCH: plan_search,
}
"""The plan of each intent."""

_THANKS = re.compile(r"\b(?:thanks|thank you|thx|ty|cheers|great|perfect|awesome)\b", re.IGNORECASE)


def _segment_turn(turn: TurnContext, text: str) -> TurnContext:
    return TurnContext(message=text, user_id=turn.user_id)


def record(results: Sequence[ToolResult]) -> tuple[ToolCall, ...]:
    """The tool calls as a reply lists them."""
    return tuple(ToolCall(r.name, dict(r.arguments), r.error) for r in results)
