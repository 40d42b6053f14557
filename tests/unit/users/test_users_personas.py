from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from fashion_search.domain import EventType, Product
from fashion_search.errors import ValidationError
from fashion_search.users import PERSONA_IDS, build_profile, generate_users, resolve_personas
from fashion_search.users.personas import MIN_PERSONA_TYPES, PERSONA_SPECS

REAL_STYLES = Path("/work/shared/data/fashion-product-images/styles.csv")


def _favourite_types(products: list[Product], n_users: int = 30, seed: int = 0) -> dict[int, set[str]]:
    data = generate_users(products, n_users=n_users, seed=seed)
    by_id = {p.id: p for p in products}
    favourites = {}
    for pid in PERSONA_IDS:
        events = [e for e in data.events if e.user_id == pid]
        favourites[pid] = set(build_profile(pid, events, by_id).favourites("article_type", 5))
    return favourites


def _assert_distinct(favourites: dict[int, set[str]], max_jaccard: float) -> None:
    for a, b in itertools.combinations(sorted(favourites), 2):
        inter = favourites[a] & favourites[b]
        union = favourites[a] | favourites[b]
        assert len(inter) / len(union) <= max_jaccard, (a, b, favourites[a], favourites[b])


def test_personas_have_fixed_ids_names_and_descriptions(small_catalog: list[Product]) -> None:
    personas = resolve_personas(small_catalog)
    assert [p.user.id for p in personas] == [1, 2, 3, 4, 5]
    assert [p.user.name for p in personas] == ["Arjun", "Priya", "Maya", "Sofia", "Leo"]
    assert all(p.user.is_persona and p.user.description.startswith(p.user.name) for p in personas)
    assert {p.user.segment for p in personas} == {"professional", "vintage", "athletic", "luxury", "genz"}


def test_personas_get_their_ideal_types_where_the_catalog_has_them(small_catalog: list[Product]) -> None:
    personas = {p.user.name: p for p in resolve_personas(small_catalog)}
    assert personas["Arjun"].gender == "Men"
    assert list(personas["Arjun"].taste.article_types)[:3] == ["Shirts", "Trousers", "Formal Shoes"]
    assert personas["Sofia"].taste.colours[0] in ("Black", "Brown", "White")  # no Gold in this catalog
    assert "Watches" in personas["Sofia"].taste.article_types
    assert "Sports Shoes" in personas["Maya"].taste.article_types
    assert personas["Maya"].gender == "Women"


def test_persona_types_are_disjoint_and_at_least_three(small_catalog: list[Product]) -> None:
    personas = resolve_personas(small_catalog)
    for persona in personas:
        assert len(persona.taste.article_types) >= MIN_PERSONA_TYPES
    for a, b in itertools.combinations(personas, 2):
        assert not set(a.taste.article_types) & set(b.taste.article_types), (a.user.name, b.user.name)


def test_personas_favourites_in_the_data_overlap_little(small_catalog: list[Product]) -> None:
    _assert_distinct(_favourite_types(small_catalog), max_jaccard=0.25)


def test_personas_are_satisfiable_on_a_catalog_without_their_ideal_types(
    catalog_factory: Callable[..., list[Product]],
) -> None:
    # Only casual T-shirts, jeans, sneakers, caps, watches, backpacks: no formal wear, no ethnic wear.
    keep = {"Tshirts", "Jeans", "Casual Shoes", "Caps", "Watches", "Backpacks", "Shorts", "Sports Shoes"}
    catalog = [p for p in catalog_factory(440) if p.article_type in keep]
    personas = resolve_personas(catalog)
    present = {p.article_type for p in catalog}
    for persona in personas:
        assert len(persona.taste.article_types) >= MIN_PERSONA_TYPES
        assert set(persona.taste.article_types) <= present
    data = generate_users(catalog, seed=4)
    bought = Counter(e.user_id for e in data.events if e.type is EventType.PURCHASE)
    assert all(bought[pid] >= 10 for pid in PERSONA_IDS)


def test_each_persona_mostly_buys_within_its_taste(small_catalog: list[Product]) -> None:
    data = generate_users(small_catalog, n_users=30, seed=11)
    by_id = {p.id: p for p in small_catalog}
    for persona in data.personas:
        mine = [by_id[e.product_id] for e in data.events if e.user_id == persona.user.id]
        in_taste = sum(1 for p in mine if p.article_type in persona.taste.article_types)
        assert in_taste / len(mine) >= 0.75, persona.user.name
        assert all(p.gender in (persona.gender, "Unisex") for p in mine)


def test_an_empty_catalog_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty catalog"):
        resolve_personas([])


def test_specs_are_readable() -> None:
    assert len({s.id for s in PERSONA_SPECS}) == 5
    assert any("marathons" in s.description for s in PERSONA_SPECS)


@pytest.mark.slow
def test_personas_on_the_generated_demo_catalog(tmp_path: Path) -> None:
    from fashion_search.catalog import generate_demo_catalog, read_styles, simulate_price

    generate_demo_catalog(tmp_path, n_products=300, seed=0)
    rows = read_styles(tmp_path / "styles.csv").rows
    catalog = [
        Product(
            id=r.id,
            name=r.name,
            gender=r.gender,
            master_category=r.master_category,
            sub_category=r.sub_category,
            article_type=r.article_type,
            base_colour=r.base_colour,
            season=r.season,
            usage=r.usage,
            price=simulate_price(r.id, r.article_type, r.usage, r.master_category),
        )
        for r in rows
    ]
    _assert_distinct(_favourite_types(catalog, n_users=len(catalog) // 4), max_jaccard=0.25)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_STYLES.is_file(), reason="the real catalog is not on this machine")
def test_full_catalog_generation_is_fast_and_distinct() -> None:
    import time

    from fashion_search.catalog import read_styles, simulate_price

    rows = read_styles(REAL_STYLES).rows
    catalog = [
        Product(
            id=r.id,
            name=r.name,
            gender=r.gender,
            master_category=r.master_category,
            sub_category=r.sub_category,
            article_type=r.article_type,
            base_colour=r.base_colour,
            season=r.season,
            usage=r.usage,
            price=simulate_price(r.id, r.article_type, r.usage, r.master_category),
        )
        for r in rows
    ]
    started = time.perf_counter()
    data = generate_users(catalog, seed=0)
    elapsed = time.perf_counter() - started
    assert len(data.users) == 10_000
    assert elapsed < 15, f"generation took {elapsed:.1f} s"
    by_id = {p.id: p for p in catalog}
    favourites = {}
    for pid in PERSONA_IDS:
        events = [e for e in data.events if e.user_id == pid]
        favourites[pid] = set(build_profile(pid, events, by_id).favourites("article_type", 5))
    _assert_distinct(favourites, max_jaccard=0.25)
