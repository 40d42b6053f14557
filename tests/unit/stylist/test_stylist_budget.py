"""Budget splitting for outfits: typical prices, floors, and never spending past the total."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fashion_search.domain import Product
from fashion_search.errors import ValidationError
from fashion_search.stylist.budget import FALLBACK_TYPICAL, BudgetSplit, PriceGuide


def _p(pid: int, article_type: str, price: float | None) -> Product:
    return Product(id=pid, name=f"p{pid}", article_type=article_type, price=price)


def test_price_guide_knows_medians_and_lows() -> None:
    guide = PriceGuide(
        [
            _p(1, "Shirts", 10),
            _p(2, "Shirts", 30),
            _p(3, "Shirts", 20),
            _p(4, "Jeans", 50),
            _p(5, "Jeans", None),
        ]
    )
    assert guide.typical(["Shirts"]) == 20
    # Count-weighted: three shirts at a median of 20 and one pair of jeans at 50.
    assert guide.typical(["Shirts", "Jeans"]) == pytest.approx((3 * 20 + 50) / 4)
    assert guide.typical(["Hats"]) == FALLBACK_TYPICAL
    assert guide.lowest(["Shirts", "Jeans"]) == 10 and guide.lowest(["Hats"]) is None
    assert "Jeans" in guide and "Hats" not in guide


def test_caps_follow_weights_and_unspent_money_flows_on() -> None:
    split = BudgetSplit(100, [1, 1, 2])
    assert split.cap(0) == 25
    split.spend(0, 10)  # 15 unspent
    assert split.cap(1) == 30  # a third of the 90 left
    split.skip(1)  # found nothing: its share goes to the last piece
    assert split.cap(2) == 90


def test_floors_come_first() -> None:
    # Shares alone would give the shoes 10 of 60, less than the cheapest pair (25).
    split = BudgetSplit(60, [5, 1], floors=[10, 25])
    assert split.cap(1) == pytest.approx(25 + (60 - 35) * 1 / 6, abs=0.01)
    assert split.cap(0) == pytest.approx(10 + 25 * 5 / 6, abs=0.01)
    assert split.floors_fit()
    assert not BudgetSplit(30, [1, 1], floors=[20, 20]).floors_fit()


def test_misuse_is_refused() -> None:
    split = BudgetSplit(50, [1, 1])
    with pytest.raises(ValidationError, match="over its cap"):
        split.spend(0, 40)
    split.spend(0, 20)
    with pytest.raises(ValidationError, match="already settled"):
        split.cap(0)
    for bad in (-1, float("nan"), True):
        with pytest.raises(ValidationError, match="budget"):
            BudgetSplit(bad, [1])
    with pytest.raises(ValidationError, match="weights"):
        BudgetSplit(10, [0])
    with pytest.raises(ValidationError, match="floors"):
        BudgetSplit(10, [1, 1], floors=[1])


@given(
    total=st.floats(0, 2000, allow_nan=False),
    pieces=st.lists(
        st.tuples(st.floats(0.5, 500), st.floats(0, 200), st.floats(0, 1), st.booleans()),
        min_size=1,
        max_size=6,
    ),
)
def test_spending_within_caps_never_passes_the_total(
    total: float, pieces: list[tuple[float, float, float, bool]]
) -> None:
    split = BudgetSplit(total, [w for w, _, _, _ in pieces], [f for _, f, _, _ in pieces])
    spent = 0.0
    fits = split.floors_fit()
    for i, (_, floor, fraction, found) in enumerate(pieces):
        cap = split.cap(i)
        assert 0 <= cap <= split.remaining + 1e-9
        if fits:
            assert cap >= floor - 0.011  # every piece can afford the cheapest of its kind
        if found:
            price = round(cap * fraction, 2)
            split.spend(i, price)
            spent += price
        else:
            split.skip(i)
    assert spent <= total + 1e-6
