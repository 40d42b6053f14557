"""The search package exports a short, resolvable public API."""

from __future__ import annotations

import fashion_search.search as search


def test_all_names_resolve() -> None:
    assert len(set(search.__all__)) == len(search.__all__)
    for name in search.__all__:
        assert getattr(search, name) is not None
    assert {"parse_query", "merge_filters", "KeywordIndex", "Vocabulary", "reciprocal_rank_fusion"} <= set(
        search.__all__
    )
