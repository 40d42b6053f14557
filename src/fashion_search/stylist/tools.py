"""The stylist's tools, shared by the Claude path and the offline planner, bound to the Services.

Five tools: ``search_by_text``, ``search_similar_by_image``, ``get_personalized_recommendations``,
``complete_the_look`` and ``get_product``. :meth:`Toolbox.run` validates the arguments against the
tool's input model, calls the service, and returns a :class:`ToolResult` whose JSON content lists
products with id, name, price, colour and the reason they were picked. A bad argument, an unknown
product or user, or a filter that cannot be applied comes back as an error result; it never raises,
so the agent can tell the model (or the shopper) what went wrong and carry on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from fashion_search.domain import Condition, Filter, Op, Product, condition
from fashion_search.errors import FashionSearchError, FilterError, NotFoundError
from fashion_search.search.vocabulary import Facet, Vocabulary
from fashion_search.stylist.base import Recommended
from fashion_search.stylist.tool_inputs import (
    CompleteTheLookInput,
    GetProductInput,
    RecommendationsInput,
    SearchByTextInput,
    SearchSimilarInput,
    json_schema,
)

if TYPE_CHECKING:
    from fashion_search.app import Services
    from fashion_search.search.results import ResultPage

logger = logging.getLogger(__name__)

SEARCH_BY_TEXT = "search_by_text"
SEARCH_SIMILAR = "search_similar_by_image"
RECOMMEND = "get_personalized_recommendations"
COMPLETE_THE_LOOK = "complete_the_look"
GET_PRODUCT = "get_product"
MAX_LISTED_VALUES = 60
"""An unknown filter value's error lists at most this many known values."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The result of one tool call: JSON-able ``content`` (or an ``error``) and the products in it."""

    name: str
    arguments: Mapping[str, Any]
    content: Mapping[str, Any] = field(default_factory=dict)
    items: tuple[Recommended, ...] = ()
    """The products in ``content``, each with why it was picked and its outfit role (if any)."""
    error: str | None = None

    @property
    def is_error(self) -> bool:
        return self.error is not None

    def to_json(self) -> str:
        """What a language model reads back: the content, or ``{"error": ...}``."""
        payload = {"error": self.error} if self.error is not None else dict(self.content)
        return json.dumps(payload, ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool's name, description and input model; its JSON schema is the model's."""

    name: str
    description: str
    input_model: type[BaseModel]

    def input_schema(self) -> dict[str, Any]:
        return json_schema(self.input_model)

    def to_anthropic(self) -> dict[str, Any]:
        """The tool as the Messages API takes it."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema()}


TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        SEARCH_BY_TEXT,
        "Search the catalog by a description in words, with optional filters (price, gender, colours, "
        "article types, usages). Returns matching products with id, name, price, colour and why they match.",
        SearchByTextInput,
    ),
    ToolSpec(
        SEARCH_SIMILAR,
        "Find products that look like a catalog product (product_id) or like a photo the shopper "
        "uploaded (image_ref), with the same optional filters as search_by_text. Use it for 'more like "
        "this', 'like this but cheaper' (max_price below the product's price) or 'in another colour'.",
        SearchSimilarInput,
    ),
    ToolSpec(
        RECOMMEND,
        "Personalised recommendations for a shopper from their style profile (what they viewed, "
        "carted and bought), optionally within a budget or restricted to their favourite categories, "
        "colours or price band.",
        RecommendationsInput,
    ),
    ToolSpec(
        COMPLETE_THE_LOOK,
        "Build an outfit around a product: compatible items per role (e.g. bottom, footwear, "
        "accessory for a shirt), chosen by colour harmony, usage, season and gender, optionally "
        "personalised and within a budget per item.",
        CompleteTheLookInput,
    ),
    ToolSpec(
        GET_PRODUCT,
        "Details of one product by id: name, price, colour, gender, article type, usage, season.",
        GetProductInput,
    ),
)


def product_view(product: Product) -> dict[str, Any]:
    """The fields of a product a conversation needs."""
    return {
        "id": product.id,
        "name": product.name,
        "price": product.price,
        "colour": product.base_colour,
        "gender": product.gender,
        "article_type": product.article_type,
        "usage": product.usage,
        "season": product.season,
    }


def _item_view(item: Recommended) -> dict[str, Any]:
    view = product_view(item.product)
    if item.role is not None:
        view["role"] = item.role
    view["reason"] = item.reason
    return view


def _pydantic_problem(exc: PydanticValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    return "invalid arguments: " + "; ".join(problems)


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Per-conversation things a tool may need: the photos uploaded in the session."""

    images: Mapping[str, bytes] = field(default_factory=dict)


class Toolbox:
    """The tools bound to one catalog's :class:`~fashion_search.app.Services`. Thread-safe."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._handlers: dict[
            str, Callable[[Any, ToolContext], tuple[dict[str, Any], tuple[Recommended, ...]]]
        ] = {
            SEARCH_BY_TEXT: self._search_by_text,
            SEARCH_SIMILAR: self._search_similar,
            RECOMMEND: self._recommend,
            COMPLETE_THE_LOOK: self._complete_the_look,
            GET_PRODUCT: self._get_product,
        }

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return TOOL_SPECS

    def anthropic_tools(self) -> list[dict[str, Any]]:
        return [spec.to_anthropic() for spec in TOOL_SPECS]

    def spec(self, name: str) -> ToolSpec | None:
        return next((s for s in TOOL_SPECS if s.name == name), None)

    def run(
        self, name: str, arguments: Mapping[str, Any] | None, context: ToolContext | None = None
    ) -> ToolResult:
        """Run one tool; every expected failure comes back as an error result."""
        args = dict(arguments or {})
        spec = self.spec(name)
        if spec is None:
            known = ", ".join(s.name for s in TOOL_SPECS)
            return ToolResult(name, args, error=f"unknown tool {name!r}; the tools are: {known}")
        try:
            parsed = spec.input_model.model_validate(args)
        except PydanticValidationError as exc:
            return ToolResult(name, args, error=_pydantic_problem(exc))
        try:
            content, items = self._handlers[name](parsed, context or ToolContext())
        except FashionSearchError as exc:
            return ToolResult(name, args, error=str(exc))
        except Exception as exc:
            # A failure nobody planned for still reaches the model as a result; the log keeps the trace.
            logger.exception("stylist tool %s failed on %r", name, args)
            return ToolResult(name, args, error=f"{name} failed unexpectedly ({type(exc).__name__}: {exc})")
        return ToolResult(name, args, content=content, items=items)

    # -- catalog lookups ----------------------------------------------------------------------

    def product(self, product_id: int) -> Product | None:
        return self.services.index().get_product(product_id)

    def vocabulary(self) -> Vocabulary:
        return self.services.vocabulary()

    def _canonical(self, facet: Facet, label: str, values: Sequence[str]) -> list[str]:
        """Catalog values for the given names: exact (any case) or through the vocabulary's synonyms."""
        vocab = self.vocabulary()
        known = vocab.values(facet)
        by_key = {v.casefold(): v for v in known}
        out: dict[str, None] = {}
        for raw in values:
            value = " ".join(str(raw).split())
            exact = by_key.get(value.casefold())
            if exact is not None:
                out[exact] = None
                continue
            terms = [t for t in vocab.lookup(value) if t.facet is facet]
            if not terms:
                listed = ", ".join(known[:MAX_LISTED_VALUES]) + (
                    ", ..." if len(known) > MAX_LISTED_VALUES else ""
                )
                raise FilterError(f"unknown {label} {raw!r}; this catalog's {label}s: {listed}")
            for term in terms:
                out.update(dict.fromkeys(term.values))
        return list(out)

    def _filter(self, args: Any) -> Filter:
        conditions: list[Condition] = []

        def one_of(field_name: str, values: list[str]) -> None:
            if values:
                conditions.append(
                    condition(field_name, Op.EQ, values[0])
                    if len(values) == 1
                    else condition(field_name, Op.IN, values)
                )

        if args.gender is not None:
            genders = [args.gender]
            if args.gender in ("Men", "Women") and "Unisex" in self.vocabulary().values(Facet.GENDER):
                genders.append("Unisex")
            one_of("gender", genders)
        if args.colours:
            one_of("base_colour", self._canonical(Facet.COLOUR, "colour", args.colours))
        if args.exclude_colours:
            avoid = self._canonical(Facet.COLOUR, "colour", args.exclude_colours)
            conditions.append(
                condition("base_colour", Op.NE, avoid[0])
                if len(avoid) == 1
                else condition("base_colour", Op.NOT_IN, avoid)
            )
        if args.article_types:
            one_of("article_type", self._canonical(Facet.ARTICLE_TYPE, "article type", args.article_types))
        if args.usages:
            one_of("usage", self._canonical(Facet.USAGE, "usage", args.usages))
        if args.min_price is not None:
            conditions.append(condition("price", Op.GE, args.min_price))
        if args.max_price is not None:
            conditions.append(condition("price", Op.LE, args.max_price))
        if args.exclude_ids:
            conditions.append(condition("id", Op.NOT_IN, sorted(set(args.exclude_ids))))
        return Filter(tuple(conditions))

    # -- the tools ----------------------------------------------------------------------------

    @staticmethod
    def _page(page: ResultPage) -> tuple[dict[str, Any], tuple[Recommended, ...]]:
        items = tuple(Recommended(i.product, i.reason) for i in page.items)
        content: dict[str, Any] = {
            "total_matching": page.total,
            "applied_filters": page.query.get("filters", {}),
            "products": [_item_view(i) for i in items],
        }
        brands = page.query.get("brand")
        if brands:
            # Named brands narrow the results only when they have matching products.
            content["brands"] = list(brands)
            content["brand_applied"] = bool(page.query.get("brand_applied"))
        if page.note:
            content["note"] = page.note
        if not items:
            content["note"] = (content.get("note", "") + " no product matches; relax a filter").strip()
        return content, items

    def _search_by_text(
        self, args: SearchByTextInput, context: ToolContext
    ) -> tuple[dict[str, Any], tuple[Recommended, ...]]:
        page = self.services.search().text(
            args.text, k=args.k, where=self._filter(args), user_id=args.user_id
        )
        return self._page(page)

    def _search_similar(
        self, args: SearchSimilarInput, context: ToolContext
    ) -> tuple[dict[str, Any], tuple[Recommended, ...]]:
        search = self.services.search()
        where = self._filter(args)
        if args.product_id is not None:
            page = search.similar(args.product_id, k=args.k, where=where, user_id=args.user_id)
            content, items = self._page(page)
            anchor = self.product(args.product_id)
            if anchor is not None:
                content = {"like": product_view(anchor), **content}
            return content, items
        assert args.image_ref is not None
        data = context.images.get(args.image_ref)
        if data is None:
            uploaded = ", ".join(context.images) or "none"
            raise NotFoundError("uploaded image", f"{args.image_ref} (uploaded in this session: {uploaded})")
        page = search.image(data, k=args.k, where=where, user_id=args.user_id)
        content, items = self._page(page)
        return {"like": args.image_ref, **content}, items

    def _recommend(
        self, args: RecommendationsInput, context: ToolContext
    ) -> tuple[dict[str, Any], tuple[Recommended, ...]]:
        from fashion_search.rank.scoring import Constraints

        constraints = Constraints(
            min_price=args.min_price,
            max_price=args.max_price,
            restrict_category=args.restrict_category,
            restrict_price=args.restrict_price,
            restrict_color=args.restrict_color,
        )
        page = self.services.recommendations().recommend(
            args.user_id, limit=args.limit, constraints=constraints
        )
        content, items = self._page(page)
        content["personalised"] = bool(page.query.get("personalised", False))
        return content, items

    def _complete_the_look(
        self, args: CompleteTheLookInput, context: ToolContext
    ) -> tuple[dict[str, Any], tuple[Recommended, ...]]:
        outfit = self.services.outfits().complete(
            args.product_id, user_id=args.user_id, max_price=args.max_price, per_role=args.per_role
        )
        items = tuple(Recommended(i.product, i.reason, i.role) for i in outfit.items())
        content: dict[str, Any] = {
            "anchor": product_view(outfit.anchor),
            "anchor_role": outfit.anchor_role,
            "roles": {
                role: [_item_view(Recommended(i.product, i.reason, i.role)) for i in chosen]
                for role, chosen in outfit.roles.items()
            },
        }
        if outfit.note:
            content["note"] = outfit.note
        return content, items

    def _get_product(
        self, args: GetProductInput, context: ToolContext
    ) -> tuple[dict[str, Any], tuple[Recommended, ...]]:
        product = self.product(args.product_id)
        if product is None:
            raise NotFoundError("product", args.product_id)
        view = product_view(product)
        view["master_category"] = product.master_category
        view["sub_category"] = product.sub_category
        view["year"] = product.year
        view["has_photo"] = str(product.image_status) == "present"
        if product.attributes:
            view["attributes"] = dict(product.attributes)
        return {"product": view}, (Recommended(product, "the product you asked about"),)
