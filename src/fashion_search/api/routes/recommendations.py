"""GET /recommendations/{user_id}: personalised, diversified, explained picks for a shopper."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from fashion_search.api.deps import ExpressionFilterDep, QueryWeightsDep, RecommendationsDep
from fashion_search.api.schemas import ErrorPublic, ResultsPublic
from fashion_search.rank.scoring import Constraints

router = APIRouter(prefix="/recommendations", tags=["recommendations"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "unknown user id"},
    422: {"model": ErrorPublic, "description": "bad filter, weight or budget"},
}


@router.get(
    "/{user_id}",
    summary="Recommendations for a shopper",
    description=(
        "Candidates near the shopper's profile, within their favourite categories and popular there, "
        "scored by `w_visual * visual + w_user * user + w_attribute * attribute` (`visual` is the taste "
        "match: likeness to their history and popularity within their taste), diversified by MMR "
        "(`mmr_lambda`: 1 = relevance only), purchases left out. A shopper without history gets popular "
        "products. Every result has its score breakdown and a reason."
    ),
    responses=ERRORS,
)
def recommend(
    user_id: Annotated[int, Path(examples=[1])],
    recommendations: RecommendationsDep,
    weights: QueryWeightsDep,
    expressions: ExpressionFilterDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=500)] = 0,
    max_price: Annotated[float | None, Query(ge=0, description="budget per item", examples=[50])] = None,
    min_price: Annotated[float | None, Query(ge=0)] = None,
    restrict_category: Annotated[
        bool, Query(description="only the shopper's favourite article types")
    ] = False,
    restrict_price: Annotated[
        bool, Query(description="only the shopper's usual price band (p25-p75)")
    ] = False,
    restrict_color: Annotated[bool, Query(description="only the shopper's favourite colours")] = False,
    mmr_lambda: Annotated[
        float | None, Query(ge=0.0, le=1.0, description="1 = relevance, 0 = diversity")
    ] = None,
) -> ResultsPublic:
    page = recommendations.recommend(
        user_id,
        limit=limit,
        offset=offset,
        weights=weights,
        constraints=Constraints(
            min_price=min_price,
            max_price=max_price,
            restrict_category=restrict_category,
            restrict_price=restrict_price,
            restrict_color=restrict_color,
        ),
        mmr_lambda=mmr_lambda,
        where=expressions,
    )
    return ResultsPublic.of(page)
