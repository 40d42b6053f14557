"""What the offline planner knows about the catalog besides the tools: the values it labels
products with, typical prices per article type, the kinds of products, and the shoppers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from fashion_search.errors import FashionSearchError
from fashion_search.search.vocabulary import Facet
from fashion_search.stylist.budget import PriceGuide
from fashion_search.stylist.intent import product_kind
from fashion_search.stylist.tools import Toolbox


class CatalogFacts:
    """What the planner knows about the catalog besides the tools: values, typical prices, shoppers."""

    def __init__(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox
        self._guide: PriceGuide | None = None
        self._guide_of: object = None
        self._kinds: dict[str, str] | None = None
        self._kinds_of: object = None

    def prices(self) -> PriceGuide:
        products = self.toolbox.services.products()
        # Rebuilt when the services hand out a new catalog (after a re-index).
        if self._guide is None or self._guide_of is not products:
            self._guide = PriceGuide(products.values())
            self._guide_of = products
        return self._guide

    def kind_of(self, article_type: str) -> str | None:
        """The kind (:func:`product_kind`) most products of ``article_type`` have in this catalog."""
        products = self.toolbox.services.products()
        if self._kinds is None or self._kinds_of is not products:
            counts: dict[str, Counter[str]] = {}
            for product in products.values():
                kind = product_kind(product)
                if product.article_type and kind:
                    counts.setdefault(product.article_type, Counter())[kind] += 1
            self._kinds = {t: c.most_common(1)[0][0] for t, c in counts.items()}
            self._kinds_of = products
        return self._kinds.get(article_type)

    def present_types(self, types: Sequence[str]) -> tuple[str, ...]:
        known = set(self.toolbox.vocabulary().values(Facet.ARTICLE_TYPE))
        return tuple(t for t in types if t in known)

    def present_usages(self, usages: Sequence[str]) -> tuple[str, ...]:
        """The usages this catalog labels products with (a synonym would widen the filter)."""
        known = set(self.toolbox.vocabulary().values(Facet.USAGE))
        return tuple(u for u in usages if u in known)

    def user_name(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        try:
            return self.toolbox.services.users().get_user(user_id).name
        except FashionSearchError:
            return None

    def user_gender(self, user_id: int | None) -> str | None:
        """The gender of (nearly) everything the shopper interacted with, if one dominates."""
        if user_id is None:
            return None
        from fashion_search.recommend.service import dominant_gender

        try:
            profile = self.toolbox.services.users().profile(user_id)
        except FashionSearchError:
            return None
        return None if profile.is_empty else dominant_gender(profile)
