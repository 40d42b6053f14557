"""The composition root: ``build(settings)`` wires the backends chosen in Settings into Services.

Nothing here runs at import. Expensive parts (the model, the index, the keyword index, the shoppers'
profiles, the services over them) are built on first use and kept on the Services object, which the
CLI and the API own and close. :meth:`Services.warm_up` builds them all at once (the API does so at
start-up, so the first request is not the slow one).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from fashion_search.domain import Product
from fashion_search.embed.base import Embedder
from fashion_search.errors import StoreError
from fashion_search.index.base import CatalogIndex
from fashion_search.settings import Settings
from fashion_search.store.base import Store

if TYPE_CHECKING:
    from fashion_search.index.hnsw import HnswParams
    from fashion_search.outfit.service import OutfitService
    from fashion_search.recommend.service import RecommendationService
    from fashion_search.search.brands import BrandIndex
    from fashion_search.search.browse import ProductBrowser
    from fashion_search.search.keyword import KeywordIndex
    from fashion_search.search.service import SearchService
    from fashion_search.search.vocabulary import Vocabulary
    from fashion_search.users.bootstrap import BootstrapReport
    from fashion_search.users.service import UserService

_T = TypeVar("_T")

CATALOG_RECORD = "catalog.json"
"""File in ``data_dir`` recording where the ingested catalog's images are."""


@dataclass
class Services:
    """Everything a front end (CLI, API, stylist) needs, built once from Settings."""

    settings: Settings
    store: Store
    _embedder: Embedder | None = None
    _index: CatalogIndex | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _derived: dict[str, Any] = field(default_factory=dict)
    """Objects built from the index (keyword index, profiles, services); dropped when it changes."""

    @property
    def index_dir(self) -> Path:
        return self.settings.data_dir / "index"

    def embedder(self) -> Embedder:
        """The model named by ``settings.model`` (loaded on first use)."""
        with self._lock:
            if self._embedder is None:
                from fashion_search.embed.registry import load_embedder

                self._embedder = load_embedder(
                    self.settings.model, cache_dir=self.settings.resolved_model_cache_dir
                )
            return self._embedder

    def loaded(self) -> dict[str, bool]:
        """Whether the model and the index are in memory now (loads nothing and never waits on a
        load in progress: readiness probes call it)."""
        return {"model": self._embedder is not None, "index": self._index is not None}

    def set_embedder(self, embedder: Embedder) -> None:
        """Use an already built embedder (tests, notebooks) instead of loading ``settings.model``."""
        with self._lock:
            self._embedder = embedder

    def index(self) -> CatalogIndex:
        """The vector index: loaded from ``data_dir/index`` when saved there, else built from the store."""
        with self._lock:
            if self._index is None:
                self._index = self._open_index()
            return self._index

    def rebuild_index(self) -> CatalogIndex:
        """Build the index from the store's vectors of the current model and save it atomically."""
        from fashion_search.index.factory import index_from_store

        with self._lock:
            model = self.embedder().name
            index = index_from_store(
                self.store,
                model=model,
                kind=self.settings.index,
                hnsw_threshold=self.settings.hnsw_threshold,
                hnsw=self._hnsw_params(),
            )
            save = getattr(index, "save", None)
            if save is not None:
                save(self.index_dir)
            self._index = index
            self._derived.clear()
            return index

    def _hnsw_params(self) -> HnswParams | None:
        """HNSW settings from Settings (the sub-graph fields); None keeps the defaults."""
        if not self.settings.hnsw_partition_fields:
            return None
        from fashion_search.index.hnsw import HnswParams

        return HnswParams(partition_fields=tuple(self.settings.hnsw_partition_fields))

    def _open_index(self) -> CatalogIndex:
        from fashion_search.index.factory import index_from_store, load_index, saved_index_exists

        model = self.embedder().name
        if saved_index_exists(self.index_dir):
            index = load_index(self.index_dir)  # an HnswIndex when graphs were saved with it
            saved_model = getattr(index, "model", None)
            if saved_model is not None and saved_model != model:
                raise StoreError(
                    f"the saved index was built with model {saved_model!r} but settings use {model!r}; "
                    "run `fashion-search embed` then `fashion-search index`"
                )
            return index
        return index_from_store(
            self.store,
            model=model,
            kind=self.settings.index,
            hnsw_threshold=self.settings.hnsw_threshold,
            hnsw=self._hnsw_params(),
        )

    # -- the catalog's location ------------------------------------------------------------

    def record_catalog(self, images_dir: Path | None) -> None:
        """Remember where the ingested catalog's images are (``data_dir/catalog.json``).

        The API serves product photos from this folder only.
        """
        record = {"images_dir": None if images_dir is None else str(Path(images_dir).resolve())}
        path = self.settings.data_dir / CATALOG_RECORD
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            raise StoreError(f"cannot record the catalog location in {path}: {exc}") from exc

    def images_dir(self) -> Path | None:
        """The catalog's image folder: as recorded at ingest, else ``catalog_dir/images``, else None."""
        path = self.settings.data_dir / CATALOG_RECORD
        if path.is_file():
            try:
                recorded = json.loads(path.read_text(encoding="utf-8")).get("images_dir")
            except (OSError, ValueError, AttributeError) as exc:
                raise StoreError(f"{path} is unreadable ({exc}); ingest the catalog again") from exc
            if recorded:
                return Path(recorded)
        if self.settings.catalog_dir is not None:
            return self.settings.catalog_dir / "images"
        return None

    # -- services built from the index --------------------------------------------------------

    def _memo(self, key: str, make: Callable[[], _T]) -> _T:
        with self._lock:
            if key not in self._derived:
                self._derived[key] = make()
            return cast(_T, self._derived[key])

    def products(self) -> dict[int, Product]:
        """Every indexed product by id."""
        return self._memo("products", lambda: self.index().products_by_id())

    def keyword_index(self) -> KeywordIndex:
        """BM25 over the products' descriptions (the same text the embedder's text side reads)."""
        from fashion_search.embed.descriptions import describe_product
        from fashion_search.search.keyword import KeywordIndex

        return self._memo(
            "keyword",
            lambda: KeywordIndex.build((pid, describe_product(p)) for pid, p in self.products().items()),
        )

    def vocabulary(self) -> Vocabulary:
        """The query-understanding vocabulary learned from the catalog (values and brands)."""
        from fashion_search.search.vocabulary import Vocabulary

        return self._memo("vocabulary", lambda: Vocabulary.from_products(self.products().values()))

    def brands(self) -> BrandIndex:
        from fashion_search.search.brands import BrandIndex
        from fashion_search.search.vocabulary import Facet

        return self._memo(
            "brands",
            lambda: BrandIndex(self.products().values(), self.vocabulary().values(Facet.BRAND)),
        )

    def bootstrap_users(self, n_users: int | None = None) -> BootstrapReport:
        """Create the synthetic shoppers once (no-op when the store has users); see users.bootstrap."""
        from fashion_search.users.bootstrap import ensure_users

        with self._lock:
            products = sorted(self.products().values(), key=lambda p: p.id)
            report = ensure_users(self.store, products, seed=self.settings.seed, n_users=n_users)
            if report.created:
                for key in ("users", "search", "recommendations", "outfits", "browser"):
                    self._derived.pop(key, None)
            return report

    def users(self) -> UserService:
        """Users, style profiles (from every stored event) and popularity."""
        from fashion_search.users.service import PROFILE_SPACE, UserService

        def make() -> UserService:
            index = self.index()
            ids = index.ids(PROFILE_SPACE)
            matrix = index.vectors(PROFILE_SPACE, ids)
            vectors = {int(pid): row for pid, row in zip(ids.tolist(), matrix, strict=True)}
            return UserService.load(self.store, self.products(), vectors)

        return self._memo("users", make)

    def search(self) -> SearchService:
        from fashion_search.search.service import SearchService

        return self._memo(
            "search",
            lambda: SearchService(
                self.index(),
                self.embedder,
                self.keyword_index(),
                self.vocabulary(),
                self.brands(),
                self.users,
                self.settings.ranking,
                max_image_pixels=self.settings.api.max_image_pixels,
            ),
        )

    def recommendations(self) -> RecommendationService:
        from fashion_search.recommend.service import RecommendationService

        return self._memo(
            "recommendations",
            lambda: RecommendationService(self.index(), self.users(), self.products(), self.settings.ranking),
        )

    def outfits(self) -> OutfitService:
        from fashion_search.outfit.service import OutfitService

        return self._memo("outfits", lambda: OutfitService(self.index(), self.users))

    def browser(self) -> ProductBrowser:
        from fashion_search.search.browse import ProductBrowser

        return self._memo("browser", lambda: ProductBrowser(self.index(), self.search()))

    def warm_up(self, bootstrap: bool = True) -> None:
        """Build everything now: model, index, keyword index, shoppers (created once if missing)."""
        self.embedder()
        index = self.index()
        warm = getattr(index, "warm_up", None)
        if callable(warm):
            warm()
        if bootstrap and self.products():
            self.bootstrap_users()
        self.search()
        self.recommendations()
        self.outfits()
        self.browser()

    def close(self) -> None:
        self.store.close()


def build(settings: Settings) -> Services:
    """Open the store named by Settings; the model and index are built lazily."""
    from fashion_search.store.factory import open_store

    return Services(settings=settings, store=open_store(settings.resolved_store_uri))
