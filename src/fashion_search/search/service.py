"""Search over the catalog: text (semantic, cross-modal), filtered before top-k."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fashion_search.domain import SPACES, Hit
from fashion_search.errors import ValidationError

if TYPE_CHECKING:
    from fashion_search.app import Services

MAX_QUERY_CHARS = 1000


def run_text_search(
    services: Services, text: str, *, filters: Sequence[str] = (), k: int = 10, space: str = "hybrid"
) -> list[Hit]:
    """Embed ``text`` and return the ``k`` nearest products in ``space`` among those matching ``filters``."""
    from fashion_search.index.filters import parse_expressions

    if space not in SPACES:
        raise ValidationError(f"unknown space {space!r}; choose one of {', '.join(SPACES)}")
    query = text.strip()
    if not query:
        raise ValidationError("the search text is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise ValidationError(f"the search text is longer than {MAX_QUERY_CHARS} characters")
    where = parse_expressions(list(filters))
    vector = services.embedder().embed_texts([query])[0]
    return services.index().search(space, vector, k=k, where=where)
