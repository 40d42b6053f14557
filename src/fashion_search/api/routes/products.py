"""GET /products (listing with facets), /products/{id}, its image, similar products and complete-the-look."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse

from fashion_search.api.deps import (
    BrowserDep,
    ExpressionFilterDep,
    OutfitsDep,
    QueryWeightsDep,
    SearchDep,
    ServicesDep,
)
from fashion_search.api.schemas import (
    ErrorPublic,
    OutfitPublic,
    ProductPublic,
    ProductsPublic,
    ResultsPublic,
    Space,
)
from fashion_search.domain import Condition, Filter, ImageStatus, Op, condition
from fashion_search.errors import NotFoundError

router = APIRouter(prefix="/products", tags=["products"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "unknown product id"}
}
ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    422: {"model": ErrorPublic, "description": "bad filter or value"},
}

ProductId = Annotated[int, Path(description="the product's id", examples=[15970])]
ValuesQuery = Annotated[list[str] | None, Query(description="repeat for several values (any of them)")]


def _listing_filter(
    fields: dict[str, list[str] | None], price_min: float | None, price_max: float | None
) -> Filter:
    conditions: list[Condition] = []
    for name, values in fields.items():
        if values:
            wanted = list(dict.fromkeys(values))
            conditions.append(
                condition(name, Op.EQ, wanted[0]) if len(wanted) == 1 else condition(name, Op.IN, wanted)
            )
    if price_min is not None:
        conditions.append(condition("price", Op.GE, price_min))
    if price_max is not None:
        conditions.append(condition("price", Op.LE, price_max))
    return Filter(tuple(conditions))


@router.get(
    "",
    summary="Browse the catalog",
    description=(
        "A page of products matching the filters, with facet counts (gender, categories, article type, "
        "colour, season, usage, price buckets, and the visual attributes in use: `attr_material`, "
        "`attr_pattern`, ...) over every matching product. With `q` the words add their filters (explicit "
        "ones win) and rank the page as a text search would. Attribute filters: "
        "`filter=attr_material=leather`, `filter=attr_details in pockets,zipper`, "
        "`filter=attr_pattern!=striped`."
    ),
    responses={422: ERRORS[422]},
)
def list_products(
    browser: BrowserDep,
    expressions: ExpressionFilterDep,
    gender: ValuesQuery = None,
    master_category: ValuesQuery = None,
    sub_category: ValuesQuery = None,
    article_type: Annotated[list[str] | None, Query(examples=[["Shirts"]])] = None,
    base_colour: ValuesQuery = None,
    season: ValuesQuery = None,
    usage: ValuesQuery = None,
    price_min: Annotated[float | None, Query(ge=0)] = None,
    price_max: Annotated[float | None, Query(ge=0, examples=[50])] = None,
    q: Annotated[str | None, Query(max_length=1000, examples=["black formal shoes"])] = None,
    sort: Literal["relevance", "id", "price_asc", "price_desc", "newest"] | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
    facets: Annotated[bool, Query(description="include facet counts")] = True,
) -> ProductsPublic:
    where = _listing_filter(
        {
            "gender": gender,
            "master_category": master_category,
            "sub_category": sub_category,
            "article_type": article_type,
            "base_colour": base_colour,
            "season": season,
            "usage": usage,
        },
        price_min,
        price_max,
    ).and_(expressions)
    page = browser.list(where, q=q, offset=offset, limit=limit, sort=sort, with_facets=facets)
    return ProductsPublic.of(page)


@router.get("/{product_id}", summary="One product", responses=NOT_FOUND)
def get_product(product_id: ProductId, services: ServicesDep) -> ProductPublic:
    product = services.index().get_product(product_id)
    if product is None:
        raise NotFoundError("product", product_id)
    return ProductPublic.of(product)


@router.get(
    "/{product_id}/image",
    summary="The product's photo",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the photo"}, **NOT_FOUND},
)
def get_product_image(product_id: ProductId, services: ServicesDep) -> FileResponse:
    product = services.index().get_product(product_id)
    if product is None:
        raise NotFoundError("product", product_id)
    root = services.images_dir()
    if product.image_status != ImageStatus.PRESENT or not product.image_file or root is None:
        raise NotFoundError("image of product", product_id)
    folder = root.resolve()
    path = (folder / product.image_file).resolve()
    # Only files inside the catalog's image folder are ever served, whatever the stored name says.
    if not path.is_relative_to(folder) or not path.is_file():
        raise NotFoundError("image of product", product_id)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})


@router.get(
    "/{product_id}/similar",
    summary="Products like this one",
    description="By the product's photo (the `image` space), or its hybrid vector when it has no photo.",
    responses=ERRORS,
)
def similar_products(
    product_id: ProductId,
    search: SearchDep,
    weights: QueryWeightsDep,
    expressions: ExpressionFilterDep,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=999)] = 0,
    space: Space | None = None,
    user_id: int | None = None,
) -> ResultsPublic:
    page = search.similar(
        product_id,
        k=k,
        offset=offset,
        where=expressions,
        space=space,
        user_id=user_id,
        weights=weights,
    )
    return ResultsPublic.of(page)


@router.get(
    "/{product_id}/complete-look",
    summary="Complete the look",
    description=(
        "Complementary items by role (top -> bottom + footwear + accessory, dress -> footwear + bag + "
        "jewellery, ...), compatible in gender, usage, season and colour, ranked by the shopper's taste "
        "when a user is given, within the budget."
    ),
    responses=ERRORS,
)
def complete_look(
    product_id: ProductId,
    outfits: OutfitsDep,
    user_id: int | None = None,
    max_price: Annotated[float | None, Query(ge=0, description="budget per item")] = None,
    per_role: Annotated[int, Query(ge=1, le=10)] = 3,
) -> OutfitPublic:
    outfit = outfits.complete(product_id, user_id=user_id, max_price=max_price, per_role=per_role)
    return OutfitPublic.of(outfit)
