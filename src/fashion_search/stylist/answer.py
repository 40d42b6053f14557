"""Writing the offline planner's findings as a helpful answer that names each product and says why.

Every recommended product is written as ``**Name** (#id) - $price`` followed by its reason, so a
reader (or a test) can find it in the text; the order of the products returned with the answer is
the order they are named in.
"""

from __future__ import annotations

from fashion_search.domain import Product
from fashion_search.stylist.base import Recommended
from fashion_search.stylist.findings import Findings, Section
from fashion_search.stylist.intent import Intent
from fashion_search.stylist.occasions import MENSWEAR
from fashion_search.stylist.phrasing import money, with_article

FOLLOW_UP = (
    'Say "something like this but cheaper", "in black?" or "what goes with the first one?" to keep going.'
)


def name_of(product: Product) -> str:
    """How an answer names a product: bold name, id and price."""
    return f"**{product.name}** (#{product.id}) - {money(product.price)}"


def _line(pick: Recommended, label: str | None = None) -> str:
    if label is None:
        head = "- "
    elif label.startswith(" "):
        head = f"{label}: "
    else:
        head = f"- {label}: "
    reason = f". {pick.reason}" if pick.reason else ""
    return f"{head}{name_of(pick.product)}{reason}".rstrip(".") + "."


def _describe_product(p: Product) -> str:
    what = " ".join(x for x in (p.base_colour, p.article_type) if x) or "A product"
    if p.gender:
        what += f" ({p.gender})"
    wear = ", ".join(x for x in (p.usage and f"{p.usage} wear", p.season and f"for {p.season}") if x)
    return f"{name_of(p)}. {what}" + (f", {wear}" if wear else "") + "."


def _picks_block(section: Section, with_roles: bool = False) -> list[str]:
    if not section.picks:
        return (
            [f"- {section.title.capitalize()}: {section.empty_note}." if with_roles else section.empty_note]
            if section.empty_note
            else []
        )
    if not with_roles:
        return [_line(p) for p in section.picks]
    first, *others = section.picks
    return [_line(first, section.title.capitalize())] + [_line(p, "  or") for p in others]


def _intro(f: Findings) -> str:
    n = len(f.picks)
    plural = "picks" if n != 1 else "pick"
    for_whom = f" for {f.user_name}" if f.user_name and f.request.intent is not Intent.RECOMMEND else ""
    if f.intent is Intent.OUTFIT and f.occasion is not None:
        who = ""
        if f.wardrobe is not None:
            who = " for men" if f.wardrobe == MENSWEAR else " for women"
        money_part = ""
        if f.budget is not None:
            money_part = f", {money(f.total)} in all, within your {money(f.budget)} budget"
        elif f.picks:
            money_part = f", {money(f.total)} in all"
        return f"Here's {with_article(f.occasion.name)} look{who}{money_part}:"
    if f.intent is Intent.COMPLETE and f.anchor is not None:
        how = f" ({f.anchor_how})" if f.anchor_how and not f.anchor_how.startswith("product") else ""
        return f"To go with {name_of(f.anchor)}{how}, I'd add:"
    if f.intent is Intent.SIMILAR:
        like = name_of(f.anchor) if f.anchor is not None else "your photo"
        how = (
            f" ({f.anchor_how})"
            if f.anchor is not None and f.anchor_how and not f.anchor_how.startswith("product")
            else ""
        )
        extra = f", {f.summary}" if f.summary else ""
        return f"Like {like}{how}{extra}, here {'are' if n != 1 else 'is'} {n} {plural}:"
    if f.intent is Intent.RECOMMEND:
        name = f.user_name or "you"
        return f"Picked for {name} from their style so far:"
    if f.intent is Intent.MORE:
        return f"Here {'are' if n != 1 else 'is'} {f.summary}:"
    if f.intent is Intent.REFINE:
        return f"Updated to {f.summary}{for_whom}, {n} {plural}:"
    if len(f.sections) > 1:
        return f"Here are options for each piece{for_whom}:"
    return f"Here {'are' if n != 1 else 'is'} {n} {plural} for {f.summary}{for_whom}:"


def write_answer(f: Findings) -> tuple[str, tuple[Recommended, ...]]:
    """The answer text and the products it recommends, in the order it names them."""
    if f.direct is not None:
        return f.direct, ()
    lines: list[str] = []
    if f.intent is Intent.PRODUCT and f.picks:
        lines.append(_describe_product(f.picks[0].product))
        lines.append('Ask "what goes with it?" for an outfit, or "something like this but cheaper".')
        return "\n".join(lines), _recommended(f)
    if not f.picks:
        empty = [s.empty_note for s in f.sections if s.empty_note]
        lines.extend(empty or ["I found nothing that matches; try other words or fewer limits."])
        lines.extend(f.notes)
        return "\n".join(lines), ()
    lines.append(_intro(f))
    if f.intent in (Intent.OUTFIT, Intent.COMPLETE):
        for section in f.sections:
            lines.extend(_picks_block(section, with_roles=True))
    elif len(f.sections) > 1:
        for section in f.sections:
            lines.append(f"For {section.title}:")
            lines.extend(_picks_block(section))
    else:
        for section in f.sections:
            lines.extend(_picks_block(section))
    lines.extend(f.notes)
    if f.intent is Intent.OUTFIT and f.occasion is not None:
        lines.append(f.occasion.advice)
    lines.append(FOLLOW_UP)
    return "\n".join(lines), _recommended(f)


def _recommended(f: Findings) -> tuple[Recommended, ...]:
    seen: set[int] = set()
    out: list[Recommended] = []
    for pick in f.picks:
        if pick.product.id not in seen:
            seen.add(pick.product.id)
            out.append(pick)
    return tuple(out)
