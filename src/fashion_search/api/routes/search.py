"""POST /search/text, /search/image (multipart) and /search/hybrid (multipart)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, UploadFile

from fashion_search.api.deps import (
    FormWeightsDep,
    SearchDep,
    SettingsDep,
    WeightForm,
    parse_filters,
    weights_from,
)
from fashion_search.api.schemas import FILTERS_DESCRIPTION, ErrorPublic, ResultsPublic, Space, TextSearchIn
from fashion_search.api.uploads import read_upload

router = APIRouter(prefix="/search", tags=["search"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "unknown user_id"},
    422: {"model": ErrorPublic, "description": "bad filter, weight or value"},
}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"model": ErrorPublic, "description": "the upload is larger than the configured limit"},
    415: {"model": ErrorPublic, "description": "the file is not an image that can be decoded"},
}

TEXT_EXAMPLES: dict[str, Any] = {
    "plain": {
        "summary": "Words only",
        "description": "Colours, genders, article types and prices in the words become filters.",
        "value": {"text": "red summer dress under 50", "k": 10},
    },
    "brand": {
        "summary": "A brand, with Databricks-style filters",
        "value": {"text": "Puma", "k": 10, "filters": {"gender": ["Men", "Unisex"], "price <=": 80}},
    },
    "personal": {
        "summary": "Expression filters, personalised",
        "value": {
            "text": "formal shirt",
            "filters": ["gender=Men", "price<60"],
            "user_id": 1,
            "weights": {"visual": 0.6, "user": 0.3, "attribute": 0.1},
        },
    },
}

FileField = Annotated[UploadFile, File(description="a photo (JPEG, PNG, WebP, ...)")]
KField = Annotated[int, Form(ge=1, le=100, description="results per page")]
OffsetField = Annotated[int, Form(ge=0, le=999)]
FiltersField = Annotated[
    str | None,
    Form(description=f"JSON text. {FILTERS_DESCRIPTION}", examples=['{"gender": "Women", "price <": 100}']),
]
UserField = Annotated[int | None, Form(description="personalise the ranking for this shopper")]


@router.post(
    "/text",
    summary="Search by text",
    description=(
        "Semantic search (the text vector against the `hybrid` space by default, cross-modal) fused with "
        "a keyword (BM25) ranking by reciprocal rank fusion; a brand named in the text narrows the results "
        "to that brand. Filters apply before top-k."
    ),
    responses=ERRORS,
)
def search_text(
    body: Annotated[TextSearchIn, Body(openapi_examples=TEXT_EXAMPLES)],
    search: SearchDep,
    settings: SettingsDep,
) -> ResultsPublic:
    weights = None
    if body.weights is not None:
        w = body.weights
        weights = weights_from(settings, w.visual, w.user, w.attribute)
    page = search.text(
        body.text,
        k=body.k,
        offset=body.offset,
        where=parse_filters(body.filters),
        space=body.space,
        user_id=body.user_id,
        weights=weights,
        keyword_weight=body.keyword_weight,
    )
    return ResultsPublic.of(page)


@router.post(
    "/image",
    summary="Search by photo",
    description="Products whose photos look like the uploaded one (the `image` space by default).",
    responses=UPLOAD_ERRORS,
)
def search_image(
    file: FileField,
    search: SearchDep,
    settings: SettingsDep,
    weights: FormWeightsDep,
    k: KField = 10,
    offset: OffsetField = 0,
    filters: FiltersField = None,
    space: Annotated[Space, Form(description="image (default) or hybrid")] = "image",
    user_id: UserField = None,
) -> ResultsPublic:
    where = parse_filters(filters)
    data = read_upload(file, settings.api.max_upload_bytes)
    page = search.image(
        data,
        k=k,
        offset=offset,
        where=where,
        space=space,
        user_id=user_id,
        weights=weights,
    )
    return ResultsPublic.of(page)


@router.post(
    "/hybrid",
    summary="Search by text and photo together",
    description=(
        "The query vector mixes the text's and the photo's: "
        "`text_weight * text + (1 - text_weight) * image`, searched in the `hybrid` space; either part "
        "may be left out."
    ),
    responses=UPLOAD_ERRORS,
)
def search_hybrid(
    search: SearchDep,
    settings: SettingsDep,
    weights: FormWeightsDep,
    text: Annotated[str | None, Form(max_length=1000, examples=["like this but in black"])] = None,
    file: Annotated[UploadFile | None, File(description="an optional photo")] = None,
    text_weight: Annotated[float, Form(ge=0.0, le=1.0, description="share of the text in the query")] = 0.5,
    k: KField = 10,
    offset: OffsetField = 0,
    filters: FiltersField = None,
    space: Annotated[Space, Form()] = "hybrid",
    user_id: UserField = None,
    keyword_weight: WeightForm = None,
) -> ResultsPublic:
    where = parse_filters(filters)
    if file is not None and not file.filename and not file.size:
        file = None  # a form's empty file input
    data = read_upload(file, settings.api.max_upload_bytes) if file is not None else None
    page = search.hybrid(
        text,
        data,
        text_weight=text_weight,
        k=k,
        offset=offset,
        where=where,
        space=space,
        user_id=user_id,
        weights=weights,
        keyword_weight=keyword_weight,
    )
    return ResultsPublic.of(page)
