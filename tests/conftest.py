"""Session fixtures shared by every test directory: a throwaway PostgreSQL + pgvector server."""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest


def _postgres_server_module() -> ModuleType:
    # Loaded by path: with --import-mode=importlib the tests folder is not on sys.path.
    name = "fashion_search_tests_postgres_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("postgres_server.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def postgres_uri() -> Iterator[str]:
    """URI of a PostgreSQL server with pgvector, started for this test session and stopped after.

    Skips (with the reason) when neither a bundled server package nor
    ``FASHION_SEARCH_TEST_POSTGRES_URI`` is available.
    """
    helper = _postgres_server_module()
    reason = helper.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    existing = os.environ.get(helper.URI_ENV)
    if existing:
        yield existing
        return
    server = helper.TemporaryPostgres()
    server.start()
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture
def postgres_schema(postgres_uri: str) -> Iterator[str]:
    """A fresh, empty schema name for one test (dropped afterwards)."""
    import psycopg
    from psycopg import sql

    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    with psycopg.connect(postgres_uri, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
