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
from fashion_search.search.vocabulary import Facet, Vocabulary, phrase_tokens, scan_tokens
from fashion_search.stylist.base import ToolCall, TurnContext
from fashion_search.stylist.occasions import Occasion, find_occasions


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


# --------------------------------------------------------------------------------------------
# Phrase tables
# --------------------------------------------------------------------------------------------


def _phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    return tuple(phrase_tokens(t) for t in texts)


GREETING_WORDS = frozenset(
    "hi hello hey hiya yo help thanks thank you ok okay cool great good morning evening afternoon what "
    "can do who are there please stylist how it works work hows start".split()
)
COMPLETE_CUES = _phrases(
    "goes with",
    "go with",
    "going with",
    "goes well with",
    "go well with",
    "wear with",
    "wear it with",
    "pair with",
    "pair it with",
    "pairs with",
    "pairing",
    "match with",
    "matches",
    "matching",
    "to match",
    "complete the look",
    "complete my look",
    "complete this look",
    "complete the outfit",
    "complete my outfit",
    "complete an outfit",
    "style it",
    "style this",
    "style that",
    "how to style",
    "how do i style",
    "outfit around",
    "look around",
    "build an outfit",
    "build a look",
    "accessorize",
    "accessorise",
    "what to wear with",
    "what should i wear with",
)
SIMILAR_CUES = _phrases(
    "like this",
    "like that",
    "like it",
    "like these",
    "like those",
    "like this one",
    "something like",
    "anything like",
    "more like",
    "just like",
    "similar",
    "same style",
    "same but",
    "the same",
    "alternative",
    "alternatives",
    "lookalike",
    "look alike",
    "looks like",
    "look like",
    "another colour",
    "another color",
    "different colour",
    "different color",
    "other colours",
    "other colors",
    "this in",
    "that in",
    "it in",
    "one in",
    "same in",
    "resembling",
    "dupe",
)
CHEAPER_CUES = _phrases(
    "cheaper",
    "less expensive",
    "lower price",
    "lower priced",
    "more affordable",
    "too expensive",
    "too pricey",
    "too pricy",
    "budget friendly",
    "cost less",
    "costs less",
    "not so expensive",
    "less pricey",
)
PRICIER_CUES = _phrases(
    "more expensive",
    "pricier",
    "fancier",
    "higher end",
    "more premium",
    "more upscale",
    "more luxurious",
    "better quality",
    "splurge",
)
PRODUCT_CUES = _phrases(
    "tell me about",
    "tell me more about",
    "details",
    "detail",
    "info",
    "information",
    "what is",
    "whats",
    "describe",
    "how much",
    "price of",
    "show me product",
    "show product",
    "look up",
    "lookup",
    "about product",
)
MORE_CUES = _phrases(
    "more",
    "more options",
    "other options",
    "others",
    "anything else",
    "something else",
    "show me more",
    "next",
    "different ones",
    "other ones",
    "what else",
)
RECOMMEND_CUES = _phrases(
    "recommend",
    "recommendation",
    "recommendations",
    "suggest",
    "suggestion",
    "suggestions",
    "for me",
    "my style",
    "my taste",
    "what would i like",
    "surprise me",
    "pick something",
    "pick for me",
    "based on my",
    "personalised",
    "personalized",
    "just for me",
)
OUTFIT_CUES = _phrases(
    "outfit",
    "outfits",
    "look",
    "looks",
    "what should i wear",
    "what to wear",
    "what do i wear",
    "what can i wear",
    "dress me",
    "dressed",
    "attire",
    "clothes",
    "clothing",
    "wardrobe",
    "ensemble",
    "something to wear",
    "wear to",
    "wear for",
    "wear at",
    "going to",
    "get ready",
    "kit",
)
OCCASION_LEADS = frozenset(
    {"for", "to", "at", "in", "on", "during", "attending", "a", "an", "the", "my", "our"}
)
EACH_CUES = _phrases("each", "per item", "per piece", "apiece", "a piece", "every item")
PRONOUNS = frozenset({"this", "that", "it", "these", "those", "them", "one", "ones"})
ORDINALS: dict[str, int] = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "last": -1,
}  # fmt: skip
NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10,
}  # fmt: skip
PEOPLE: dict[str, str] = {
    "dad": "Men", "father": "Men", "husband": "Men", "boyfriend": "Men", "brother": "Men",
    "grandfather": "Men",
    "grandpa": "Men", "uncle": "Men", "groom": "Men", "fiance": "Men", "hubby": "Men",
    "mom": "Women", "mum": "Women", "mother": "Women", "wife": "Women", "girlfriend": "Women",
    "sister": "Women", "grandmother": "Women", "grandma": "Women", "aunt": "Women", "bride": "Women",
    "bridesmaid": "Women", "fiancee": "Women",
    "son": "Boys", "nephew": "Boys", "daughter": "Girls", "niece": "Girls",
}  # fmt: skip
FILLER = re.compile(
    r"\b(?:hi|hello|hey|please|pls|thanks|thank you|can you|could you|would you|will you|show me|find me|"
    r"get me|give me|help me find|i need|i want|i'd like|id like|i would like|i am looking for|"
    r"i'm looking for|im looking for|looking for|do you have|have you got|any|some)\b[\s,]*",
    re.IGNORECASE,
)
_EXPLICIT_ID = re.compile(
    r"(?:\b(?:product|item|article|style|id|sku|number|no\.?|option)\s*#?\s*|#\s*)([0-9]{1,12})\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.$€£₹])([0-9]{3,12})(?![\w.,]?[0-9])")
_COUNT = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?:options|ideas|items|products|things|pieces|suggestions|picks|choices|alternatives|of them|more)\b",
    re.IGNORECASE,
)
_COUNT_BEFORE_ITEM = re.compile(
    r"(?<![\w.$€£₹])(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:[a-z-]+\s+){0,2}$",
    re.IGNORECASE,
)
NOT_A_COUNT_BEFORE = frozenset(
    "size sizes under below over above than upto up to around about for of at within max min budget "
    "uk us eu".split()
)
NOT_A_COUNT_AFTER = frozenset(
    "dollar dollars usd bucks buck euro euros eur pound pounds gbp rupee rupees rs inr inch inches cm "
    "year years yr yrs old piece".split()
)
SPLIT_WORDS = frozenset({"and", "plus", "with", "&"})


def _has(keys: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(_find(keys, p) >= 0 for p in phrases)


def _find(keys: Sequence[str], phrase: tuple[str, ...]) -> int:
    n = len(phrase)
    for i in range(len(keys) - n + 1):
        if tuple(keys[i : i + n]) == phrase:
            return i
    return -1


NEGATION_PHRASES = re.compile(
    r"\b(?:(?:i|we)\s+)?(?:do\s*n[o']?t|don't|does\s*n[o']?t|never)\s+"
    r"(?:like|want|love|fancy|wear|need|care for)\b"
    r"|\b(?:(?:i|we)\s+)?(?:hate|dislike|avoid|can'?t stand|am not into|'m not into|not into)\b"
    r"|\b(?:anything|something)\s+but\b|\bother than\b|\bnothing in\b|\bnothing\b(?=\s+\w+\s*[,.;!?]|\s*$)",
    re.IGNORECASE,
)
"""How shoppers say what they don't want ("I don't like black", "anything but red"); each becomes
"not", which the query understanding reads as an exclusion."""


def clean_text(message: str) -> str:
    """The message without chat filler, for the search text (never empty if the message is not)."""
    text = NEGATION_PHRASES.sub(" not ", message)
    text = FILLER.sub(" ", text)
    text = " ".join(text.split()).strip(" ,.;:!?")
    return text or " ".join(message.split())


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


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
    m = _COUNT.search(message)
    if m is not None:
        return _number(m.group(1))
    for term in parsed.terms:
        if term.facet is not Facet.ARTICLE_TYPE or term.role != "filter":
            continue
        before = _COUNT_BEFORE_ITEM.search(parsed.text[: term.start])
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
    for m in _EXPLICIT_ID.finditer(message):
        value = int(m.group(1))
        spans.append(m.span())
        if previous and 1 <= value <= previous and not is_product(value):
            ordinal = value - 1
        else:
            explicit.append(value)
    for m in _NUMBER.finditer(message):
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
    outfit_words = _has(keys, OUTFIT_CUES)
    occasion = _occasion(keys, occasions, outfit_words)
    cheaper = _has(keys, CHEAPER_CUES)
    pricier = _has(keys, PRICIER_CUES)
    complete = _has(keys, COMPLETE_CUES)
    similar = _has(keys, SIMILAR_CUES)
    pronoun = any(k in PRONOUNS for k in keys)

    image_ref = turn.new_image
    if (
        image_ref is None
        and turn.images
        and _has(keys, _phrases("photo", "picture", "pic", "image", "upload", "uploaded"))
    ):
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
        "each": _has(keys, EACH_CUES),
        "for_me": _has(keys, RECOMMEND_CUES),
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
        if filters_said and not _has(keys, PRODUCT_CUES):
            return make(Intent.SIMILAR)
        if _has(keys, PRODUCT_CUES) or not occasion:
            return make(Intent.PRODUCT)
    if anchor is not None and pronoun and _has(keys, PRODUCT_CUES):
        return make(Intent.PRODUCT)
    if _has(keys, MORE_CUES) and not article_types and occasion is None and not filters_said:
        if previous_search or len(keys) <= 4:
            return make(Intent.MORE)
    if previous_search and (cheaper or pricier) and not article_types and occasion is None:
        return make(Intent.REFINE)
    if (cheaper or pricier) and anchor is not None and not article_types:
        return make(Intent.SIMILAR)
    if occasion is not None and not article_types:
        return make(Intent.OUTFIT)
    if not article_types and _has(
        keys, _phrases("outfit", "outfits", "look", "what should i wear", "what to wear")
    ):
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
    if len(roles) < 2 or any(c.name != "search_by_text" for c in last.tool_calls):
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


SEARCH_TOOLS = frozenset({"search_by_text", "search_similar_by_image"})


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
