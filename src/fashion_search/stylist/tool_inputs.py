"""The inputs of the stylist's tools, as pydantic models: one source for validation and JSON schema.

Claude receives ``model_json_schema()`` of each model as the tool's ``input_schema``; the offline
planner builds the same dictionaries; both go through ``model_validate`` before a tool runs, so a
bad argument becomes an error result naming the field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Gender = Literal["Men", "Women", "Boys", "Girls", "Unisex"]
MAX_K = 20
MAX_VALUES = 20
MAX_EXCLUDED = 200

_PRICE = "price limit in US dollars"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Filters(_Input):
    max_price: float | None = Field(None, ge=0, description=f"highest {_PRICE} (inclusive)")
    min_price: float | None = Field(None, ge=0, description=f"lowest {_PRICE} (inclusive)")
    gender: Gender | None = Field(None, description="who it is for; Men or Women also admits Unisex products")
    colours: list[str] | None = Field(
        None,
        max_length=MAX_VALUES,
        description='any of these base colours, e.g. ["Black", "Navy Blue"] (synonyms such as "navy" work)',
    )
    exclude_colours: list[str] | None = Field(
        None, max_length=MAX_VALUES, description="base colours to leave out"
    )
    article_types: list[str] | None = Field(
        None,
        max_length=MAX_VALUES,
        description='any of these article types, e.g. ["Casual Shoes", "Sports Shoes"] or ["Dresses"]',
    )
    usages: list[str] | None = Field(
        None,
        max_length=MAX_VALUES,
        description='any of these usages, e.g. "Casual", "Formal", "Sports", "Ethnic", "Party", "Travel"',
    )
    exclude_ids: list[int] | None = Field(
        None, max_length=MAX_EXCLUDED, description="product ids to leave out (e.g. ones already shown)"
    )
    user_id: int | None = Field(None, description="personalise the ranking for this shopper")
    k: int = Field(5, ge=1, le=MAX_K, description="how many products to return")

    @model_validator(mode="after")
    def _price_order(self) -> _Filters:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) must not exceed max_price ({self.max_price})")
        return self


class SearchByTextInput(_Filters):
    text: str = Field(
        min_length=1,
        max_length=500,
        description="what to look for, in the shopper's words (e.g. 'linen shirt for a beach wedding'); "
        "colours, genders, types and prices named in it are applied as filters too, "
        "but the explicit filter arguments win",
    )


class SearchSimilarInput(_Filters):
    product_id: int | None = Field(None, description="find products that look like this catalog product")
    image_ref: str | None = Field(
        None,
        pattern=r"^upload:[0-9]{1,9}$",
        description="or: find products that look like this uploaded photo (a reference such as 'upload:1')",
    )

    @model_validator(mode="after")
    def _one_anchor(self) -> SearchSimilarInput:
        if (self.product_id is None) == (self.image_ref is None):
            raise ValueError("give exactly one of product_id or image_ref")
        return self


class RecommendationsInput(_Input):
    user_id: int = Field(description="the shopper to recommend for")
    limit: int = Field(5, ge=1, le=MAX_K, description="how many products to return")
    max_price: float | None = Field(None, ge=0, description=f"highest {_PRICE} per item")
    min_price: float | None = Field(None, ge=0, description=f"lowest {_PRICE} per item")
    restrict_category: bool = Field(False, description="only the shopper's favourite article types")
    restrict_price: bool = Field(False, description="only the shopper's usual price band")
    restrict_color: bool = Field(False, description="only the shopper's favourite colours")


class CompleteTheLookInput(_Input):
    product_id: int = Field(description="the product to build an outfit around")
    user_id: int | None = Field(None, description="personalise the picks for this shopper")
    max_price: float | None = Field(None, ge=0, description=f"highest {_PRICE} per added item")
    per_role: int = Field(2, ge=1, le=5, description="how many options per outfit role")


class GetProductInput(_Input):
    product_id: int = Field(description="the product's id")


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema without pydantic's ``title`` entries (noise for a language model)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    schema: dict[str, Any] = strip(model.model_json_schema())
    return schema
