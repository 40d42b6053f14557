"""Query understanding: turn the words of a search into filters, and keep the rest for the embedding.

Policy (conservative: a wrong filter hides the products a shopper wants, a missing one only ranks them
lower, since the words stay in the semantic text):

* colours, genders and article types become filters; several of one facet are OR-ed
  ("black and white" -> Black or White; "shirts and jeans" -> Shirts or Jeans).
* "men" / "women" admit Unisex products too: a unisex watch is a men's watch.
* usage words are explicit ("formal", "casual", "sports", "ethnic") and filter; "formal black shoes
  for men" is usage Formal + Black + the shoe types + Men/Unisex, which in the real catalog is 607
  Formal Shoes, 23 formal Heels and 14 formal Casual Shoes before the gender cut. Usages the catalog
  barely labels (Party, Travel, Home) and "sport" (a product-line name) are hints only.
* a season filters only when it is said explicitly ("for summer", "in winter", "winter season",
  "summer collection"); "red summer dress" reports the season as a hint and keeps it in the text.
* ambiguous colour words ("skin", "rose", "lavender", "steel", "multi") filter only with a colour
  cue after them ("skin colour"); a colour after "with" ("shirt with red print") is a hint.
* a brand whose name holds such words ("Red Tape", "Do U Speak Green") is read as the brand.
* "not" / "no" / "without" / "except" exclude the term that follows ("dress not red").
* prices: "under 50", "below $50", "less than 50", "< 50", "cheaper than 50" (price < 50);
  "max 80", "up to 80", "budget 80", "at most 80", "<= 80" (price <= 80); "over 100", "above 100",
  "more than 100", "> 100" (price > 100); "at least 100", "min 100", "100+", ">= 100" (>= 100);
  "between 30 and 70", "30-70", "30 to 70", "from 30 to 70" (30 <= price <= 70).

``semantic_text`` is the query with the price phrases and excluded terms removed; every other word
stays, because "red summer dress" is what the embedding should see.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from fashion_search.domain import Condition, Filter, Op, condition
from fashion_search.errors import ValidationError
from fashion_search.search.vocabulary import COLOUR_CUE_WORDS, Facet, Term, Vocabulary, scan_tokens

MAX_QUERY_CHARS = 1000
"""Only this many characters of a query are read; longer input is cut at a word boundary."""

MAX_PRICE = 1e9

_FILTER_FACETS: tuple[Facet, ...] = (
    Facet.GENDER,
    Facet.ARTICLE_TYPE,
    Facet.COLOUR,
    Facet.USAGE,
    Facet.SEASON,
)
_NEGATIONS = frozenset({"not", "no", "without", "except", "excluding", "non", "never", "nor"})
_NEGATION_FILLERS = frozenset({"a", "an", "any", "the", "in", "for", "or", "nor", "and", "of"})
_WITH_WORDS = frozenset({"with", "having", "featuring", "w"})
_SEASON_BEFORE = frozenset({"for", "in", "during", "this", "next"})
_SEASON_AFTER = frozenset({"season", "seasons", "collection", "wear", "wardrobe", "clothes", "clothing"})
_TIER_WORDS = {
    "cheap": "budget",
    "affordable": "budget",
    "inexpensive": "budget",
    "budget": "budget",
    "premium": "premium",
    "expensive": "luxury",
    "luxury": "luxury",
    "luxurious": "luxury",
    "designer": "luxury",
}


@dataclass(frozen=True, slots=True)
class DetectedTerm:
    """One recognised phrase: where it is, what it means and what was done with it."""

    text: str
    facet: Facet
    values: tuple[str, ...]
    role: str
    """"filter", "exclude" or "hint"."""
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The result of :func:`parse_query`."""

    text: str
    """The query as given."""
    semantic_text: str
    """What the embedding should see: the query without price phrases and excluded terms."""
    filter: Filter
    detected: dict[str, Any]
    """JSON-friendly summary: ``{field: [values]}`` for each filtered facet, ``"price": {op: value}``,
    ``"exclude": {field: [values]}``, ``"hints": {field or "brand" or "price_tier": [values]}``, and
    ``"truncated": True`` when the input was cut."""
    terms: tuple[DetectedTerm, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# Prices
# --------------------------------------------------------------------------------------------

_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,12})(?:[.,][0-9]{1,2})?(?:\s?k\b)?"
_CUR_PRE = r"(?:[$€£₹]|rs\.?|inr|usd|eur|gbp)\s?"
_CUR_POST = r"(?:\s?(?:[$€£₹]|dollars?|bucks|euros?|rupees?|rs\b\.?|inr\b|usd\b|eur\b|gbp\b))"
_AMOUNT = rf"(?:{_CUR_PRE})?{_NUM}{_CUR_POST}?"
_LEAD = r"(?:\b(?:for|at|priced|price|prices|costing|costs?|with\s+a|on\s+a|my|in\s+the)\s*:?\s+){0,3}"
_SEP = r"\s*[:=]?\s*"

_UPPER_STRICT = r"under|below|beneath|less\s+than|lower\s+than|cheaper\s+than"
_UPPER_INCL = (
    r"not\s+more\s+than|no\s+more\s+than|not\s+over|up\s*to|max(?:imum)?|at\s+most|within|"
    r"budget(?:\s+(?:of|is))?"
)
_LOWER_STRICT = r"over|above|more\s+than|greater\s+than|higher\s+than|pricier\s+than"
_LOWER_INCL = r"at\s+least|min(?:imum)?|starting\s+(?:at|from)"

_PRICE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (
            "range",
            rf"{_LEAD}\b(?:between|from|range(?:\s+of)?|in\s+the\s+range\s+of){_SEP}"
            rf"(?P<a>{_AMOUNT})\s*(?:and|to|-|–|—){_SEP}(?P<b>{_AMOUNT})",
        ),
        ("dash", rf"{_LEAD}(?<![\w.,])(?P<a>{_AMOUNT})\s*(?:-|–|—|\bto\b)\s*(?P<b>{_AMOUNT})"),
        ("lt", rf"{_LEAD}(?:\b(?:{_UPPER_STRICT})\b{_SEP}|<(?!=)\s*)(?P<a>{_AMOUNT})"),
        ("le", rf"{_LEAD}(?:\b(?:{_UPPER_INCL})\b{_SEP}|(?:<=|≤|=<)\s*)(?P<a>{_AMOUNT})"),
        ("gt", rf"{_LEAD}(?:\b(?:{_LOWER_STRICT})\b{_SEP}|>(?!=)\s*)(?P<a>{_AMOUNT})"),
        ("ge", rf"{_LEAD}(?:\b(?:{_LOWER_INCL})\b{_SEP}|(?:>=|≥|=>)\s*)(?P<a>{_AMOUNT})"),
        ("plus", rf"(?<![\w.,])(?P<a>{_AMOUNT})\s?\+"),
    )
)
_NUMBER = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?)\s?(k\b)?", re.IGNORECASE)
# A number followed by one of these is a size, a count or an age, not a price.
_UNITS = frozenset(
    "cm mm m ml l kg g gm gms gb tb mb inch inches ft feet year years yr yrs month months day days "
    "pcs pc pieces piece pack packs set sets x mah percent % uk us eu waist length chest".split()
)
_NOT_PRICE_BEFORE = frozenset(
    {"size", "sizes", "age", "aged", "ages", "pack", "set", "uk", "us", "eu", "waist", "length", "chest"}
)
_YEAR = re.compile(r"^(19|20)[0-9]{2}$")


def _amount(text: str) -> float | None:
    m = _NUMBER.search(text)
    if m is None:
        return None
    raw = m.group(1)
    if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", raw):
        raw = raw.replace(",", "")
    elif "," in raw:
        raw = raw.replace(",", ".", 1).replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        return None
    if m.group(2):
        value *= 1000
    return value if math.isfinite(value) and 0 <= value <= MAX_PRICE else None


def _has_currency(text: str) -> bool:
    return bool(re.search(rf"{_CUR_PRE}[0-9]|[0-9]{_CUR_POST}", text, re.IGNORECASE))


def _find_prices(text: str) -> tuple[list[tuple[int, int]], list[tuple[Op, float]]]:
    taken: list[tuple[int, int]] = []
    bounds: list[tuple[Op, float]] = []
    for kind, pattern in _PRICE_PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            following = re.match(r"\s*([^\s\d]+)", text[end:])
            if following and following.group(1).lower().rstrip(".,;:!?") in _UNITS:
                continue
            a = _amount(m.group("a"))
            if a is None:
                continue
            if kind in ("range", "dash"):
                b = _amount(m.group("b"))
                if b is None:
                    continue
                if kind == "dash":
                    before = re.search(r"(\w+)\W*$", text[:start])
                    if before and before.group(1).lower() in _NOT_PRICE_BEFORE:
                        continue
                    span_text = m.group(0)
                    # "2012-2013" without a currency is a span of years.
                    if not _has_currency(span_text) and all(
                        _YEAR.match(g.strip()) for g in (m.group("a"), m.group("b"))
                    ):
                        continue
                low, high = min(a, b), max(a, b)
                bounds += [(Op.GE, low), (Op.LE, high)]
            elif kind == "plus":
                before = re.search(r"(\w+)\W*$", text[:start])
                if before and before.group(1).lower() in _NOT_PRICE_BEFORE:
                    continue
                bounds.append((Op.GE, a))
            else:
                bounds.append(({"lt": Op.LT, "le": Op.LE, "gt": Op.GT, "ge": Op.GE}[kind], a))
            taken.append((start, end))
    return taken, bounds


def _price_conditions(bounds: list[tuple[Op, float]]) -> list[tuple[Op, float]]:
    """The tightest upper and lower bound; none when they contradict each other."""
    upper: list[tuple[float, Op]] = [(v, op) for op, v in bounds if op in (Op.LT, Op.LE)]
    lower: list[tuple[float, Op]] = [(v, op) for op, v in bounds if op in (Op.GT, Op.GE)]
    out: list[tuple[Op, float]] = []
    # Among equal values the strict operator is the tighter one.
    if upper:
        hi_value, hi_op = min(upper, key=lambda t: (t[0], t[1] is Op.LE))
        out.append((hi_op, hi_value))
    if lower:
        lo_value, lo_op = max(lower, key=lambda t: (t[0], t[1] is Op.GT))
        out.append((lo_op, lo_value))
    if upper and lower:
        hi_op, hi = out[0]
        lo_op, lo = out[1]
        if lo > hi or (lo == hi and (hi_op is Op.LT or lo_op is Op.GT)):
            return []
    return out


# --------------------------------------------------------------------------------------------
# Text cleaning
# --------------------------------------------------------------------------------------------


def _clean(text: str) -> tuple[str, bool]:
    # Lone surrogates cannot be encoded anywhere downstream; control and format characters
    # (NUL, bidi marks) carry no meaning for search.
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text
    truncated = len(text) > 4 * MAX_QUERY_CHARS
    text = text[: 4 * MAX_QUERY_CHARS]
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        truncated = True
        cut = text.rfind(" ", MAX_QUERY_CHARS - 100, MAX_QUERY_CHARS + 1)
        text = text[: cut if cut > 0 else MAX_QUERY_CHARS]
    return text, truncated


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_CONNECTOR = r"(?:and|or|but|for|at|with)"
_DANGLING = re.compile(
    rf"^(?:{_CONNECTOR}\b[\s,]*)+|(?:[\s,]+\b{_CONNECTOR})+[\s,]*$",
    re.IGNORECASE,
)


def _remove_spans(text: str, spans: Collection[tuple[int, int]]) -> str:
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            start = pos
        out.append(text[pos:start])
        pos = max(pos, end)
    out.append(text[pos:])
    joined = " ".join("".join(out).split())
    joined = re.sub(r"\s+([,;:.!?])", r"\1", joined)
    if spans:
        # Words left dangling by a removed phrase: "shirt at least 20 and at most 40" -> "shirt".
        joined = _DANGLING.sub("", joined)
    return joined.strip(" ,;:-–—")


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def parse_query(text: str, vocab: Vocabulary) -> ParsedQuery:
    """Read filters out of a free-text query; see the module docstring for the rules."""
    if not isinstance(text, str):
        raise ValidationError(f"query text must be a string, got {type(text).__name__}")
    if not isinstance(vocab, Vocabulary):
        raise ValidationError(f"parse_query needs a Vocabulary, got {type(vocab).__name__}")
    clean, truncated = _clean(text)

    price_spans, bounds = _find_prices(clean)
    tokens = [
        tok for tok in scan_tokens(clean) if tok[2] and not any(s <= tok[0] < e for s, e in price_spans)
    ]
    keys = [key for _, _, key in tokens]

    detected_terms: list[DetectedTerm] = []
    removed: list[tuple[int, int]] = list(price_spans)
    tiers: list[str] = []
    negation_start: int | None = None
    i = 0
    n = len(tokens)
    while i < n:
        length, terms = _longest_match(vocab, keys, i)
        if not terms:
            key = keys[i]
            if key in _NEGATIONS:
                if negation_start is None:
                    # "but not red": the "but" goes with the excluded phrase.
                    first = i - 1 if i > 0 and keys[i - 1] == "but" else i
                    negation_start = tokens[first][0]
            elif key in _NEGATION_FILLERS and negation_start is not None:
                pass
            else:
                negation_start = None
                if key in _TIER_WORDS:
                    tiers.append(_TIER_WORDS[key])
            i += 1
            continue
        start, end = tokens[i][0], tokens[i + length - 1][1]
        for term in terms:
            role = _role(term, keys, i, length, negated=negation_start is not None)
            detected_terms.append(DetectedTerm(clean[start:end], term.facet, term.values, role, start, end))
        if negation_start is not None and any(t.facet is not Facet.BRAND for t in terms):
            removed.append((negation_start, end))
            # "not red or blue" excludes both colours.
            if not (i + length < n and keys[i + length] in ("or", "nor")):
                negation_start = None
        i += length

    filt, detected = _build(vocab, detected_terms, _price_conditions(bounds))
    if tiers:
        detected.setdefault("hints", {})["price_tier"] = sorted(set(tiers))
    if truncated:
        detected["truncated"] = True
    return ParsedQuery(
        text=text,
        semantic_text=_remove_spans(clean, removed),
        filter=filt,
        detected=detected,
        terms=tuple(detected_terms),
    )


def _longest_match(vocab: Vocabulary, keys: list[str], i: int) -> tuple[int, tuple[Term, ...]]:
    for length in range(min(vocab.max_phrase_tokens, len(keys) - i), 0, -1):
        terms = vocab.lookup(tuple(keys[i : i + length]))
        if terms:
            return length, terms
    return 0, ()


def _role(term: Term, keys: list[str], i: int, length: int, *, negated: bool) -> str:
    after = keys[i + length] if i + length < len(keys) else ""
    before = [k for k in keys[max(0, i - 3) : i] if k not in ("a", "an", "the")]
    if term.facet is Facet.BRAND or term.hint_only:
        return "hint"
    if term.needs_cue and after not in COLOUR_CUE_WORDS:
        return "hint"
    if term.facet is Facet.SEASON and not (
        (before and before[-1] in _SEASON_BEFORE) or after in _SEASON_AFTER
    ):
        return "hint"
    if negated:
        return "exclude"
    if term.facet is Facet.COLOUR and before and before[-1] in _WITH_WORDS:
        return "hint"
    return "filter"


def _build(
    vocab: Vocabulary, terms: list[DetectedTerm], prices: list[tuple[Op, float]]
) -> tuple[Filter, dict[str, Any]]:
    detected: dict[str, Any] = {}
    conditions: list[Condition] = []
    excluded_out: dict[str, list[str]] = {}
    hints: dict[str, list[str]] = {}
    for facet in _FILTER_FACETS:
        include: dict[str, None] = {}
        exclude: dict[str, None] = {}
        for t in terms:
            if t.facet is facet:
                target = include if t.role == "filter" else exclude if t.role == "exclude" else None
                if target is not None:
                    target.update(dict.fromkeys(t.values))
        # Unisex products are for men and for women alike.
        if facet is Facet.GENDER and ("Men" in include or "Women" in include):
            if "Unisex" in vocab.values(Facet.GENDER):
                include["Unisex"] = None
        kept = [v for v in include if v not in exclude]
        if include and kept:
            if len(kept) == 1:
                conditions.append(condition(facet.value, Op.EQ, kept[0]))
            else:
                conditions.append(condition(facet.value, Op.IN, kept))
            detected[facet.value] = kept
        elif not include and exclude:
            dropped = list(exclude)
            if len(dropped) == 1:
                conditions.append(condition(facet.value, Op.NE, dropped[0]))
            else:
                conditions.append(condition(facet.value, Op.NOT_IN, dropped))
            excluded_out[facet.value] = dropped
    for t in terms:
        if t.role == "hint":
            bucket = hints.setdefault(t.facet.value, [])
            bucket.extend(v for v in t.values if v not in bucket)
    for op, value in prices:
        conditions.append(condition("price", op, value))
    if prices:
        detected["price"] = {op.value: value for op, value in prices}
    if excluded_out:
        detected["exclude"] = excluded_out
    if hints:
        detected["hints"] = hints
    return Filter(tuple(conditions)), detected


def merge_filters(parsed: ParsedQuery | Filter | None, explicit: Filter | None) -> Filter:
    """Combine parsed and explicit filters; every field the caller set replaces the parsed ones.

    An explicit price condition (of any operator) drops all parsed price conditions, an explicit
    colour drops the parsed colour, and fields the caller did not mention keep the parsed condition.
    """
    base = parsed.filter if isinstance(parsed, ParsedQuery) else parsed
    if base is not None and not isinstance(base, Filter):
        raise ValidationError(f"merge_filters needs a ParsedQuery or Filter, got {type(base).__name__}")
    if explicit is not None and not isinstance(explicit, Filter):
        raise ValidationError(f"explicit filters must be a Filter, got {type(explicit).__name__}")
    if explicit is None or not explicit:
        return base if base is not None else Filter()
    if base is None:
        return explicit
    owned = explicit.fields()
    return Filter(tuple(c for c in base.conditions if c.field not in owned) + explicit.conditions)
