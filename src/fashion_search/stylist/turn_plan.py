"""The state of planning one message: the request understood, the tool calls made so far, the
findings for the answer, and the tool-calling steps every intent shares (searching with soft
filters relaxed, describing a search in words, notes about what was relaxed)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fashion_search.domain import Product
from fashion_search.search.vocabulary import Facet
from fashion_search.stylist.base import Recommended, TurnContext
from fashion_search.stylist.catalog_facts import CatalogFacts
from fashion_search.stylist.findings import Findings, Section
from fashion_search.stylist.intent import Request
from fashion_search.stylist.occasions import Occasion
from fashion_search.stylist.phrasing import money
from fashion_search.stylist.tools import GET_PRODUCT, SEARCH_BY_TEXT, Toolbox, ToolContext, ToolResult

_ARG_FACETS = {"colours": Facet.COLOUR, "usages": Facet.USAGE, "gender": Facet.GENDER}


class TurnPlan:
    """The state of planning one message, and the steps the intents' plans share.

    ``understand`` reads another message the way the planner does (a piece of a message that asks
    for several items).
    """

    def __init__(
        self,
        toolbox: Toolbox,
        facts: CatalogFacts,
        occasions: Sequence[Occasion],
        understand: Callable[[TurnContext], Request],
        turn: TurnContext,
        request: Request,
        context: ToolContext,
    ) -> None:
        self.toolbox = toolbox
        self.facts = facts
        self.occasions = occasions
        self.understand = understand
        self.turn = turn
        self.request = request
        self.context = context
        self.results: list[ToolResult] = []
        self.findings = Findings(
            request=request,
            intent=request.intent,
            user_name=self.facts.user_name(turn.user_id),
            occasion=request.occasion,
        )

    def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        args = {k: v for k, v in arguments.items() if v is not None and v != [] and v != ()}
        result = self.toolbox.run(name, args, self.context)
        self.results.append(result)
        return result

    def base_args(self, request: Request | None = None) -> dict[str, Any]:
        """Search arguments from what the words said (shared by every kind of search)."""
        r = request or self.request
        excluded = r.parsed.detected.get("exclude", {}).get(Facet.COLOUR.value)
        return {
            "gender": r.gender,
            "colours": list(r.colours),
            "exclude_colours": list(excluded or []),
            "article_types": list(r.article_types),
            "usages": list(r.usages),
            "max_price": r.max_price,
            "min_price": r.min_price,
            "user_id": self.turn.user_id,
        }

    def picks(self, result: ToolResult, limit: int | None = None) -> list[Recommended]:
        items = result.items[:limit] if limit is not None else result.items
        return list(items)

    def search_relaxing(
        self, args: dict[str, Any], relax: Sequence[str] = ("colours", "usages")
    ) -> tuple[ToolResult, list[str]]:
        """Search; when nothing matches, drop the softer filters one at a time (never price or gender).

        A dropped filter's words leave the search text too, or the search would read them again.
        """
        result = self.call(SEARCH_BY_TEXT, args)
        dropped: list[str] = []
        for key in relax:
            if result.is_error or result.items or not args.get(key):
                continue
            text = self.strip_facets(str(args.get("text", "")), [key])
            args = {**args, key: None, "text": text or str(args.get("text", ""))}
            dropped.append(key)
            result = self.call(SEARCH_BY_TEXT, args)
        return result, dropped

    def describe(self, args: Mapping[str, Any], text: str) -> str:
        parts = [text.strip() or "products"]
        limits = []
        if args.get("exclude_colours"):
            limits.append("nothing in " + " or ".join(args["exclude_colours"]))
        if args.get("min_price") is not None and args.get("max_price") is not None:
            limits.append(f"between {money(args['min_price'])} and {money(args['max_price'])}")
        elif args.get("max_price") is not None:
            limits.append(f"at most {money(args['max_price'])}")
        elif args.get("min_price") is not None:
            limits.append(f"from {money(args['min_price'])}")
        return ", ".join(parts + limits)

    def show_results(
        self,
        title: str,
        result: ToolResult,
        args: Mapping[str, Any],
        text: str,
        dropped: Sequence[str],
        empty_note: str,
    ) -> None:
        """A search's results as the answer's one section, described in words, with notes on the
        filters ``dropped`` to find them (``empty_note`` when there are none)."""
        self.findings.summary = self.describe(args, text)
        if result.items:
            self.relaxation_notes(dropped, args)
            self.brand_note(result)
        self.findings.sections.append(Section(title, self.picks(result), "" if result.items else empty_note))

    def user_required(self) -> int | None:
        if self.turn.user_id is None:
            self.findings.direct = (
                "I don't know whose style to go by yet. Pick a shopper (a persona) first, or tell me what "
                'you are after, e.g. "black sneakers for men under 80" or "an outfit for the office".'
            )
        return self.turn.user_id

    def anchor_product(self) -> Product | None:
        """The product the message is about; an unknown id is reported through get_product's error."""
        anchor = self.request.anchor
        if anchor is None:
            return None
        product = self.toolbox.product(anchor.product_id)
        if product is None:
            result = self.call(GET_PRODUCT, {"product_id": anchor.product_id})
            self.findings.direct = (
                f"I couldn't find {anchor.how} in the catalog ({result.error}). "
                "Check the number, or ask me to search for what you have in mind."
            )
            return None
        self.findings.anchor = product
        self.findings.anchor_how = anchor.how
        return product

    def strip_facets(self, text: str, keys: Sequence[str]) -> str:
        """``text`` without the words of the given argument keys ("black sneakers" -> "sneakers" for
        ``colours``)."""
        facets = {_ARG_FACETS[k] for k in keys if k in _ARG_FACETS}
        if not facets:
            return text
        from fashion_search.search.query import parse_query

        parsed = parse_query(text, self.toolbox.vocabulary())
        spans = [(t.start, t.end) for t in parsed.terms if t.facet in facets]
        out, pos = [], 0
        for start, end in sorted(spans):
            out.append(text[pos:start])
            pos = end
        out.append(text[pos:])
        words = " ".join("".join(out).split())
        # "t-shirt for gym" without "gym" must not end in a dangling "for".
        return re.sub(
            r"(?:\s+\b(?:for|in|with|and|or|at|a|an|the)\b)+\s*$", "", words, flags=re.IGNORECASE
        ).strip()

    def brand_note(self, result: ToolResult) -> None:
        brands = result.content.get("brands")
        if brands and result.content.get("brand_applied") is False:
            self.findings.notes.append(
                f"Nothing from {' or '.join(brands)} matches all of that, so these come from other brands."
            )

    def nothing_found(self, args: Mapping[str, Any]) -> str:
        types = list(args.get("article_types") or [])
        lowest = self.facts.prices().lowest(types) if types else None
        if args.get("max_price") is not None and lowest is not None and lowest > args["max_price"]:
            return (
                f"Nothing matches within {money(args['max_price'])}: the cheapest {' or '.join(types)} here "
                f"start at {money(lowest)}."
            )
        return "Nothing in the catalog matches all of that; try fewer filters or other words."

    def relaxation_notes(self, dropped: Sequence[str], args: Mapping[str, Any]) -> None:
        if "colours" in dropped:
            self.findings.notes.append(
                f"Nothing came in {' or '.join(args.get('colours') or [])}, so these are other colours."
            )
        if "usages" in dropped:
            self.findings.notes.append(
                f"Nothing was labelled {' or '.join(args.get('usages') or [])}, so I widened the style."
            )
