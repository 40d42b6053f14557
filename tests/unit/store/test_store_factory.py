from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fashion_search.errors import ConfigurationError, MissingDependencyError, StoreError
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
def test_postgresql_without_psycopg_names_the_extra(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "fashion_search.store.postgres", raising=False)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    with pytest.raises(MissingDependencyError, match=r"psycopg.*fashion-search\[postgres\]"):
        open_store(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://shopper:s3cret@127.0.0.1:1/shop?connect_timeout=2",
        "postgresql+psycopg://shopper:s3cret@127.0.0.1:1/shop",
        "postgresql://127.0.0.1:1/shop?user=shopper&password=s3cret&schema=cat",
    ],
)
def test_unreachable_postgresql_is_a_store_error_without_the_password(uri: str) -> None:
    pytest.importorskip("psycopg")
    pytest.importorskip("psycopg_pool")
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as info:
        open_store(uri)
    assert "s3cret" not in str(info.value)
    assert "127.0.0.1" in str(info.value)


def test_postgresql_uri_names_schema_once() -> None:
    pytest.importorskip("psycopg")
    pytest.importorskip("psycopg_pool")
    with pytest.raises(ConfigurationError, match="schema"):
        open_store("postgresql://127.0.0.1:1/shop?schema=a&schema=b")
    with pytest.raises(ConfigurationError, match="schema name"):
        open_store("postgresql://127.0.0.1:1/shop?schema=Robert'); DROP TABLE products;--")


def test_other_schemes_name_the_accepted_forms_without_echoing_secrets() -> None:
    with pytest.raises(ConfigurationError, match="'mysql'.*local directory.*postgresql://") as info:
        open_store("mysql://user:s3cret@host/db")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("uri", ["", "   "])
def test_empty_uri_is_a_configuration_error(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="store URI"):
        open_store(uri)
