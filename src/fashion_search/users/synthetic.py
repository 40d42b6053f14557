"""Synthetic shoppers and their events, sized to the catalog and reproducible from a seed.

Every shopper belongs to a segment (or is one of the five personas) and draws the products it looks
at mostly from its taste: an article type from its own mix of the segment's types, often in one of
its favourite colours, weighted towards its price band and usages; a tenth of views are noise from
anywhere in its gender's catalog. Views lead to carts and carts to purchases at fixed rates, so the
funnel narrows as in a real shop, and each cart or purchase follows its view by minutes.

Sampling is grouped: the generator first decides, per view, which *bucket* (segment, gender,
article type, colour) it comes from, then draws all views of one bucket in a single vectorised
step, which keeps 10,000 shoppers over 44,000 products to a few seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from fashion_search.domain import Event, EventType, Product, User
from fashion_search.errors import ValidationError
from fashion_search.users.personas import SEGMENTS, Persona, PriceBand, Taste, resolve_personas

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
"""Start of the simulated window when none is given (fixed, so a seed reproduces timestamps too)."""
WINDOW_DAYS = 90
PRODUCTS_PER_USER = 4.4
"""The full catalog (44k products) gets 10,000 shoppers."""
MIN_USERS = 20
MAX_USERS = 10_000

P_NOISE = 0.1
"""Share of views drawn from anywhere in the shopper's gender, outside its taste."""
P_NOISE_PERSONA = 0.03
"""Personas stray less: they are demo material whose tastes should read clearly."""
P_FAVOURITE_COLOUR = 0.65
"""Share of taste views that insist on one of the shopper's favourite colours."""
P_CART_TASTE = 0.3
P_CART_NOISE = 0.06
P_PURCHASE = 0.45
"""Share of carts that become purchases."""
MIN_VIEWS = 8
MEAN_VIEWS = 22
PERSONA_VIEWS = 90
PERSONA_MIN_PURCHASES = 10
_FAVOURITE_COLOURS = 3
_FALLBACK_TYPES = 10

_TYPE_ORDER = (EventType.VIEW, EventType.ADD_TO_CART, EventType.PURCHASE)


@dataclass(frozen=True, slots=True)
class SyntheticData:
    """Generated shoppers (personas first, ids 1..5) and their events in time order."""

    users: list[User]
    events: list[Event]
    personas: tuple[Persona, ...]


def default_user_count(n_products: int) -> int:
    """Shoppers for a catalog of ``n_products``: one per 4.4 products, between 20 and 10,000."""
    return int(min(MAX_USERS, max(MIN_USERS, round(n_products / PRODUCTS_PER_USER))))


def _price_rank(products: Sequence[Product], types: np.ndarray) -> np.ndarray:
    """Price percentile of each product, half within its article type and half in the catalog.

    Ranking within the type makes "cheap" mean a cheap T-shirt rather than any T-shirt; the global
    half makes a budget shopper prefer cheaper kinds of things as well. Unpriced products sit at 0.5.
    """
    n = len(products)
    prices = np.array([np.nan if p.price is None else float(p.price) for p in products], dtype=np.float64)
    known = ~np.isnan(prices)
    rank = np.full(n, 0.5)
    if known.sum() < 2:
        return rank

    def percentile(idx: np.ndarray) -> np.ndarray:
        order = np.argsort(prices[idx], kind="stable")
        r = np.empty(len(idx))
        r[order] = np.arange(len(idx)) / max(1, len(idx) - 1)
        return r

    known_idx = np.flatnonzero(known)
    global_r = np.full(n, 0.5)
    global_r[known_idx] = percentile(known_idx)
    type_r = global_r.copy()
    codes, inverse = np.unique(types[known_idx], return_inverse=True)
    for code in range(len(codes)):
        group = known_idx[inverse == code]
        if len(group) > 1:
            type_r[group] = percentile(group)
    rank[known] = 0.5 * type_r[known] + 0.5 * global_r[known]
    return rank


def _price_weights(rank: np.ndarray, band: PriceBand) -> np.ndarray:
    if band is PriceBand.LOW:
        return np.exp(-3.0 * rank)
    if band is PriceBand.HIGH:
        return np.exp(-3.0 * (1.0 - rank))
    if band is PriceBand.MID:
        return np.exp(-(((rank - 0.5) / 0.3) ** 2))
    return np.ones_like(rank)


class _Buckets:
    """Groups of product rows with sampling weights, created on first use."""

    def __init__(self, products: Sequence[Product]) -> None:
        self.n = len(products)
        self.genders = np.array([p.gender or "" for p in products], dtype=object)
        self.types = np.array([p.article_type or "" for p in products], dtype=object)
        self.colours = np.array([p.base_colour or "" for p in products], dtype=object)
        self.usages = np.array([p.usage or "" for p in products], dtype=object)
        self.gender_counts = Counter(p.gender for p in products if p.gender)
        self.price_rank = _price_rank(products, self.types)
        self._rows_of_type: dict[str, np.ndarray] = {}
        for code, rows in _group(self.types).items():
            if code:
                self._rows_of_type[code] = rows
        self._gender_ok: dict[str, np.ndarray] = {}
        self._weights: dict[int, np.ndarray] = {}
        self.rows: list[np.ndarray] = []
        self.cumulative: list[np.ndarray] = []
        self._ids: dict[tuple[object, ...], int] = {}
        self._type_lists: dict[tuple[int, str], tuple[list[str], np.ndarray, list[str]]] = {}

    def gender_ok(self, gender: str) -> np.ndarray:
        if gender not in self._gender_ok:
            if gender in ("", "Unisex"):
                ok = np.ones(self.n, dtype=bool)
            else:
                ok = (self.genders == gender) | (self.genders == "Unisex")
                if not ok.any():
                    ok = np.ones(self.n, dtype=bool)
            self._gender_ok[gender] = ok
        return self._gender_ok[gender]

    def weights(self, taste: Taste) -> np.ndarray:
        key = id(taste)
        if key not in self._weights:
            usage_w = np.array(
                [taste.usages.get(u, taste.other_usage) if taste.usages else 1.0 for u in self.usages]
            )
            self._weights[key] = _price_weights(self.price_rank, taste.price) * usage_w
        return self._weights[key]

    def _add(self, key: tuple[object, ...], rows: np.ndarray, weights: np.ndarray) -> int:
        cum = np.cumsum(weights)
        if cum[-1] <= 0:
            cum = np.arange(1, len(rows) + 1, dtype=np.float64)
        self._ids[key] = len(self.rows)
        self.rows.append(rows)
        self.cumulative.append(cum)
        return self._ids[key]

    def noise(self, gender: str) -> int:
        key: tuple[object, ...] = ("noise", gender)
        if key in self._ids:
            return self._ids[key]
        rows = np.flatnonzero(self.gender_ok(gender))
        return self._add(key, rows, np.ones(len(rows)))

    def type_list(self, taste: Taste, gender: str) -> tuple[list[str], np.ndarray, list[str]]:
        """Article types a shopper of ``taste`` and ``gender`` can find, their weights, and colours."""
        key = (id(taste), gender)
        if key not in self._type_lists:
            ok = self.gender_ok(gender)
            names = [
                t for t in taste.article_types if t in self._rows_of_type and ok[self._rows_of_type[t]].any()
            ]
            weights = [taste.article_types[t] for t in names]
            if not names:
                # None of the taste's types exist here: use the commonest types of the gender instead.
                common = Counter(self.types[ok & (self.types != "")]).most_common(_FALLBACK_TYPES)
                names = [str(t) for t, _ in common]
                weights = [1.0] * len(names)
            rows = [self._rows_of_type[t][ok[self._rows_of_type[t]]] for t in names]
            present = set(self.colours[np.concatenate(rows)]) if rows else set()
            colours = [c for c in taste.colours if c in present]
            if not colours and rows:
                colours = [str(c) for c, _ in Counter(self.colours[np.concatenate(rows)]).most_common(2) if c]
            self._type_lists[key] = (names, np.array(weights, dtype=np.float64), colours)
        return self._type_lists[key]

    def bucket(self, taste: Taste, gender: str, article_type: str, colour: str | None) -> int:
        key: tuple[object, ...] = (id(taste), gender, article_type, colour)
        if key in self._ids:
            return self._ids[key]
        rows = self._rows_of_type[article_type]
        rows = rows[self.gender_ok(gender)[rows]]
        if colour is not None:
            rows = rows[self.colours[rows] == colour]
            if len(rows) == 0:
                bucket_id = self.bucket(taste, gender, article_type, None)
                self._ids[key] = bucket_id
                return bucket_id
        return self._add(key, rows, self.weights(taste)[rows])


def _group(values: np.ndarray) -> dict[str, np.ndarray]:
    codes, inverse = np.unique(values, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(codes) + 1))
    return {str(codes[i]): order[bounds[i] : bounds[i + 1]] for i in range(len(codes))}


@dataclass(slots=True)
class _Shopper:
    user_id: int
    taste: Taste
    gender: str
    type_names: list[str]
    type_probs: np.ndarray
    colours: list[str]
    n_views: int
    is_persona: bool


def _choose_gender(taste: Taste, available: Counter[str], rng: np.random.Generator) -> str:
    options = [(g, w) for g, w in taste.genders.items() if available[g] > 0]
    if not options:
        return available.most_common(1)[0][0] if available else ""
    weights = np.array([w for _, w in options], dtype=np.float64)
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]


def _shoppers(
    personas: Sequence[Persona], n_users: int, buckets: _Buckets, rng: np.random.Generator
) -> tuple[list[User], list[_Shopper]]:
    users: list[User] = []
    shoppers: list[_Shopper] = []
    for persona in personas:
        names, weights, colours = buckets.type_list(persona.taste, persona.gender)
        users.append(persona.user)
        shoppers.append(
            _Shopper(
                persona.user.id,
                persona.taste,
                persona.gender,
                names,
                weights / weights.sum(),
                colours[:_FAVOURITE_COLOURS],
                PERSONA_VIEWS,
                True,
            )
        )
    shares = np.array([s.share for s in SEGMENTS], dtype=np.float64)
    n_regular = n_users - len(personas)
    segment_of = rng.choice(len(SEGMENTS), size=n_regular, p=shares / shares.sum())
    extra_views = rng.geometric(1.0 / (MEAN_VIEWS - MIN_VIEWS + 1), size=n_regular) - 1
    first_id = max((p.user.id for p in personas), default=0) + 1
    for i in range(n_regular):
        segment = SEGMENTS[int(segment_of[i])]
        gender = _choose_gender(segment.taste, buckets.gender_counts, rng)
        names, weights, colours = buckets.type_list(segment.taste, gender)
        # Each shopper has its own mix of the segment's types and its own favourite colours.
        probs = weights * rng.gamma(1.5, size=len(weights))
        probs = probs / probs.sum() if probs.sum() > 0 else np.full(len(names), 1.0 / len(names))
        n_colours = min(len(colours), int(rng.integers(2, _FAVOURITE_COLOURS + 1)))
        if colours:
            colour_w = 1.0 / (1.0 + 0.3 * np.arange(len(colours)))
            picked = rng.choice(len(colours), size=n_colours, replace=False, p=colour_w / colour_w.sum())
            favourite = [colours[int(j)] for j in picked]
        else:
            favourite = []
        user_id = first_id + i
        likes = " and ".join(names[int(j)] for j in np.argsort(-probs, kind="stable")[:2])
        colour_text = f" in {favourite[0]}" if favourite else ""
        users.append(
            User(
                id=user_id,
                name=f"Shopper {user_id}",
                segment=segment.name,
                description=f"A {segment.name} shopper ({gender or 'any'}) who likes {likes}{colour_text}.",
            )
        )
        shoppers.append(
            _Shopper(
                user_id,
                segment.taste,
                gender,
                names,
                probs,
                favourite,
                MIN_VIEWS + int(extra_views[i]),
                False,
            )
        )
    return users, shoppers


def _views(
    shoppers: Sequence[_Shopper], buckets: _Buckets, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per view: the shopper's index, the bucket it is drawn from, and whether it is noise."""
    shopper_of: list[np.ndarray] = []
    bucket_of: list[np.ndarray] = []
    noise_of: list[np.ndarray] = []
    for s_idx, shopper in enumerate(shoppers):
        n = shopper.n_views
        noise = rng.random(n) < (P_NOISE_PERSONA if shopper.is_persona else P_NOISE)
        if not shopper.type_names:
            noise[:] = True
        kinds = (
            rng.choice(len(shopper.type_names), size=n, p=shopper.type_probs)
            if shopper.type_names
            else np.zeros(n, dtype=np.int64)
        )
        use_colour = (rng.random(n) < P_FAVOURITE_COLOUR) & bool(shopper.colours)
        colour_pick = rng.integers(max(1, len(shopper.colours)), size=n)
        noise_bucket = buckets.noise(shopper.gender)
        chosen = np.empty(n, dtype=np.int64)
        for j in range(n):
            if noise[j]:
                chosen[j] = noise_bucket
            else:
                colour = shopper.colours[colour_pick[j]] if use_colour[j] else None
                chosen[j] = buckets.bucket(
                    shopper.taste, shopper.gender, shopper.type_names[kinds[j]], colour
                )
        shopper_of.append(np.full(n, s_idx, dtype=np.int64))
        bucket_of.append(chosen)
        noise_of.append(noise)
    return np.concatenate(shopper_of), np.concatenate(bucket_of), np.concatenate(noise_of)


def _draw_products(bucket_of: np.ndarray, buckets: _Buckets, rng: np.random.Generator) -> np.ndarray:
    """One product row per view, drawn from its bucket in proportion to the bucket's weights."""
    u = rng.random(len(bucket_of))
    rows = np.empty(len(bucket_of), dtype=np.int64)
    order = np.argsort(bucket_of, kind="stable")
    sorted_buckets = bucket_of[order]
    starts = np.flatnonzero(np.r_[True, sorted_buckets[1:] != sorted_buckets[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):
        b = int(sorted_buckets[start])
        views = order[start:end]
        cum = buckets.cumulative[b]
        picks = np.searchsorted(cum, u[views] * cum[-1], side="right")
        rows[views] = buckets.rows[b][np.minimum(picks, len(cum) - 1)]
    return rows


def generate_users(
    products: Sequence[Product],
    n_users: int | None = None,
    seed: int = 0,
    start: datetime | None = None,
) -> SyntheticData:
    """Generate shoppers and their view / add-to-cart / purchase events for ``products``.

    ``n_users`` defaults to :func:`default_user_count`; it counts the five personas (ids 1..5),
    whose tastes are fitted to the catalog by :func:`resolve_personas`. The same products, count,
    seed and start give the same users and events. Events come sorted by timestamp and lie in the
    90 days after ``start`` (default :data:`DEFAULT_START`).
    """
    if not products:
        raise ValidationError("cannot generate users for an empty catalog")
    personas = resolve_personas(products)
    if n_users is None:
        n_users = default_user_count(len(products))
    if isinstance(n_users, bool) or not isinstance(n_users, int) or n_users < len(personas):
        raise ValidationError(
            f"n_users must be an integer of at least {len(personas)} (the personas), got {n_users!r}"
        )
    start = DEFAULT_START if start is None else start
    rng = np.random.default_rng(seed)
    buckets = _Buckets(products)
    users, shoppers = _shoppers(personas, n_users, buckets, rng)

    shopper_of, bucket_of, noise = _views(shoppers, buckets, rng)
    rows = _draw_products(bucket_of, buckets, rng)
    n_views = len(rows)
    carted = rng.random(n_views) < np.where(noise, P_CART_NOISE, P_CART_TASTE)
    bought = carted & (rng.random(n_views) < P_PURCHASE)
    _guarantee_persona_purchases(shoppers, shopper_of, noise, carted, bought)

    window = WINDOW_DAYS * 24 * 3600
    view_t = rng.integers(0, window, size=n_views)
    cart_t = view_t + rng.integers(30, 20 * 60, size=n_views)
    buy_t = cart_t + rng.integers(60, 30 * 60, size=n_views)

    user_ids = np.array([s.user_id for s in shoppers], dtype=np.int64)[shopper_of]
    product_ids = np.array([p.id for p in products], dtype=np.int64)[rows]
    ev_user = np.concatenate([user_ids, user_ids[carted], user_ids[bought]])
    ev_product = np.concatenate([product_ids, product_ids[carted], product_ids[bought]])
    ev_kind = np.concatenate(
        [np.zeros(n_views, np.int64), np.ones(int(carted.sum()), np.int64), np.full(int(bought.sum()), 2)]
    )
    ev_time = np.concatenate([view_t, cart_t[carted], buy_t[bought]])
    order = np.lexsort((ev_product, ev_kind, ev_user, ev_time))
    events = _events(ev_user[order], ev_product[order], ev_kind[order], ev_time[order], start)
    return SyntheticData(users=users, events=events, personas=personas)


def _guarantee_persona_purchases(
    shoppers: Sequence[_Shopper],
    shopper_of: np.ndarray,
    noise: np.ndarray,
    carted: np.ndarray,
    bought: np.ndarray,
) -> None:
    """Personas are demo material: make sure each has enough purchases to show a clear profile."""
    for s_idx, shopper in enumerate(shoppers):
        if not shopper.is_persona:
            continue
        views = np.flatnonzero((shopper_of == s_idx) & ~noise)
        missing = PERSONA_MIN_PURCHASES - int(bought[views].sum())
        if missing > 0:
            promote = views[~bought[views]][:missing]
            carted[promote] = True
            bought[promote] = True


def _events(
    users: np.ndarray, products: np.ndarray, kinds: np.ndarray, seconds: np.ndarray, start: datetime
) -> list[Event]:
    types = _TYPE_ORDER
    stamps: dict[int, datetime] = {}
    out = []
    for u, p, k, t in zip(users.tolist(), products.tolist(), kinds.tolist(), seconds.tolist(), strict=True):
        ts = stamps.get(t)
        if ts is None:
            ts = stamps[t] = start + timedelta(seconds=t)
        out.append(Event(user_id=u, product_id=p, type=types[k], timestamp=ts))
    return out
