"""A demo catalog built by the real pipeline once per test session, and a fresh offline stylist per test."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from fashion_search.app import Services
from fashion_search.domain import Product
from fashion_search.stylist import Stylist, Toolbox
from fashion_search.stylist.offline import OfflineChatModel

CATALOG_SIZE = 400
CATALOG_SEED = 9
"""A seed whose demo catalog has every kind of product the requests below ask for."""


def load_test_module(filename: str) -> ModuleType:
    """A helper module of the tests folder, loaded by path (with --import-mode=importlib the tests
    folder is not on sys.path)."""
    name = "fashion_search_tests_" + filename.removesuffix(".py")
    if name not in sys.modules:
        path = Path(__file__).parents[2] / filename
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def stylist_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = load_test_module("stylist_catalog.py").build_stylist_services(
        tmp_path_factory.mktemp("stylist"), CATALOG_SIZE, seed=CATALOG_SEED
    )
    yield services
    services.close()


@pytest.fixture(scope="session")
def catalog(stylist_services: Services) -> dict[int, Product]:
    return stylist_services.products()


@pytest.fixture
def toolbox(stylist_services: Services) -> Toolbox:
    return Toolbox(stylist_services)


@pytest.fixture
def stylist(toolbox: Toolbox) -> Stylist:
    return Stylist(toolbox, OfflineChatModel())


@pytest.fixture(scope="session")
def fake_api() -> ModuleType:
    """The scripted Messages API server module (``tests/fake_messages_api.py``)."""
    return load_test_module("fake_messages_api.py")
