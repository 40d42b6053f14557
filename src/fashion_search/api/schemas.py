"""Request and response models of the API: ``XPublic`` for one thing, ``XsPublic(data, count)`` for lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fashion_search.domain import ImageStatus, Product, User, price_tier
from fashion_search.outfit.complete import Outfit, OutfitItem
from fashion_search.search.browse import BrowsePage
from fashion_search.search.results import ResultItem, ResultPage
from fashion_search.users.profiles import StyleProfile

API_PREFIX = "/api/v1"

Space = Literal["hybrid", "image", "text"]
Signal = float | int | str | None

_PRODUCT_EXAMPLE: dict[str, Any] = {
    "id": 15970,
    "name": "Turtle Check Men Navy Blue Shirt",
    "gender": "Men",
    "master_category": "Apparel",
    "sub_category": "Topwear",
    "article_type": "Shirts",
    "base_colour": "Navy Blue",
    "season": "Fall",
    "year": 2011,
    "usage": "Casual",
    "price": 34.99,
    "price_tier": "mid-range",
    "image_status": "present",
    "image_url": "/api/v1/products/15970/image",
    "attributes": {},
}


# -- errors -----------------------------------------------------------------------------------


class ErrorPublic(BaseModel):
    """Every error answer: a message that says what was wrong."""

    detail: str = Field(examples=["product 123 not found"])


# -- products ---------------------------------------------------------------------------------


class ProductPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PRODUCT_EXAMPLE]})

    id: int
    name: str
    gender: str | None = None
    master_category: str | None = None
    sub_category: str | None = None
    article_type: str | None = None
    base_colour: str | None = None
    season: str | None = None
    year: int | None = None
    usage: str | None = None
    price: float | None = None
    price_tier: str | None = None
    image_status: str
    image_url: str | None = Field(None, description="where the photo is served; null without a photo")
    attributes: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, p: Product) -> ProductPublic:
        has_image = str(p.image_status) == ImageStatus.PRESENT.value
        return cls(
            id=p.id,
            name=p.name,
            gender=p.gender,
            master_category=p.master_category,
            sub_category=p.sub_category,
            article_type=p.article_type,
            base_colour=p.base_colour,
            season=p.season,
            year=p.year,
            usage=p.usage,
            price=p.price,
            price_tier=price_tier(p.price),
            image_status=str(p.image_status),
            image_url=f"{API_PREFIX}/products/{p.id}/image" if has_image else None,
            attributes=dict(p.attributes),
        )


class ProductsPublic(BaseModel):
    """A page of the catalog with facet counts over every product the filters admit."""

    data: list[ProductPublic]
    count: int = Field(description="products matching the filters (all pages)")
    offset: int
    facets: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="per field, value -> number of matching products; 'price' holds price buckets",
        examples=[{"gender": {"Men": 120, "Women": 80}, "price": {"0-25": 30, "25-50": 90, "200+": 5}}],
    )
    query: dict[str, Any] = Field(default_factory=dict, description="the filters and sort as applied")

    @classmethod
    def of(cls, page: BrowsePage) -> ProductsPublic:
        return cls(
            data=[ProductPublic.of(p) for p in page.products],
            count=page.total,
            offset=page.offset,
            facets={k: dict(v) for k, v in page.facets.items()},
            query=dict(page.query),
        )


# -- ranked results -----------------------------------------------------------------------------


class BreakdownPublic(BaseModel):
    """``final = w_visual * visual + w_user * user + w_attribute * attribute`` (for popular picks,
    ``final`` is the popularity scaled to the most popular item's 1)."""

    visual: float = Field(
        description=(
            "match to the query or anchor; for recommendations the taste match: half likeness to the "
            "shopper's history, half popularity within their favourite types (see `signals`)"
        )
    )
    user: float = Field(description="cosine to the shopper's profile vector (0 without a user)")
    attribute: float = Field(description="fit with the shopper's preferences, 0..1 (0 without a user)")
    final: float


class ResultPublic(BaseModel):
    product: ProductPublic
    score: float
    breakdown: BreakdownPublic
    reason: str = Field(examples=["In your favourite colour Black, within your budget of $50"])
    signals: dict[str, Signal] = Field(
        default_factory=dict,
        description="evidence behind the score: cosine, vector_rank, keyword_rank, keyword_score, source",
    )

    @classmethod
    def of(cls, item: ResultItem) -> ResultPublic:
        b = item.breakdown
        return cls(
            product=ProductPublic.of(item.product),
            score=round(b.final, 6),
            breakdown=BreakdownPublic(
                visual=round(b.visual, 6),
                user=round(b.user, 6),
                attribute=round(b.attribute, 6),
                final=round(b.final, 6),
            ),
            reason=item.reason,
            signals=dict(item.signals),
        )


class ResultsPublic(BaseModel):
    """A page of ranked results (search or recommendations)."""

    data: list[ResultPublic]
    count: int = Field(description="products the request's filters admit (the set the page was ranked from)")
    offset: int
    query: dict[str, Any] = Field(
        default_factory=dict,
        description="the request as applied: filters (Databricks dialect), space, detected terms, weights",
    )
    note: str = Field("", description="anything the client should know (e.g. not personalised, and why)")

    @classmethod
    def of(cls, page: ResultPage) -> ResultsPublic:
        return cls(
            data=[ResultPublic.of(i) for i in page.items],
            count=page.total,
            offset=page.offset,
            query=dict(page.query),
            note=page.note,
        )


# -- search requests ------------------------------------------------------------------------------


class WeightsIn(BaseModel):
    """Per-request ranking weights; any left out take the server's defaults."""

    # strict: a JSON body says 0.5, not "0.5" or true; what the schema documents is what is accepted.
    model_config = ConfigDict(extra="forbid", strict=True)

    visual: float | None = Field(None, ge=0.0, le=1.0)
    user: float | None = Field(None, ge=0.0, le=1.0)
    attribute: float | None = Field(None, ge=0.0, le=1.0)


FILTERS_DESCRIPTION = (
    "Either the JSON dialect of Databricks Vector Search "
    '(`{"gender": "Men", "base_colour": ["Black", "White"], "price <": 50, "season NOT": "Winter"}`) '
    'or a list of expressions (`["gender=Men", "price<50", "base_colour in Black,White"]`). '
    "Explicit filters win over filters read from the query words."
)


class TextSearchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"text": "red summer dress under 50", "k": 10},
                {"text": "Puma", "k": 10, "filters": {"gender": ["Men", "Unisex"], "price <=": 80}},
                {"text": "formal shirt", "filters": ["gender=Men", "price<60"], "user_id": 1},
            ]
        },
    )

    text: str = Field(min_length=1, max_length=1000, description="what the shopper typed")
    k: int = Field(10, ge=1, le=100, description="results per page")
    offset: int = Field(0, ge=0, le=999)
    filters: dict[str, Any] | list[str] | None = Field(None, description=FILTERS_DESCRIPTION)
    space: Space = Field(
        "hybrid",
        description="hybrid (default: every product, photo and text mixed), image (photos only) or text",
    )
    user_id: int | None = Field(None, description="personalise the ranking for this shopper")
    keyword_weight: float | None = Field(
        None, ge=0.0, le=1.0, description="weight of the keyword (BM25) ranking in the fusion; 0 turns it off"
    )
    weights: WeightsIn | None = None


# -- outfits ----------------------------------------------------------------------------------------


class CompatibilityPublic(BaseModel):
    colour: float
    season: float
    usage: float
    gender: float
    overall: float


class OutfitItemPublic(BaseModel):
    product: ProductPublic
    role: str = Field(examples=["bottom"])
    score: float
    compatibility: CompatibilityPublic
    personal: float | None = Field(None, description="the shopper's affinity (null without a user)")
    style: float = Field(description="similarity to the anchor, clipped to 0..1")
    reason: str

    @classmethod
    def of(cls, item: OutfitItem) -> OutfitItemPublic:
        c = item.compatibility
        return cls(
            product=ProductPublic.of(item.product),
            role=item.role,
            score=round(item.score, 6),
            compatibility=CompatibilityPublic(
                colour=c.colour, season=c.season, usage=c.usage, gender=c.gender, overall=round(c.overall, 6)
            ),
            personal=None if item.personal is None else round(item.personal, 6),
            style=round(item.style, 6),
            reason=item.reason,
        )


class OutfitPublic(BaseModel):
    anchor: ProductPublic
    anchor_role: str | None
    roles: dict[str, list[OutfitItemPublic]] = Field(description="role -> items, best first")
    count: int = Field(description="items over all roles")
    note: str = ""

    @classmethod
    def of(cls, outfit: Outfit) -> OutfitPublic:
        roles = {name: [OutfitItemPublic.of(i) for i in items] for name, items in outfit.roles.items()}
        return cls(
            anchor=ProductPublic.of(outfit.anchor),
            anchor_role=outfit.anchor_role,
            roles=roles,
            count=sum(len(v) for v in roles.values()),
            note=outfit.note,
        )


# -- users ------------------------------------------------------------------------------------------


class UserPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "name": "Arjun",
                    "segment": "professional",
                    "description": "Arjun, 34, a corporate lawyer who dresses sharp for the office.",
                    "is_persona": True,
                }
            ]
        }
    )

    id: int
    name: str
    segment: str
    description: str = ""
    is_persona: bool = False

    @classmethod
    def of(cls, u: User) -> UserPublic:
        return cls(
            id=u.id, name=u.name, segment=u.segment, description=u.description, is_persona=u.is_persona
        )


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int = Field(description="users in the listing (all pages)")


class PreferencePublic(BaseModel):
    name: str
    weight: float = Field(description="share of the shopper's event weight")


class PriceStatsPublic(BaseModel):
    avg: float
    min: float
    max: float
    p25: float
    p75: float


class ProfilePublic(BaseModel):
    """A shopper's style profile: weighted preferences, price statistics and history counts."""

    user: UserPublic
    interactions: int
    event_counts: dict[str, int]
    article_types: list[PreferencePublic]
    sub_categories: list[PreferencePublic]
    master_categories: list[PreferencePublic]
    colours: list[PreferencePublic]
    usages: list[PreferencePublic]
    genders: list[PreferencePublic]
    price: PriceStatsPublic | None
    recent_purchases: list[int]
    vector_dim: int | None
    last_event_at: datetime | None

    @classmethod
    def of(cls, user: User, profile: StyleProfile) -> ProfilePublic:
        return cls(user=UserPublic.of(user), **profile.to_dict())


class EventIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"product_id": 15970, "type": "purchase"}]},
    )

    product_id: int = Field(strict=True)
    type: Literal["view", "add_to_cart", "purchase"]
    timestamp: datetime | None = Field(None, description="when it happened (default: now; no zone = UTC)")


class EventsAcceptedPublic(BaseModel):
    accepted: int
    profile: ProfilePublic


# -- health -------------------------------------------------------------------------------------------


class HealthPublic(BaseModel):
    status: Literal["ok", "empty"] = Field(description="'empty' until a catalog is ingested and embedded")
    version: str
    model: str
    products: int
    vectors: dict[str, int]
    users: int
