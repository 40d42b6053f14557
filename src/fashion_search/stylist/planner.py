"""The offline planner: decides which tools to call for a request, calls them, and chooses the picks.

One method per intent (see :class:`~fashion_search.stylist.intent.Intent`):

* **search**: one ``search_by_text`` with the filters read from the words (one per item when several
  are asked for, the budget split across them); a colour or usage that leaves nothing is relaxed,
  said so; a price or gender never is.
* **outfit**: the occasion's template (:mod:`~fashion_search.stylist.occasions`), one search per
  piece, constrained by gender and by a share of the budget (:mod:`~fashion_search.stylist.budget`);
  the main piece decides the colours, and each later piece is chosen among the results for colour
  harmony with it and for the occasion's palette.
* **complete the look**, **similar** ("but cheaper", "in black"), **more**, **refine**,
  **recommend**, **product** details: one or two tool calls on the product the message names, or on
  the previous answer's products.

Every call goes through :meth:`Toolbox.run`, the same tools Claude uses; the calls are recorded.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fashion_search.domain import Product
from fashion_search.errors import FashionSearchError
from fashion_search.outfit.colours import CLASH_BELOW, harmony
from fashion_search.search.vocabulary import Facet
from fashion_search.stylist.base import ToolCall, TurnContext
from fashion_search.stylist.budget import BudgetSplit, PriceGuide
from fashion_search.stylist.builtin_occasions import default_occasions
from fashion_search.stylist.findings import Findings, Pick, Section
from fashion_search.stylist.intent import Intent, Request, last_search_call, product_kind, read_request
from fashion_search.stylist.occasions import (
    MENSWEAR,
    WOMENSWEAR,
    Occasion,
    Slot,
    role_name,
)
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

DEFAULT_K = 5
OUTFIT_CANDIDATES = 8
OPTIONAL_SHARE = 0.5
"""An optional piece's budget weight relative to its typical price: the essentials come first."""
"""Results fetched per outfit piece, to choose the best-matching one from."""
SIMILAR_K = 4
DEFAULT_OCCASION = "casual day out"
_ARG_FACETS = {"colours": Facet.COLOUR, "usages": Facet.USAGE, "gender": Facet.GENDER}
_WARDROBE_OF = {"Men": MENSWEAR, "Boys": MENSWEAR, "Women": WOMENSWEAR, "Girls": WOMENSWEAR}


def _a(words: str) -> str:
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def money(amount: float | None) -> str:
    """``$34.99`` (``$35`` for whole amounts); ``price unknown`` for None."""
    if amount is None:
        return "price unknown"
    return f"${amount:.0f}" if float(amount).is_integer() else f"${amount:.2f}"


class CatalogFacts:
    """What the planner knows about the catalog besides the tools: values, typical prices, shoppers."""

    def __init__(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox
        self._guide: PriceGuide | None = None
        self._guide_of: object = None
        self._kinds: dict[str, str] | None = None
        self._kinds_of: object = None

    def prices(self) -> PriceGuide:
        products = self.toolbox.services.products()
        # Rebuilt when the services hand out a new catalog (after a re-index).
        if self._guide is None or self._guide_of is not products:
            self._guide = PriceGuide(products.values())
            self._guide_of = products
        return self._guide

    def kind_of(self, article_type: str) -> str | None:
        """The kind (:func:`product_kind`) most products of ``article_type`` have in this catalog."""
        products = self.toolbox.services.products()
        if self._kinds is None or self._kinds_of is not products:
            counts: dict[str, Counter[str]] = {}
            for product in products.values():
                kind = product_kind(product)
                if product.article_type and kind:
                    counts.setdefault(product.article_type, Counter())[kind] += 1
            self._kinds = {t: c.most_common(1)[0][0] for t, c in counts.items()}
            self._kinds_of = products
        return self._kinds.get(article_type)

    def present_types(self, types: Sequence[str]) -> tuple[str, ...]:
        known = set(self.toolbox.vocabulary().values(Facet.ARTICLE_TYPE))
        return tuple(t for t in types if t in known)

    def present_usages(self, usages: Sequence[str]) -> tuple[str, ...]:
        """The usages this catalog labels products with (a synonym would widen the filter)."""
        known = set(self.toolbox.vocabulary().values(Facet.USAGE))
        return tuple(u for u in usages if u in known)

    def user_name(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        try:
            return self.toolbox.services.users().get_user(user_id).name
        except FashionSearchError:
            return None

    def user_gender(self, user_id: int | None) -> str | None:
        """The gender of (nearly) everything the shopper interacted with, if one dominates."""
        if user_id is None:
            return None
        from fashion_search.recommend.service import dominant_gender

        try:
            profile = self.toolbox.services.users().profile(user_id)
        except FashionSearchError:
            return None
        return None if profile.is_empty else dominant_gender(profile)


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
        run = _Run(self, turn, request, ToolContext(images=turn.images))
        handler = {
            Intent.GREETING: run.greeting,
            Intent.PRODUCT: run.product,
            Intent.COMPLETE: run.complete,
            Intent.SIMILAR: run.similar,
            Intent.MORE: run.more,
            Intent.REFINE: run.refine,
            Intent.OUTFIT: run.outfit,
            Intent.RECOMMEND: run.recommend,
            Intent.SEARCH: run.search,
        }[request.intent]
        handler()
        return run.findings, run.results


class _Run:
    """The state of planning one message."""

    def __init__(self, planner: Planner, turn: TurnContext, request: Request, context: ToolContext) -> None:
        self.planner = planner
        self.toolbox = planner.toolbox
        self.facts = planner.facts
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

    # -- helpers ------------------------------------------------------------------------------

    def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        args = {k: v for k, v in arguments.items() if v is not None and v != [] and v != ()}
        result = self.toolbox.run(name, args, self.context)
        self.results.append(result)
        return result

    def _base_args(self, request: Request | None = None) -> dict[str, Any]:
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

    def _picks(self, result: ToolResult, limit: int | None = None) -> list[Pick]:
        items = result.items[:limit] if limit is not None else result.items
        return [Pick(i.product, i.reason, i.role) for i in items]

    def _search_relaxing(
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
            text = self._strip_facets(str(args.get("text", "")), [key])
            args = {**args, key: None, "text": text or str(args.get("text", ""))}
            dropped.append(key)
            result = self.call(SEARCH_BY_TEXT, args)
        return result, dropped

    def _describe(self, args: Mapping[str, Any], text: str) -> str:
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

    def _user_required(self) -> int | None:
        if self.turn.user_id is None:
            self.findings.direct = (
                "I don't know whose style to go by yet. Pick a shopper (a persona) first, or tell me what "
                'you are after, e.g. "black sneakers for men under 80" or "an outfit for the office".'
            )
        return self.turn.user_id

    def _anchor_product(self) -> Product | None:
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

    # -- intents --------------------------------------------------------------------------------

    def greeting(self) -> None:
        name = self.findings.user_name
        hello = f"Hi {name}! " if name else "Hi! "
        if _THANKS.search(self.request.message):
            self.findings.direct = (
                "You're welcome! Ask me anytime: an outfit for an occasion, something specific, or what "
                "goes with a product."
            )
            return
        self.findings.direct = (
            hello
            + 'I\'m your stylist. Ask me for a whole outfit ("an outfit for a beach wedding under 150"), '
            'for something specific ("black sneakers for men"), what goes with a product ("what goes with '
            'product 15970?"), or, after I show you something, "something like this but cheaper".'
        )

    def product(self) -> None:
        product = self._anchor_product()
        if product is None:
            return
        result = self.call(GET_PRODUCT, {"product_id": product.id})
        self.findings.sections.append(Section("details", self._picks(result)))

    def complete(self) -> None:
        r = self.request
        anchor = self._anchor_product() if r.anchor is not None else None
        if r.anchor is not None and anchor is None:
            return
        if anchor is None and r.image_ref is not None:
            found = self.call(
                SEARCH_SIMILAR, {"image_ref": r.image_ref, "k": 1, "user_id": self.turn.user_id}
            )
            if found.items:
                anchor = found.items[0].product
                self.findings.anchor_how = "the closest catalog match to your photo"
        elif anchor is None and r.article_types:
            args = {**self._base_args(), "text": r.parsed.semantic_text, "k": 1, "max_price": None}
            found = self.call(SEARCH_BY_TEXT, args)
            if found.items:
                anchor = found.items[0].product
                self.findings.anchor_how = f'the best match for "{r.parsed.semantic_text}"'
        if anchor is None:
            self.findings.direct = (
                'Which piece should I build the look around? Give me a product number ("what goes with '
                'product 15970?") or describe it ("what goes with a white linen shirt?").'
            )
            return
        self.findings.anchor = anchor
        result = self.call(
            COMPLETE_THE_LOOK,
            {"product_id": anchor.id, "user_id": self.turn.user_id, "max_price": r.max_price, "per_role": 2},
        )
        if result.is_error:
            self.findings.direct = f"I couldn't build a look around {anchor.name}: {result.error}."
            return
        roles: dict[str, list[Pick]] = {}
        for item in result.items:
            roles.setdefault(item.role or "more", []).append(Pick(item.product, item.reason, item.role))
        for role, picks in roles.items():
            self.findings.sections.append(Section(role, picks))
        note = result.content.get("note")
        if note:
            self.findings.notes.append(str(note)[:1].upper() + str(note)[1:] + ".")
        if r.max_price is not None:
            self.findings.notes.append(f"Every piece is at most {money(r.max_price)}.")

    def similar(self) -> None:
        r = self.request
        anchor: Product | None = None
        args: dict[str, Any] = {**self._base_args(), "k": r.count or SIMILAR_K}
        # A photo sent with this very message wins over a product named earlier.
        photo_first = r.image_ref is not None and (r.anchor is None or self.turn.new_image is not None)
        if r.anchor is not None and not photo_first:
            anchor = self._anchor_product()
            if anchor is None:
                return
            args["product_id"] = anchor.id
            # "Like this" keeps what it is and who it is for, unless the shopper says otherwise.
            # Words that only named it loosely ("the shoes" for sandals) keep its own type too.
            kind = product_kind(anchor)
            loose = all(self.planner.facts.kind_of(t) == kind for t in args["article_types"])
            if anchor.article_type and anchor.article_type not in args["article_types"] and loose:
                args["article_types"] = [anchor.article_type]
            if args["gender"] is None:
                args["gender"] = self._gender_like(anchor)
            if r.cheaper and anchor.price is not None:
                below = round(anchor.price - 0.01, 2)
                args["max_price"] = below if args["max_price"] is None else min(below, args["max_price"])
            if r.pricier and anchor.price is not None:
                above = round(anchor.price + 0.01, 2)
                args["min_price"] = above if args["min_price"] is None else max(above, args["min_price"])
        elif r.image_ref is not None:
            args["image_ref"] = r.image_ref
            self.findings.anchor_how = "your photo"
        else:
            self.findings.direct = (
                "Like which one? Ask me to find something first, give me a product number, or send a photo."
            )
            return
        if (
            args.get("min_price") is not None
            and args.get("max_price") is not None
            and args["min_price"] > args["max_price"]
        ):
            self.findings.direct = (
                f"That asks for something over {money(args['min_price'])} "
                f"but at most {money(args['max_price'])}, "
                "which nothing can be. Which limit should I keep?"
            )
            return
        result = self.call(SEARCH_SIMILAR, args)
        if result.is_error:
            what = "search by your photo" if "image_ref" in args else "search for that"
            self.findings.direct = f"I couldn't {what}: {result.error}."
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
                summary = self._similar_summary(anchor, args)
                empty = f"I found no {what}{who} like it" + (f", {summary}" if summary else "") + "."
        self.findings.summary = self._similar_summary(anchor, args)
        self.findings.sections.append(Section(title, self._picks(result), empty))

    def _gender_like(self, anchor: Product) -> str | None:
        """Who "like this" is for: the anchor's gender, or for a unisex product picked from the last
        answer, the gender that answer's search was for ("sneakers for men", then "like the second one")."""
        if anchor.gender in ("Men", "Women", "Boys", "Girls"):
            return anchor.gender
        if anchor.id in {p.product.id for p in self.turn.last_products}:
            previous = last_search_call(self.turn)
            if previous is not None and isinstance(previous.arguments.get("gender"), str):
                return str(previous.arguments["gender"])
        return None

    def _similar_summary(self, anchor: Product | None, args: Mapping[str, Any]) -> str:
        parts = []
        if self.request.cheaper and anchor is not None:
            parts.append(f"cheaper than its {money(anchor.price)}")
        if self.request.pricier and anchor is not None:
            parts.append(f"a step up from its {money(anchor.price)}")
        if args.get("colours"):
            parts.append("in " + " or ".join(args["colours"]))
        if args.get("max_price") is not None and not self.request.cheaper:
            parts.append(f"at most {money(args['max_price'])}")
        return ", ".join(parts)

    def more(self) -> None:
        previous = last_search_call(self.turn)
        if previous is None:
            self.findings.direct = "More of what? Tell me what you are looking for and I'll find some."
            return
        shown = set(previous.arguments.get("exclude_ids") or [])
        for turn in self.turn.history[-1:]:
            shown.update(turn.product_ids)
        args = {**previous.arguments, "exclude_ids": sorted(shown)}
        if self.request.count:
            args["k"] = self.request.count
        result = self.call(previous.name, args)
        if previous.name == SEARCH_SIMILAR:
            anchor = self.toolbox.product(int(args.get("product_id") or 0))
            self.findings.summary = "more like " + (anchor.name if anchor is not None else "your photo")
        else:
            self.findings.summary = "more " + self._describe(args, str(args.get("text", "")))
        empty = "That was everything that matches; try loosening a filter." if not result.items else ""
        self.findings.sections.append(Section("more", self._picks(result), empty))

    def refine(self) -> None:
        previous = last_search_call(self.turn)
        assert previous is not None
        r = self.request
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
        prices = [p.product.price for p in self.turn.last_products if p.product.price is not None]
        if r.cheaper and prices:
            middle = statistics.median(prices)
            args["max_price"] = round(middle - 0.01, 2)
            self.findings.notes.append(
                f"Cheaper here means under {money(middle)}, the middle price of what I showed."
            )
        if r.pricier and prices:
            middle = statistics.median(prices)
            args["min_price"] = round(middle + 0.01, 2)
        args = {k: v for k, v in args.items() if v is not None}
        dropped: list[str] = []
        if previous.name == SEARCH_SIMILAR:
            result = self.call(SEARCH_SIMILAR, args)
            anchor = self.toolbox.product(int(args.get("product_id") or 0))
            text = "products like " + (anchor.name if anchor is not None else "your photo")
        else:
            # The refinement's own words replace the old words of the same kind and lead the text.
            words = " ".join(t.text for t in r.parsed.terms if t.role == "filter")
            args["text"] = f"{words} {self._strip_facets(text, changed)}".strip() if words else text
            text = args["text"]
            result, dropped = self._search_relaxing(args, relax=("usages",))
        self.findings.summary = self._describe(args, text)
        empty = "" if result.items else "Nothing matches that change; the earlier picks still stand."
        if result.items:
            self._relaxation_notes(dropped, args)
            self._brand_note(result)
        self.findings.sections.append(Section("refined", self._picks(result), empty))

    def _strip_facets(self, text: str, keys: Sequence[str]) -> str:
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

    def recommend(self) -> None:
        user_id = self._user_required()
        if user_id is None:
            return
        keys = self.request.message.lower()
        args = {
            "user_id": user_id,
            "limit": self.request.count or DEFAULT_K,
            "max_price": self.request.max_price,
            "min_price": self.request.min_price,
            "restrict_color": any(
                w in keys for w in ("my colour", "my color", "favourite colour", "favorite color")
            ),
            "restrict_category": any(
                w in keys for w in ("what i usually", "my usual", "favourite categor", "favorite categor")
            ),
            "restrict_price": any(
                w in keys for w in ("my price", "my usual price", "my budget", "price range")
            ),
        }
        result = self.call(RECOMMEND, {k: v for k, v in args.items() if v is not False})
        if result.is_error:
            self.findings.direct = f"I couldn't get recommendations: {result.error}."
            return
        if result.content.get("note"):
            self.findings.notes.append(str(result.content["note"]).capitalize() + ".")
        self.findings.sections.append(Section("for you", self._picks(result)))

    def search(self) -> None:
        r = self.request
        if len(r.segments) > 1:
            self._search_several()
            return
        args: dict[str, Any] = {
            **self._base_args(),
            "text": r.parsed.semantic_text or r.text,
            "k": r.count or DEFAULT_K,
        }
        if r.occasion is not None and not args["usages"]:
            args["usages"] = list(self.facts.present_usages(r.occasion.usages))
        result, dropped = self._search_relaxing(args)
        if result.is_error:
            self.findings.direct = f"I couldn't run that search: {result.error}."
            return
        self.findings.summary = self._describe(args, args["text"])
        empty = self._nothing_found(args) if not result.items else ""
        if result.items:
            self._relaxation_notes(dropped, args)
            self._brand_note(result)
        self.findings.sections.append(Section("results", self._picks(result), empty))

    def _brand_note(self, result: ToolResult) -> None:
        brands = result.content.get("brands")
        if brands and result.content.get("brand_applied") is False:
            self.findings.notes.append(
                f"Nothing from {' or '.join(brands)} matches all of that, so these come from other brands."
            )

    def _nothing_found(self, args: Mapping[str, Any]) -> str:
        types = list(args.get("article_types") or [])
        lowest = self.facts.prices().lowest(types) if types else None
        if args.get("max_price") is not None and lowest is not None and lowest > args["max_price"]:
            return (
                f"Nothing matches within {money(args['max_price'])}: the cheapest {' or '.join(types)} here "
                f"start at {money(lowest)}."
            )
        return "Nothing in the catalog matches all of that; try fewer filters or other words."

    def _relaxation_notes(self, dropped: Sequence[str], args: Mapping[str, Any]) -> None:
        if "colours" in dropped:
            self.findings.notes.append(
                f"Nothing came in {' or '.join(args.get('colours') or [])}, so these are other colours."
            )
        if "usages" in dropped:
            self.findings.notes.append(
                f"Nothing was labelled {' or '.join(args.get('usages') or [])}, so I widened the style."
            )

    def _search_several(self) -> None:
        """Several items in one message: one search per item, the budget split by typical prices."""
        r = self.request
        segments = [self.planner.understand(_segment_turn(self.turn, s)) for s in r.segments]
        guide = self.facts.prices()
        caps: list[float | None] = [r.max_price] * len(segments)
        if r.max_price is not None and not r.each:
            weights = [guide.typical(s.article_types) for s in segments]
            caps = [round(r.max_price * w / sum(weights) - 0.005, 2) for w in weights]
            self.findings.budget = r.max_price
            self.findings.notes.append(
                f"I split your {money(r.max_price)} across the {len(segments)} pieces "
                "by what each usually costs, "
                "so any one pick of each stays within it."
            )
        for segment, cap in zip(segments, caps, strict=True):
            args = {
                **self._base_args(segment),
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
            result, dropped = self._search_relaxing(args)
            if result.items:
                self._relaxation_notes(dropped, args)
            empty = "" if result.items or result.is_error else self._nothing_found(args)
            if result.is_error:
                empty = f"I couldn't search for it: {result.error}."
            self.findings.sections.append(
                Section(self._describe(args, args["text"]), self._picks(result), empty)
            )

    # -- outfits --------------------------------------------------------------------------------

    def outfit(self) -> None:
        r = self.request
        occasion = r.occasion or next(o for o in self.planner.occasions if o.name == DEFAULT_OCCASION)
        self.findings.occasion = occasion
        gender = r.gender or self.facts.user_gender(self.turn.user_id)
        wardrobe = _WARDROBE_OF.get(gender or "")
        budget = r.max_price
        self.findings.budget = budget
        if r.cheaper and budget is not None:
            self.findings.notes.append(f"A cheaper take on the last look: {money(budget)} for everything.")
        if r.min_price is not None and budget is not None:
            self.findings.notes.append(
                f"I read {money(budget)} as the budget for the whole outfit "
                "(a lower limit applies to single items)."
            )
        guide = self.facts.prices()

        def plan(w: str) -> list[tuple[Slot, tuple[str, ...]]]:
            return [
                (slot, t) for slot in occasion.slots if (t := self.facts.present_types(slot.types_for(w)))
            ]

        plans = {w: plan(w) for w in ((wardrobe,) if wardrobe is not None else (MENSWEAR, WOMENSWEAR))}
        plans = {w: p for w, p in plans.items() if p}
        if not plans:
            self.findings.direct = f"This catalog has nothing I can dress someone in for {_a(occasion.name)}."
            return
        main_slot = next(iter(plans.values()))[0][0]
        main_types = tuple(dict.fromkeys(t for p in plans.values() for t in p[0][1]))
        # What the rest of the outfit weighs and costs at the least (averaged when the wardrobe is open).
        rest_weight = _mean([sum(_weight(guide, s, t) for s, t in p[1:]) for p in plans.values()])
        rest_floor = _mean([sum(_floor(guide, s, t) for s, t in p[1:]) for p in plans.values()])
        main_floor = guide.lowest(main_types) or 0.0
        main_cap = None
        if budget is not None:
            if main_floor + rest_floor > budget:
                self.findings.direct = (
                    f"{money(budget)} is tight for {_a(occasion.name)} outfit: the cheapest pieces "
                    f"it needs here add up to about {money(main_floor + rest_floor)}. "
                    "Raise the budget, or ask for one piece "
                    "at a time."
                )
                return
            main_cap = BudgetSplit(
                budget, [guide.typical(main_types), rest_weight or 1.0], [main_floor, rest_floor]
            ).cap(0)

        main_words = " or ".join(dict.fromkeys(p[0][0].words for p in plans.values()))
        main = self._fill(
            occasion,
            main_slot,
            main_types,
            gender,
            main_cap,
            anchor=None,
            any_adult=wardrobe is None,
            words=main_words,
        )
        if main is None:
            within = f" within {money(main_cap)}" if main_cap is not None else ""
            self.findings.direct = (
                f"I couldn't find {_a(main_words)} for {_a(occasion.name)}{within}. "
                "Try other words or a larger budget."
            )
            return
        product, relaxed = main
        if wardrobe is None:
            wardrobe = _wardrobe_of(product, plans.get(MENSWEAR, []), plans.get(WOMENSWEAR, []))
            gender = product.gender if product.gender in ("Men", "Women", "Boys", "Girls") else wardrobe
            other = "women" if wardrobe == MENSWEAR else "men"
            self.findings.notes.append(
                "You didn't say who it's for, so I built a "
                f"{'menswear' if wardrobe == MENSWEAR else 'womenswear'} "
                f'look; say "for {other}" for the other.'
            )
        self.findings.wardrobe = wardrobe
        slots = plans.get(wardrobe) or plan(wardrobe)
        role_slot = next(
            (s for s, t in slots if product.article_type in t), slots[0][0] if slots else main_slot
        )
        first = self._outfit_pick(product, role_slot, occasion, None, relaxed)
        self.findings.sections.append(Section(first.role or role_slot.role, [first]))
        rest = [(s, t) for s, t in slots if s is not role_slot]
        split = None
        if budget is not None:
            split = BudgetSplit(
                max(0.0, budget - (product.price or 0.0)),
                [_weight(guide, s, t) for s, t in rest] or [1.0],
                [_floor(guide, s, t) for s, t in rest] or [0.0],
            )
        chosen_types = {product.article_type}
        for i, (slot, types) in enumerate(rest):
            if chosen_types & slot.skip_after:
                if split is not None:
                    split.skip(i)
                continue
            cap = split.cap(i) if split is not None else None
            lowest = guide.lowest(types)
            if split is not None and cap is not None and lowest is not None and lowest > cap:
                split.skip(i)
                if not slot.optional:
                    self.findings.sections.append(
                        Section(slot.role, [], f"nothing fits the {money(cap)} left for it")
                    )
                continue
            found = self._fill(occasion, slot, types, gender, cap, anchor=product)
            if found is None:
                if split is not None:
                    split.skip(i)
                if not slot.optional:
                    within = f" within {money(cap)}" if cap is not None else ""
                    self.findings.sections.append(Section(slot.role, [], f"I found none{within}"))
                continue
            item, relaxed = found
            if split is not None:
                split.spend(i, item.price or 0.0)
            chosen_types.add(item.article_type)
            pick = self._outfit_pick(item, slot, occasion, product, relaxed)
            self.findings.sections.append(Section(pick.role or slot.role, [pick]))

    def _fill(
        self,
        occasion: Occasion,
        slot: Slot,
        types: tuple[str, ...],
        gender: str | None,
        cap: float | None,
        anchor: Product | None,
        any_adult: bool = False,
        words: str | None = None,
    ) -> tuple[Product, list[str]] | None:
        """Search one piece of the outfit and choose the best-matching result (and the filters relaxed)."""
        r = self.request
        main_piece = anchor is None
        words = words or slot.words
        args: dict[str, Any] = {
            "text": words if occasion.name in words else f"{words} for {occasion.name}",
            "gender": gender if gender in ("Men", "Women", "Boys", "Girls", "Unisex") else None,
            "article_types": list(types),
            "usages": list(self.facts.present_usages(occasion.usages)),
            # The shopper's colours bind the main piece; the others are chosen to go with it.
            "colours": list(r.colours) if main_piece else [],
            "exclude_colours": list(r.parsed.detected.get("exclude", {}).get(Facet.COLOUR.value) or []),
            "max_price": cap,
            "user_id": self.turn.user_id,
            "k": OUTFIT_CANDIDATES,
        }
        result, dropped = self._search_relaxing(args)
        candidates = [i.product for i in result.items]
        if any_adult:
            # Nobody said it was for a child: when only kids' pieces came back, ask for grown-ups'.
            if candidates and not _grown_up(candidates):
                for gender_asked in ("Women", "Men"):
                    result, dropped = self._search_relaxing({**args, "gender": gender_asked})
                    if _grown_up(i.product for i in result.items):
                        candidates = [i.product for i in result.items]
                        break
            adults = [p for p in candidates if p.gender in ("Men", "Women")]
            candidates = adults or _grown_up(candidates)
        if not candidates:
            return None
        n = len(candidates)

        def score(pos: int, product: Product) -> float:
            value = 0.4 * (1.0 - pos / n)
            if product.base_colour in occasion.palette:
                value += 0.4
            elif product.base_colour in occasion.avoid:
                value -= 0.4
            if anchor is not None:
                match = harmony(anchor.base_colour, product.base_colour).score
                # A clash costs more than a good match earns: a stylist does not pair colours that fight.
                value += 0.4 * match - (0.4 if match < CLASH_BELOW else 0.0)
            return value

        best = max(range(n), key=lambda i: (score(i, candidates[i]), -i))
        relaxed = [f"nothing here in {' or '.join(r.colours)}"] if "colours" in dropped else []
        if "usages" in dropped:
            relaxed.append(f"the closest I have, as nothing is labelled {' or '.join(occasion.usages[:2])}")
        return candidates[best], relaxed

    def _outfit_pick(
        self,
        product: Product,
        slot: Slot,
        occasion: Occasion,
        main: Product | None,
        relaxed: Sequence[str] = (),
    ) -> Pick:
        reasons = []
        if main is not None:
            reasons.append(harmony(main.base_colour, product.base_colour).reason)
        if product.base_colour in occasion.palette:
            reasons.append(f"{product.base_colour} is right for {_a(occasion.name)}")
        if product.usage and product.usage in occasion.usages and len(reasons) < 2:
            reasons.append(f"{_a(product.usage.lower())} piece that suits {_a(occasion.name)}")
        reasons.extend(relaxed)
        reason = "; ".join(reasons)
        return Pick(product, reason[:1].upper() + reason[1:], role_name(slot, product))


_THANKS = re.compile(r"\b(?:thanks|thank you|thx|ty|cheers|great|perfect|awesome)\b", re.IGNORECASE)


def _grown_up(products: Iterable[Product]) -> list[Product]:
    """The products that are not for children."""
    return [p for p in products if p.gender not in ("Boys", "Girls")]


def _weight(guide: PriceGuide, slot: Slot, types: tuple[str, ...]) -> float:
    return guide.typical(types) * (OPTIONAL_SHARE if slot.optional else 1.0)


def _floor(guide: PriceGuide, slot: Slot, types: tuple[str, ...]) -> float:
    """The least an essential piece can cost (optional pieces only get what is left over)."""
    return 0.0 if slot.optional else (guide.lowest(types) or 0.0)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _wardrobe_of(
    main: Product, men: Sequence[tuple[Slot, tuple[str, ...]]], women: Sequence[tuple[Slot, tuple[str, ...]]]
) -> str:
    wardrobe = _WARDROBE_OF.get(main.gender or "")
    if wardrobe is not None:
        return wardrobe
    in_men = bool(men) and main.article_type in men[0][1]
    in_women = bool(women) and main.article_type in women[0][1]
    if in_women and not in_men:
        return WOMENSWEAR
    return MENSWEAR if men else WOMENSWEAR


def _segment_turn(turn: TurnContext, text: str) -> TurnContext:
    return TurnContext(message=text, user_id=turn.user_id)


def record(results: Sequence[ToolResult]) -> tuple[ToolCall, ...]:
    """The tool calls as a reply lists them."""
    return tuple(ToolCall(r.name, dict(r.arguments), r.error) for r in results)
