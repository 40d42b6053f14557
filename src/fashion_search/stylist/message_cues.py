"""The words and patterns a shopper's message is read by: cue phrases for each intent, people,
ordinals and number words, chat filler, and the ways of saying what one does not want.

Phrases are matched as token sequences (:func:`~fashion_search.search.vocabulary.phrase_tokens`),
so "T-shirt" and "t shirt" read alike; :mod:`~fashion_search.stylist.intent` does the reading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fashion_search.search.vocabulary import phrase_tokens


def phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    """Phrases as the token sequences a message is matched on."""
    return tuple(phrase_tokens(t) for t in texts)


GREETING_WORDS = frozenset(
    "hi hello hey hiya yo help thanks thank you ok okay cool great good morning evening afternoon what "
    "can do who are there please stylist how it works work hows start".split()
)
COMPLETE_CUES = phrases(
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
SIMILAR_CUES = phrases(
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
CHEAPER_CUES = phrases(
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
PRICIER_CUES = phrases(
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
PRODUCT_CUES = phrases(
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
MORE_CUES = phrases(
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
RECOMMEND_CUES = phrases(
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
OUTFIT_CUES = phrases(
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
PHOTO_CUES = phrases("photo", "picture", "pic", "image", "upload", "uploaded")
OUTFIT_ASKED_CUES = phrases("outfit", "outfits", "look", "what should i wear", "what to wear")
"""Outfit words that ask for an outfit even when no occasion is named (a subset of OUTFIT_CUES)."""
EACH_CUES = phrases("each", "per item", "per piece", "apiece", "a piece", "every item")
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
EXPLICIT_ID = re.compile(
    r"(?:\b(?:product|item|article|style|id|sku|number|no\.?|option)\s*#?\s*|#\s*)([0-9]{1,12})\b",
    re.IGNORECASE,
)
NUMBER_RE = re.compile(r"(?<![\w.$€£₹])([0-9]{3,12})(?![\w.,]?[0-9])")
COUNT_RE = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?:options|ideas|items|products|things|pieces|suggestions|picks|choices|alternatives|of them|more)\b",
    re.IGNORECASE,
)
COUNT_BEFORE_ITEM = re.compile(
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


def has_phrase(keys: Sequence[str], cues: Sequence[tuple[str, ...]]) -> bool:
    """Whether the tokens ``keys`` contain one of ``phrases`` (as returned by :func:`phrases`)."""
    return any(find_phrase(keys, p) >= 0 for p in cues)


def find_phrase(keys: Sequence[str], phrase: tuple[str, ...]) -> int:
    """Where ``phrase`` starts in the tokens ``keys``, or -1."""
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
