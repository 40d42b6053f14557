"""Relevance rules, the query set, and search quality through the real search service on a tiny catalog."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_search.domain import Product
from fashion_search.embed.descriptions import describe_product
from fashion_search.embed.fake import FakeEmbedder
from fashion_search.eval.queries import MEN, QUERIES, STRIPED, Judge, JudgedQuery, Rule
from fashion_search.eval.search_quality import (
    ENRICHED,
    PLAIN,
    CatalogVectors,
    build_index,
    evaluate_search,
    hybrid_vectors,
    plain_product,
    relevant_sets,
    run_queries,
    search_service,
)


def shirt(pid: int, name: str, **kw: object) -> Product:
    base: dict[str, object] = {
        "gender": "Men",
        "master_category": "Apparel",
        "sub_category": "Topwear",
        "article_type": "Shirts",
        "base_colour": "Blue",
        "usage": "Casual",
        "price": 30.0,
    }
    base.update(kw)
    return Product(pid, name, **base)  # type: ignore[arg-type]


def test_rule_checks_every_constraint() -> None:
    rule = Rule(
        frozenset({"Shirts"}),
        colours=frozenset({"Blue"}),
        genders=MEN,
        usages=frozenset({"Casual"}),
        max_price=40,
    )
    assert rule.matches(shirt(1, "Blue Shirt"))
    assert not rule.matches(shirt(2, "Red Shirt", base_colour="Red"))
    assert not rule.matches(shirt(3, "Shirt", gender="Women"))
    assert rule.matches(shirt(4, "Shirt", gender="Unisex"))
    assert not rule.matches(shirt(5, "Shirt", usage="Formal"))
    assert not rule.matches(shirt(6, "Shirt", price=40.01))
    assert not rule.matches(shirt(7, "Shirt", price=None))
    assert not rule.matches(shirt(8, "Shirt", article_type="Tshirts"))


def test_traits_by_judge_name_words_or_attributes() -> None:
    rule = Rule(frozenset({"Shirts"}), traits=(STRIPED,))
    named = shirt(1, "Peter England Men Striped Shirt")
    tagged = shirt(2, "Peter England Men Shirt", attributes={"pattern": "striped"})
    multi = shirt(3, "Shirt", attributes={"pattern": "checked, striped"})
    neither = shirt(4, "Shirt", attributes={"pattern": "checked"})
    assert rule.matches(named, Judge.METADATA) and rule.matches(named, Judge.ATTRIBUTES)
    assert not rule.matches(tagged, Judge.METADATA)
    assert rule.matches(tagged, Judge.ATTRIBUTES)
    assert rule.matches(multi, Judge.ATTRIBUTES)
    assert not rule.matches(neither, Judge.ATTRIBUTES)
    text = rule.describe()
    assert "type in {Shirts}" in text and "striped" in text and "pattern in {striped}" in text


def test_query_set_is_large_unique_and_has_the_issue_examples() -> None:
    texts = [q.text for q in QUERIES]
    assert len(texts) >= 50
    assert len(set(texts)) == len(texts)
    for example in (
        "red summer dress",
        "formal black shoes for men",
        "striped casual shirt",
        "leather handbag under 80",
    ):
        assert example in texts
    handbag = next(q for q in QUERIES if q.text == "leather handbag under 80")
    assert handbag.rule.max_price == 80 and handbag.rule.article_types == {"Handbags"}


def test_hybrid_vectors_mix_only_where_there_is_a_photo() -> None:
    image = np.array([[1.0, 0.0], [0.0, 0.0]], np.float32)
    text = np.array([[0.0, 1.0], [0.0, 1.0]], np.float32)
    has = np.array([True, False])
    assert np.allclose(hybrid_vectors(image, text, has, 0.0), [[0, 1], [0, 1]])
    assert np.allclose(hybrid_vectors(image, text, has, 1.0), [[1, 0], [0, 1]])
    half = hybrid_vectors(image, text, has, 0.5)
    assert np.allclose(half[0], [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)


def _catalog(products: list[Product]) -> CatalogVectors:
    emb = FakeEmbedder(64)
    n = len(products)
    return CatalogVectors(
        products=products,
        image=np.zeros((n, 64), np.float32),
        has_image=np.zeros(n, dtype=bool),
        text=emb.embed_texts([describe_product(plain_product(p)) for p in products]),
        text_enriched=emb.embed_texts([describe_product(p) for p in products]),
        model=emb.name,
    )


def dress(pid: int, colour: str) -> Product:
    return Product(
        pid, f"Women {colour} Dress", gender="Women", master_category="Apparel", sub_category="Dress",
        article_type="Dresses", base_colour=colour, usage="Casual", price=40.0,
    )  # fmt: skip


def test_a_parsed_query_finds_exactly_its_relevant_products() -> None:
    products = [
        dress(1, "Red"),
        dress(2, "Red"),
        dress(3, "Blue"),
        dress(4, "Blue"),
        shirt(5, "Red Shirt", base_colour="Red"),
    ]
    vectors = _catalog(products)
    query = JudgedQuery("red dress", Rule(frozenset({"Dresses"}), colours=frozenset({"Red"})))
    relevant = relevant_sets([query], products)
    assert relevant[Judge.METADATA.value]["red dress"] == {1, 2}
    service = search_service(build_index(vectors, enriched=True, image_weight=0.5), FakeEmbedder(64))
    run = run_queries(service, [query], relevant, variant=ENRICHED, image_weight=0.5, keyword_weight=0.5)
    outcome = run.queries[0]
    # "red" and "dress" become filters: both red dresses come back, nothing else.
    assert sorted(outcome.ranked) == [1, 2]
    assert outcome.precision[Judge.METADATA.value] == pytest.approx(0.2)
    assert outcome.ndcg[Judge.METADATA.value] == pytest.approx(1.0)
    assert outcome.n_relevant[Judge.ATTRIBUTES.value] == 2


def test_enriched_descriptions_let_search_see_attributes() -> None:
    products = [shirt(i, f"Men Blue Shirt {i}") for i in range(1, 7)]
    products[3] = shirt(4, "Men Blue Shirt 4", attributes={"pattern": "striped"})
    vectors = _catalog(products)
    plain_index = build_index(vectors, enriched=False, image_weight=0.5)
    enriched_index = build_index(vectors, enriched=True, image_weight=0.5)
    assert plain_index.get_product(4).attributes == {}  # type: ignore[union-attr]
    assert enriched_index.get_product(4).attributes == {"pattern": "striped"}  # type: ignore[union-attr]
    query = JudgedQuery("striped shirt", Rule(frozenset({"Shirts"}), traits=(STRIPED,)))
    report = evaluate_search(
        vectors, FakeEmbedder(64), queries=[query], image_weights=(0.0, 1.0), keyword_weights=(0.0, 1.0)
    )
    enriched = report.headline(ENRICHED).queries[0]
    plain = report.headline(PLAIN).queries[0]
    assert enriched.ranked[0] == 4
    assert enriched.ndcg[Judge.ATTRIBUTES.value] == pytest.approx(1.0)
    # No name says "striped": the metadata judge finds nothing relevant at all.
    assert enriched.n_relevant[Judge.METADATA.value] == 0
    assert plain.ndcg[Judge.ATTRIBUTES.value] < 1.0
    # Sweeps: both variants at every image weight (0, 0.5 default, 1) and every keyword weight.
    assert sorted({(r.variant, r.image_weight) for r in report.image_sweep}) == [
        (ENRICHED, 0.0), (ENRICHED, 0.5), (ENRICHED, 1.0), (PLAIN, 0.0), (PLAIN, 0.5), (PLAIN, 1.0),
    ]  # fmt: skip
    assert len(report.keyword_sweep) == 4
    assert report.to_dict()["n_queries"] == 1


def test_paired_difference_counts_queries_and_brackets_the_mean() -> None:
    from fashion_search.eval.search_quality import QueryOutcome, RunResult, paired_difference

    def run(values: list[float]) -> RunResult:
        r = RunResult("v", 0.5, 0.5)
        for i, v in enumerate(values):
            r.queries.append(
                QueryOutcome(
                    f"q{i}", [], {}, {"metadata": v, "attributes": v}, {"metadata": v, "attributes": v}
                )
            )
        return r

    before = run([0.1, 0.2, 0.3, 0.4])
    after = run([0.3, 0.2, 0.2, 0.6])
    d = paired_difference(before, after, Judge.METADATA, "precision", seed=0)
    # Differences +0.2, 0, -0.1, +0.2: mean 0.075; two better, one worse, one the same.
    assert d["mean"] == pytest.approx(0.075)
    assert (d["better"], d["worse"], d["same"]) == (2, 1, 1)
    assert d["ci_low"] <= 0.075 <= d["ci_high"]
    assert d["ci_low"] >= -0.1 and d["ci_high"] <= 0.2
    with pytest.raises(Exception, match="metric"):
        paired_difference(before, after, Judge.METADATA, "recall")
