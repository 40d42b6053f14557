"""GET /recommendations/{user_id}, GET /users..., POST /users/{id}/events over a real pipeline."""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fashion_search.rank.diversity import intra_list_similarity

if TYPE_CHECKING:
    from conftest import BuiltCatalog

RECS = "/api/v1/recommendations"
USERS = "/api/v1/users"


def ids(body: dict[str, Any]) -> list[int]:
    return [item["product"]["id"] for item in body["data"]]


def test_the_five_personas_are_listed(client: TestClient) -> None:
    body = client.get(USERS).json()
    assert body["count"] == 5
    assert [u["id"] for u in body["data"]] == [1, 2, 3, 4, 5]
    assert all(u["is_persona"] and u["description"] for u in body["data"])
    assert len({u["segment"] for u in body["data"]}) == 5


def test_all_users_page_through(client: TestClient, built: BuiltCatalog) -> None:
    first = client.get(USERS, params={"all": "true", "limit": 30}).json()
    total = first["count"]
    assert total == len(built.services.users())
    seen = [u["id"] for u in first["data"]]
    offset = 30
    while offset < total:
        seen += [
            u["id"]
            for u in client.get(USERS, params={"all": "true", "offset": offset, "limit": 30}).json()["data"]
        ]
        offset += 30
    assert len(seen) == total == len(set(seen))
    assert client.get(f"{USERS}/424242").status_code == 404


def test_persona_recommendations_overlap_pairwise_by_less_than_30_percent(client: TestClient) -> None:
    tops = {uid: set(ids(client.get(f"{RECS}/{uid}", params={"limit": 20}).json())) for uid in range(1, 6)}
    assert all(len(t) == 20 for t in tops.values())
    for a, b in combinations(tops, 2):
        assert len(tops[a] & tops[b]) / 20 < 0.3, (a, b, tops[a] & tops[b])


def test_recommendations_follow_the_persona_and_leave_out_purchases(
    client: TestClient, built: BuiltCatalog
) -> None:
    products = built.services.products().values()
    for uid in range(1, 6):
        profile = client.get(f"{USERS}/{uid}/profile").json()
        body = client.get(f"{RECS}/{uid}", params={"limit": 20}).json()
        favourites = {t["name"] for t in profile["article_types"][:5]}
        gender = next(g["name"] for g in profile["genders"] if g["name"] != "Unisex")
        bought = built.services.users().purchased(uid)
        assert not bought & set(ids(body))
        # Favourite types are far more common among the picks than among what the shopper could be shown.
        eligible = [p for p in products if p.id not in bought and p.gender in (gender, "Unisex")]
        base_rate = sum(p.article_type in favourites for p in eligible) / len(eligible)
        rate = sum(item["product"]["article_type"] in favourites for item in body["data"]) / 20
        assert rate >= max(0.4, 1.5 * base_rate), (uid, rate, base_rate)
        assert all(item["product"]["gender"] in (gender, "Unisex") for item in body["data"])
        for item in body["data"]:
            b = item["breakdown"]
            assert b["final"] == pytest.approx(
                0.5 * b["visual"] + 0.3 * b["user"] + 0.2 * b["attribute"], abs=1e-5
            )
            assert item["reason"] and item["reason"][0].isupper()


@pytest.mark.parametrize(
    "params",
    [
        {"max_price": 30},
        {"max_price": 80, "min_price": 20},
        {"restrict_category": "true"},
        {"restrict_color": "true", "max_price": 100},
        {"restrict_price": "true"},
        {"filter": "season=Summer"},
    ],
)
def test_budget_and_restrictions_hold_for_every_result(
    client: TestClient, built: BuiltCatalog, params: dict[str, Any]
) -> None:
    for uid in range(1, 6):
        profile = built.services.users().profile(uid)
        body = client.get(f"{RECS}/{uid}", params={"limit": 20, **params}).json()
        assert body["data"], (uid, params)
        for item in body["data"]:
            p = built.services.products()[item["product"]["id"]]
            if "max_price" in params:
                assert p.price is not None and p.price <= params["max_price"]
                assert f"within your budget of ${params['max_price']}" in item["reason"]
            if "min_price" in params:
                assert p.price is not None and p.price >= params["min_price"]
            if "restrict_category" in params:
                assert p.article_type in profile.favourites("article_type", 5)
            if "restrict_color" in params:
                assert p.base_colour in profile.favourites("base_colour", 3)
            if "restrict_price" in params:
                band = profile.price_band
                assert band is not None
                low, high = band
                assert p.price is not None and low <= p.price <= high
            if "filter" in params:
                assert p.season == "Summer"


def test_mmr_lambda_trades_relevance_for_variety(client: TestClient, built: BuiltCatalog) -> None:
    index = built.services.index()
    focused = ids(client.get(f"{RECS}/4", params={"limit": 20, "mmr_lambda": 1.0}).json())
    varied = ids(client.get(f"{RECS}/4", params={"limit": 20, "mmr_lambda": 0.2}).json())
    assert focused != varied
    assert intra_list_similarity(index.vectors("hybrid", varied)) < intra_list_similarity(
        index.vectors("hybrid", focused)
    )


def test_weights_can_be_overridden_per_request(client: TestClient) -> None:
    body = client.get(f"{RECS}/2", params={"limit": 10, "w_visual": 0, "w_user": 0, "w_attribute": 1}).json()
    assert body["query"]["weights"] == {"visual": 0.0, "user": 0.0, "attribute": 1.0}
    for item in body["data"]:
        assert item["score"] == pytest.approx(item["breakdown"]["attribute"], abs=1e-6)
    zero = client.get(f"{RECS}/2", params={"w_visual": 0, "w_user": 0, "w_attribute": 0})
    assert zero.status_code == 422 and "must not all be zero" in zero.json()["detail"]


def test_a_shopper_without_history_gets_popular_products(client: TestClient, built: BuiltCatalog) -> None:
    newcomer = built.newcomer_id
    body = client.get(
        f"{RECS}/{newcomer}", params={"limit": 10, "max_price": 40, "restrict_category": "true"}
    ).json()
    assert "no history yet" in body["note"] and "ignored" in body["note"]
    assert len(body["data"]) == 10
    popularity = built.services.users().popularity
    weights = [popularity.weight(i) for i in ids(body)]
    assert all(w > 0 for w in weights)
    assert all(
        item["reason"] == "Popular with shoppers right now, within your budget of $40"
        for item in body["data"]
    )
    assert all(item["product"]["price"] <= 40 for item in body["data"])
    cheap_popular = [
        pid for pid, _ in popularity.top(200, lambda pid: (built.services.products()[pid].price or 99) <= 40)
    ]
    assert set(ids(body)) <= set(cheap_popular)
    profile = client.get(f"{USERS}/{newcomer}/profile").json()
    assert profile["interactions"] == 0 and profile["price"] is None


def test_posting_purchases_updates_the_profile_and_the_recommendations(
    client: TestClient, built: BuiltCatalog
) -> None:
    uid = 7  # an ordinary synthetic shopper no other test relies on
    before = client.get(f"{RECS}/{uid}", params={"limit": 20}).json()
    profile_before = client.get(f"{USERS}/{uid}/profile").json()
    # Buy three products of a kind the shopper has never touched.
    touched = {t["name"] for t in profile_before["article_types"]}
    others = [
        p for p in built.services.products().values() if p.article_type not in touched and p.article_type
    ]
    kind = others[0].article_type
    bought = [p.id for p in others if p.article_type == kind][:3]
    events = [{"product_id": pid, "type": "purchase"} for pid in bought] + [
        {"product_id": bought[0], "type": "view", "timestamp": "2025-06-01T10:00:00"}
    ]
    r = client.post(f"{USERS}/{uid}/events", json=events)
    assert r.status_code == 201
    body = r.json()
    assert body["accepted"] == 4
    assert body["profile"]["interactions"] == profile_before["interactions"] + 4
    assert body["profile"]["event_counts"]["purchase"] == profile_before["event_counts"]["purchase"] + 3
    assert set(bought) <= set(body["profile"]["recent_purchases"])
    after = client.get(f"{RECS}/{uid}", params={"limit": 20}).json()
    assert ids(after) != ids(before)
    assert not set(bought) & set(ids(after))
    assert any(item["product"]["article_type"] == kind for item in after["data"])
    stored = built.services.store.events_for_user(uid)
    assert {e.product_id for e in stored[-4:]} == set(bought)


def test_bad_events_are_refused(client: TestClient) -> None:
    r = client.post(f"{USERS}/424242/events", json=[{"product_id": 60000, "type": "view"}])
    assert r.status_code == 404
    r = client.post(f"{USERS}/8/events", json=[{"product_id": 1, "type": "view"}])
    assert r.status_code == 422 and "product 1 is not in the catalog" in r.json()["detail"]
    r = client.post(f"{USERS}/8/events", json=[{"product_id": 60000, "type": "like"}])
    assert r.status_code == 422
    r = client.post(f"{USERS}/8/events", json=[])
    assert r.status_code == 422 and "no events" in r.json()["detail"]
    r = client.post(f"{USERS}/8/events", json={"product_id": 60000, "type": "view"})
    assert r.status_code == 422


def test_unknown_user_recommendations_404(client: TestClient) -> None:
    r = client.get(f"{RECS}/424242")
    assert r.status_code == 404 and r.json() == {"detail": "user 424242 not found"}
    assert client.get(f"{RECS}/1", params={"limit": 0}).status_code == 422
    assert client.get(f"{RECS}/1", params={"mmr_lambda": 2}).status_code == 422


def test_profile_vector_is_the_weighted_mean_of_hybrid_vectors(built: BuiltCatalog) -> None:
    # The API's profiles are the library's: check one against the definition.
    uid = 3
    events = built.services.store.events_for_user(uid)
    weights = {"view": 1.0, "add_to_cart": 2.0, "purchase": 3.0}
    vectors = built.services.index().vectors("hybrid", [e.product_id for e in events])
    expected = sum(weights[str(e.type)] * v for e, v in zip(events, vectors, strict=True))
    expected = expected / np.linalg.norm(expected)
    got = built.services.users().profile(uid).vector
    assert got is not None and np.allclose(got, expected, atol=1e-5)
