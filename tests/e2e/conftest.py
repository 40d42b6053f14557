"""Browser tests of the storefront: a real uvicorn server on 127.0.0.1 over a catalog built by the real
pipeline (demo catalog -> ingest -> attributes -> embed with fake:64 -> index -> synthetic shoppers) in
a temporary folder, and headless Chromium driven by Playwright.

Chromium is the system's (``FASHION_SEARCH_CHROMIUM``, else ``chromium`` on the PATH, else
/usr/bin/chromium); Playwright's own browser download is never used. Tests skip, saying why, when
Playwright or Chromium is missing. Screenshots go to ``--screenshots DIR`` (when this folder is on
the command line), ``FASHION_SEARCH_SCREENSHOTS``, or a temporary folder of the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from fashion_search.api import create_app
from fashion_search.app import Services, build
from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.ingest import ingest_catalog
from fashion_search.domain import Product
from fashion_search.embed.pipeline import embed_catalog
from fashion_search.settings import Settings, load_settings

CHROMIUM_ENV = "FASHION_SEARCH_CHROMIUM"
SCREENSHOTS_ENV = "FASHION_SEARCH_SCREENSHOTS"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1360, "height": 960}
TIMEOUT_MS = 20_000


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store",
        default=None,
        help="folder for the storefront browser tests' screenshots (default: a temporary folder)",
    )


def chromium_executable() -> str | None:
    """The system Chromium to drive, or None."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


# -- the catalog and the server -------------------------------------------------------------------


@dataclass
class LiveShop:
    """A storefront served by uvicorn, and a client of its API for expected answers."""

    base_url: str
    settings: Settings
    services: Services
    catalog_dir: Path
    client: httpx.Client

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, f"/api/v1{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def url(self, query: str = "") -> str:
        return f"{self.base_url}/{('?' + query) if query else ''}"


def demo_attributes(product: Product) -> dict[str, str]:
    """Visual attributes in the tagger's form, read off what the demo catalog draws (its names say
    plain, striped or checked): enough for the page to show and filter on attributes."""
    if product.master_category == "Apparel":
        name = product.name.lower()
        pattern = "striped" if "striped" in name else "checked" if "checked" in name else "solid"
        out = {"pattern": pattern, "material": "cotton"}
        if product.sub_category == "Topwear":
            out["details"] = "pockets, buttons"
        return out
    if product.master_category == "Footwear":
        return {"material": "leather"}
    return {}


def _build_catalog(root: Path) -> tuple[Settings, Services, Path]:
    catalog_dir = generate_demo_catalog(root / "catalog", n_products=300, seed=0)
    settings = load_settings(data_dir=root / "data", model="fake:64")
    services = build(settings)
    images = catalog_dir / "images"
    ingest_catalog(catalog_dir / "styles.csv", images, services.store, seed=settings.seed)
    tags = {p.id: demo_attributes(p) for batch in services.store.iter_products() for p in batch}
    services.store.update_attributes({pid: attrs for pid, attrs in tags.items() if attrs})
    services.record_catalog(images)
    embed_catalog(services.store, services.embedder(), images)
    services.rebuild_index()
    report = services.bootstrap_users()
    assert report.created and report.users >= 5
    return settings, services, catalog_dir


class _ThreadedServer:
    """uvicorn on an already bound socket (no port race), in a background thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the storefront's uvicorn server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()


@pytest.fixture(scope="session")
def live_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    settings, services, catalog_dir = _build_catalog(tmp_path_factory.mktemp("storefront"))
    server = _ThreadedServer(create_app(settings, services))
    try:
        server.start()
        base_url = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=base_url, timeout=30) as client:
            yield LiveShop(base_url, settings, services, catalog_dir, client)
    finally:
        server.stop()
        services.close()


# -- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; the browser is the system's)")
    executable = chromium_executable()
    if executable is None:
        pytest.skip(f"Chromium not found (apt-get install chromium, or set {CHROMIUM_ENV})")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = request.config.getoption("--screenshots", default=None) or os.environ.get(SCREENSHOTS_ENV)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Browser:
    """One fresh browser context on the storefront: the page, what its console said, screenshots."""

    page: Any
    shop: LiveShop
    screenshot_dir: Path
    console_errors: list[str] = field(default_factory=list)
    allowed_errors: list[str] = field(default_factory=list)

    def open(self, query: str = "") -> None:
        """Load the storefront (with ``query`` as its query string) and wait for the first results."""
        self.page.goto(self.shop.url(query))
        self.page.wait_for_selector("body[data-ready=true]")
        self.wait_results()

    def wait_results(self) -> None:
        self.page.wait_for_selector("#results[data-state=ready], #results[data-state=error]")

    def card_ids(self, scope: str = "#grid") -> list[int]:
        ids = self.page.locator(f"{scope} [data-testid=product-card]").evaluate_all(
            "cards => cards.map(c => Number(c.dataset.id))"
        )
        return [int(i) for i in ids]

    def screenshot(self, name: str, *, full_page: bool = False) -> Path:
        path = self.screenshot_dir / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def allow_error(self, fragment: str) -> None:
        """A console error the test provokes on purpose (e.g. the browser logging an HTTP 415)."""
        self.allowed_errors.append(fragment)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.console_errors if not any(a in e for a in self.allowed_errors)]


@pytest.fixture
def browser(chromium: Any, live_shop: LiveShop, screenshot_dir: Path) -> Iterator[Browser]:
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    session = Browser(page, live_shop, screenshot_dir)

    def on_console(message: Any) -> None:
        if message.type == "error":
            session.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: session.console_errors.append(f"uncaught: {exc}"))
    try:
        yield session
    finally:
        context.close()
    assert session.unexpected_errors() == [], "the page logged console errors"
