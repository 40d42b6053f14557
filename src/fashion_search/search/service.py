"""The search service: text, image, text + image and similar-product search, filtered and explained.

Every kind of search ends in the same steps:

1. **Filters before top-k.** Explicit filters and the filters read from the query words are merged
   (:func:`~fashion_search.search.query.merge_filters`: a field the caller set replaces what the
   words said) and pushed into the vector index, so the k results are the best *matching* ones.
2. **Brands.** A brand named in a text query ("Puma", "Titan watch") narrows the candidates to that
   brand's products when the filtered set holds any; otherwise the brand is only a keyword.
3. **Vector ranking.** The query vector is searched in one space. Text queries default to the
   ``hybrid`` space: a product's hybrid vector mixes its photo and its description (and is the
   description alone for products without a photo), so every product is reachable and a text
   vector meets photos cross-modally. ``image`` searches photos only; ``text`` descriptions only.
4. **Keyword ranking.** For text, the BM25 ranking of the product descriptions, restricted by the
   same filters, is fused with the vector ranking by weighted reciprocal rank fusion (weight
   ``Settings.ranking.keyword_weight``, overridable per request; 0 turns it off). Exact names and
   brands that an embedding blurs come out on top this way.
5. **Personal ranking.** With a ``user_id`` a larger pool (``Settings.ranking.candidate_pool``) is
   re-ranked by :func:`~fashion_search.rank.scoring.rank` with the shopper's profile; weights are
   overridable per request. Every result carries its score breakdown and a reason.

The ``visual`` part of a breakdown is the match to the query: the cosine similarity, or, when a
keyword ranking was fused in, the fused score scaled so that the best candidate has 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from fashion_search.domain import SPACES, Filter, Hit, Op, Product
from fashion_search.embed.base import Embedder
from fashion_search.errors import NotFoundError, ValidationError
from fashion_search.index.base import CatalogIndex
from fashion_search.index.filters import to_dict
from fashion_search.rank.explain import explain_all
from fashion_search.rank.scoring import Weights, rank
from fashion_search.search.brands import BrandIndex
from fashion_search.search.fusion import hybrid_fusion
from fashion_search.search.keyword import KeywordIndex
from fashion_search.search.query import ParsedQuery, merge_filters, parse_query
from fashion_search.search.results import ResultItem, ResultPage
from fashion_search.search.vocabulary import Vocabulary
from fashion_search.settings import RankingSettings
from fashion_search.users.profiles import StyleProfile
from fashion_search.users.service import PROFILE_SPACE, UserService

MAX_K = 100
"""Most results per page."""
MAX_DEPTH = 1000
"""``offset + k`` may not go deeper than this."""
MAX_QUERY_CHARS = 1000
MIN_FUSION_DEPTH = 50
"""Each ranked list fused is at least this deep, so a page's worth of fused results is stable."""
DEFAULT_TEXT_SPACE = "hybrid"


def check_page(k: int, offset: int, max_k: int = MAX_K) -> None:
    """Raise :class:`ValidationError` unless ``1 <= k <= max_k``, ``0 <= offset`` and
    ``offset + k <= MAX_DEPTH``."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= max_k:
        raise ValidationError(f"k must be an integer from 1 to {max_k}, got {k!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"offset must be a non-negative integer, got {offset!r}")
    if offset + k > MAX_DEPTH:
        raise ValidationError(f"offset + k must not exceed {MAX_DEPTH}, got {offset + k}")


def _check_weight(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValidationError(f"{name} must be a number between 0 and 1, got {value!r}")
    return float(value)


def budget_of(where: Filter | None) -> float | None:
    """The tightest upper price bound in ``where`` (``price < x`` or ``price <= x``), if any."""
    if not where:
        return None
    bounds = [float(c.value) for c in where.conditions if c.field == "price" and c.op in (Op.LT, Op.LE)]
    return min(bounds) if bounds else None


def _unit(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    if norm == 0.0 or not math.isfinite(norm):
        raise ValidationError("the query has no usable vector (all zeros)")
    return v / np.float32(norm)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one search runs: the query vector, where it looks, and how it ranks."""

    vector: np.ndarray
    space: str
    where: Filter
    include: np.ndarray | None = None
    exclude: tuple[int, ...] = ()
    keyword_text: str = ""
    keyword_weight: float = 0.0
    label: str | None = None
    anchor: Product | None = None


class SearchService:
    """Search over one catalog's index. Thread-safe: it holds no per-request state.

    ``embedder`` and ``users`` are factories so that the model and the shoppers' profiles load on
    first use (a keyword-only deployment never loads the model for browsing, say).
    """

    def __init__(
        self,
        index: CatalogIndex,
        embedder: Callable[[], Embedder],
        keyword: KeywordIndex,
        vocabulary: Vocabulary,
        brands: BrandIndex,
        users: Callable[[], UserService],
        ranking: RankingSettings,
        max_image_pixels: int = 40_000_000,
    ) -> None:
        self.index = index
        self._embedder = embedder
        self.keyword = keyword
        self.vocabulary = vocabulary
        self.brands = brands
        self._users = users
        self.ranking = ranking
        self.max_image_pixels = max_image_pixels

    # -- public entry points ----------------------------------------------------------------

    def understand(self, text: str, where: Filter | None = None) -> tuple[ParsedQuery, Filter]:
        """Parse ``text`` and merge its filters with the explicit ``where`` (explicit fields win)."""
        if not isinstance(text, str):
            raise ValidationError(f"query text must be a string, got {type(text).__name__}")
        if len(text) > MAX_QUERY_CHARS:
            raise ValidationError(f"query text is longer than {MAX_QUERY_CHARS} characters ({len(text)})")
        parsed = parse_query(text, self.vocabulary)
        return parsed, merge_filters(parsed, where)

    def text(
        self,
        text: str,
        *,
        k: int = 10,
        offset: int = 0,
        where: Filter | None = None,
        space: str = DEFAULT_TEXT_SPACE,
        user_id: int | None = None,
        weights: Weights | None = None,
        keyword_weight: float | None = None,
    ) -> ResultPage:
        """Semantic text search fused with keyword search; see the module docstring."""
        return self.hybrid(
            text,
            None,
            k=k,
            offset=offset,
            where=where,
            space=space,
            user_id=user_id,
            weights=weights,
            keyword_weight=keyword_weight,
        )

    def image(
        self,
        image: Image.Image | bytes,
        *,
        k: int = 10,
        offset: int = 0,
        where: Filter | None = None,
        space: str = "image",
        user_id: int | None = None,
        weights: Weights | None = None,
    ) -> ResultPage:
        """Products whose photos look like ``image`` (encoded bytes or a PIL image)."""
        check_page(k, offset)
        self._check_space(space)
        vector = _unit(self._embedder().embed_images([self._decode(image)])[0])
        plan = _Plan(vector=vector, space=space, where=where or Filter())
        return self._run(plan, k, offset, user_id, weights, {"space": space, "filters": to_dict(where)})

    def hybrid(
        self,
        text: str | None,
        image: Image.Image | bytes | None,
        *,
        text_weight: float = 0.5,
        k: int = 10,
        offset: int = 0,
        where: Filter | None = None,
        space: str = DEFAULT_TEXT_SPACE,
        user_id: int | None = None,
        weights: Weights | None = None,
        keyword_weight: float | None = None,
    ) -> ResultPage:
        """Search by a text, an image, or both mixed (``text_weight`` of the text vector).

        With both, the query vector is ``normalise(tw * text + (1 - tw) * image)`` and the
        keyword ranking's weight is scaled by ``tw``.
        """
        check_page(k, offset)
        self._check_space(space)
        tw = _check_weight("text_weight", text_weight)
        kw = _check_weight(
            "keyword_weight", self.ranking.keyword_weight if keyword_weight is None else keyword_weight
        )
        has_text = text is not None and bool(text.strip())
        if text is not None and not has_text and image is None:
            raise ValidationError("the search text is empty")
        if not has_text and image is None:
            raise ValidationError("give a text, an image, or both")
        info: dict[str, Any] = {"space": space}
        where = where or Filter()
        parsed = None
        if has_text:
            assert text is not None
            parsed, where = self.understand(text.strip(), where)
            info.update(text=text.strip(), semantic_text=parsed.semantic_text, detected=parsed.detected)
        include, brand_info = self._brand_scope(parsed, where)
        info.update(brand_info)
        embedder = self._embedder()
        parts: list[tuple[float, np.ndarray]] = []
        if has_text:
            assert parsed is not None
            # A query that is all price phrases ("under 50") has nothing else to embed.
            words = parsed.semantic_text.strip() or parsed.text.strip()
            parts.append((tw if image is not None else 1.0, _unit(embedder.embed_texts([words])[0])))
        if image is not None:
            parts.append(
                (1.0 - tw if has_text else 1.0, _unit(embedder.embed_images([self._decode(image)])[0]))
            )
            info["text_weight"] = tw if has_text else 0.0
        vector = _unit(sum((w * v for w, v in parts), np.zeros_like(parts[0][1])))
        keyword_text = parsed.semantic_text if parsed is not None else ""
        effective_kw = kw * (tw if image is not None else 1.0) if keyword_text.strip() else 0.0
        info["keyword_weight"] = round(effective_kw, 6)
        info["filters"] = to_dict(where)
        plan = _Plan(
            vector=vector,
            space=space,
            where=where,
            include=include,
            keyword_text=keyword_text,
            keyword_weight=effective_kw,
            label=parsed.text.strip() if parsed is not None else None,
        )
        return self._run(plan, k, offset, user_id, weights, info)

    def similar(
        self,
        product_id: int,
        *,
        k: int = 10,
        offset: int = 0,
        where: Filter | None = None,
        space: str | None = None,
        user_id: int | None = None,
        weights: Weights | None = None,
    ) -> ResultPage:
        """Products like ``product_id`` (never itself): by its photo, or by its hybrid vector when
        it has no photo. :class:`NotFoundError` for an unknown product."""
        check_page(k, offset)
        anchor = self.index.get_product(product_id)
        if anchor is None:
            raise NotFoundError("product", product_id)
        if space is not None:
            self._check_space(space)
            candidates = [space]
        else:
            candidates = ["image", "hybrid"]
        for name in candidates:
            vector = self.index.vectors(name, [product_id])[0]
            if vector.size and np.any(vector):
                break
        else:
            raise ValidationError(f"product {product_id} has no vector in space {candidates[-1]!r}")
        plan = _Plan(
            vector=_unit(vector), space=name, where=where or Filter(), exclude=(product_id,), anchor=anchor
        )
        info = {"space": name, "filters": to_dict(where), "product_id": product_id}
        return self._run(plan, k, offset, user_id, weights, info)

    # -- internals -------------------------------------------------------------------------

    @staticmethod
    def _check_space(space: str) -> None:
        if space not in SPACES:
            raise ValidationError(f"unknown space {space!r}; choose one of {', '.join(SPACES)}")

    def _decode(self, image: Image.Image | bytes) -> Image.Image:
        if isinstance(image, Image.Image):
            return image
        if isinstance(image, bytes | bytearray):
            from fashion_search.catalog.images import open_image_rgb

            return open_image_rgb(bytes(image), self.max_image_pixels)
        raise ValidationError(f"image must be encoded bytes or a PIL image, got {type(image).__name__}")

    def _brand_scope(
        self, parsed: ParsedQuery | None, where: Filter
    ) -> tuple[np.ndarray | None, dict[str, Any]]:
        if parsed is None:
            return None, {}
        named = parsed.detected.get("hints", {}).get("brand", [])
        if not named:
            return None, {}
        ids = self.brands.ids_of_any(named)
        if where and ids.size:
            ids = np.intersect1d(ids, self.index.matching_ids(where), assume_unique=True)
        if ids.size == 0:
            return None, {"brand": list(named), "brand_applied": False}
        return ids, {"brand": list(named), "brand_applied": True}

    def _profile(self, user_id: int | None) -> tuple[StyleProfile | None, str]:
        if user_id is None:
            return None, ""
        profile = self._users().profile(user_id)
        if profile.is_empty:
            return None, f"user {user_id} has no history yet, so results are not personalised"
        return profile, ""

    def _keyword_hits(self, plan: _Plan, depth: int) -> list[tuple[int, float]]:
        if plan.keyword_weight <= 0 or not plan.keyword_text.strip():
            return []
        hits = self.keyword.search(plan.keyword_text, k=depth, allowed=self._admitted(plan))
        excluded = set(plan.exclude)
        return [(pid, s) for pid, s in hits if pid not in excluded]

    def _run(
        self,
        plan: _Plan,
        k: int,
        offset: int,
        user_id: int | None,
        weights: Weights | None,
        info: dict[str, Any],
    ) -> ResultPage:
        weights = weights or Weights.from_settings(self.ranking)
        profile, note = self._profile(user_id)
        depth = max(offset + k, MIN_FUSION_DEPTH)
        if profile is not None:
            depth = max(depth, self.ranking.candidate_pool)
        vector_hits = self.index.search(
            plan.space,
            plan.vector,
            k=depth,
            where=plan.where or None,
            exclude_ids=plan.exclude,
            include_ids=plan.include,
        )
        keyword_hits = self._keyword_hits(plan, depth)
        products: dict[int, Product] = {h.product.id: h.product for h in vector_hits}
        cosine: dict[int, float] = {h.product.id: h.score for h in vector_hits}
        signals: dict[int, dict[str, float | int | str | None]] = {}
        if keyword_hits:
            fused = hybrid_fusion(
                [h.product.id for h in vector_hits], keyword_hits, plan.keyword_weight, limit=depth
            )
            missing = [f.id for f in fused if f.id not in cosine]
            if missing:
                sims = self.index.vectors(plan.space, missing) @ plan.vector
                for pid, sim in zip(missing, sims.tolist(), strict=True):
                    product = self.index.get_product(pid)
                    if product is not None:
                        products[pid], cosine[pid] = product, float(sim)
            fused = [f for f in fused if f.id in products]
            best = fused[0].score if fused else 1.0
            bm25 = dict(keyword_hits)
            candidates = [Hit(products[f.id], f.score / best) for f in fused]
            for f in fused:
                signals[f.id] = {
                    "cosine": round(cosine[f.id], 6),
                    "vector_rank": f.ranks[0],
                    "keyword_rank": f.ranks[1],
                    "keyword_score": None if f.id not in bm25 else round(bm25[f.id], 4),
                }
        else:
            candidates = list(vector_hits)
            for rank_, h in enumerate(vector_hits, start=1):
                signals[h.product.id] = {"cosine": round(h.score, 6), "vector_rank": rank_}
        vectors = None
        if profile is not None and profile.vector is not None:
            vectors = self.index.vectors(PROFILE_SPACE, [h.product.id for h in candidates])
        ranked = rank(candidates, profile, vectors=vectors, weights=weights)
        page = ranked[offset : offset + k]
        owned, owned_vectors = self._purchases(profile)
        explained = explain_all(
            page,
            profile,
            owned,
            owned_vectors,
            max_price=budget_of(plan.where),
            query=plan.label,
            anchor=plan.anchor,
        )
        items = [ResultItem.from_ranked(r, signals.get(r.product.id, {})) for r in explained]
        info = {
            **info,
            "personalised_for": None if profile is None else user_id,
            "weights": weights.to_dict(),
        }
        total = self._total(plan)
        if total == 0 and plan.where:
            note = f"no product matches the filters {to_dict(plan.where)}; remove some to see more"
        return ResultPage(items=items, total=total, offset=offset, query=info, note=note)

    def _partial_space(self, space: str) -> bool:
        """Whether some products have no vector in ``space`` (and so cannot be found there)."""
        return self.index.count(space) < self.index.count()

    def _admitted(self, plan: _Plan) -> np.ndarray | None:
        """Ids the filters (and brand) admit that have a vector in the searched space, exclusions
        aside; None when that is every product."""
        admitted = plan.include
        if admitted is None and plan.where:
            admitted = self.index.matching_ids(plan.where)
        if self._partial_space(plan.space):
            in_space = self.index.ids(plan.space)
            if admitted is not None:
                in_space = np.intersect1d(admitted, in_space, assume_unique=True)
            admitted = in_space
        return admitted

    def _total(self, plan: _Plan) -> int:
        """How many products the search could return: those the filters (and brand) admit that
        have a vector in the searched space, the excluded ones left out."""
        if plan.include is None and not self._partial_space(plan.space) and not plan.exclude:
            return self.index.count_matching(plan.where or None)
        admitted = self._admitted(plan)
        if admitted is None:
            admitted = self.index.matching_ids(None)
        if plan.exclude:
            admitted = np.setdiff1d(admitted, np.array(plan.exclude, dtype=np.int64), assume_unique=True)
        return int(admitted.shape[0])

    def _purchases(
        self, profile: StyleProfile | None
    ) -> tuple[Mapping[int, Product], Mapping[int, np.ndarray] | None]:
        """The shopper's recent purchases and their vectors, which "looks like what you bought" needs."""
        if profile is None or not profile.recent_purchases:
            return {}, None
        ids: Sequence[int] = profile.recent_purchases
        products = {pid: p for pid in ids if (p := self.index.get_product(pid)) is not None}
        rows = self.index.vectors(PROFILE_SPACE, list(ids))
        return products, {pid: row for pid, row in zip(ids, rows, strict=True) if np.any(row)}
