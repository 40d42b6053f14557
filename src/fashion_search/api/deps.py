"""Dependencies of the route handlers: the services, and filters read from requests."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request

from fashion_search.app import Services
from fashion_search.domain import Filter
from fashion_search.errors import FilterError
from fashion_search.index.filters import from_dict, parse_expressions
from fashion_search.outfit.service import OutfitService
from fashion_search.rank.scoring import Weights
from fashion_search.recommend.service import RecommendationService
from fashion_search.search.browse import ProductBrowser
from fashion_search.search.service import SearchService
from fashion_search.settings import Settings
from fashion_search.users.service import UserService


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(request: Request) -> Settings:
    """The settings the app was created with (upload limit, default weights)."""
    settings: Settings = request.app.state.settings
    return settings


def get_search(services: ServicesDep) -> SearchService:
    return services.search()


def get_users(services: ServicesDep) -> UserService:
    return services.users()


def get_recommendations(services: ServicesDep) -> RecommendationService:
    return services.recommendations()


def get_outfits(services: ServicesDep) -> OutfitService:
    return services.outfits()


def get_browser(services: ServicesDep) -> ProductBrowser:
    return services.browser()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SearchDep = Annotated[SearchService, Depends(get_search)]
UsersDep = Annotated[UserService, Depends(get_users)]
RecommendationsDep = Annotated[RecommendationService, Depends(get_recommendations)]
OutfitsDep = Annotated[OutfitService, Depends(get_outfits)]
BrowserDep = Annotated[ProductBrowser, Depends(get_browser)]


def _no_negative_prices(where: Filter) -> Filter:
    """A price filter below zero is a mistake the client should hear about, not an empty page."""
    for c in where.conditions:
        values = c.value if isinstance(c.value, (list, tuple, frozenset, set)) else [c.value]
        if c.field == "price" and any(isinstance(v, (int, float)) and v < 0 for v in values):
            raise FilterError(f"price filter values cannot be negative: {c.field} {c.op.value} {c.value!r}")
    return where


def parse_filters(value: dict[str, Any] | list[str] | str | None) -> Filter:
    """Filters in either dialect: a Databricks-style object, a list of expressions, or JSON text of
    either (as multipart forms send it). :class:`FilterError` names what is wrong."""
    if value is None:
        return Filter()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return Filter()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FilterError(
                f'filters must be JSON: an object like {{"gender": "Men"}} or a list like '
                f'["price<50"]; could not parse {text[:80]!r} ({exc.msg})'
            ) from None
    if isinstance(value, dict):
        return _no_negative_prices(from_dict(value))
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise FilterError('a list of filters must hold expressions as strings, e.g. ["price<50"]')
        return _no_negative_prices(parse_expressions(value))
    raise FilterError(f"filters must be an object or a list of expressions, got {type(value).__name__}")


def expression_filters(
    expressions: Annotated[
        list[str] | None,
        Query(
            alias="filter",
            description="repeatable filter expression, e.g. `filter=price<50&filter=gender=Men`",
            examples=[["price<50", "gender=Men"]],
        ),
    ] = None,
) -> Filter:
    return _no_negative_prices(parse_expressions(expressions or []))


ExpressionFilterDep = Annotated[Filter, Depends(expression_filters)]


def weights_from(
    settings: Settings, visual: float | None, user: float | None, attribute: float | None
) -> Weights:
    """The server's default weights with the request's overrides."""
    return Weights.from_settings(settings).override(visual=visual, user=user, attribute=attribute)


WeightQuery = Annotated[float | None, Query(ge=0.0, le=1.0)]
WeightForm = Annotated[float | None, Form(ge=0.0, le=1.0)]


def query_weights(
    settings: SettingsDep,
    w_visual: WeightQuery = None,
    w_user: WeightQuery = None,
    w_attribute: WeightQuery = None,
) -> Weights:
    """Ranking weights overridden by ``w_visual`` / ``w_user`` / ``w_attribute`` query parameters."""
    return weights_from(settings, w_visual, w_user, w_attribute)


def form_weights(
    settings: SettingsDep,
    w_visual: WeightForm = None,
    w_user: WeightForm = None,
    w_attribute: WeightForm = None,
) -> Weights:
    """The same overrides sent as fields of a multipart form (the photo searches)."""
    return weights_from(settings, w_visual, w_user, w_attribute)


QueryWeightsDep = Annotated[Weights, Depends(query_weights)]
FormWeightsDep = Annotated[Weights, Depends(form_weights)]
