"""Search quality on the fixed query set: precision@10 and nDCG@10 through the real search service.

A *variant* is one way of building the catalog's index: plain descriptions (visual attributes left
out of the text side and the keyword index) or enriched ones (attributes in), and a weight of the
image in every product's hybrid vector. Each variant gets its own :class:`ExactIndex`, keyword
index and :class:`SearchService`, and every query of :data:`~fashion_search.eval.queries.QUERIES`
runs through ``SearchService.text`` exactly as a shopper's would (query parsing, filters, brand
scope, vector + BM25 fusion). Relevance is always judged on the full products (with their
attributes), whichever variant was searched, so the variants are compared on the same truth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fashion_search.domain import Product
from fashion_search.embed.base import Embedder, l2_normalise
from fashion_search.embed.descriptions import describe_product
from fashion_search.errors import ValidationError
from fashion_search.eval.metrics import mean, ndcg_at_k, precision_at_k
from fashion_search.eval.queries import QUERIES, Judge, JudgedQuery
from fashion_search.index.exact import ExactIndex
from fashion_search.search.service import SearchService
from fashion_search.settings import RankingSettings

K = 10
IMAGE_WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
KEYWORD_WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
PLAIN = "plain"
ENRICHED = "enriched"


def plain_product(product: Product) -> Product:
    """The product without its visual attributes (what a plain description is made from)."""
    return dataclasses.replace(product, attributes={})


def hybrid_vectors(image: np.ndarray, text: np.ndarray, has_image: np.ndarray, weight: float) -> np.ndarray:
    """``normalise(w * image + (1 - w) * text)`` per row; the text vector where there is no image.

    The same mix as the embedding job's hybrid space.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValidationError(f"image weight must lie in [0, 1], got {weight}")
    mixed = weight * image + (1.0 - weight) * text
    out = np.where(has_image[:, None], mixed, text)
    return l2_normalise(out.astype(np.float32))


@dataclass(frozen=True)
class CatalogVectors:
    """Row-aligned products and vectors of an evaluated catalog.

    ``image`` rows of products without a photo are zeros (``has_image`` False); ``text`` holds the
    vectors of the plain descriptions and ``text_enriched`` those of the enriched ones.
    """

    products: list[Product]
    image: np.ndarray
    has_image: np.ndarray
    text: np.ndarray
    text_enriched: np.ndarray
    model: str

    def __post_init__(self) -> None:
        n = len(self.products)
        for name in ("image", "has_image", "text", "text_enriched"):
            if len(getattr(self, name)) != n:
                raise ValidationError(f"{name} has {len(getattr(self, name))} rows for {n} products")

    @property
    def ids(self) -> np.ndarray:
        return np.asarray([p.id for p in self.products], dtype=np.int64)

    def by_id(self) -> dict[int, Product]:
        return {p.id: p for p in self.products}


def build_index(vectors: CatalogVectors, *, enriched: bool, image_weight: float) -> ExactIndex:
    """An exact index of one variant: products (plain or enriched) and their three spaces."""
    products = vectors.products if enriched else [plain_product(p) for p in vectors.products]
    text = vectors.text_enriched if enriched else vectors.text
    index = ExactIndex(model=vectors.model)
    index.upsert_products(products)
    ids = vectors.ids
    if vectors.has_image.any():
        index.upsert("image", ids[vectors.has_image], vectors.image[vectors.has_image])
    index.upsert("text", ids, text)
    index.upsert("hybrid", ids, hybrid_vectors(vectors.image, text, vectors.has_image, image_weight))
    return index


def search_service(
    index: ExactIndex, embedder: Embedder, ranking: RankingSettings | None = None
) -> SearchService:
    """A search service over ``index`` with its own keyword index, vocabulary and brands."""
    from fashion_search.search.brands import BrandIndex
    from fashion_search.search.keyword import KeywordIndex
    from fashion_search.search.vocabulary import Facet, Vocabulary

    products = index.products_by_id()
    keyword = KeywordIndex.build((pid, describe_product(p)) for pid, p in products.items())
    vocabulary = Vocabulary.from_products(products.values())
    brands = BrandIndex(products.values(), vocabulary.values(Facet.BRAND))

    def no_users() -> Any:
        raise ValidationError("search quality runs without shoppers")

    return SearchService(
        index, lambda: embedder, keyword, vocabulary, brands, no_users, ranking or RankingSettings()
    )


@dataclass
class QueryOutcome:
    text: str
    ranked: list[int]
    n_relevant: dict[str, int]
    precision: dict[str, float]
    ndcg: dict[str, float]


@dataclass
class RunResult:
    """One variant's figures over the query set, per judge."""

    variant: str
    image_weight: float
    keyword_weight: float
    queries: list[QueryOutcome] = field(default_factory=list)

    def mean_precision(self, judge: Judge) -> float | None:
        return mean([q.precision[judge.value] for q in self.queries])

    def mean_ndcg(self, judge: Judge) -> float | None:
        return mean([q.ndcg[judge.value] for q in self.queries])

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "image_weight": self.image_weight,
            "keyword_weight": self.keyword_weight,
            **{f"p@{K}_{j.value}": self.mean_precision(j) for j in Judge},
            **{f"ndcg@{K}_{j.value}": self.mean_ndcg(j) for j in Judge},
        }


def paired_difference(
    before: RunResult, after: RunResult, judge: Judge, metric: str, *, seed: int = 0, rounds: int = 2000
) -> dict[str, float | int]:
    """``after - before`` per query for ``metric`` ("precision" or "ndcg"): mean, a 95 % paired
    bootstrap interval (seeded), and how many queries got better, worse or stayed the same."""
    if metric not in ("precision", "ndcg"):
        raise ValidationError(f"metric must be 'precision' or 'ndcg', got {metric!r}")
    a = np.asarray([getattr(q, metric)[judge.value] for q in before.queries], dtype=np.float64)
    b = np.asarray([getattr(q, metric)[judge.value] for q in after.queries], dtype=np.float64)
    if len(a) != len(b) or len(a) == 0:
        raise ValidationError("the two runs must score the same, non-empty query set")
    diff = b - a
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(rounds, len(diff)))].mean(axis=1)
    return {
        "mean": float(diff.mean()),
        "ci_low": float(np.percentile(means, 2.5)),
        "ci_high": float(np.percentile(means, 97.5)),
        "better": int((diff > 1e-12).sum()),
        "worse": int((diff < -1e-12).sum()),
        "same": int((np.abs(diff) <= 1e-12).sum()),
    }


def relevant_sets(
    queries: Sequence[JudgedQuery], products: Sequence[Product]
) -> dict[str, dict[str, set[int]]]:
    """Per judge, per query text, the ids of the relevant products."""
    return {
        judge.value: {q.text: {p.id for p in products if q.rule.matches(p, judge)} for q in queries}
        for judge in Judge
    }


def run_queries(
    service: SearchService,
    queries: Sequence[JudgedQuery],
    relevant: Mapping[str, Mapping[str, set[int]]],
    *,
    variant: str,
    image_weight: float,
    keyword_weight: float,
    k: int = K,
) -> RunResult:
    """Run every query through ``service.text`` and score its first ``k`` results."""
    result = RunResult(variant, image_weight, keyword_weight)
    for q in queries:
        page = service.text(q.text, k=k, keyword_weight=keyword_weight)
        ranked = [item.product.id for item in page.items]
        outcome = QueryOutcome(q.text, ranked, {}, {}, {})
        for judge in Judge:
            rel = relevant[judge.value][q.text]
            outcome.n_relevant[judge.value] = len(rel)
            outcome.precision[judge.value] = precision_at_k(ranked, rel, k)
            outcome.ndcg[judge.value] = ndcg_at_k(ranked, rel, k)
        result.queries.append(outcome)
    return result


@dataclass
class SearchQualityReport:
    queries: list[JudgedQuery]
    relevant: dict[str, dict[str, set[int]]]
    default_image_weight: float
    default_keyword_weight: float
    image_sweep: list[RunResult] = field(default_factory=list)
    """Both variants at every image weight (keyword weight at its default)."""
    keyword_sweep: list[RunResult] = field(default_factory=list)
    """Both variants at every keyword weight (image weight at its default)."""
    products_with_attributes: int = 0

    def headline(self, variant: str) -> RunResult:
        for run in self.image_sweep:
            if run.variant == variant and run.image_weight == self.default_image_weight:
                return run
        raise ValidationError(f"no run of variant {variant!r} at the default image weight")

    def enrichment_effect(self) -> dict[str, dict[str, float | int]]:
        """Enriched minus plain at the default weights, per metric and judge (see paired_difference)."""
        plain, enriched = self.headline(PLAIN), self.headline(ENRICHED)
        return {
            f"{metric}_{judge.value}": paired_difference(plain, enriched, judge, metric)
            for metric in ("precision", "ndcg")
            for judge in Judge
        }

    def to_dict(self) -> dict[str, Any]:
        def per_query(run: RunResult) -> list[dict[str, Any]]:
            return [
                {
                    "query": q.text,
                    "ranked": q.ranked,
                    "n_relevant": q.n_relevant,
                    "p@10": q.precision,
                    "ndcg@10": q.ndcg,
                }
                for q in run.queries
            ]

        return {
            "n_queries": len(self.queries),
            "default_image_weight": self.default_image_weight,
            "default_keyword_weight": self.default_keyword_weight,
            "products_with_attributes": self.products_with_attributes,
            "rules": {q.text: q.rule.describe() for q in self.queries},
            "n_relevant": {j: {t: len(s) for t, s in by_q.items()} for j, by_q in self.relevant.items()},
            "image_sweep": [r.to_dict() for r in self.image_sweep],
            "keyword_sweep": [r.to_dict() for r in self.keyword_sweep],
            "headline_queries": {v: per_query(self.headline(v)) for v in (PLAIN, ENRICHED)},
            "enriched_minus_plain": self.enrichment_effect(),
        }


def evaluate_search(
    vectors: CatalogVectors,
    embedder: Embedder,
    *,
    queries: Sequence[JudgedQuery] = QUERIES,
    default_image_weight: float = 0.5,
    default_keyword_weight: float = 0.5,
    image_weights: Sequence[float] = IMAGE_WEIGHTS,
    keyword_weights: Sequence[float] = KEYWORD_WEIGHTS,
    progress: Callable[[str, int, int], None] | None = None,
) -> SearchQualityReport:
    """Plain vs enriched, with the hybrid image weight and the keyword weight swept."""
    image_weights = sorted(set(image_weights) | {default_image_weight})
    relevant = relevant_sets(queries, vectors.products)
    report = SearchQualityReport(
        list(queries),
        relevant,
        default_image_weight,
        default_keyword_weight,
        products_with_attributes=sum(1 for p in vectors.products if p.attributes),
    )
    total = 2 * (len(image_weights) + len(keyword_weights))
    done = 0
    for variant in (PLAIN, ENRICHED):
        enriched = variant == ENRICHED
        for w in image_weights:
            service = search_service(build_index(vectors, enriched=enriched, image_weight=w), embedder)
            report.image_sweep.append(
                run_queries(
                    service,
                    queries,
                    relevant,
                    variant=variant,
                    image_weight=w,
                    keyword_weight=default_keyword_weight,
                )
            )
            if w == default_image_weight:
                for kw in keyword_weights:
                    report.keyword_sweep.append(
                        run_queries(
                            service,
                            queries,
                            relevant,
                            variant=variant,
                            image_weight=w,
                            keyword_weight=kw,
                        )
                    )
                    done += 1
            done += 1
            if progress is not None:
                progress("search quality", done, total)
    return report
