"""Planning an outfit for an occasion: the occasion's template (:mod:`~fashion_search.stylist.occasions`),
one search per piece, constrained by gender and by a share of the budget
(:mod:`~fashion_search.stylist.budget`); the main piece decides the colours, and each later piece is
chosen among the results for colour harmony with it and for the occasion's palette."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fashion_search.domain import Product
from fashion_search.outfit.colours import CLASH_BELOW, harmony
from fashion_search.search.vocabulary import Facet
from fashion_search.stylist.base import Recommended
from fashion_search.stylist.budget import BudgetSplit, PriceGuide
from fashion_search.stylist.findings import Section
from fashion_search.stylist.occasions import MENSWEAR, WOMENSWEAR, Occasion, Slot, role_name
from fashion_search.stylist.phrasing import money, with_article
from fashion_search.stylist.turn_plan import TurnPlan

OUTFIT_CANDIDATES = 8
"""Results fetched per outfit piece, to choose the best-matching one from."""
OPTIONAL_SHARE = 0.5
"""An optional piece's budget weight relative to its typical price: the essentials come first."""
DEFAULT_OCCASION = "casual day out"
_WARDROBE_OF = {"Men": MENSWEAR, "Boys": MENSWEAR, "Women": WOMENSWEAR, "Girls": WOMENSWEAR}


def plan_outfit(plan: TurnPlan) -> None:
    r = plan.request
    occasion = r.occasion or next(o for o in plan.occasions if o.name == DEFAULT_OCCASION)
    plan.findings.occasion = occasion
    gender = r.gender or plan.facts.user_gender(plan.turn.user_id)
    wardrobe = _WARDROBE_OF.get(gender or "")
    budget = r.max_price
    plan.findings.budget = budget
    if r.cheaper and budget is not None:
        plan.findings.notes.append(f"A cheaper take on the last look: {money(budget)} for everything.")
    if r.min_price is not None and budget is not None:
        plan.findings.notes.append(
            f"I read {money(budget)} as the budget for the whole outfit "
            "(a lower limit applies to single items)."
        )
    guide = plan.facts.prices()

    def fillable(w: str) -> list[tuple[Slot, tuple[str, ...]]]:
        return [(slot, t) for slot in occasion.slots if (t := plan.facts.present_types(slot.types_for(w)))]

    plans = {w: fillable(w) for w in ((wardrobe,) if wardrobe is not None else (MENSWEAR, WOMENSWEAR))}
    plans = {w: p for w, p in plans.items() if p}
    if not plans:
        plan.findings.direct = (
            f"This catalog has nothing I can dress someone in for {with_article(occasion.name)}."
        )
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
            plan.findings.direct = (
                f"{money(budget)} is tight for {with_article(occasion.name)} outfit: the cheapest pieces "
                f"it needs here add up to about {money(main_floor + rest_floor)}. "
                "Raise the budget, or ask for one piece "
                "at a time."
            )
            return
        main_cap = BudgetSplit(
            budget, [guide.typical(main_types), rest_weight or 1.0], [main_floor, rest_floor]
        ).cap(0)

    main_words = " or ".join(dict.fromkeys(p[0][0].words for p in plans.values()))
    main = _fill(
        plan,
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
        plan.findings.direct = (
            f"I couldn't find {with_article(main_words)} for {with_article(occasion.name)}{within}. "
            "Try other words or a larger budget."
        )
        return
    product, relaxed = main
    if wardrobe is None:
        wardrobe = _wardrobe_of(product, plans.get(MENSWEAR, []), plans.get(WOMENSWEAR, []))
        gender = product.gender if product.gender in ("Men", "Women", "Boys", "Girls") else wardrobe
        other = "women" if wardrobe == MENSWEAR else "men"
        plan.findings.notes.append(
            "You didn't say who it's for, so I built a "
            f"{'menswear' if wardrobe == MENSWEAR else 'womenswear'} "
            f'look; say "for {other}" for the other.'
        )
    plan.findings.wardrobe = wardrobe
    slots = plans.get(wardrobe) or fillable(wardrobe)
    role_slot = next((s for s, t in slots if product.article_type in t), slots[0][0] if slots else main_slot)
    first = _outfit_pick(product, role_slot, occasion, None, relaxed)
    plan.findings.sections.append(Section(first.role or role_slot.role, [first]))
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
                plan.findings.sections.append(
                    Section(slot.role, [], f"nothing fits the {money(cap)} left for it")
                )
            continue
        found = _fill(plan, occasion, slot, types, gender, cap, anchor=product)
        if found is None:
            if split is not None:
                split.skip(i)
            if not slot.optional:
                within = f" within {money(cap)}" if cap is not None else ""
                plan.findings.sections.append(Section(slot.role, [], f"I found none{within}"))
            continue
        item, relaxed = found
        if split is not None:
            split.spend(i, item.price or 0.0)
        chosen_types.add(item.article_type)
        pick = _outfit_pick(item, slot, occasion, product, relaxed)
        plan.findings.sections.append(Section(pick.role or slot.role, [pick]))


def _fill(
    plan: TurnPlan,
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
    r = plan.request
    main_piece = anchor is None
    words = words or slot.words
    args: dict[str, Any] = {
        "text": words if occasion.name in words else f"{words} for {occasion.name}",
        "gender": gender if gender in ("Men", "Women", "Boys", "Girls", "Unisex") else None,
        "article_types": list(types),
        "usages": list(plan.facts.present_usages(occasion.usages)),
        # The shopper's colours bind the main piece; the others are chosen to go with it.
        "colours": list(r.colours) if main_piece else [],
        "exclude_colours": list(r.parsed.detected.get("exclude", {}).get(Facet.COLOUR.value) or []),
        "max_price": cap,
        "user_id": plan.turn.user_id,
        "k": OUTFIT_CANDIDATES,
    }
    result, dropped = plan.search_relaxing(args)
    candidates = [i.product for i in result.items]
    if any_adult:
        # Nobody said it was for a child: when only kids' pieces came back, ask for grown-ups'.
        if candidates and not _grown_up(candidates):
            for gender_asked in ("Women", "Men"):
                result, dropped = plan.search_relaxing({**args, "gender": gender_asked})
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
    product: Product,
    slot: Slot,
    occasion: Occasion,
    main: Product | None,
    relaxed: Sequence[str] = (),
) -> Recommended:
    reasons = []
    if main is not None:
        reasons.append(harmony(main.base_colour, product.base_colour).reason)
    if product.base_colour in occasion.palette:
        reasons.append(f"{product.base_colour} is right for {with_article(occasion.name)}")
    if product.usage and product.usage in occasion.usages and len(reasons) < 2:
        reasons.append(
            f"{with_article(product.usage.lower())} piece that suits {with_article(occasion.name)}"
        )
    reasons.extend(relaxed)
    reason = "; ".join(reasons)
    return Recommended(product, reason[:1].upper() + reason[1:], role_name(slot, product))


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
