"""How the stylist words the small things in its answers: amounts of money and "a" / "an"."""

from __future__ import annotations


def money(amount: float | None) -> str:
    """``$34.99`` (``$35`` for whole amounts); ``price unknown`` for None."""
    if amount is None:
        return "price unknown"
    return f"${amount:.0f}" if float(amount).is_integer() else f"${amount:.2f}"


def with_article(words: str) -> str:
    """``words`` after "a" or "an" ("an office look", "a beach wedding"), by its first letter."""
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words
