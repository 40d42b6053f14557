"""The space map, direction probes and score spreads on small spaces with known geometry."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_search.domain import Product
from fashion_search.errors import ValidationError
from fashion_search.eval.score_spread import image_spread, text_spread, top_with_background
from fashion_search.eval.space_map import _price_sides, direction_probe, pca_2d, probe_directions


def test_pca_finds_the_axis_of_largest_spread() -> None:
    rng = np.random.default_rng(0)
    x = np.zeros((200, 5))
    x[:, 2] = rng.normal(0, 10, 200)  # the big axis
    x[:, 4] = rng.normal(0, 1, 200)
    coords, shares = pca_2d(x)
    assert coords.shape == (200, 2)
    assert shares[0] > 0.95 and shares[0] + shares[1] == pytest.approx(1.0, abs=1e-6)
    # PC1 is the big axis (up to sign and a sliver of the small one).
    assert abs(np.corrcoef(coords[:, 0], x[:, 2])[0, 1]) > 0.999
    with pytest.raises(ValidationError):
        pca_2d(np.zeros((2, 3)))


def test_direction_probe_separates_a_shifted_class_and_not_noise() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (400, 8))
    side = [i % 2 == 0 for i in range(400)]
    shifted = x.copy()
    shifted[::2, 3] += 4.0
    good = direction_probe(shifted, side, name="p", positive="a", negative="b", seed=0)
    assert good.mean_difference_auc is not None and good.mean_difference_auc > 0.95
    assert good.probe_auc is not None and good.probe_auc > 0.95
    assert good.n_positive == 200 and good.n_negative == 200
    noise = direction_probe(x, side, name="p", positive="a", negative="b", seed=0)
    assert noise.probe_auc is not None and 0.35 < noise.probe_auc < 0.65
    few = direction_probe(x[:5], [True, False, None, True, False], name="p", positive="a", negative="b")
    assert few.probe_auc is None


def test_price_sides_within_type_take_top_and_bottom_thirds() -> None:
    products = [Product(i, "x", article_type="A" if i < 6 else "B", price=float(i)) for i in range(12)]
    within = _price_sides(products, within_type=True)
    # Type A prices 0..5: bottom third 0, 1 -> False, top third 4, 5 -> True.
    assert within[:6] == [False, False, None, None, True, True]
    catalog = _price_sides(products, within_type=False)
    assert catalog[:4] == [False] * 4 and catalog[8:] == [True] * 4
    results = probe_directions(products, np.eye(12), seed=0)
    assert [r.name for r in results][:3] == ["formality", "formality (within article type)", "colour"]


def test_top_with_background_z_scores_against_all_rows() -> None:
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]], np.float32)
    top, raw, z = top_with_background(matrix, np.array([1.0, 0.0], np.float32), k=2)
    assert top.tolist() == [0, 2]
    assert raw.tolist() == pytest.approx([1.0, 0.6])
    scores = np.array([1.0, 0.0, 0.6, -1.0])
    assert z.tolist() == pytest.approx(
        ((np.array([1.0, 0.6]) - scores.mean()) / scores.std()).tolist(), abs=1e-6
    )
    top, _, _ = top_with_background(matrix, matrix[0], k=2, exclude=0)
    assert 0 not in top.tolist()


def test_text_spread_pools_relevance_over_queries() -> None:
    matrix = np.eye(3, dtype=np.float32)
    ids = np.array([10, 20, 30])
    queries = {"q": np.array([1.0, 0.5, 0.0], np.float32)}
    spread, check = text_spread(matrix, ids, queries, {"q": {10}})
    assert spread.raw == [pytest.approx([1.0, 0.5, 0.0])]
    # The relevant product outscores both others, raw and calibrated.
    assert check.raw_auc == 1.0 and check.z_auc == 1.0
    assert (check.n_relevant, check.n_irrelevant) == (1, 2)
    assert image_spread(matrix, [0]).raw[0][0] == pytest.approx(0.0)


def test_within_type_centring_removes_what_the_type_explains() -> None:
    from fashion_search.eval.space_map import centred_by_type

    products = [Product(i, "x", article_type="A" if i < 2 else "B") for i in range(4)]
    x = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0], [0.0, 7.0]])
    # Type means (2, 0) and (0, 6) are subtracted.
    assert centred_by_type(products, x).tolist() == [[-1.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 1.0]]
    # Formality that is only the type (all of A formal, all of B casual) is invisible within types.
    rng = np.random.default_rng(0)
    many = [
        Product(i, "x", article_type="A" if i % 2 else "B", usage="Formal" if i % 2 else "Casual")
        for i in range(200)
    ]
    vecs = rng.normal(0, 1, (200, 6))
    vecs[1::2, 0] += 5.0
    results = {r.name: r for r in probe_directions(many, vecs, seed=0)}
    assert results["formality"].probe_auc is not None and results["formality"].probe_auc > 0.95
    assert results["formality (within article type)"].probe_auc is None or (
        0.3 < results["formality (within article type)"].probe_auc < 0.7
    )
