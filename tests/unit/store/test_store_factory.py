from __future__ import annotations

from pathlib import Path

import pytest

from fashion_search.errors import ConfigurationError
from fashion_search.store.factory import open_store
from fashion_search.store.sqlite import SqliteStore


def test_local_path_opens_the_embedded_store(tmp_path: Path) -> None:
    for uri in (str(tmp_path / "a"), tmp_path / "b", f"file://{tmp_path / 'c'}"):
        store = open_store(uri)
        try:
            assert isinstance(store, SqliteStore)
            assert store.count_products() == 0
        finally:
            store.close()
    assert (tmp_path / "a" / "store.db").is_file() and (tmp_path / "c" / "store.db").is_file()


@pytest.mark.parametrize(
    "uri", ["postgresql://me@localhost/shop", "postgresql+psycopg://x@y/z", "postgres://a@b/c"]
)
def test_postgresql_is_not_available_yet(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="PostgreSQL store is not available yet"):
        open_store(uri)


def test_other_schemes_name_the_accepted_forms_without_echoing_secrets() -> None:
    with pytest.raises(ConfigurationError, match="'mysql'.*local directory.*postgresql://") as info:
        open_store("mysql://user:s3cret@host/db")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("uri", ["", "   "])
def test_empty_uri_is_a_configuration_error(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="store URI"):
        open_store(uri)
