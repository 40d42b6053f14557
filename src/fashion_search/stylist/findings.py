"""What the offline planner found for one message, in a form the answer writer turns into prose."""

from __future__ import annotations

from dataclasses import dataclass, field

from fashion_search.domain import Product
from fashion_search.stylist.base import Recommended
from fashion_search.stylist.intent import Intent, Request
from fashion_search.stylist.occasions import Occasion


@dataclass(slots=True)
class Section:
    """A group of picks: one search's results, or one role of an outfit."""

    title: str
    picks: list[Recommended] = field(default_factory=list)
    empty_note: str = ""
    """Why the group is empty (what was searched, within which limits)."""


@dataclass(slots=True)
class Findings:
    """The planner's result: the picks, what they were chosen for, and anything to say about it."""

    request: Request
    intent: Intent
    sections: list[Section] = field(default_factory=list)
    anchor: Product | None = None
    """The product the answer is about (complete-the-look, similar, details)."""
    anchor_how: str = ""
    """How the shopper named it ("the second one I showed (...)")."""
    occasion: Occasion | None = None
    wardrobe: str | None = None
    budget: float | None = None
    """The whole outfit's budget (outfits and several items), if one was given."""
    user_name: str | None = None
    summary: str = ""
    """What was searched for, in words ("black sneakers for men, at most $80")."""
    notes: list[str] = field(default_factory=list)
    direct: str | None = None
    """An answer the planner wrote itself (a greeting, a question back, an error)."""

    @property
    def picks(self) -> list[Recommended]:
        return [p for s in self.sections for p in s.picks]

    @property
    def total(self) -> float:
        return round(sum(p.product.price or 0.0 for p in self.picks), 2)
