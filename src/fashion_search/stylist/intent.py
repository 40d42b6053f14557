"""Reading a shopper's message: what they want done, about which product, under which constraints.

Colours, genders, article types, usages and prices are read by the search package's query
understanding (:func:`~fashion_search.search.query.parse_query`); this module adds what only a
conversation has:

* the **intent**: a greeting, a product's details, complete-the-look, "more like this", more of the
  same, a refinement of the last search ("in black?", "under 50"), an outfit for an occasion,
  personal recommendations, or a plain search;
* the **anchor** of "this" / "it" / "the second one" / "the watch" among the products of the
  previous answer, an explicit product id ("product 15970", "#15970", or a bare id of the catalog),
  or an uploaded photo;
* **occasions** ("a beach wedding", "the office", "the gym"), and people ("my dad" dresses a man);
* "cheaper" / "pricier" (after an outfit: the same look for less), "each", how many items
  ("3 watches"), what the shopper does not want ("I don't like black"), and several items in one
  message ("a white shirt and black jeans").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from fashion_search.domain import Op, Product
from fashion_search.search.query import ParsedQuery, parse_query
from fashion_search.search.vocabulary import Facet, Vocabulary, scan_tokens
from fashion_search.stylist.base import ToolCall, TurnContext
from fashion_search.stylist.message_cues import (
    CHEAPER_CUES,
    COMPLETE_CUES,
    COUNT_BEFORE_ITEM,
    COUNT_RE,
    EACH_CUES,
    EXPLICIT_ID,
    FILLER,
    GREETING_WORDS,
    MORE_CUES,
    NEGATION_PHRASES,
    NOT_A_COUNT_AFTER,
    NOT_A_COUNT_BEFORE,
    NUMBER_RE,
    NUMBER_WORDS,
    OCCASION_LEADS,
    ORDINALS,
    OUTFIT_ASKED_CUES,
    OUTFIT_CUES,
    PEOPLE,
    PHOTO_CUES,
    PRICIER_CUES,
    PRODUCT_CUES,
    PRONOUNS,
    RECOMMEND_CUES,
    SIMILAR_CUES,
    SPLIT_WORDS,
    has_phrase,
)
from fashion_search.stylist.occasions import Occasion, find_occasions
from fashion_search.stylist.tools import SEARCH_BY_TEXT, SEARCH_SIMILAR


class Intent(StrEnum):
    GREETING = "greeting"
    PRODUCT = "product"
    COMPLETE = "complete_the_look"
    SIMILAR = "similar"
    MORE = "more"
    REFINE = "refine"
    OUTFIT = "outfit"
    RECOMMEND = "recommend"
    SEARCH = "search"


@dataclass(frozen=True, slots=True)
class Anchor:
    """The product a message is about, and how it was named ("product 15970", "the second one")."""

    product_id: int
    how: str


@dataclass(frozen=True, slots=True)
class Request:
    """What the offline planner understood of one message."""

    message: str
    intent: Intent
    parsed: ParsedQuery
    text: str
    """The message without chat filler ("can you show me", "please"), for searching."""
    occasion: Occasion | None = None
    anchor: Anchor | None = None
    image_ref: str | None = None
    gender: str | None = None
    """Who it is for: Men, Women, Boys, Girls or Unisex (from the words or the person named)."""
    colours: tuple[str, ...] = ()
    article_types: tuple[str, ...] = ()
    usages: tuple[str, ...] = ()
    max_price: float | None = None
    min_price: float | None = None
    cheaper: bool = False
    pricier: bool = False
    each: bool = False
    """The budget is per item ("under 50 each"), not for the whole outfit."""
    for_me: bool = False
    count: int | None = None
    segments: tuple[str, ...] = ()
    """Several items asked for at once, one text per item (empty for one item)."""

    @property
    def has_item_words(self) -> bool:
        return bool(self.article_types)


def clean_text(message: str) -> str:
    """The message without chat filler, for the search text (never empty if the message is not)."""
    text = NEGATION_PHRASES.sub(" not ", message)
    text = FILLER.sub(" ", text)
    text = " ".join(text.split()).strip(" ,.;:!?")
    return text or " ".join(message.split())


def _values(parsed: ParsedQuery, facet: Facet) -> tuple[str, ...]:
    return tuple(parsed.detected.get(facet.value, ()))


def _prices(parsed: ParsedQuery) -> tuple[float | None, float | None]:
    low: float | None = None
    high: float | None = None
    for c in parsed.filter.conditions:
        if c.field != "price":
            continue
        value = float(c.value)
        # Prices are in cents: "under 50" (price < 50) is "at most 49.99".
        if c.op is Op.LT:
            high = round(value - 0.01, 2)
        elif c.op is Op.LE:
            high = value
        elif c.op is Op.GT:
            low = round(value + 0.01, 2)
        elif c.op is Op.GE:
            low = value
    return low, high


def _gender(parsed: ParsedQuery, keys: Sequence[str]) -> str | None:
    said = list(_values(parsed, Facet.GENDER))
    people = [PEOPLE[k] for k in keys if k in PEOPLE]
    named = [g for g in said if g != "Unisex"] or people
    if len(set(named)) == 1:
        return named[0]
    if not named and said == ["Unisex"]:
        return "Unisex"
    return None


def _number(raw: str) -> int | None:
    raw = raw.lower()
    value = NUMBER_WORDS.get(raw) or (int(raw) if raw.isdigit() else None)
    return value if value and 1 <= value <= 20 else None


def _count(message: str, parsed: ParsedQuery, prices: set[float]) -> int | None:
    """How many products were asked for: "3 options", "five ideas", or a number before the item
    ("3 watches", "two black dresses"), never a price."""
    m = COUNT_RE.search(message)
    if m is not None:
        return _number(m.group(1))
    for term in parsed.terms:
        if term.facet is not Facet.ARTICLE_TYPE or term.role != "filter":
            continue
        before = COUNT_BEFORE_ITEM.search(parsed.text[: term.start])
        if before is None:
            continue
        words = [k for _, _, k in scan_tokens(parsed.text[: before.start()].lower())]
        between = {k for _, _, k in scan_tokens(before.group(0).lower())}
        if (words and words[-1] in NOT_A_COUNT_BEFORE) or between & NOT_A_COUNT_AFTER:
            continue  # "size 10 sneakers", "under 3 watches", "15 dollar t-shirts"
        value = _number(before.group(1))
        if value is not None and float(value) not in prices:
            return value
    return None


def _occasion(keys: Sequence[str], occasions: Sequence[Occasion], outfit_words: bool) -> Occasion | None:
    for occ, start, _ in find_occasions(keys, occasions):
        before = keys[start - 1] if start > 0 else ""
        if before == "up":
            continue  # "up to date"
        if outfit_words or before in OCCASION_LEADS:
            return occ
    return None


def _segments(parsed: ParsedQuery, text: str) -> tuple[str, ...]:
    """Texts of several items asked for at once ("a white shirt and black jeans"), else ()."""
    types = [t for t in parsed.terms if t.facet is Facet.ARTICLE_TYPE and t.role == "filter"]
    if len(types) < 2:
        return ()
    cuts: list[int] = []
    for left, right in zip(types, types[1:], strict=False):
        between = text[left.end : right.start]
        words = {k for _, _, k in scan_tokens(between)}
        has_separator = bool(words & SPLIT_WORDS) or "," in between or "&" in between
        if not has_separator:
            return ()
        # Cut just before the separator, so that "black jeans" keeps its colour.
        match = re.search(r",|&|\b(?:and|plus|with)\b", between)
        assert match is not None
        cuts.append(left.end + match.start())
    pieces: list[str] = []
    start = 0
    for cut in cuts:
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    cleaned = [
        re.sub(r"^\s*(?:,|&|and|plus|with)\s+", "", p.strip(), flags=re.IGNORECASE).strip(" ,")
        for p in pieces
    ]
    return tuple(p for p in cleaned if p)


@dataclass(frozen=True, slots=True)
class _Ids:
    explicit: list[int]
    ordinal: int | None


def _ids(
    message: str, keys: Sequence[str], prices: set[float], previous: int, is_product: Callable[[int], bool]
) -> _Ids:
    explicit: list[int] = []
    ordinal: int | None = None
    spans: list[tuple[int, int]] = []
    for m in EXPLICIT_ID.finditer(message):
        value = int(m.group(1))
        spans.append(m.span())
        if previous and 1 <= value <= previous and not is_product(value):
            ordinal = value - 1
        else:
            explicit.append(value)
    for m in NUMBER_RE.finditer(message):
        if any(s <= m.start() < e for s, e in spans):
            continue
        value = int(m.group(1))
        if float(value) in prices:
            continue
        if is_product(value):
            explicit.append(value)
    for key in keys:
        if key in ORDINALS and ordinal is None and previous:
            ordinal = ORDINALS[key]
    return _Ids(list(dict.fromkeys(explicit)), ordinal)


def read_request(
    turn: TurnContext,
    vocabulary: Vocabulary,
    occasions: Sequence[Occasion],
    is_product: Callable[[int], bool],
    kind_of: Callable[[str], str | None] | None = None,
) -> Request:
    """Understand ``turn.message`` in its conversation (see the module docstring).

    ``kind_of`` names the kind of an article type (see :func:`product_kind`), so that "the shoes"
    finds the sandals of the last answer when no shoes were in it.
    """
    message = " ".join(turn.message.split())
    keys = [k for _, _, k in scan_tokens(message.lower())]
    text = clean_text(message)
    parsed = parse_query(text, vocabulary)
    low, high = _prices(parsed)
    price_values = {float(v) for v in parsed.detected.get("price", {}).values()}
    last = turn.last_products
    ids = _ids(message, keys, price_values, len(last), is_product)

    article_types = _values(parsed, Facet.ARTICLE_TYPE)
    colours = _values(parsed, Facet.COLOUR)
    usages = _values(parsed, Facet.USAGE)
    outfit_words = has_phrase(keys, OUTFIT_CUES)
    occasion = _occasion(keys, occasions, outfit_words)
    cheaper = has_phrase(keys, CHEAPER_CUES)
    pricier = has_phrase(keys, PRICIER_CUES)
    complete = has_phrase(keys, COMPLETE_CUES)
    similar = has_phrase(keys, SIMILAR_CUES)
    pronoun = any(k in PRONOUNS for k in keys)

    image_ref = turn.new_image
    if image_ref is None and turn.images and has_phrase(keys, PHOTO_CUES):
        image_ref = list(turn.images)[-1]
    anchor: Anchor | None = None
    if ids.explicit:
        anchor = Anchor(ids.explicit[0], f"product {ids.explicit[0]}")
    elif last and ids.ordinal is not None and -len(last) <= ids.ordinal < len(last):
        picked = last[ids.ordinal]
        position = "the last one" if ids.ordinal == -1 else f"number {ids.ordinal + 1}"
        anchor = Anchor(picked.product.id, f"{position} from my last answer")
    elif last and image_ref is None and (complete or similar or cheaper or pricier or pronoun):
        typed = [r for r in last if r.product.article_type in article_types]
        if not typed and kind_of is not None:
            kinds = {kind_of(t) for t in article_types} - {None}
            typed = [r for r in last if product_kind(r.product) in kinds]
        if typed and (complete or similar or cheaper or pricier):
            anchor = Anchor(typed[0].product.id, f"the {typed[0].product.article_type} from my last answer")
        elif pronoun or not article_types:
            anchor = Anchor(last[0].product.id, "the first one from my last answer")

    base: dict[str, object] = {
        "message": turn.message,
        "parsed": parsed,
        "text": text,
        "occasion": occasion,
        "anchor": anchor,
        "image_ref": image_ref,
        "gender": _gender(parsed, keys),
        "colours": colours,
        "article_types": article_types,
        "usages": usages,
        "max_price": high,
        "min_price": low,
        "cheaper": cheaper,
        "pricier": pricier,
        "each": has_phrase(keys, EACH_CUES),
        "for_me": has_phrase(keys, RECOMMEND_CUES),
        "count": _count(message, parsed, price_values),
    }

    def make(intent: Intent, **extra: object) -> Request:
        return Request(intent=intent, **{**base, **extra})  # type: ignore[arg-type]

    if cheaper and not article_types and occasion is None and not ids.explicit and ids.ordinal is None:
        again = _cheaper_outfit(turn, vocabulary, occasions, is_product, kind_of)
        if again is not None:
            return make(
                Intent.OUTFIT,
                occasion=again.occasion,
                gender=base["gender"] or again.gender,
                colours=colours or again.colours,
                usages=usages or again.usages,
                max_price=high if high is not None else again.max_price,
            )

    filters_said = bool(parsed.filter) or bool(parsed.detected.get("exclude"))
    singular = bool({"this", "that", "it"} & set(keys)) or ids.ordinal is not None or bool(ids.explicit)
    has_anchor = anchor is not None or image_ref is not None
    previous_search = last_search_call(turn) is not None
    if not keys or (set(keys) <= GREETING_WORDS and not filters_said and not has_anchor):
        return make(Intent.GREETING)
    if complete and (has_anchor or article_types or pronoun):
        return make(Intent.COMPLETE)
    if turn.new_image is not None:
        return make(Intent.SIMILAR)
    if (similar or ((cheaper or pricier) and singular)) and (has_anchor or pronoun):
        return make(Intent.SIMILAR)
    if ids.explicit:
        if filters_said and not has_phrase(keys, PRODUCT_CUES):
            return make(Intent.SIMILAR)
        if has_phrase(keys, PRODUCT_CUES) or not occasion:
            return make(Intent.PRODUCT)
    if anchor is not None and pronoun and has_phrase(keys, PRODUCT_CUES):
        return make(Intent.PRODUCT)
    if has_phrase(keys, MORE_CUES) and not article_types and occasion is None and not filters_said:
        if previous_search or len(keys) <= 4:
            return make(Intent.MORE)
    if previous_search and (cheaper or pricier) and not article_types and occasion is None:
        return make(Intent.REFINE)
    if (cheaper or pricier) and anchor is not None and not article_types:
        return make(Intent.SIMILAR)
    if occasion is not None and not article_types:
        return make(Intent.OUTFIT)
    if not article_types and has_phrase(keys, OUTFIT_ASKED_CUES):
        return make(Intent.OUTFIT)
    if base["for_me"] and not article_types and occasion is None:
        return make(Intent.RECOMMEND)
    if previous_search and filters_said and not article_types and occasion is None and len(keys) <= 8:
        return make(Intent.REFINE)
    return make(Intent.SEARCH, segments=_segments(parsed, text))


CHEAPER_OUTFIT_SHARE = 0.8
"""A cheaper version of the last outfit keeps to this share of what it cost."""


def _cheaper_outfit(
    turn: TurnContext,
    vocabulary: Vocabulary,
    occasions: Sequence[Occasion],
    is_product: Callable[[int], bool],
    kind_of: Callable[[str], str | None] | None,
) -> Request | None:
    """When the last answer was an outfit for an occasion, that outfit's request with a budget of
    :data:`CHEAPER_OUTFIT_SHARE` of its total ("make it cheaper"); else None."""
    if not turn.history:
        return None
    last = turn.history[-1]
    roles = {r.role for r in last.products if r.role}
    if len(roles) < 2 or any(c.name != SEARCH_BY_TEXT for c in last.tool_calls):
        return None
    earlier = TurnContext(last.message, turn.user_id, turn.history[:-1], turn.images)
    before = read_request(earlier, vocabulary, occasions, is_product, kind_of)
    if before.intent is not Intent.OUTFIT:
        return None
    total = sum(r.product.price or 0.0 for r in last.products)
    budget = float(int(total * CHEAPER_OUTFIT_SHARE))
    if before.max_price is not None:
        budget = min(budget, before.max_price)
    # The wardrobe the last outfit was built in, when the shopper had not said.
    said = [str(c.arguments["gender"]) for c in last.tool_calls if c.arguments.get("gender")]
    gender = before.gender or (max(set(said), key=said.count) if said else None)
    return replace(before, max_price=budget, gender=gender, cheaper=True)


def product_kind(product: Product) -> str | None:
    """A product's kind, coarser than its article type: footwear is one kind (shoes, sandals, flip
    flops), anything else is its sub-category (topwear, bottomwear, watches, bags, ...)."""
    if product.master_category == "Footwear":
        return "Footwear"
    return product.sub_category or product.master_category


SEARCH_TOOLS = frozenset({SEARCH_BY_TEXT, SEARCH_SIMILAR})


def last_search_call(turn: TurnContext) -> ToolCall | None:
    """The last successful search (by text or similar) of the latest turn that called tools, if any."""
    for previous in reversed(turn.history):
        if not previous.tool_calls:
            continue
        for call in reversed(previous.tool_calls):
            if call.name in SEARCH_TOOLS and call.error is None:
                return call
        return None
    return None
